package payments_test

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
	"testing"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/money"
	"carfin/payments"
	"carfin/payments/ach"
	"carfin/servicing"
)

// sameBalances reports whether two contracts' ledger balances agree on
// every account, an account missing from one being zero.
func sameBalances(a, b map[string]money.Cents) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

// TestReturnCodeClasses: a debit returned with an account code (R03, R04)
// or an unauthorized code (R07, R10, R29) is reversed to the cent, with
// no NSF fee and no retry even though the lender allows retries; the
// payment says why in words; the account is disabled, its autopay
// suspended and its scheduled payment cancelled; an unauthorized return
// is also flagged for review.
func TestReturnCodeClasses(t *testing.T) {
	cases := []struct {
		code   string
		review bool
	}{
		{"R03", false},
		{"R04", false},
		{"R07", true},
		{"R10", true},
		{"R29", true},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, d *db.DB) {
				e := newEnv(t, d, "2026-10-30", func(c *payments.Config) { c.Retries = 2 })
				customer := e.customer("Ret" + tc.code)
				loan := e.loan(customer, "12000", 36, "2026-10-15", "2026-11-15")
				e.at("2026-11-02", 9, 0)
				method := e.bank(customer, "129083018", "50001234")
				before := e.balances(loan)
				e.enrol(customer, loan, method.ID, "", 0)
				later := e.payOther(customer, loan, method.ID, "20", day("2026-11-20"), "later")
				paid := e.payOther(customer, loan, method.ID, "250", 0, "pay")
				e.at("2026-11-02", 18, 0)
				if _, err := e.pay.RunDay(e.ctx, day("2026-11-02")); err != nil {
					t.Fatal(err)
				}
				if p, _ := e.pay.Payment(e.ctx, customer, paid.ID); p.Status != payments.StatusPending {
					t.Fatalf("payment not sent: %s", p.Status)
				}
				if b := e.balances(loan); b[servicing.AccountPrincipal] == before[servicing.AccountPrincipal] {
					t.Fatalf("the payment did not reach the ledger: %v", b)
				}

				e.at("2026-11-04", 9, 0)
				st, err := e.pay.ImportReturns(e.ctx, "returns-"+tc.code+".ach", e.returnsFile(ret(e.sentPayment(paid.ID), ach.KindReturn, tc.code, "")))
				if err != nil {
					t.Fatal(err)
				}
				wantReview := 0
				if tc.review {
					wantReview = 1
				}
				if st.Returns != 1 || st.Fees != 0 || st.Retries != 0 || st.Review != wantReview || st.Unmatched != 0 || st.Duplicate != 0 {
					t.Errorf("stats %+v", st)
				}

				// The ledger is as it was before the payment: no NSF fee.
				if b := e.balances(loan); !sameBalances(b, before) {
					t.Errorf("ledger after the return %v, before the payment %v", b, before)
				}
				if n := e.count(`SELECT count(*) FROM payments WHERE kind = 'retry'`); n != 0 {
					t.Errorf("%d retries scheduled", n)
				}

				reason := ach.Reason(tc.code)
				p, err := e.pay.Payment(e.ctx, customer, paid.ID)
				if err != nil {
					t.Fatal(err)
				}
				if p.Status != payments.StatusReturned || p.Return == nil || p.Return.Code != tc.code || p.Return.Title != reason.Title ||
					p.StatusText() != "Returned. "+reason.Customer || !strings.Contains(p.Return.Action, "add a new account") {
					t.Errorf("payment %s %q, return %+v", p.Status, p.StatusText(), p.Return)
				}

				m, err := e.pay.Method(e.ctx, customer, method.ID)
				if err != nil {
					t.Fatal(err)
				}
				if m.Status != payments.MethodDisabled || m.StatusReason != tc.code+" "+reason.Title || m.ReviewRequired != tc.review {
					t.Errorf("method %s %q, review %v", m.Status, m.StatusReason, m.ReviewRequired)
				}
				if _, err := e.pay.Quote(e.ctx, customer, payments.OneTime{ContractID: loan, MethodID: method.ID, Choice: payments.PayAmountDue}); !errors.Is(err, payments.ErrMethodUnusable) {
					t.Errorf("the disabled account still pays: %v", err)
				}
				if a, err := e.pay.Autopay(e.ctx, customer, loan); err != nil || a.Status != payments.AutopaySuspended {
					t.Errorf("autopay %s %v", a.Status, err)
				}
				if lp, err := e.pay.Payment(e.ctx, customer, later.ID); err != nil || lp.Status != payments.StatusCancelled {
					t.Errorf("scheduled payment %s %v", lp.Status, err)
				}

				review, err := e.pay.ReturnsForReview(e.ctx, 10)
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case tc.review && (len(review) != 1 || review[0].Code != tc.code || review[0].PaymentID != paid.ID || review[0].MethodID != method.ID):
					t.Errorf("returns for review %+v, want the %s return of payment %d", review, tc.code, paid.ID)
				case !tc.review && len(review) != 0:
					t.Errorf("an account return is flagged for review: %+v", review)
				}

				q := e.outbox(e.email(customer))
				if last := q[len(q)-1].Message; last.Kind != "payment.returned" || !strings.Contains(last.Text, reason.Customer) {
					t.Errorf("last email %s %q", last.Kind, last.Text)
				}
				e.checks()
			})
		})
	}
}

