package payments_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/locale"
	"carfin/money"
	"carfin/notify"
	"carfin/payments"
	"carfin/preferences"
	"carfin/servicing"
)

// enrol accepts the rendered authorization and enrols.
func (e *env) enrol(customer, contract, method int64, extra string, daysBefore int) payments.Autopay {
	e.t.Helper()
	r := payments.AutopayRequest{ContractID: contract, MethodID: method, Extra: extra, DaysBefore: daysBefore}
	terms, err := e.pay.AutopayTerms(e.ctx, customer, r)
	if err != nil {
		e.t.Fatal(err)
	}
	r.Accepted, r.Version, r.IP = true, terms.Version, "198.51.100.7"
	a, err := e.pay.EnrolAutopay(e.ctx, customer, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if a.AuthorizationText != terms.Text || a.AuthorizationVersion != payments.AuthorizationVersion {
		e.t.Fatalf("stored authorization differs from the one shown")
	}
	return a
}

// runDays runs every day from..to as production would: the payments run
// after the cut-off, and the servicing day close after midnight.
func (e *env) runDays(from, to string) []payments.DayStats {
	e.t.Helper()
	var out []payments.DayStats
	for d := day(from); d <= day(to); d++ {
		e.at(d.String(), 18, 0)
		st, err := e.pay.RunDay(e.ctx, d)
		if err != nil {
			e.t.Fatalf("run %s: %v", d, err)
		}
		out = append(out, st)
		e.at((d + 1).String(), 1, 0)
		if _, err := e.sv.DayClose(e.ctx, d); err != nil {
			e.t.Fatalf("day close %s: %v", d, err)
		}
	}
	return out
}

// TestAutopayThirtyDays: contracts with due dates across the month,
// enrolled with different days and extras, run day by day for 40 days:
// every installment due is debited exactly once, on its day, for its
// amount; an installment the customer paid is skipped; reminders and the
// Reg E notice of a different final amount go out; no late fee is
// charged; the ledger checks.
func TestAutopayThirtyDays(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-10-31")
		type plan struct {
			firstDue   string
			term       int
			extra      string
			daysBefore int
			reminder   int // -1: default
		}
		plans := []plan{
			{"2026-11-03", 24, "", 0, -1},      // Tuesday; November's is too close to set up: December's is first
			{"2026-11-10", 36, "25", 3, 5},     // 3 days before: Saturday → Monday 11-09
			{"2026-11-15", 36, "", 0, 0},       // Sunday → Monday 11-16; no reminders
			{"2026-11-20", 48, "", 5, -1},      // the customer pays November's themselves
			{"2026-11-28", 36, "10.50", 2, -1}, // Saturday, 2 days before = Thursday 11-26, Thanksgiving → Friday 11-27
			{"2026-11-30", 2, "", 0, -1},       // two installments: the final one differs (Reg E notice)
		}
		type book struct {
			plan
			customer, contract, method int64
			email                      string
		}
		var books []book
		for i, p := range plans {
			c := e.customer(fmt.Sprintf("Cust%c", 'A'+i))
			start := day(p.firstDue).AddMonths(-1)
			k := e.loan(c, fmt.Sprint(6000+1000*i), p.term, start.String(), p.firstDue)
			books = append(books, book{plan: p, customer: c, contract: k, email: e.email(c)})
		}
		e.at("2026-11-02", 10, 0)
		routings := []string{"112601818", "129083018", "226131863", "029139091", "210308246", "222819480"}
		for i := range books {
			b := &books[i]
			b.method = e.bank(b.customer, routings[i], fmt.Sprintf("1000%05d", i)).ID
			if b.reminder >= 0 {
				if err := d.InTx(e.ctx, func(tx *db.Tx) error {
					return preferences.SetReminderDays(e.ctx, tx, b.customer, b.reminder, "test", "")
				}); err != nil {
					t.Fatal(err)
				}
			}
			a := e.enrol(b.customer, b.contract, b.method, b.extra, b.daysBefore)
			if i == 0 && a.NextDebit.DueDate != day("2026-12-03") {
				t.Errorf("first debit of a contract due tomorrow: %+v", a.NextDebit)
			}
		}
		// A pays November's installment today (too close for autopay), D on
		// 11-05 (before autopay would take it).
		ca, cd := books[0], books[3]
		if _, err := e.pay.Pay(e.ctx, ca.customer, payments.OneTime{ContractID: ca.contract, MethodID: ca.method, Choice: payments.PayAmountDue, IdempotencyKey: "own"}); err != nil {
			t.Fatal(err)
		}
		e.runDays("2026-11-02", "2026-11-04")
		e.at("2026-11-05", 9, 0)
		if _, err := e.pay.Pay(e.ctx, cd.customer, payments.OneTime{ContractID: cd.contract, MethodID: cd.method, Choice: payments.PayAmountDue, IdempotencyKey: "own"}); err != nil {
			t.Fatal(err)
		}
		e.runDays("2026-11-05", "2026-12-21")

		type debit struct {
			installment int
			date        calendar.Date
			amount      money.Cents
			status      string
		}
		for i, b := range books {
			rows, err := d.Read.QueryContext(e.ctx, `SELECT installment_number, scheduled_date, amount_cents, status FROM payments
				WHERE contract_id = $1 AND kind = 'autopay' ORDER BY installment_number`, b.contract)
			if err != nil {
				t.Fatal(err)
			}
			var got []debit
			for rows.Next() {
				var x debit
				if err := rows.Scan(&x.installment, &x.date, &x.amount, &x.status); err != nil {
					t.Fatal(err)
				}
				got = append(got, x)
			}
			rows.Close()
			ins := installmentsOf(t, e, b.contract)
			var want []debit
			for _, in := range ins {
				deb := calendar.OnOrAfterBusinessDay(in.due - calendar.Date(b.daysBefore))
				if calendar.AddBusinessDays(deb, -3) > day("2026-12-21") || ((i == 0 || i == 3) && in.number == 1) {
					continue // not fixed yet, or paid by the customer
				}
				amount := in.amount
				if b.extra != "" {
					amount += cents(b.extra)
				}
				status := "sent"
				if deb > day("2026-12-21") {
					status = "scheduled"
				}
				want = append(want, debit{in.number, deb, amount, status})
			}
			if len(got) != len(want) {
				t.Errorf("contract %d: %d debits %+v, want %+v", i, len(got), got, want)
				continue
			}
			for j := range got {
				sent := got[j].status == "pending" || got[j].status == "settled"
				if got[j].installment != want[j].installment || got[j].date != want[j].date || got[j].amount != want[j].amount ||
					(want[j].status == "sent") != sent || (!sent && got[j].status != want[j].status) {
					t.Errorf("contract %d debit %d: %+v, want %+v", i, j, got[j], want[j])
				}
			}
		}
		// The same dates written out by hand from the calendar (weekends,
		// Thanksgiving on 11-26, Christmas on 12-25), so that a mistake
		// shared by the rule above and the code cannot pass unseen.
		golden := [][]string{
			{"2@2026-12-03"},                 // A: November's paid by the customer
			{"1@2026-11-09", "2@2026-12-07"}, // B: 3 days before; Saturday 11-07 → Monday
			{"1@2026-11-16", "2@2026-12-15"}, // C: Sunday 11-15 → Monday
			{"2@2026-12-15"},                 // D: November's paid by the customer; 12-20 less 5
			{"1@2026-11-27"},                 // E: 11-26 is Thanksgiving; December's (12-28) not fixed by 12-21
			{"1@2026-11-30"},                 // F: the second (12-30) not fixed by 12-21
		}
		for i, b := range books {
			var got []string
			rows, err := d.Read.QueryContext(e.ctx, `SELECT installment_number, scheduled_date FROM payments
				WHERE contract_id = $1 AND kind = 'autopay' ORDER BY installment_number`, b.contract)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var n int
				var on calendar.Date
				if err := rows.Scan(&n, &on); err != nil {
					t.Fatal(err)
				}
				got = append(got, fmt.Sprintf("%d@%s", n, on))
			}
			rows.Close()
			if strings.Join(got, " ") != strings.Join(golden[i], " ") {
				t.Errorf("contract %c: debits %v, want %v", 'A'+i, got, golden[i])
			}
		}
		if n := e.count(`SELECT count(*) FROM (SELECT contract_id, installment_number FROM payments WHERE kind = 'autopay'
			GROUP BY contract_id, installment_number HAVING count(*) > 1) x`); n != 0 {
			t.Errorf("%d installments debited twice", n)
		}
		if n := e.count(`SELECT count(*) FROM contract_balances WHERE fees_cents > 0`); n != 0 {
			t.Errorf("%d contracts charged a late fee", n)
		}
		// Reminders: the default (the due reminder's five days) before, five
		// for B, none for C.
		if got := countKind(e.outbox(books[0].email), "autopay.upcoming"); got != 1 {
			t.Errorf("A: %d reminders", got)
		}
		if got := countKind(e.outbox(books[2].email), "autopay.upcoming"); got != 0 {
			t.Errorf("C asked for no reminders, got %d", got)
		}
		var sentAt time.Time
		var debitOn calendar.Date
		if err := d.Read.QueryRowContext(e.ctx, `SELECT n.sent_at, n.debit_date FROM autopay_notices n JOIN autopay_enrolments a ON a.id = n.enrolment_id
			WHERE a.contract_id = $1 AND n.kind = 'reminder' ORDER BY n.installment_number LIMIT 1`, books[1].contract).Scan(&sentAt, &debitOn); err != nil {
			t.Fatal(err)
		}
		if sent := e.cutoff.Today(sentAt); debitOn != day("2026-11-09") || debitOn-sent != 5 {
			t.Errorf("B's reminder for %s sent on %s, want 5 days before", debitOn, sent)
		}
		// The two-installment loan's last debit differs: noticed at least
		// ten days ahead (Reg E 1005.10(d)).
		var noticed calendar.Date
		var noticeAmount money.Cents
		var noticeAt time.Time
		if err := d.Read.QueryRowContext(e.ctx, `SELECT n.debit_date, n.amount_cents, n.sent_at FROM autopay_notices n JOIN autopay_enrolments a ON a.id = n.enrolment_id
			WHERE a.contract_id = $1 AND n.kind = 'varying'`, books[5].contract).Scan(&noticed, &noticeAmount, &noticeAt); err != nil {
			t.Fatalf("no varying notice: %v", err)
		}
		if lead := noticed - e.cutoff.Today(noticeAt); lead < 10 {
			t.Errorf("varying notice only %d days ahead", lead)
		}
		q := e.outbox(books[5].email)
		var notice string
		for _, m := range q {
			if m.Message.Kind == "autopay.amount_changes" {
				notice = m.Message.Text
			}
		}
		if noticed != day("2026-12-30") || !strings.Contains(notice, noticeAmount.Dollars()) || !strings.Contains(notice, "December 30, 2026") {
			t.Errorf("varying notice for %s of %s: %q", noticed, noticeAmount, notice)
		}
		if !strings.Contains(kinds(q), "autopay.enrolled") || !strings.Contains(q[1].Message.Text, "I authorize Northwind Motor Finance to debit") {
			t.Errorf("no copy of the authorization: %s", kinds(q))
		}
		// The copy says when it was accepted in the lender's zone.
		var acceptedAt time.Time
		if err := d.Read.QueryRowContext(e.ctx, `SELECT authorized_at FROM autopay_enrolments WHERE contract_id = $1`, books[5].contract).Scan(&acceptedAt); err != nil {
			t.Fatal(err)
		}
		if want := "accepted on " + locale.Moment("en", acceptedAt.In(e.cutoff.Location)) + " (version"; !strings.Contains(q[1].Message.Text, want) {
			t.Errorf("authorization copy without %q:\n%s", want, q[1].Message.Text)
		}
		e.checks()
	})
}

