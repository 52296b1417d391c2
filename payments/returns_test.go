package payments_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"carfin/db"
	"carfin/db/dbtest"
	"carfin/money"
	"carfin/payments"
	"carfin/payments/ach"
	"carfin/servicing"
)

// sentEntry is what the bank needs to return an entry carfin sent.
type sentEntry struct {
	trace, individualID, routing, account, name string
	code                                        int
	amount                                      money.Cents
}

func (e *env) sentPayment(id int64) sentEntry {
	e.t.Helper()
	var s sentEntry
	var accountType string
	if err := e.db.Read.QueryRowContext(e.ctx, `SELECT p.trace_number, p.amount_cents, m.routing_number, m.account_type, m.holder_name FROM payments p
		JOIN payment_methods m ON m.id = p.method_id WHERE p.id = $1`, id).Scan(&s.trace, &s.amount, &s.routing, &accountType, &s.name); err != nil {
		e.t.Fatal(err)
	}
	s.individualID, s.account, s.code = payments.Confirmation(id), "0000", ach.CheckingDebit
	if accountType == "savings" {
		s.code = ach.SavingsDebit
	}
	return s
}

// returnsFile is the bank's return file for entries.
func (e *env) returnsFile(rets ...ach.ReturnedEntry) []byte {
	e.t.Helper()
	var b bytes.Buffer
	h := ach.FileHeader{ImmediateDestination: odfi, ImmediateOrigin: " " + odfi, DestinationName: "Northwind Motor", OriginName: "Peachtree Meadow Bank",
		Created: e.clock.Now(), IDModifier: 'R'}
	if err := ach.WriteReturns(&b, h, "Northwind Motor", "1987654321", "WEB", e.today(), "11260181", rets); err != nil {
		e.t.Fatal(err)
	}
	return b.Bytes()
}

func ret(s sentEntry, kind ach.ReturnKind, code, corrected string) ach.ReturnedEntry {
	return ach.ReturnedEntry{Return: ach.Return{Kind: kind, Code: code, OriginalTrace: s.trace, IndividualID: s.individualID, Routing: s.routing,
		Account: s.account, AmountCents: int64(s.amount), Name: s.name, CorrectedData: corrected}, OriginalCode: s.code}
}