// TestReturnRetryWindow: Nacha allows re-presenting an R01 only within 180
// days of the original entry (payments.go retryWindowDays). With retries
// enabled, an R01 whose retry date would fall on the 180th day after the
// original entry's effective date is presented again; one that arrives a
// business day later, when the retry would fall after it, is not.
func TestReturnRetryWindow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-10-30", func(c *payments.Config) { c.Retries = 2 })
		type who struct {
			customer, loan int64
			payment        payments.Payment
		}
		var w [2]who
		e.at("2026-11-03", 9, 0)
		for i, n := range []string{"Inside", "Outside"} {
			c := e.customer(n)
			w[i] = who{customer: c, loan: e.loan(c, "9000", 36, "2026-10-15", "2026-11-15")}
			m := e.bank(c, "226131863", fmt.Sprintf("6000111%d", i))
			w[i].payment = e.payOther(c, w[i].loan, m.ID, "250", 0, "pay")
		}
		e.at("2026-11-03", 18, 0)
		if _, err := e.pay.RunDay(e.ctx, day("2026-11-03")); err != nil {
			t.Fatal(err)
		}
		var effective calendar.Date
		if err := d.Read.QueryRowContext(e.ctx, `SELECT f.effective_date FROM payments p JOIN ach_files f ON f.id = p.ach_file_id WHERE p.id = $1`,
			w[0].payment.ID).Scan(&effective); err != nil {
			t.Fatal(err)
		}
		// The last day a retry may go out; the test wants it to be a
		// business day, so that a retry can fall on it exactly.
		limit := effective.AddDays(180)
		if !calendar.IsBusinessDay(limit) {
			t.Fatalf("effective date %s: day 180 (%s) is not a business day; move the payment", effective, limit)
		}
		inside := limit
		for calendar.AddBusinessDays(inside, 2) > limit || !calendar.IsBusinessDay(inside) {
			inside--
		}
		outside := calendar.NextBusinessDay(inside)
		if calendar.AddBusinessDays(inside, 2) != limit || calendar.AddBusinessDays(outside, 2) <= limit {
			t.Fatalf("inside %s, outside %s, limit %s", inside, outside, limit)
		}

		// A late R01 whose retry falls on day 180: presented again then.
		e.at(inside.String(), 9, 0)
		st, err := e.pay.ImportReturns(e.ctx, "late-inside.csv",
			[]byte("trace_number,code,corrected_data\n"+e.sentPayment(w[0].payment.ID).trace+",R01,\n"))
		if err != nil {
			t.Fatal(err)
		}
		if st.Returns != 1 || st.Fees != 1 || st.Retries != 1 {
			t.Errorf("inside the window: %+v", st)
		}
		var retryDate calendar.Date
		var presentment int
		if err := d.Read.QueryRowContext(e.ctx, `SELECT scheduled_date, presentment FROM payments WHERE kind = 'retry' AND original_payment_id = $1`,
			w[0].payment.ID).Scan(&retryDate, &presentment); err != nil {
			t.Fatalf("no retry inside the window: %v", err)
		}
		if retryDate != limit || presentment != 2 {
			t.Errorf("retry on %s (presentment %d), want %s", retryDate, presentment, limit)
		}

		// A business day later the retry would fall on day 181: none.
		e.at(outside.String(), 9, 0)
		st, err = e.pay.ImportReturns(e.ctx, "late-outside.csv",
			[]byte("trace_number,code,corrected_data\n"+e.sentPayment(w[1].payment.ID).trace+",R01,\n"))
		if err != nil {
			t.Fatal(err)
		}
		if st.Returns != 1 || st.Fees != 1 || st.Retries != 0 {
			t.Errorf("outside the window: %+v", st)
		}
		if n := e.count(`SELECT count(*) FROM payments WHERE kind = 'retry' AND original_payment_id = $1`, w[1].payment.ID); n != 0 {
			t.Errorf("%d retries scheduled after the 180-day window", n)
		}
		p, _ := e.pay.Payment(e.ctx, w[1].customer, w[1].payment.ID)
		if p.Status != payments.StatusReturned || p.Return == nil || !strings.Contains(p.Return.Action, "Please make the payment again") {
			t.Errorf("outside the window: %s %+v", p.Status, p.Return)
		}
		e.checks()
	})
}

