package payments_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"carfin/db"
	"carfin/db/dbtest"
	"carfin/internal/pdftest"
	"carfin/money"
	"carfin/payments"
	"carfin/servicing"
)

// TestOneTimeACH: the whole one-time bank payment: options, review,
// confirm (twice: one payment), receipt, email, the evening's NACHA file
// with the payment posted to the ledger on its date, and settlement after
// the return window.
func TestOneTimeACH(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-11-02") // Monday, 10:00
		ada := e.customer("Ada")
		loan := e.loan(ada, "12000", 36, "2026-10-15", "2026-11-15")
		m := e.bank(ada, "112601818", "123456789")
		o, err := e.pay.Options(e.ctx, ada, loan)
		if err != nil {
			t.Fatal(err)
		}
		if o.AmountDueCents != o.InstallmentCents || o.PastDueCents != 0 || o.PayoffCents <= cents("12000") || o.Earliest != day("2026-11-02") ||
			o.Latest != day("2026-12-15") || o.NextDue != day("2026-11-15") || len(o.Methods) != 1 {
			t.Fatalf("options %+v", o)
		}
		if !o.DateAllowed(day("2026-11-02")) || !o.DateAllowed(day("2026-12-15")) || o.DateAllowed(day("2026-11-07")) || o.DateAllowed(day("2026-12-16")) {
			t.Error("allowed dates")
		}
		form := payments.OneTime{ContractID: loan, MethodID: m.ID, Choice: payments.PayAmountDue, IdempotencyKey: "form-1", IP: "198.51.100.7"}
		q, err := e.pay.Quote(e.ctx, ada, form)
		if err != nil {
			t.Fatal(err)
		}
		if q.AmountCents != o.InstallmentCents || q.FeeCents != 0 || q.Date != day("2026-11-02") || !q.Today || !q.ChangeDeadline.IsZero() || q.Rail != payments.RailACH {
			t.Fatalf("quote %+v", q)
		}
		p, err := e.pay.Pay(e.ctx, ada, form)
		if err != nil {
			t.Fatal(err)
		}
		again, err := e.pay.Pay(e.ctx, ada, form) // a double click
		if err != nil || again.ID != p.ID || !again.Duplicate {
			t.Fatalf("second submit: %+v %v", again, err)
		}
		changed := form
		changed.Choice, changed.Other = payments.PayOther, "10"
		if _, err := e.pay.Pay(e.ctx, ada, changed); !errors.Is(err, payments.ErrIdempotencyConflict) {
			t.Errorf("same key, other form: %v", err)
		}
		if e.count(`SELECT count(*) FROM payments`) != 1 {
			t.Fatal("more than one payment")
		}
		if got, err := e.pay.PaymentByConfirmation(e.ctx, ada, strings.ToLower(p.Confirmation)); err != nil || got.ID != p.ID {
			t.Errorf("by confirmation: %v", err)
		}
		if p.Status != payments.StatusScheduled || p.Date != day("2026-11-02") || p.Editable(e.clock.Now()) || p.AmountCents != o.InstallmentCents {
			t.Fatalf("payment %+v", p)
		}
		pdf, err := e.pay.Receipt(e.ctx, ada, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if text := pdftest.Text(t, pdf); text != "" {
			for _, want := range []string{"Northwind Motor Finance", "Payment receipt", p.Confirmation, p.AmountCents.Dollars(), "Monday, November 2, 2026",
				"Checking at Prairie Gate Savings Bank ••••6789"} {
				if !strings.Contains(text, want) {
					t.Errorf("receipt lacks %q:\n%s", want, text)
				}
			}
		}
		bob := e.customer("Bob")
		if _, err := e.pay.Receipt(e.ctx, bob, p.ID); !errors.Is(err, payments.ErrNotFound) {
			t.Errorf("another customer's receipt: %v", err)
		}
		if _, err := e.pay.Payment(e.ctx, bob, p.ID); !errors.Is(err, payments.ErrNotFound) {
			t.Errorf("another customer's payment: %v", err)
		}
		// The evening run: the file goes out and the payment is posted
		// with its date.
		if _, err := e.pay.RunDay(e.ctx, day("2026-11-02")); !errors.Is(err, payments.ErrTooEarly) {
			t.Errorf("run before the cut-off: %v", err)
		}
		e.at("2026-11-02", 17, 30)
		st, err := e.pay.RunDay(e.ctx, day("2026-11-02"))
		if err != nil {
			t.Fatal(err)
		}
		if st.File.Posted != 1 || st.File.Debits != 1 || st.File.DebitCents != p.AmountCents || st.File.EffectiveDate != day("2026-11-03") {
			t.Fatalf("run %+v", st.File)
		}
		file := readFile(t, st.File.Path)
		entry := "627112601818123456789        " + padAmount(p.AmountCents) + p.Confirmation
		if !strings.Contains(file, entry) || !strings.Contains(file, "WEBLOAN PYMT") {
			t.Errorf("file lacks %q:\n%s", entry, file)
		}
		p, _ = e.pay.Payment(e.ctx, ada, p.ID)
		if p.Status != payments.StatusPending || p.StatusText() != "Processed; your bank can still return it for a few days." {
			t.Errorf("after the file: %+v", p)
		}
		b := e.balances(loan)
		interest := b[servicing.AccountInterest]
		if b[servicing.AccountPrincipal] >= cents("12000") || interest != 0 {
			t.Errorf("ledger after the payment: %v", b)
		}
		// A second run the same evening writes nothing new.
		st, err = e.pay.RunDay(e.ctx, day("2026-11-02"))
		if err != nil || st.File.FileID != 0 || e.count(`SELECT count(*) FROM ach_files`) != 2 {
			t.Fatalf("rerun: %+v %v", st.File, err)
		}
		// Settles after the return window: effective 11-03, returns until 11-05.
		e.at("2026-11-05", 18, 0)
		if st, err := e.pay.RunDay(e.ctx, day("2026-11-05")); err != nil || st.Settled != 0 {
			t.Fatalf("settled too early: %+v %v", st, err)
		}
		e.at("2026-11-06", 18, 0)
		if st, err := e.pay.RunDay(e.ctx, day("2026-11-06")); err != nil || st.Settled != 1 {
			t.Fatalf("settle: %+v %v", st, err)
		}
		if p, _ = e.pay.Payment(e.ctx, ada, p.ID); p.Status != payments.StatusSettled {
			t.Errorf("not settled: %+v", p)
		}
		if k := kinds(e.outbox(e.email(ada))); !strings.Contains(k, "payment.scheduled") || !strings.Contains(k, "payment.processed") {
			t.Errorf("messages: %s", k)
		}
		e.checks()
	})
}

