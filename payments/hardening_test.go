package payments_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/money"
	"carfin/payments"
	"carfin/servicing"
)

// Issue 11: a servicing refusal that is not the customer's fault, two
// debits of one contract in one chunk, the same payment made twice by the
// browser's Back button, a payment date after the grace period, and the
// payoff with payments scheduled.

// TestRefusedDebitHeldForReview: a NACHA run whose servicing refuses a
// debit for a reason that is not the customer's (here its business date
// lags the payments calendar, so the debit's date is "in the future")
// leaves the payment scheduled, tells the customer nothing and puts it in
// staff review once, however often runs meet it; the next run posts it. A
// file written ahead of its day takes no payment dated after today.
func TestRefusedDebitHeldForReview(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-11-02") // Monday
		ada := e.customer("Ada")
		loan := e.loan(ada, "12000", 36, "2026-10-15", "2026-11-15")
		m := e.bank(ada, "112601818", "123456789")
		p := e.payOther(ada, loan, m.ID, "300.00", 0, "k1")
		mails := len(e.outbox(e.email(ada)))

		// Servicing one day behind: it refuses the debit dated today.
		lagging := servicing.New(d, func(t time.Time) calendar.Date { return e.cutoff.Today(t).AddDays(-1) })
		behind, err := payments.New(d, lagging, e.pay.Config())
		if err != nil {
			t.Fatal(err)
		}
		e.at("2026-11-02", 17, 30)
		for range 2 { // the second run meets it again: one review row
			r, err := behind.OriginateACH(e.ctx, day("2026-11-02"))
			if err != nil {
				t.Fatal(err)
			}
			if r.Held != 1 || r.Failed != 0 || r.Posted != 0 {
				t.Fatalf("run %+v", r)
			}
		}
		got, err := e.pay.Payment(e.ctx, ada, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != payments.StatusScheduled || got.StatusReason != "" {
			t.Fatalf("held payment %+v", got)
		}
		if n := len(e.outbox(e.email(ada))); n != mails {
			t.Errorf("the customer got %d messages about a debit that is not their fault: %s", n-mails, kinds(e.outbox(e.email(ada))))
		}
		review, err := e.pay.ReturnsForReview(e.ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(review) != 1 || review[0].Kind != "refusal" || review[0].Code != "future_date" || review[0].PaymentID != p.ID ||
			!strings.Contains(review[0].Description, "after the business date") {
			t.Fatalf("review %+v", review)
		}
		if n := e.count(`SELECT count(*) FROM audit_events WHERE action = 'payment.held_for_review'`); n != 1 {
			t.Errorf("%d audit events", n)
		}

		// Tomorrow's payment, and tomorrow's file written tonight: it takes
		// the held payment (servicing on time now) but not tomorrow's.
		tomorrow := e.payOther(ada, loan, m.ID, "50.00", 0, "k2")
		if tomorrow.Date != day("2026-11-03") {
			t.Fatalf("after the cut-off: %+v", tomorrow)
		}
		r, err := e.pay.OriginateACH(e.ctx, day("2026-11-03"))
		if err != nil || r.Posted != 1 || r.Held != 0 || r.DebitCents != cents("300") {
			t.Fatalf("file ahead of its day %+v %v", r, err)
		}
		if got, _ := e.pay.Payment(e.ctx, ada, p.ID); got.Status != payments.StatusPending || got.AmountCents != cents("300") {
			t.Fatalf("held payment after the next run %+v", got)
		}
		if got, _ := e.pay.Payment(e.ctx, ada, tomorrow.ID); got.Status != payments.StatusScheduled {
			t.Fatalf("tomorrow's payment went out today: %+v", got)
		}
		e.at("2026-11-03", 17, 30)
		if r, err := e.pay.OriginateACH(e.ctx, day("2026-11-03")); err != nil || r.Posted != 1 || r.DebitCents != cents("50") {
			t.Fatalf("tomorrow's run %+v %v", r, err)
		}
		e.checks()
	})
}