// entryDetail returns the entry detail record of a payment in the ACH
// file that carried it, found by the confirmation number it carries as
// the individual identification.
func (e *env) entryDetail(paymentID int64) string {
	e.t.Helper()
	var path string
	if err := e.db.Read.QueryRowContext(e.ctx, `SELECT f.path FROM payments p JOIN ach_files f ON f.id = p.ach_file_id WHERE p.id = $1`, paymentID).
		Scan(&path); err != nil {
		e.t.Fatalf("file of payment %d: %v", paymentID, err)
	}
	conf := payments.Confirmation(paymentID)
	for _, l := range strings.Split(readFile(e.t, path), "\n") {
		if len(l) == ach.RecordLen && l[0] == '6' && strings.TrimSpace(l[39:54]) == conf {
			return l
		}
	}
	e.t.Fatalf("no entry for %s in %s", conf, path)
	return ""
}

// TestReturnNOCCorrections: a notification of change corrects the stored
// account (C02 routing number, C03 routing and account numbers, C05
// checking ↔ savings, C06 account number and type, C07 all three), the
// payment it came back on stands, and the next debit goes out with the
// corrected values.
func TestReturnNOCCorrections(t *testing.T) {
	cases := []struct {
		name, code, corrected string
		accountType           string // as the customer gave it
		// What the stored method and the next entry must say.
		routing, bankName, account, wantType string
		transactionCode                      int
		holder                               string // the name on file after it ("" : unchanged)
	}{
		{name: "C02 routing", code: "C02", corrected: "315749111", accountType: "checking",
			routing: "315749111", bankName: "Bluebonnet Community Credit Union", account: "70000001", wantType: "checking", transactionCode: ach.CheckingDebit},
		{name: "C03 routing and account", code: "C03", corrected: "039093787   9876543210", accountType: "checking",
			routing: "039093787", bankName: "Two Rivers National Bank", account: "9876543210", wantType: "checking", transactionCode: ach.CheckingDebit},
		{name: "C05 checking to savings", code: "C05", corrected: "37", accountType: "checking",
			routing: "112601818", bankName: "Prairie Gate Savings Bank", account: "70000003", wantType: "savings", transactionCode: ach.SavingsDebit},
		{name: "C05 savings to checking", code: "C05", corrected: "27", accountType: "savings",
			routing: "112601818", bankName: "Prairie Gate Savings Bank", account: "70000004", wantType: "checking", transactionCode: ach.CheckingDebit},
		{name: "C06 account and type", code: "C06", corrected: fmt.Sprintf("%-17s%3s%s", "44445555666", "", "37"), accountType: "checking",
			routing: "112601818", bankName: "Prairie Gate Savings Bank", account: "44445555666", wantType: "savings", transactionCode: ach.SavingsDebit},
		{name: "C07 routing, account and type", code: "C07", corrected: "082319489" + "12345678901234567" + "32", accountType: "checking",
			routing: "082319489", bankName: "Ozark Fern Bank", account: "12345678901234567", wantType: "savings", transactionCode: ach.SavingsDebit},
		{name: "C04 name", code: "C04", corrected: "PATRICIA Q TESTER", accountType: "checking",
			routing: "112601818", bankName: "Prairie Gate Savings Bank", account: "70000007", wantType: "checking", transactionCode: ach.CheckingDebit,
			holder: "PATRICIA Q TESTER"},
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-10-30")
		type who struct {
			customer, loan int64
			method         payments.Method
			first, next    payments.Payment
		}
		w := make([]who, len(cases))
		e.at("2026-11-02", 9, 0)
		for i, tc := range cases {
			c := e.customer("Noc")
			w[i].customer, w[i].loan = c, e.loan(c, "10000", 36, "2026-10-15", "2026-11-15")
			account := fmt.Sprintf("7000000%d", i+1)
			m, err := e.pay.AddBankAccount(e.ctx, c, payments.NewBankAccount{HolderName: "Pat Tester", AccountType: tc.accountType,
				Routing: "112601818", Account: account, ConfirmAccount: account})
			if err != nil {
				t.Fatal(err)
			}
			e.validate(c, m.ID)
			if w[i].method, err = e.pay.Method(e.ctx, c, m.ID); err != nil || w[i].method.AccountType != tc.accountType {
				t.Fatalf("method %+v %v", w[i].method, err)
			}
			if w[i].first, err = e.pay.Pay(e.ctx, c, payments.OneTime{ContractID: w[i].loan, MethodID: m.ID, Choice: payments.PayOther,
				Other: "250", IdempotencyKey: "first"}); err != nil {
				t.Fatal(err)
			}
		}
		e.at("2026-11-02", 18, 0)
		if _, err := e.pay.RunDay(e.ctx, day("2026-11-02")); err != nil {
			t.Fatal(err)
		}
		var nocs []ach.ReturnedEntry
		for i, tc := range cases {
			// The first entry went out with the numbers the customer gave.
			l := e.entryDetail(w[i].first.ID)
			if want := map[string]int{"checking": ach.CheckingDebit, "savings": ach.SavingsDebit}[tc.accountType]; l[1:3] != fmt.Sprint(want) ||
				l[3:12] != "112601818" || strings.TrimSpace(l[12:29]) != fmt.Sprintf("7000000%d", i+1) {
				t.Fatalf("%s: first entry %q", tc.name, l)
			}
			nocs = append(nocs, ret(e.sentPayment(w[i].first.ID), ach.KindNOC, tc.code, tc.corrected))
		}

		e.at("2026-11-04", 9, 0)
		st, err := e.pay.ImportReturns(e.ctx, "noc-1104.ach", e.returnsFile(nocs...))
		if err != nil {
			t.Fatal(err)
		}
		if st.NOCs != len(cases) || st.Returns != 0 || st.Unmatched != 0 {
			t.Errorf("stats %+v", st)
		}
		for i, tc := range cases {
			if w[i].next, err = e.pay.Pay(e.ctx, w[i].customer, payments.OneTime{ContractID: w[i].loan, MethodID: w[i].method.ID,
				Choice: payments.PayOther, Other: "10", IdempotencyKey: "after-noc"}); err != nil {
				t.Fatalf("%s: pay after the NOC: %v", tc.name, err)
			}
		}
		e.at("2026-11-04", 18, 0)
		if _, err := e.pay.RunDay(e.ctx, day("2026-11-04")); err != nil {
			t.Fatal(err)
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				m, err := e.pay.Method(e.ctx, w[i].customer, w[i].method.ID)
				if err != nil {
					t.Fatal(err)
				}
				if m.Status != payments.MethodActive || m.RoutingNumber != tc.routing || m.BankName != tc.bankName ||
					m.Last4 != tc.account[len(tc.account)-4:] || m.AccountType != tc.wantType {
					t.Errorf("method after %s: %+v", tc.code, m)
				}
				if p, _ := e.pay.Payment(e.ctx, w[i].customer, w[i].first.ID); p.Status != payments.StatusPending {
					t.Errorf("the payment the NOC came back on is %s", p.Status)
				}
				l := e.entryDetail(w[i].next.ID)
				if l[1:3] != fmt.Sprint(tc.transactionCode) || l[3:12] != tc.routing || strings.TrimSpace(l[12:29]) != tc.account {
					t.Errorf("next entry %q: want transaction code %d, routing %s, account %s", l, tc.transactionCode, tc.routing, tc.account)
				}
				// The individual name (positions 55–76) is the corrected one.
				holder := cmp.Or(tc.holder, "PAT TESTER")
				if m.HolderName != cmp.Or(tc.holder, "Pat Tester") || strings.TrimSpace(l[54:76]) != holder {
					t.Errorf("name after %s: on file %q, in the entry %q, want %q", tc.code, m.HolderName, l[54:76], holder)
				}
			})
		}
		// The same notification again changes nothing more.
		again, err := e.pay.ImportReturns(e.ctx, "noc-1104-resent.csv", []byte("trace_number,code,corrected_data\n"+
			e.sentPayment(w[0].first.ID).trace+",C02,315749111\n"))
		if err != nil || again.NOCs != 0 || again.Duplicate != 1 {
			t.Errorf("the NOC again: %+v %v", again, err)
		}
		e.checks()
	})
}