func countKind(q []notify.Queued, kind string) int {
	n := 0
	for _, m := range q {
		if m.Message.Kind == kind {
			n++
		}
	}
	return n
}

type insRow struct {
	number int
	due    calendar.Date
	amount money.Cents
}

func installmentsOf(t *testing.T, e *env, contract int64) []insRow {
	t.Helper()
	rows, err := e.db.Read.QueryContext(e.ctx, `SELECT number, due_date, amount_cents FROM installments WHERE contract_id = $1 ORDER BY number`, contract)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []insRow
	for rows.Next() {
		var r insRow
		if err := rows.Scan(&r.number, &r.due, &r.amount); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// TestAutopayChangeStopAndRefusals: the enrolment form's refusals; a
// change before the lock applies to the next debit; a stop after the
// lock leaves the fixed debit in place.
func TestAutopayChangeStopAndRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-10-20")
		ada, bob := e.customer("Ada"), e.customer("Bob")
		loan := e.loan(ada, "15000", 48, "2026-10-20", "2026-11-20") // Friday
		bobLoan := e.loan(bob, "9000", 24, "2026-10-20", "2026-11-20")
		e.at("2026-11-02", 10, 0)
		m := e.bank(ada, "112601818", "123456789")
		visa := e.card(ada, "4242424242424242")
		pending, err := e.pay.AddBankAccount(e.ctx, ada, payments.NewBankAccount{HolderName: "Ada", AccountType: "checking", Routing: "029139091",
			Account: "4444", ConfirmAccount: "4444"})
		if err != nil {
			t.Fatal(err)
		}
		base := payments.AutopayRequest{ContractID: loan, MethodID: m.ID, Accepted: true, Version: payments.AuthorizationVersion}
		for _, tc := range []struct {
			name   string
			change func(*payments.AutopayRequest)
			want   error
		}{
			{"not accepted", func(r *payments.AutopayRequest) { r.Accepted = false }, payments.ErrNotAuthorized},
			{"old version", func(r *payments.AutopayRequest) { r.Version = "2020-1" }, payments.ErrAuthorizationVersion},
			{"card", func(r *payments.AutopayRequest) { r.MethodID = visa.ID }, payments.ErrMethodUnusable},
			{"unvalidated account", func(r *payments.AutopayRequest) { r.MethodID = pending.ID }, payments.ErrNotValidated},
			{"too many days before", func(r *payments.AutopayRequest) { r.DaysBefore = 11 }, payments.ErrDate},
			{"negative days", func(r *payments.AutopayRequest) { r.DaysBefore = -1 }, payments.ErrDate},
			{"extra with 3 decimals", func(r *payments.AutopayRequest) { r.Extra = "10.005" }, payments.ErrAmount},
			{"negative extra", func(r *payments.AutopayRequest) { r.Extra = "-10" }, payments.ErrAmount},
			{"start in the past", func(r *payments.AutopayRequest) { r.StartDate = day("2026-10-01") }, payments.ErrDate},
			{"another customer's contract", func(r *payments.AutopayRequest) { r.ContractID = bobLoan }, payments.ErrNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := base
				tc.change(&r)
				if _, err := e.pay.EnrolAutopay(e.ctx, ada, r); !errors.Is(err, tc.want) {
					t.Errorf("err = %v, want %v", err, tc.want)
				}
			})
		}
		if n := e.count(`SELECT count(*) FROM autopay_enrolments`); n != 0 {
			t.Fatalf("refusals enrolled %d", n)
		}
		a := e.enrol(ada, loan, m.ID, "", 0)
		if _, err := e.pay.EnrolAutopay(e.ctx, ada, base); !errors.Is(err, payments.ErrAutopayExists) {
			t.Errorf("second enrolment: %v", err)
		}
		if _, err := e.pay.StopAutopay(e.ctx, bob, loan, ""); !errors.Is(err, payments.ErrNotFound) {
			t.Errorf("bob stopped it: %v", err)
		}
		if a.NextDebit.Date != day("2026-11-20") || a.NextDebit.Locked || a.NextDebit.AmountCents != a.InstallmentCents {
			t.Fatalf("next debit %+v", a.NextDebit)
		}
		// The debit of Friday 11-20 is fixed at Tuesday 11-17's cut-off: a
		// change at 16:59 applies to it.
		e.runDays("2026-11-02", "2026-11-16")
		e.at("2026-11-17", 16, 59)
		r := base
		r.Extra = "40"
		a, err = e.pay.ChangeAutopay(e.ctx, ada, r)
		if err != nil || a.ExtraCents != cents("40") || a.NextDebit.AmountCents != a.InstallmentCents+cents("40") || a.NextDebit.Locked {
			t.Fatalf("change before the lock: %+v %v", a, err)
		}
		e.runDays("2026-11-17", "2026-11-17")
		e.at("2026-11-18", 9, 0)
		a, err = e.pay.StopAutopay(e.ctx, ada, loan, "")
		if err != nil || a.Status != payments.AutopayStopped || !a.NextDebit.Locked || a.NextDebit.Date != day("2026-11-20") {
			t.Fatalf("stop after the lock: %+v %v", a, err)
		}
		q := e.outbox(e.email(ada))
		if last := q[len(q)-1].Message; !strings.Contains(last.Text, "was already set and still goes out") {
			t.Errorf("stop email: %s", last.Text)
		}
		e.runDays("2026-11-18", "2026-12-31")
		var amounts []string
		rows, err := d.Read.QueryContext(e.ctx, `SELECT amount_cents, status FROM payments WHERE contract_id = $1 AND kind = 'autopay'`, loan)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var amt money.Cents
			var st string
			if err := rows.Scan(&amt, &st); err != nil {
				t.Fatal(err)
			}
			amounts = append(amounts, amt.String()+" "+st)
		}
		rows.Close()
		if want := (a.InstallmentCents + cents("40")).String() + " settled"; len(amounts) != 1 || amounts[0] != want {
			t.Errorf("debits after stop: %v, want [%s]", amounts, want)
		}
		if _, err := e.pay.Autopay(e.ctx, ada, loan); !errors.Is(err, payments.ErrNotFound) {
			t.Errorf("stopped enrolment is live: %v", err)
		}
		// Enrol again after stopping: allowed, with a new authorization.
		e.enrol(ada, loan, m.ID, "", 1)
		e.checks()
	})
}