// TestTwoDebitsOneChunk: two debits of one contract go out in one chunk
// of the NACHA run, and the second overpays once the first is posted (a
// check by mail, posted between, took the rest). The second is cut to the
// payoff, quoted inside the run's transaction, so it sees the first: the
// contract is paid off, and not left open with the second skipped as if
// it were.
func TestTwoDebitsOneChunk(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-11-02") // Monday
		ada := e.customer("Ada")
		loan := e.loan(ada, "12000", 36, "2026-10-15", "2026-11-15")
		m := e.bank(ada, "112601818", "123456789")
		q, err := e.sv.QuotePayoff(e.ctx, loan, day("2026-11-02"))
		if err != nil {
			t.Fatal(err)
		}
		first := e.payOther(ada, loan, m.ID, (q.PayoffCents - cents("1000")).String(), 0, "k1")
		second := e.payOther(ada, loan, m.ID, "1000.00", 0, "k2")
		// A check by mail, posted today outside the payments flow.
		if _, err := e.sv.PostPayment(e.ctx, servicing.Request{ContractID: loan, Date: day("2026-11-02"), IdempotencyKey: "lockbox-1", Actor: "lockbox"},
			cents("300")); err != nil {
			t.Fatal(err)
		}
		e.at("2026-11-02", 17, 30)
		r, err := e.pay.OriginateACH(e.ctx, day("2026-11-02"))
		if err != nil {
			t.Fatal(err)
		}
		if r.Posted != 2 || r.Skipped != 0 || r.DebitCents != q.PayoffCents-cents("300") {
			t.Fatalf("run %+v, want both posted for %s", r, q.PayoffCents-cents("300"))
		}
		p1, _ := e.pay.Payment(e.ctx, ada, first.ID)
		p2, _ := e.pay.Payment(e.ctx, ada, second.ID)
		if p1.Status != payments.StatusPending || p2.Status != payments.StatusPending || p2.AmountCents != cents("700") {
			t.Fatalf("payments %+v\n%+v", p1, p2)
		}
		var state string
		if err := d.Read.QueryRow(`SELECT state FROM contracts WHERE id = $1`, loan).Scan(&state); err != nil || state != "paid_off" {
			t.Fatalf("contract %s %v", state, err)
		}
		e.checks()
	})
}