// TestStopPaymentPausesAutopay: an autopay debit returned R08 (the
// customer had the bank stop it) is reversed and pauses autopay, so next
// month's debit does not go out against the stop; the bank account stays
// usable. An R08 on a one-time payment leaves autopay alone (TestReturns).
func TestStopPaymentPausesAutopay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-10-31")
		e.at("2026-11-02", 10, 0)
		c := e.customer("Stopper")
		loan := e.loan(c, "9000", 36, "2026-10-20", "2026-11-20")
		m := e.bank(c, "112601818", "300012345")
		e.enrol(c, loan, m.ID, "", 0)
		before := e.balances(loan)
		e.runDays("2026-11-02", "2026-11-20") // the debit for November 20 goes out
		var debit int64
		if err := d.Read.QueryRow(`SELECT id FROM payments WHERE contract_id = $1 AND kind = 'autopay' AND status = 'pending'`, loan).Scan(&debit); err != nil {
			t.Fatalf("no autopay debit sent: %v", err)
		}
		e.at("2026-11-24", 9, 0)
		st, err := e.pay.ImportReturns(e.ctx, "returns-1124.ach", e.returnsFile(ret(e.sentPayment(debit), ach.KindReturn, "R08", "")))
		if err != nil || st.Returns != 1 {
			t.Fatalf("import: %+v %v", st, err)
		}
		a, _ := e.pay.Autopay(e.ctx, c, loan)
		mm, _ := e.pay.Method(e.ctx, c, m.ID)
		p, _ := e.pay.Payment(e.ctx, c, debit)
		if a.Status != payments.AutopaySuspended || mm.Status != payments.MethodActive || p.Status != payments.StatusReturned ||
			p.Return == nil || !strings.Contains(p.Return.Action, "we paused autopay") {
			t.Errorf("after R08: autopay %s, method %s, payment %s %+v", a.Status, mm.Status, p.Status, p.Return)
		}
		if b := e.balances(loan); b[servicing.AccountPrincipal] != before[servicing.AccountPrincipal] {
			t.Errorf("the stopped debit still counts: %v, before %v", b, before)
		}
		// December's debit is not created while autopay is paused.
		e.runDays("2026-11-24", "2026-12-21")
		if n := e.count(`SELECT count(*) FROM payments WHERE contract_id = $1 AND kind = 'autopay' AND installment_number = 2`, loan); n != 0 {
			t.Errorf("%d debits for December after the stop", n)
		}
		e.checks()
	})
}