func padAmount(c money.Cents) string {
	s := strings.Repeat("0", 10) + strings.ReplaceAll(c.String(), ".", "")
	return s[len(s)-10:]
}

// TestOneTimeRefusals: bad amounts, dates and other customers' ids are
// refused with typed errors, writing nothing.
func TestOneTimeRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-11-02")
		ada, bob := e.customer("Ada"), e.customer("Bob")
		loan := e.loan(ada, "12000", 36, "2026-10-15", "2026-11-15")
		bobLoan := e.loan(bob, "9000", 24, "2026-10-15", "2026-11-15")
		m := e.bank(ada, "112601818", "123456789")
		bm := e.bank(bob, "129083018", "555566667777")
		pending, err := e.pay.AddBankAccount(e.ctx, ada, payments.NewBankAccount{HolderName: "Ada", AccountType: "checking", Routing: "029139091",
			Account: "4444", ConfirmAccount: "4444"})
		if err != nil {
			t.Fatal(err)
		}
		o, err := e.pay.Options(e.ctx, ada, loan)
		if err != nil {
			t.Fatal(err)
		}
		before := [3]int{e.count(`SELECT count(*) FROM payments`), e.count(`SELECT count(*) FROM outbox`), e.count(`SELECT count(*) FROM audit_events`)}
		base := payments.OneTime{ContractID: loan, MethodID: m.ID, Choice: payments.PayOther, Other: "100.00"}
		for i, tc := range []struct {
			name   string
			change func(*payments.OneTime)
			want   error
		}{
			{"three decimals", func(f *payments.OneTime) { f.Other = "100.005" }, payments.ErrAmount},
			{"negative", func(f *payments.OneTime) { f.Other = "-5" }, payments.ErrAmount},
			{"zero", func(f *payments.OneTime) { f.Other = "0.00" }, payments.ErrAmount},
			{"letters", func(f *payments.OneTime) { f.Other = "12O.00" }, payments.ErrAmount},
			{"thousands separator", func(f *payments.OneTime) { f.Other = "1,000" }, payments.ErrAmount},
			{"huge", func(f *payments.OneTime) { f.Other = "99999999999999" }, payments.ErrOverPayoff},
			{"beyond 15 digits", func(f *payments.OneTime) { f.Other = "9999999999999999999" }, payments.ErrAmount},
			{"a cent over the payoff", func(f *payments.OneTime) { f.Other = (o.PayoffCents + 1).String() }, payments.ErrOverPayoff},
			{"nothing past due", func(f *payments.OneTime) { f.Choice = payments.PayPastDue }, payments.ErrAmount},
			{"unknown choice", func(f *payments.OneTime) { f.Choice = "everything" }, payments.ErrAmount},
			{"yesterday", func(f *payments.OneTime) { f.Date = day("2026-11-01") }, payments.ErrDate},
			{"a Saturday", func(f *payments.OneTime) { f.Date = day("2026-11-07") }, payments.ErrDate},
			{"a holiday", func(f *payments.OneTime) { f.Date = day("2026-11-11") }, payments.ErrDate},
			{"after due + 30", func(f *payments.OneTime) { f.Date = day("2026-12-16") }, payments.ErrDate},
			{"another customer's method", func(f *payments.OneTime) { f.MethodID = bm.ID }, payments.ErrNotFound},
			{"another customer's contract", func(f *payments.OneTime) { f.ContractID = bobLoan }, payments.ErrNotFound},
			{"no such method", func(f *payments.OneTime) { f.MethodID = 424242 }, payments.ErrNotFound},
			{"unvalidated account", func(f *payments.OneTime) { f.MethodID = pending.ID }, payments.ErrNotValidated},
			{"no idempotency key", func(f *payments.OneTime) { f.IdempotencyKey = "-" }, payments.ErrIdempotencyConflict},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f := base
				f.IdempotencyKey = "refusal-" + string(rune('a'+i))
				tc.change(&f)
				if f.IdempotencyKey == "-" {
					f.IdempotencyKey = ""
				}
				if _, err := e.pay.Pay(e.ctx, ada, f); !errors.Is(err, tc.want) {
					t.Errorf("err = %v, want %v", err, tc.want)
				}
			})
		}
		after := [3]int{e.count(`SELECT count(*) FROM payments`), e.count(`SELECT count(*) FROM outbox`), e.count(`SELECT count(*) FROM audit_events`)}
		if before != after {
			t.Errorf("refusals wrote rows: payments/outbox/audit %v → %v", before, after)
		}
		// Scheduled payments count against the payoff.
		f := base
		f.Other, f.Date, f.IdempotencyKey = (o.PayoffCents - cents("100")).String(), day("2026-11-04"), "big"
		if _, err := e.pay.Pay(e.ctx, ada, f); err != nil {
			t.Fatal(err)
		}
		f.Other, f.IdempotencyKey = "200", "more"
		if _, err := e.pay.Pay(e.ctx, ada, f); !errors.Is(err, payments.ErrOverPayoff) {
			t.Errorf("two payments over the payoff: %v", err)
		}
	})
}