// TestDuplicatePayment: a payment identical to one made minutes ago (the
// browser's Back button and a second confirmation, with a fresh form) is
// refused with the first one's details, unless the customer confirms a
// second one; a double click (the same form) is still the same payment.
func TestDuplicatePayment(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-11-02")
		ada := e.customer("Ada")
		loan := e.loan(ada, "12000", 36, "2026-10-15", "2026-11-15")
		m := e.bank(ada, "112601818", "123456789")
		form := payments.OneTime{ContractID: loan, MethodID: m.ID, Choice: payments.PayAmountDue, Date: day("2026-11-06"), IdempotencyKey: "k1"}
		first, err := e.pay.Pay(e.ctx, ada, form)
		if err != nil {
			t.Fatal(err)
		}
		back := form
		back.IdempotencyKey = "k2" // the review page, loaded again
		q, err := e.pay.Quote(e.ctx, ada, back)
		if err != nil {
			t.Fatal(err)
		}
		if q.Recent == nil || q.Recent.Confirmation != first.Confirmation || q.Recent.AmountCents != first.AmountCents {
			t.Fatalf("quote's recent payment %+v", q.Recent)
		}
		if _, err := e.pay.Pay(e.ctx, ada, back); !errors.Is(err, payments.ErrDuplicatePayment) {
			t.Fatalf("second identical payment: %v", err)
		}
		if n := e.count(`SELECT count(*) FROM payments WHERE customer_id = $1`, ada); n != 1 {
			t.Fatalf("%d payments after a refused duplicate", n)
		}
		cases := []struct {
			name string
			edit func(*payments.OneTime)
		}{
			{"other amount", func(f *payments.OneTime) { f.Choice, f.Other = payments.PayOther, "10.00" }},
			{"other date", func(f *payments.OneTime) { f.Date = day("2026-11-09") }},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				f := form
				f.IdempotencyKey = fmt.Sprintf("other-%d", i)
				tc.edit(&f)
				if q, err := e.pay.Quote(e.ctx, ada, f); err != nil || q.Recent != nil {
					t.Fatalf("quote %+v %v", q.Recent, err)
				}
			})
		}
		again := back
		again.Again = true
		second, err := e.pay.Pay(e.ctx, ada, again)
		if err != nil || second.ID == first.ID || second.Duplicate {
			t.Fatalf("confirmed second payment: %+v %v", second, err)
		}
		if dup, err := e.pay.Pay(e.ctx, ada, again); err != nil || dup.ID != second.ID || !dup.Duplicate {
			t.Fatalf("double click on the confirmed second: %+v %v", dup, err)
		}
		// A double click on a new form: both answers are the one payment
		// (the second sees the first as a repeat, not as a duplicate).
		click := payments.OneTime{ContractID: loan, MethodID: m.ID, Choice: payments.PayOther, Other: "20.00", Date: day("2026-11-06"), IdempotencyKey: "k9"}
		var wg sync.WaitGroup
		clicks := make([]payments.Payment, 2)
		errs := make([]error, 2)
		for i := range 2 {
			wg.Go(func() { clicks[i], errs[i] = e.pay.Pay(e.ctx, ada, click) })
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil || clicks[0].ID != clicks[1].ID {
			t.Fatalf("double click: %+v %v, %+v %v", clicks[0], errs[0], clicks[1], errs[1])
		}
		// Once the window has passed, no question.
		later := form
		later.IdempotencyKey = "k3"
		e.clock.Set(e.clock.Now().Add(payments.DuplicateWindow + time.Second))
		if q, err := e.pay.Quote(e.ctx, ada, later); err != nil || q.Recent != nil {
			t.Fatalf("after the window: %+v %v", q.Recent, err)
		}
	})
}

