package console_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"carfin/callers"
	"carfin/console"
	"carfin/payments"
	"carfin/servicing"
	"carfin/staff"
	"carfin/webcore"
)

func init() { register("phone/payment", testPhonePayment) }

// lenderPhone is the customer-service number a phone payment's script
// states (payments.Config.Phone).
const lenderPhone = "1-800-555-0199"

// withPhone is f served by a console whose payments state the lender's
// phone number (Nacha's TEL rule asks the script to give one), if the
// fixture's do not.
func (f *fixture) withPhone() *fixture {
	f.t.Helper()
	if f.caps.Payments.Config().Phone != "" {
		return f
	}
	cfg := f.caps.Payments.Config()
	cfg.Phone = lenderPhone
	pay, err := payments.New(f.d, servicing.New(f.d, cfg.Cutoff.Today), cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	caps := f.caps
	caps.Payments = pay
	c, err := console.New(console.Config{Brand: webcore.DefaultBrand}, f.d, caps)
	if err != nil {
		f.t.Fatal(err)
	}
	g := *f
	g.caps = caps
	g.srv = httptest.NewServer(c)
	f.t.Cleanup(g.srv.Close)
	return &g
}

// verifyCall records role's member passing the caller's questions for
// the customer's account.
func (f *fixture) verifyCall(role staff.Role, contractID int64) {
	f.t.Helper()
	var account, zip, ssn string
	if err := f.d.Read.QueryRowContext(f.t.Context(), `SELECT k.account_number, c.zip, c.ssn_last4 FROM contracts k JOIN customers c ON c.id = k.customer_id
		WHERE k.id = $1`, contractID).Scan(&account, &zip, &ssn); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.caps.Callers.Verify(f.t.Context(), f.logins[role].LoginID, "test-call", account, callers.Answers{ZIP: zip, SSNLast4: ssn}); err != nil {
		f.t.Fatal(err)
	}
}

var payLocation = regexp.MustCompile(`/pay/([0-9]+)\?done=paid$`)

// testPhonePayment: a payment by phone needs a verified call (an opening
// for work is refused); the review shows the TEL script; without the
// customer's yes nothing is written; with it the payment is made, and
// the same form again returns the same payment.
func testPhonePayment(t *testing.T, f *fixture) {
	f = f.withPhone()
	f.t = t
	cust := f.book.LoginCustomerID
	loan := f.loanOf(cust)
	base := "/staff/customers/" + strconv.FormatInt(cust, 10) + "/contracts/" + strconv.FormatInt(loan, 10)
	ms, err := f.caps.Payments.Methods(t.Context(), cust)
	if err != nil {
		t.Fatal(err)
	}
	var method int64
	for _, m := range ms {
		if m.Kind == payments.KindBank && m.Status == payments.MethodActive {
			method = m.ID
			break
		}
	}
	if method == 0 {
		t.Fatal("the login customer has no active bank account")
	}
	written := func() int {
		return f.count(`SELECT count(*) FROM payments WHERE customer_id = $1`, cust) +
			f.count(`SELECT count(*) FROM phone_payment_authorizations WHERE customer_id = $1`, cust)
	}
	before := written()

	agent := f.signIn(staff.Agent)
	f.openFor(staff.Agent, cust)
	form := url.Values{"amount": {"12.34"}, "method": {strconv.FormatInt(method, 10)}, "lang": {"en"}, "key": {"test-no-call"}}
	for _, tc := range []struct{ method, path string }{{"GET", base + "/pay"}, {"POST", base + "/pay/review"}, {"POST", base + "/pay"}} {
		var r response
		if tc.method == "GET" {
			r = agent.get(tc.path)
		} else {
			r = agent.post(tc.path, url.Values{"amount": {"12.34"}, "method": {strconv.FormatInt(method, 10)}, "key": {"k"}, "authorized": {"yes"}})
		}
		if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "Verify the caller first") {
			t.Fatalf("%s %s without a verified call: %d %s", tc.method, tc.path, r.Status, r.Body)
		}
	}
	if n := written(); n != before {
		t.Fatalf("written without a verified call: %d rows, was %d", n, before)
	}

	f.verifyCall(staff.Agent, loan)
	r := agent.get(base + "/pay")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "••••") {
		t.Fatalf("form: %d %s", r.Status, r.Body)
	}
	form.Set("key", hiddenValue(t, r.Body, "key"))
	if r := agent.post(base+"/pay/review", url.Values{"amount": {"12.345"}, "method": {form.Get("method")}, "key": {form.Get("key")}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, "dollars and cents") {
		t.Fatalf("bad amount: %d %s", r.Status, r.Body)
	}
	r = agent.post(base+"/pay/review", form)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "do you authorize") || !strings.Contains(r.Body, "$12.34") || !strings.Contains(r.Body, lenderPhone) {
		t.Fatalf("review: %d %s", r.Status, r.Body)
	}
	form.Set("script", hiddenValue(t, r.Body, "script"))

	if r := agent.post(base+"/pay", form); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "customer says yes") {
		t.Fatalf("without the customer's yes: %d %s", r.Status, r.Body)
	}
	if n := written(); n != before {
		t.Fatalf("written without the customer's yes: %d rows, was %d", n, before)
	}
	form.Set("authorized", "yes")
	r = agent.post(base+"/pay", form)
	m := payLocation.FindStringSubmatch(r.Location)
	if r.Status != http.StatusSeeOther || m == nil {
		t.Fatalf("take: %d %s %s", r.Status, r.Location, r.Body)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	p, err := f.caps.Payments.Payment(t.Context(), cust, id)
	if err != nil || p.Confirmation == "" || p.AmountCents != 12_34 {
		t.Fatalf("payment: %+v %v", p, err)
	}
	if n := written(); n != before+2 {
		t.Fatalf("%d rows after the payment, want %d", n, before+2)
	}
	if r := agent.get(r.Location); r.Status != http.StatusOK || !strings.Contains(r.Body, p.Confirmation) {
		t.Fatalf("confirmation: %d %s", r.Status, r.Body)
	}
	again := agent.post(base+"/pay", form)
	if again.Status != http.StatusSeeOther || again.Location != r.Location {
		t.Fatalf("second submit: %d %s, want %s", again.Status, again.Location, r.Location)
	}
	if n := written(); n != before+2 {
		t.Fatalf("%d rows after a second submit, want %d", n, before+2)
	}
	if r := f.signIn(staff.Auditor).get(base + "/pay"); r.Status != http.StatusForbidden {
		t.Fatalf("auditor: %d", r.Status)
	}
}