// TestDishonoredReturn: a dishonored return (R68 here: the lender's bank
// refused the customer's bank's late return) changes nothing about the
// payment, the ledger or the customer, and goes to staff review; a real
// return of the same payment afterwards is still processed, and the
// payment shows that one. The SQL list of dishonor codes agrees with
// ClassDishonored.
func TestDishonoredReturn(t *testing.T) {
	for i := range 100 {
		code := fmt.Sprintf("R%02d", i)
		if (payments.ClassOf(code) == payments.ClassDishonored) != strings.Contains(payments.DishonorCodesForTest, "'"+code+"'") {
			t.Errorf("%s: ClassDishonored and the SQL list disagree", code)
		}
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-10-30")
		customer := e.customer("Dis")
		loan := e.loan(customer, "12000", 36, "2026-10-15", "2026-11-15")
		e.at("2026-11-02", 9, 0)
		method := e.bank(customer, "129083018", "50004321")
		paid := e.payOther(customer, loan, method.ID, "250", 0, "pay")
		e.at("2026-11-02", 18, 0)
		if _, err := e.pay.RunDay(e.ctx, day("2026-11-02")); err != nil {
			t.Fatal(err)
		}
		after := e.balances(loan)
		mails := len(e.outbox(e.email(customer)))
		e.at("2026-11-04", 9, 0)
		file := e.returnsFile(ret(e.sentPayment(paid.ID), ach.KindReturn, "R68", ""))
		st, err := e.pay.ImportReturns(e.ctx, "dishonor.ach", file)
		if err != nil || st.Returns != 0 || st.Review != 1 {
			t.Fatalf("dishonor: %+v %v", st, err)
		}
		p, _ := e.pay.Payment(e.ctx, customer, paid.ID)
		m, _ := e.pay.Method(e.ctx, customer, method.ID)
		if p.Status != payments.StatusPending || p.Return != nil || m.Status != payments.MethodActive || !sameBalances(e.balances(loan), after) {
			t.Errorf("after a dishonor: payment %s %+v, method %s", p.Status, p.Return, m.Status)
		}
		if n := len(e.outbox(e.email(customer))); n != mails {
			t.Errorf("%d messages to the customer about a dishonor", n-mails)
		}
		review, err := e.pay.ReturnsForReview(e.ctx, 10)
		if err != nil || len(review) != 1 || review[0].Code != "R68" || review[0].PaymentID != paid.ID {
			t.Errorf("review %+v %v", review, err)
		}
		if again, err := e.pay.ImportReturns(e.ctx, "dishonor-again.csv", []byte("trace_number,code,corrected_data\n"+e.sentPayment(paid.ID).trace+",R68,\n")); err != nil || again.Duplicate != 1 {
			t.Errorf("the dishonor again: %+v %v", again, err)
		}
		// A real return of the payment still works.
		st, err = e.pay.ImportReturns(e.ctx, "r01.csv", []byte("trace_number,code,corrected_data\n"+e.sentPayment(paid.ID).trace+",R01,\n"))
		if err != nil || st.Returns != 1 {
			t.Fatalf("R01 after the dishonor: %+v %v", st, err)
		}
		if p, _ := e.pay.Payment(e.ctx, customer, paid.ID); p.Status != payments.StatusReturned || p.Return == nil || p.Return.Code != "R01" {
			t.Errorf("after R01: %s %+v", p.Status, p.Return)
		}
		e.checks()
	})
}