// TestReturns: a return file with one return of each class and a
// notification of change; each gets the right ledger result and action,
// the customer's history says what happened, and importing again does
// nothing.
func TestReturns(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-10-30", func(c *payments.Config) { c.Retries = 2 })
		names := []string{"Funds", "Closed", "Unauth", "Noc", "Stopped", "Micro"}
		type who struct {
			customer, loan int64
			method         payments.Method
			payment        payments.Payment
		}
		var w []who
		for i, n := range names {
			c := e.customer(n)
			w = append(w, who{customer: c, loan: e.loan(c, fmt.Sprint(10000+500*i), 36, "2026-10-15", "2026-11-15")})
		}
		e.at("2026-11-02", 9, 0)
		routings := []string{"112601818", "129083018", "226131863", "029139091", "210308246", "222819480"}
		before := map[int64]map[string]money.Cents{}
		for i := range w[:5] {
			w[i].method = e.bank(w[i].customer, routings[i], fmt.Sprintf("5000%04d", i))
			before[w[i].loan] = e.balances(w[i].loan)
		}
		// The account to be returned has autopay and a scheduled payment.
		closed := w[1]
		e.enrol(closed.customer, closed.loan, closed.method.ID, "", 0)
		later, err := e.pay.Pay(e.ctx, closed.customer, payments.OneTime{ContractID: closed.loan, MethodID: closed.method.ID, Choice: payments.PayOther,
			Other: "20", Date: day("2026-11-20"), IdempotencyKey: "later"})
		if err != nil {
			t.Fatal(err)
		}
		for i := range w[:5] {
			w[i].payment, err = e.pay.Pay(e.ctx, w[i].customer, payments.OneTime{ContractID: w[i].loan, MethodID: w[i].method.ID,
				Choice: payments.PayOther, Other: "250", IdempotencyKey: "pay"})
			if err != nil {
				t.Fatal(err)
			}
		}
		micro, err := e.pay.AddBankAccount(e.ctx, w[5].customer, payments.NewBankAccount{HolderName: "Micro", AccountType: "checking",
			Routing: routings[5], Account: "77778888", ConfirmAccount: "77778888"})
		if err != nil {
			t.Fatal(err)
		}
		e.at("2026-11-02", 18, 0)
		if _, err := e.pay.RunDay(e.ctx, day("2026-11-02")); err != nil {
			t.Fatal(err)
		}
		var microTrace string
		if err := d.Read.QueryRowContext(e.ctx, `SELECT trace_number FROM ach_verifications WHERE method_id = $1 AND kind = 'micro_credit' ORDER BY id LIMIT 1`,
			micro.ID).Scan(&microTrace); err != nil {
			t.Fatal(err)
		}
		sent := make([]sentEntry, 5)
		for i := range sent {
			sent[i] = e.sentPayment(w[i].payment.ID)
		}
		// Wednesday morning: the bank's returns.
		e.at("2026-11-04", 9, 0)
		file := e.returnsFile(
			ret(sent[0], ach.KindReturn, "R01", ""),
			ret(sent[1], ach.KindReturn, "R02", ""),
			ret(sent[2], ach.KindReturn, "R10", ""),
			ret(sent[3], ach.KindNOC, "C01", "99990000"),
			ret(sent[4], ach.KindReturn, "R08", ""),
			ret(sentEntry{trace: microTrace, individualID: "V1", routing: routings[5], account: "77778888", name: "Micro", code: ach.CheckingCredit, amount: 1},
				ach.KindReturn, "R03", ""),
			ret(sentEntry{trace: "061993510999999", individualID: "PXXXXXXXX", routing: routings[0], account: "1", name: "Nobody", code: ach.CheckingDebit, amount: 5},
				ach.KindReturn, "R01", ""),
		)
		st, err := e.pay.ImportReturns(e.ctx, "returns-1104.ach", file)
		if err != nil {
			t.Fatal(err)
		}
		if st.Returns != 5 || st.NOCs != 1 || st.Fees != 1 || st.Retries != 1 || st.Review != 1 || st.Unmatched != 1 {
			t.Errorf("stats %+v", st)
		}
		if again, err := e.pay.ImportReturns(e.ctx, "copy.ach", file); err != nil || !again.Already {
			t.Errorf("second import: %+v %v", again, err)
		}

		// R01: reversed (the ledger is as before the payment), the NSF
		// fee charged, a retry on Friday.
		funds := w[0]
		p, _ := e.pay.Payment(e.ctx, funds.customer, funds.payment.ID)
		if p.Status != payments.StatusReturned || p.Return == nil || p.Return.Code != "R01" ||
			!strings.Contains(p.StatusText(), "did not have enough money") || !strings.Contains(p.Return.Action, "Friday, November 6, 2026") {
			t.Errorf("R01 payment %+v / %+v", p, p.Return)
		}
		b := e.balances(funds.loan)
		if b[servicing.AccountPrincipal] != before[funds.loan][servicing.AccountPrincipal] || b[servicing.AccountFees] != cents("30") {
			t.Errorf("R01 ledger %v, before the payment %v", b, before[funds.loan])
		}
		// R02: account disabled, autopay suspended, scheduled payment cancelled.
		m, _ := e.pay.Method(e.ctx, closed.customer, closed.method.ID)
		a, _ := e.pay.Autopay(e.ctx, closed.customer, closed.loan)
		lp, _ := e.pay.Payment(e.ctx, closed.customer, later.ID)
		if m.Status != payments.MethodDisabled || a.Status != payments.AutopaySuspended || lp.Status != payments.StatusCancelled {
			t.Errorf("R02: method %s, autopay %s, scheduled %s", m.Status, a.Status, lp.Status)
		}
		if b := e.balances(closed.loan); b[servicing.AccountPrincipal] != before[closed.loan][servicing.AccountPrincipal] || b[servicing.AccountFees] != 0 {
			t.Errorf("R02 ledger %v", b)
		}
		if _, err := e.pay.Quote(e.ctx, closed.customer, payments.OneTime{ContractID: closed.loan, MethodID: closed.method.ID, Choice: payments.PayAmountDue}); !errors.Is(err, payments.ErrMethodUnusable) {
			t.Errorf("disabled account still pays: %v", err)
		}
		q := e.outbox(e.email(closed.customer))
		if last := q[len(q)-1].Message; last.Kind != "payment.returned" || !strings.Contains(last.Text, "account is closed") || !strings.Contains(last.Text, "add a new account") {
			t.Errorf("R02 email %q", last.Text)
		}
		// R10: disabled and flagged for review.
		unauth := w[2]
		m, _ = e.pay.Method(e.ctx, unauth.customer, unauth.method.ID)
		review, err := e.pay.ReturnsForReview(e.ctx, 10)
		if m.Status != payments.MethodDisabled || !m.ReviewRequired || err != nil || len(review) != 1 || review[0].Code != "R10" || review[0].PaymentID != unauth.payment.ID {
			t.Errorf("R10: %+v, review %+v %v", m, review, err)
		}
		// C01: the account number corrected, the payment stands.
		noc := w[3]
		m, _ = e.pay.Method(e.ctx, noc.customer, noc.method.ID)
		if p, _ := e.pay.Payment(e.ctx, noc.customer, noc.payment.ID); m.Last4 != "0000" || m.Status != payments.MethodActive || p.Status != payments.StatusPending {
			t.Errorf("C01: method %+v payment %s", m, p.Status)
		}
		// R08: reversed, nothing else.
		stop := w[4]
		m, _ = e.pay.Method(e.ctx, stop.customer, stop.method.ID)
		if p, _ := e.pay.Payment(e.ctx, stop.customer, stop.payment.ID); p.Status != payments.StatusReturned || m.Status != payments.MethodActive {
			t.Errorf("R08: %s %s", p.Status, m.Status)
		}
		// The returned micro-deposit fails the account's validation.
		if m, _ := e.pay.Method(e.ctx, w[5].customer, micro.ID); m.Status != payments.MethodFailed {
			t.Errorf("micro-deposit return: %+v", m)
		}
		e.checks()

		// Friday: the retry goes out as RETRY PYMT, and the corrected
		// account is debited under its new number.
		e.runDays("2026-11-04", "2026-11-05")
		if _, err := e.pay.Pay(e.ctx, noc.customer, payments.OneTime{ContractID: noc.loan, MethodID: noc.method.ID, Choice: payments.PayOther, Other: "10",
			IdempotencyKey: "after-noc"}); err != nil {
			t.Fatal(err)
		}
		e.runDays("2026-11-06", "2026-11-06")
		var retryID int64
		var presentment int
		if err := d.Read.QueryRowContext(e.ctx, `SELECT id, presentment FROM payments WHERE kind = 'retry' AND original_payment_id = $1`, funds.payment.ID).
			Scan(&retryID, &presentment); err != nil || presentment != 2 {
			t.Fatalf("retry: %d %v", presentment, err)
		}
		var path string
		if err := d.Read.QueryRowContext(e.ctx, `SELECT f.path FROM payments p JOIN ach_files f ON f.id = p.ach_file_id WHERE p.id = $1`, retryID).Scan(&path); err != nil {
			t.Fatal(err)
		}
		f := readFile(t, path)
		if !strings.Contains(f, "WEBRETRY PYMT") || !strings.Contains(f, "029139091"+"99990000         ") {
			t.Errorf("retry file:\n%s", f)
		}
		// The retry returned too (R09, by the CSV form): presented a third
		// time, without a second fee; a third return ends the retries.
		e.at("2026-11-09", 9, 0)
		csv := fmt.Sprintf("trace_number,code,corrected_data\n%s,R09,\n", e.sentPayment(retryID).trace)
		st, err = e.pay.ImportReturns(e.ctx, "returns-1109.csv", []byte(csv))
		if err != nil || st.Returns != 1 || st.Retries != 1 || st.Fees != 0 {
			t.Fatalf("second return: %+v %v", st, err)
		}
		e.runDays("2026-11-09", "2026-11-12")
		var third int64
		if err := d.Read.QueryRowContext(e.ctx, `SELECT id FROM payments WHERE kind = 'retry' AND presentment = 3`).Scan(&third); err != nil {
			t.Fatal(err)
		}
		e.at("2026-11-13", 9, 0)
		csv = fmt.Sprintf("trace_number,code,corrected_data\n%s,R01,\n", e.sentPayment(third).trace)
		if st, err = e.pay.ImportReturns(e.ctx, "returns-1112.csv", []byte(csv)); err != nil || st.Returns != 1 || st.Retries != 0 {
			t.Fatalf("third return: %+v %v", st, err)
		}
		if b := e.balances(funds.loan); b[servicing.AccountPrincipal] != before[funds.loan][servicing.AccountPrincipal] || b[servicing.AccountFees] != cents("30") {
			t.Errorf("after three returns: %v", b)
		}
		hist, _ := e.pay.Payments(e.ctx, funds.customer, payments.PaymentFilter{})
		returned := 0
		for _, h := range hist {
			if h.Status == payments.StatusReturned && h.Return != nil && h.Return.Description != "" {
				returned++
			}
		}
		if returned != 3 {
			t.Errorf("history shows %d returns in words", returned)
		}
		// The suspended autopay resumes with a new account.
		e.at("2026-11-13", 10, 0)
		nm := e.bank(closed.customer, "315749111", "121212121")
		r := payments.AutopayRequest{ContractID: closed.loan, MethodID: nm.ID, Accepted: true, Version: payments.AuthorizationVersion}
		if a, err := e.pay.ChangeAutopay(e.ctx, closed.customer, r); err != nil || a.Status != payments.AutopayActive || a.MethodID != nm.ID {
			t.Errorf("resume autopay: %+v %v", a, err)
		}
		for _, bad := range [][]byte{[]byte("hello"), []byte("trace_number,code,corrected_data\n1,R01,\n")} {
			if _, err := e.pay.ImportReturns(e.ctx, "bad", bad); !errors.Is(err, payments.ErrReturnFormat) && !errors.Is(err, ach.ErrReturnFile) {
				t.Errorf("bad file: %v", err)
			}
		}
		e.checks()
	})
}