// TestScheduledEditAndCancel: a scheduled payment can be changed or
// cancelled until the cut-off of the business day before it goes out.
func TestScheduledEditAndCancel(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-11-02")
		ada, bob := e.customer("Ada"), e.customer("Bob")
		loan := e.loan(ada, "12000", 36, "2026-10-15", "2026-11-15")
		m := e.bank(ada, "112601818", "123456789")
		m2 := e.bank(ada, "129083018", "222233334444")
		p, err := e.pay.Pay(e.ctx, ada, payments.OneTime{ContractID: loan, MethodID: m.ID, Choice: payments.PayOther, Other: "150", Date: day("2026-11-10"), IdempotencyKey: "s1"})
		if err != nil {
			t.Fatal(err)
		}
		wantDeadline := time.Date(2026, 11, 9, 17, 0, 0, 0, e.cutoff.Location)
		if !p.ChangeDeadline.Equal(wantDeadline) || p.Status != payments.StatusScheduled {
			t.Fatalf("deadline %s, want %s", p.ChangeDeadline, wantDeadline)
		}
		q := e.outbox(e.email(ada))
		if last := q[len(q)-1].Message; last.Kind != "payment.scheduled" || !strings.Contains(last.Text, "until 5:00 PM EST on Monday, November 9") {
			t.Errorf("scheduled email: %s", last.Text)
		}
		up, err := e.pay.Payments(e.ctx, ada, payments.PaymentFilter{Upcoming: true})
		if err != nil || len(up) != 1 || up[0].ID != p.ID {
			t.Fatalf("upcoming: %+v %v", up, err)
		}
		if _, err := e.pay.EditPayment(e.ctx, bob, p.ID, payments.Edit{MethodID: m.ID, Choice: payments.PayOther, Other: "1", Date: day("2026-11-10")}); !errors.Is(err, payments.ErrNotFound) {
			t.Errorf("bob edited it: %v", err)
		}
		if _, err := e.pay.CancelPayment(e.ctx, bob, p.ID, ""); !errors.Is(err, payments.ErrNotFound) {
			t.Errorf("bob cancelled it: %v", err)
		}
		e.at("2026-11-09", 16, 59)
		p, err = e.pay.EditPayment(e.ctx, ada, p.ID, payments.Edit{MethodID: m2.ID, Choice: payments.PayOther, Other: "175.25", Date: day("2026-11-12")})
		if err != nil || p.AmountCents != cents("175.25") || p.Date != day("2026-11-12") || p.MethodID != m2.ID {
			t.Fatalf("edit: %+v %v", p, err)
		}
		if _, err := e.pay.EditPayment(e.ctx, ada, p.ID, payments.Edit{MethodID: m2.ID, Choice: payments.PayOther, Other: "1.234", Date: day("2026-11-12")}); !errors.Is(err, payments.ErrAmount) {
			t.Errorf("bad edit: %v", err)
		}
		// Moved to Thursday 11-12: editable until Tuesday 11-10 17:00
		// (Wednesday 11-11 is Veterans Day).
		e.at("2026-11-10", 17, 0)
		if _, err := e.pay.CancelPayment(e.ctx, ada, p.ID, ""); !errors.Is(err, payments.ErrLocked) {
			t.Errorf("cancel at the deadline: %v", err)
		}
		if _, err := e.pay.EditPayment(e.ctx, ada, p.ID, payments.Edit{MethodID: m.ID, Choice: payments.PayOther, Other: "1", Date: day("2026-11-12")}); !errors.Is(err, payments.ErrLocked) {
			t.Errorf("edit at the deadline: %v", err)
		}
		// Another one, cancelled in time, never goes out.
		e.at("2026-11-10", 9, 0)
		c, err := e.pay.Pay(e.ctx, ada, payments.OneTime{ContractID: loan, MethodID: m.ID, Choice: payments.PayOther, Other: "60", Date: day("2026-11-13"), IdempotencyKey: "s2"})
		if err != nil {
			t.Fatal(err)
		}
		if c, err = e.pay.CancelPayment(e.ctx, ada, c.ID, ""); err != nil || c.Status != payments.StatusCancelled {
			t.Fatalf("cancel: %+v %v", c, err)
		}
		for _, dt := range []string{"2026-11-12", "2026-11-13"} {
			e.at(dt, 18, 0)
			if _, err := e.pay.RunDay(e.ctx, day(dt)); err != nil {
				t.Fatal(err)
			}
		}
		if p, _ = e.pay.Payment(e.ctx, ada, p.ID); p.Status != payments.StatusPending || p.AmountCents != cents("175.25") {
			t.Errorf("edited payment: %+v", p)
		}
		if c, _ = e.pay.Payment(e.ctx, ada, c.ID); c.Status != payments.StatusCancelled {
			t.Errorf("cancelled payment went out: %+v", c)
		}
		if k := kinds(e.outbox(e.email(ada))); !strings.Contains(k, "payment.changed") || !strings.Contains(k, "payment.cancelled") {
			t.Errorf("messages: %s", k)
		}
		e.checks()
	})
}