// TestStopPaymentOfARetryPausesAutopay: an autopay debit returned R01 is
// presented again; when the customer stops that retry at the bank (R08),
// autopay pauses as it would for the debit itself.
func TestStopPaymentOfARetryPausesAutopay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-10-31", func(c *payments.Config) { c.Retries = 1 })
		e.at("2026-11-02", 10, 0)
		c := e.customer("Retry")
		loan := e.loan(c, "9000", 36, "2026-10-20", "2026-11-20")
		m := e.bank(c, "112601818", "300054321")
		e.enrol(c, loan, m.ID, "", 0)
		e.runDays("2026-11-02", "2026-11-20")
		var debit int64
		if err := d.Read.QueryRow(`SELECT id FROM payments WHERE contract_id = $1 AND kind = 'autopay' AND status = 'pending'`, loan).Scan(&debit); err != nil {
			t.Fatalf("no autopay debit sent: %v", err)
		}
		e.at("2026-11-23", 9, 0)
		if st, err := e.pay.ImportReturns(e.ctx, "r01.csv", []byte("trace_number,code,corrected_data\n"+e.sentPayment(debit).trace+",R01,\n")); err != nil || st.Retries != 1 {
			t.Fatalf("R01: %+v %v", st, err)
		}
		e.runDays("2026-11-23", "2026-11-25")
		var retry int64
		if err := d.Read.QueryRow(`SELECT id FROM payments WHERE original_payment_id = $1 AND kind = 'retry' AND status = 'pending'`, debit).Scan(&retry); err != nil {
			var st, on string
			_ = d.Read.QueryRow(`SELECT status, scheduled_date FROM payments WHERE original_payment_id = $1`, debit).Scan(&st, &on)
			t.Fatalf("no retry sent: %v (retry %s on %s)", err, st, on)
		}
		e.at("2026-11-27", 9, 0)
		if st, err := e.pay.ImportReturns(e.ctx, "r08.csv", []byte("trace_number,code,corrected_data\n"+e.sentPayment(retry).trace+",R08,\n")); err != nil || st.Returns != 1 {
			t.Fatalf("R08: %+v %v", st, err)
		}
		if a, _ := e.pay.Autopay(e.ctx, c, loan); a.Status != payments.AutopaySuspended {
			t.Errorf("autopay %s after the retry was stopped", a.Status)
		}
		e.checks()
	})
}