// TestLateWarning: a payment dated after an installment's grace period
// says the late fee it will bring, as the servicing engine then charges it,
// and the last date that avoids it, moved back to a day payments can be
// made; a payment in time, or one after a scheduled payment that pays the
// installment in time, says nothing.
func TestLateWarning(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2027-01-04") // Monday
		cust := e.customer("Lee")
		open := func(kind servicing.Kind, grace int) int64 {
			t.Helper()
			e.seq++
			nc := servicing.NewContract{AccountNumber: fmt.Sprintf("NL-%06d", e.seq), CustomerID: cust,
				VIN: servicing.WithCheckDigit(fmt.Sprintf("1HGCM8263B%07d", e.seq)), VehicleYear: 2025, Make: "Mazda", Model: "CX-5",
				Kind: kind, TermMonths: 36, ContractDate: day("2026-12-05"), FirstDue: day("2027-01-05"), GraceDays: grace,
				LateFee:     servicing.LateFeeRule{Kind: "greater", FixedCents: cents("15"), Rate: money.MustParseRate("5"), CapCents: cents("40")},
				NSFFeeCents: cents("25")}
			if kind == servicing.KindLease {
				nc.Lease = &servicing.NewLease{GrossCapCostCents: cents("32000"), CapCostReductionCents: cents("2000"), ResidualCents: cents("18000"),
					MoneyFactor: 125000, TaxRate: money.MustParseRate("6.25"), MileageAllowance: 36000, ExcessMileRateCents: cents("0.25"),
					PurchaseOptionCents: cents("18000"), PurchaseFeeCents: cents("350"), DispositionFeeCents: cents("395"), OdometerStart: 12}
			} else {
				nc.AmountFinancedCents, nc.APR = cents("20000"), money.MustParseRate("6.99")
			}
			id, err := e.sv.OpenContract(e.ctx, nc)
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		lease := open(servicing.KindLease, 10)
		holiday := open(servicing.KindLoan, 13) // grace ends Monday, January 18, 2027: Martin Luther King Jr. Day
		m := e.bank(cust, "112601818", "123456789")
		quote := func(contract int64, date string) payments.Quote {
			t.Helper()
			q, err := e.pay.Quote(e.ctx, cust, payments.OneTime{ContractID: contract, MethodID: m.ID, Choice: payments.PayAmountDue, Date: day(date)})
			if err != nil {
				t.Fatal(err)
			}
			return q
		}
		// The fee is the product's rule on the installment, as the engine
		// computes it (and charges it, below).
		rule := servicing.LateFeeRule{Kind: "greater", FixedCents: cents("15"), Rate: money.MustParseRate("5"), CapCents: cents("40")}
		o, err := e.pay.Options(e.ctx, cust, lease)
		if err != nil {
			t.Fatal(err)
		}
		ho, err := e.pay.Options(e.ctx, cust, holiday)
		if err != nil {
			t.Fatal(err)
		}
		fee, holidayFee := rule.Fee(o.InstallmentCents), rule.Fee(ho.InstallmentCents)
		cases := []struct {
			name     string
			contract int64
			date     string
			want     payments.LateWarning
		}{
			{"lease, February 4", lease, "2027-02-04", payments.LateWarning{FeeCents: fee, DueDate: day("2027-01-05"), GraceEnds: day("2027-01-15"), PayBy: day("2027-01-15")}},
			{"lease, last day of grace", lease, "2027-01-15", payments.LateWarning{}},
			{"lease, the day after", lease, "2027-01-19", payments.LateWarning{FeeCents: fee, DueDate: day("2027-01-05"), GraceEnds: day("2027-01-15"), PayBy: day("2027-01-15")}},
			{"grace ends on a holiday", holiday, "2027-01-19", payments.LateWarning{FeeCents: holidayFee, DueDate: day("2027-01-05"), GraceEnds: day("2027-01-18"), PayBy: day("2027-01-15")}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				if got := quote(tc.contract, tc.date).Late; got != tc.want {
					t.Errorf("late warning %+v, want %+v", got, tc.want)
				}
			})
		}
		// A payment scheduled in time pays the installment: no fee later.
		e.payOther(cust, lease, m.ID, o.AmountDueCents.String(), day("2027-01-08"), "in-time")
		if got := quote(lease, "2027-02-04").Late; got.FeeCents != 0 {
			t.Errorf("after a payment in time: %+v", got)
		}
		// What the warning said is what the engine charges.
		for dd := day("2027-01-04"); dd <= day("2027-01-20"); dd++ {
			e.clock.Set(dd.Time().Add(23 * time.Hour))
			if _, err := e.sv.DayClose(e.ctx, dd); err != nil {
				t.Fatal(err)
			}
		}
		var fees money.Cents
		if err := d.Read.QueryRow(`SELECT fees_cents FROM contract_balances WHERE contract_id = $1`, holiday).Scan(&fees); err != nil || fees != holidayFee {
			t.Errorf("fees charged %s %v, warned %s", fees, err, holidayFee)
		}
	})
}