// TestCardPayments: approve (authorized, captured and posted at once,
// with the convenience fee), decline and time-out (nothing posted),
// after the cut-off (captured the next business day), and an overpayment
// refunded to the card.
func TestCardPayments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-11-02", func(c *payments.Config) { c.ConvenienceFeeCents = cents("2.50") })
		ada := e.customer("Ada")
		loan := e.loan(ada, "12000", 36, "2026-10-15", "2026-11-15")
		visa := e.card(ada, "4242424242424242")
		form := payments.OneTime{ContractID: loan, MethodID: visa.ID, Choice: payments.PayOther, Other: "300", IdempotencyKey: "c1"}
		q, err := e.pay.Quote(e.ctx, ada, form)
		if err != nil || q.FeeCents != cents("2.50") || q.TotalCents != cents("302.50") || q.Rail != payments.RailCard {
			t.Fatalf("quote %+v %v", q, err)
		}
		p, err := e.pay.Pay(e.ctx, ada, form)
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != payments.StatusSettled || p.FeeCents != cents("2.50") {
			t.Fatalf("card payment %+v", p)
		}
		if b := e.balances(loan); b[servicing.AccountPrincipal] >= cents("12000") {
			t.Errorf("not posted: %v", b)
		}
		if fee, _ := ledgerBalance(e, payments.AccountConvenienceFees); fee != -cents("2.50") {
			t.Errorf("fee income %s", fee)
		}
		calls := e.proc.Calls()
		if len(calls) != 2 || calls[0].Op != "authorize" || calls[1].Op != "capture" || calls[1].AmountCents != cents("302.50") {
			t.Fatalf("processor calls %+v", calls)
		}
		// A double submit neither charges nor posts again.
		if again, err := e.pay.Pay(e.ctx, ada, form); err != nil || again.ID != p.ID || len(e.proc.Calls()) != 2 {
			t.Fatalf("repeat: %v, %d calls", err, len(e.proc.Calls()))
		}
		events := e.count(`SELECT count(*) FROM servicing_events WHERE kind = 'payment'`)

		// Declines: a typed error saying why, nothing posted.
		nsf := e.card(ada, "4000000000009995")
		_, err = e.pay.Pay(e.ctx, ada, payments.OneTime{ContractID: loan, MethodID: nsf.ID, Choice: payments.PayAmountDue, IdempotencyKey: "c2"})
		if !errors.Is(err, payments.ErrCardDeclined) || payments.DeclineCode(err) != "insufficient_funds" {
			t.Fatalf("decline: %v", err)
		}
		_, err = e.pay.Pay(e.ctx, ada, payments.OneTime{ContractID: loan, MethodID: nsf.ID, Choice: payments.PayAmountDue, IdempotencyKey: "c2"})
		if payments.DeclineCode(err) != "insufficient_funds" {
			t.Errorf("repeated declined submit: %v", err)
		}
		// Time-out: the processor never answers.
		slow := e.card(ada, "4000000000000408")
		t0 := time.Now()
		_, err = e.pay.Pay(e.ctx, ada, payments.OneTime{ContractID: loan, MethodID: slow.ID, Choice: payments.PayAmountDue, IdempotencyKey: "c3"})
		if !errors.Is(err, payments.ErrProcessorTimeout) || time.Since(t0) > 5*time.Second {
			t.Fatalf("time-out: %v after %s", err, time.Since(t0))
		}
		if n := e.count(`SELECT count(*) FROM servicing_events WHERE kind = 'payment'`); n != events {
			t.Errorf("a refused card posted: %d events, want %d", n, events)
		}
		hist, _ := e.pay.Payments(e.ctx, ada, payments.PaymentFilter{ContractID: loan})
		var statuses []string
		for _, h := range hist {
			statuses = append(statuses, string(h.Status))
		}
		if strings.Join(statuses, ",") != "failed,declined,settled" {
			t.Errorf("history %v", statuses)
		}

		// After the cut-off: authorized now, captured with the next
		// business day's run.
		e.at("2026-11-02", 17, 30)
		late, err := e.pay.Pay(e.ctx, ada, payments.OneTime{ContractID: loan, MethodID: visa.ID, Choice: payments.PayOther, Other: "40", IdempotencyKey: "c4"})
		if err != nil || late.Status != payments.StatusAuthorized || late.Date != day("2026-11-03") {
			t.Fatalf("after cut-off: %+v %v", late, err)
		}
		if _, err := e.pay.RunDay(e.ctx, day("2026-11-02")); err != nil {
			t.Fatal(err)
		}
		if late, _ = e.pay.Payment(e.ctx, ada, late.ID); late.Status != payments.StatusAuthorized {
			t.Errorf("captured a day early: %+v", late)
		}
		e.at("2026-11-03", 17, 30)
		if st, err := e.pay.RunDay(e.ctx, day("2026-11-03")); err != nil || st.Cards.Charged != 1 {
			t.Fatalf("next day: %+v %v", st.Cards, err)
		}
		if late, _ = e.pay.Payment(e.ctx, ada, late.ID); late.Status != payments.StatusSettled {
			t.Errorf("not captured: %+v", late)
		}

		// An overpayment: a card payment scheduled for Friday, then the
		// contract is nearly paid off another way. Friday's run posts the
		// payoff and refunds the rest to the card.
		small := e.loan(ada, "1000", 12, "2026-10-20", "2026-11-20")
		e.at("2026-11-04", 9, 0)
		sched, err := e.pay.Pay(e.ctx, ada, payments.OneTime{ContractID: small, MethodID: visa.ID, Choice: payments.PayOther, Other: "900", Date: day("2026-11-06"), IdempotencyKey: "c5"})
		if err != nil || sched.Status != payments.StatusScheduled {
			t.Fatalf("scheduled card: %+v %v", sched, err)
		}
		if _, err := e.sv.PostPayment(e.ctx, servicing.Request{ContractID: small, Date: day("2026-11-04"), IdempotencyKey: "lockbox-1", Actor: "test"}, cents("500")); err != nil {
			t.Fatal(err)
		}
		e.at("2026-11-06", 17, 30)
		if _, err := e.pay.RunDay(e.ctx, day("2026-11-06")); err != nil {
			t.Fatal(err)
		}
		sched, _ = e.pay.Payment(e.ctx, ada, sched.ID)
		var state string
		if err := d.Read.QueryRowContext(e.ctx, `SELECT state FROM contracts WHERE id = $1`, small).Scan(&state); err != nil {
			t.Fatal(err)
		}
		if sched.Status != payments.StatusSettled || sched.RefundedCents <= 0 || sched.RefundedCents >= cents("500") || state != "paid_off" {
			t.Fatalf("overpayment: %+v, contract %s", sched, state)
		}
		last := e.proc.Calls()[len(e.proc.Calls())-1]
		if last.Op != "refund" || last.AmountCents != sched.RefundedCents || last.Err != nil {
			t.Errorf("refund call %+v", last)
		}
		e.checks()
	})
}

func ledgerBalance(e *env, account string) (money.Cents, error) {
	var v money.Cents
	err := e.db.Read.QueryRowContext(e.ctx, `SELECT COALESCE(SUM(amount_cents), 0) FROM ledger_postings WHERE account = $1`, account).Scan(&v)
	return v, err
}