// TestAutopayDebitOfAPaidInstallment: an autopay debit already created
// when the customer pays the installment another way (a payment posted
// by the lender) is skipped when the file goes out, and nothing is
// collected twice; a partial payment does not stop the debit.
func TestAutopayDebitOfAPaidInstallment(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-10-31")
		e.at("2026-11-02", 10, 0)
		var contracts [2]int64
		for i := range contracts {
			c := e.customer(fmt.Sprintf("Payer%c", 'A'+i))
			contracts[i] = e.loan(c, "9000", 36, "2026-10-20", "2026-11-20")
			m := e.bank(c, "112601818", fmt.Sprintf("2000%05d", i))
			e.enrol(c, contracts[i], m.ID, "", 0)
		}
		// The debits for November 20 (a Friday) are fixed at the cut-off of
		// Tuesday the 17th.
		e.runDays("2026-11-02", "2026-11-17")
		status := func(contract int64) (string, string) {
			var s, reason string
			if err := d.Read.QueryRow(`SELECT status, status_reason FROM payments WHERE contract_id = $1 AND kind = 'autopay' AND installment_number = 1`,
				contract).Scan(&s, &reason); err != nil {
				t.Fatal(err)
			}
			return s, reason
		}
		for _, k := range contracts {
			if s, _ := status(k); s != "scheduled" {
				t.Fatalf("contract %d: debit %s before the file", k, s)
			}
		}
		// A pays the whole installment by check on the 18th, B half of it.
		e.at("2026-11-18", 11, 0)
		for i, k := range contracts {
			var payment money.Cents
			if err := d.Read.QueryRow(`SELECT payment_cents FROM contracts WHERE id = $1`, k).Scan(&payment); err != nil {
				t.Fatal(err)
			}
			if i == 1 {
				payment /= 2
			}
			if _, err := e.sv.PostPayment(e.ctx, servicing.Request{ContractID: k, Date: day("2026-11-18"), IdempotencyKey: fmt.Sprint("check-", k),
				Actor: "staff:1", Memo: "check"}, payment); err != nil {
				t.Fatal(err)
			}
		}
		e.runDays("2026-11-18", "2026-11-20")
		if s, reason := status(contracts[0]); s != "skipped" || reason != "the installment was already paid" {
			t.Errorf("paid installment's debit: %s (%s), want skipped", s, reason)
		}
		if s, _ := status(contracts[1]); s != "pending" && s != "sent" {
			t.Errorf("half-paid installment's debit: %s, want it sent", s)
		}
		if n := e.count(`SELECT count(*) FROM servicing_events WHERE contract_id = $1 AND kind = 'payment'`, contracts[0]); n != 1 {
			t.Errorf("contract A has %d payments posted, want only the check", n)
		}
		e.checks()
	})
}