// TestPayoffWithScheduled: the payment form's payoff amount leaves out
// the payments already scheduled by its date and can be paid; a payment
// scheduled later does not stop it (the run skips that one once the
// contract is paid off). The form's amounts are the dashboard's.
func TestPayoffWithScheduled(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-11-02")
		ada := e.customer("Ada")
		loan := e.loan(ada, "12000", 36, "2026-10-15", "2026-11-15")
		m := e.bank(ada, "112601818", "123456789")
		later := e.payOther(ada, loan, m.ID, "200.00", day("2026-11-13"), "later")
		card := e.card(ada, "4242424242424242")
		laterCard := e.payOther(ada, loan, card.ID, "150.00", day("2026-11-13"), "later-card")
		o, err := e.pay.Options(e.ctx, ada, loan)
		if err != nil {
			t.Fatal(err)
		}
		q, _ := e.sv.QuotePayoff(e.ctx, loan, o.Earliest)
		if o.PayoffCents != q.PayoffCents || o.PayoffScheduledCents != 0 || o.ScheduledCents != cents("350") {
			t.Fatalf("options %+v, payoff %s", o, q.PayoffCents)
		}
		// Today's payment first, then the payoff on a later date.
		e.payOther(ada, loan, m.ID, "100.00", 0, "today")
		q10, _ := e.sv.QuotePayoff(e.ctx, loan, day("2026-11-10"))
		qt, err := e.pay.Quote(e.ctx, ada, payments.OneTime{ContractID: loan, MethodID: m.ID, Choice: payments.PayPayoff, Date: day("2026-11-10")})
		if err != nil {
			t.Fatalf("the offered payoff is refused: %v", err)
		}
		if qt.AmountCents != q10.PayoffCents-cents("100") {
			t.Errorf("payoff amount %s, want %s less the $100.00 scheduled before", qt.AmountCents, q10.PayoffCents)
		}
		if _, err := e.pay.Pay(e.ctx, ada, payments.OneTime{ContractID: loan, MethodID: m.ID, Choice: payments.PayPayoff, Date: day("2026-11-10"),
			IdempotencyKey: "payoff"}); err != nil {
			t.Fatal(err)
		}
		// More than that is still more than is owed.
		if _, err := e.pay.Quote(e.ctx, ada, payments.OneTime{ContractID: loan, MethodID: m.ID, Choice: payments.PayOther, Other: "1.00",
			Date: day("2026-11-10")}); !errors.Is(err, payments.ErrOverPayoff) {
			t.Errorf("a dollar more: %v", err)
		}
		// The runs: today's $100, the payoff on the 10th, and the 13th's skipped.
		for _, dd := range []string{"2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06", "2026-11-09", "2026-11-10", "2026-11-11", "2026-11-12", "2026-11-13"} {
			e.at(dd, 17, 30)
			if _, err := e.pay.RunDay(e.ctx, day(dd)); err != nil {
				t.Fatal(err)
			}
		}
		var state string
		_ = d.Read.QueryRow(`SELECT state FROM contracts WHERE id = $1`, loan).Scan(&state)
		if p, _ := e.pay.Payment(e.ctx, ada, later.ID); state != "paid_off" || p.Status != payments.StatusSkipped {
			t.Errorf("contract %s, later payment %s", state, p.Status)
		}
		// The card scheduled after the payoff is never touched: no hold, no
		// charge to refund.
		if p, _ := e.pay.Payment(e.ctx, ada, laterCard.ID); p.Status != payments.StatusSkipped ||
			e.count(`SELECT count(*) FROM payments WHERE id = $1 AND card_auth_id IS NULL AND card_capture_id IS NULL`, laterCard.ID) != 1 {
			t.Errorf("later card payment %+v", p)
		}
		e.checks()
	})
}

// TestOptionsMatchDashboard: the payment form's amount due, past due,
// fees and next due date are the dashboard's, for a loan months behind.
func TestOptionsMatchDashboard(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2027-03-01") // Monday
		ada := e.customer("Ada")
		loan := e.loan(ada, "12000", 36, "2026-10-15", "2026-11-15") // nothing paid: four installments behind
		o, err := e.pay.Options(e.ctx, ada, loan)
		if err != nil {
			t.Fatal(err)
		}
		s, err := e.sv.ContractSummary(e.ctx, ada, loan)
		if err != nil {
			t.Fatal(err)
		}
		if s.PastDueCents == 0 || s.FeesCents == 0 {
			t.Fatalf("summary %+v", s)
		}
		if o.AmountDueCents != s.AmountDueCents || o.PastDueCents != s.PastDueCents || o.FeesCents != s.FeesCents || o.NextDue != s.NextDue ||
			o.DaysPastDue != s.DaysPastDue {
			t.Errorf("form: due %s past %s fees %s next %s (%d days); dashboard: due %s past %s fees %s next %s (%d days)",
				o.AmountDueCents, o.PastDueCents, o.FeesCents, o.NextDue, o.DaysPastDue, s.AmountDueCents, s.PastDueCents, s.FeesCents, s.NextDue, s.DaysPastDue)
		}
	})
}
