package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"carfin/staff"
)

func init() { register("customer screen", testCustomerScreen) }

// testCustomerScreen walks an agent's call: find the customer (masked),
// fail and then pass verification, see the whole account, unlock the
// customer's sign-in with a reason, add a note, read the audit tab; and
// the refusals around it.
func testCustomerScreen(t *testing.T, f *fixture) {
	ctx := context.Background()
	// A customer of this test's own (the next-to-last; the browser walk
	// takes the last), with online access, locked by wrong passwords.
	var customerID int64
	var account, zip, ssn4, email, last string
	if err := f.d.Read.QueryRowContext(ctx, `SELECT c.id, k.account_number, c.zip, c.ssn_last4, c.email, c.last_name
		FROM customers c JOIN contracts k ON k.customer_id = c.id
		WHERE c.id = (SELECT id FROM customers WHERE id NOT IN ($1, $2) ORDER BY id DESC LIMIT 1 OFFSET 1) ORDER BY k.id LIMIT 1`,
		f.book.PastDueCustomerID, f.book.LoginCustomerID).Scan(&customerID, &account, &zip, &ssn4, &email, &last); err != nil {
		t.Fatal(err)
	}
	var logins int
	if err := f.d.Read.QueryRowContext(ctx, `SELECT count(*) FROM logins WHERE customer_id = $1`, customerID).Scan(&logins); err != nil {
		t.Fatal(err)
	}
	if logins == 0 {
		if _, err := f.caps.Identity.CreateCustomerLogin(ctx, customerID, "the customer's own passphrase 2026"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.d.SQL.ExecContext(ctx, `UPDATE logins SET locked_until = $1, failed_count = 5 WHERE customer_id = $2`,
		f.d.Now().Add(30*time.Minute), customerID); err != nil {
		t.Fatal(err)
	}
	page := "/staff/customers/" + strconv.FormatInt(customerID, 10)
	agent := f.signIn(staff.Agent)

	r := agent.get("/staff/customers?q=" + url.QueryEscape(account))
	// The account number is only in the search box, as typed.
	if r.Status != http.StatusOK || !strings.Contains(r.Body, page) || strings.Count(r.Body, account) != 1 || strings.Contains(r.Body, email) {
		t.Fatalf("search by account: %d; link %v, full account shown %d times, email shown %v", r.Status, strings.Contains(r.Body, page),
			strings.Count(r.Body, account), strings.Contains(r.Body, email))
	}
	if r := agent.get("/staff/customers?q=x"); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("one-letter search: %d", r.Status)
	}

	// Unverified: masked, and the actions refuse.
	r = agent.get(page)
	if r.Status != http.StatusOK || strings.Contains(r.Body, account) || strings.Contains(r.Body, email) || !strings.Contains(r.Body, "Verify by questions") {
		t.Fatalf("unverified page: %d, account shown %v, email shown %v", r.Status, strings.Contains(r.Body, account), strings.Contains(r.Body, email))
	}
	if r := agent.post(page+"/unlock", url.Values{"reason": {"caller asked"}}); r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "verify=1") {
		t.Errorf("unlock before verification: %d %s", r.Status, r.Location)
	}
	if r := agent.post(page+"/verify", url.Values{"account": {account}, "zip": {"00000"}, "ssn4": {"0000"}}); r.Status != http.StatusUnprocessableEntity ||
		strings.Contains(r.Body, email) {
		t.Errorf("wrong answers: %d", r.Status)
	}
	if r := agent.post(page+"/verify", url.Values{"account": {account}, "zip": {zip}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("one answer: %d", r.Status)
	}
	r = agent.post(page+"/verify", url.Values{"account": {account}, "zip": {zip}, "ssn4": {ssn4}, "call": {"C-1"}})
	if r.Status != http.StatusSeeOther || r.Location != page+"?done=verified" {
		t.Fatalf("right answers: %d %s %s", r.Status, r.Location, r.Body)
	}
	r = agent.get(page)
	for _, want := range []string{account, email, "Online access", ">locked<", "Unlock sign-in", "Notes", "Payments"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("verified page lacks %q", want)
		}
	}

	// Unlock: a reason is required; then the lock is gone.
	if r := agent.post(page+"/unlock", url.Values{"reason": {" "}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("unlock without a reason: %d", r.Status)
	}
	if st, _ := f.caps.Identity.SignInState(ctx, customerID); st.LockedUntil.IsZero() {
		t.Fatal("unlocked without a reason")
	}
	if r := agent.post(page+"/unlock", url.Values{"reason": {"verified caller, forgot password"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("unlock: %d %s", r.Status, r.Body)
	}
	if st, _ := f.caps.Identity.SignInState(ctx, customerID); !st.LockedUntil.IsZero() {
		t.Error("still locked after unlock")
	}

	// A note, and the audit tab shows the whole call.
	if r := agent.post(page+"/notes", url.Values{"note": {""}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("empty note: %d", r.Status)
	}
	if r := agent.post(page+"/notes", url.Values{"note": {"Caller promised to pay Friday"}}); r.Status != http.StatusSeeOther {
		t.Errorf("note: %d", r.Status)
	}
	if r := agent.get(page); !strings.Contains(r.Body, "Caller promised to pay Friday") {
		t.Error("the note is not on the page")
	}
	r = agent.get(page + "/audit")
	for _, want := range []string{"customer.view", "caller.verify", "login.unlock", "verified caller, forgot password"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("audit tab lacks %q", want)
		}
	}

	// Someone else's contract under this customer is not found.
	var other int64
	if err := f.d.Read.QueryRowContext(ctx, `SELECT id FROM contracts WHERE customer_id <> $1 ORDER BY id LIMIT 1`, customerID).Scan(&other); err != nil {
		t.Fatal(err)
	}
	if r := agent.get(page + "/contracts/" + strconv.FormatInt(other, 10)); r.Status != http.StatusNotFound {
		t.Errorf("another customer's contract: %d", r.Status)
	}
	var own int64
	if err := f.d.Read.QueryRowContext(ctx, `SELECT id FROM contracts WHERE customer_id = $1 ORDER BY id LIMIT 1`, customerID).Scan(&own); err != nil {
		t.Fatal(err)
	}
	if r := agent.get(page + "/contracts/" + strconv.FormatInt(own, 10)); r.Status != http.StatusOK || !strings.Contains(r.Body, "History") {
		t.Errorf("own contract: %d", r.Status)
	}
	if r := agent.get("/staff/customers/99999999"); r.Status != http.StatusNotFound {
		t.Errorf("unknown customer: %d", r.Status)
	}

	// The verification is the agent's own: the supervisor must verify too.
	sup := f.signIn(staff.Supervisor)
	if r := sup.get(page); strings.Contains(r.Body, email) {
		t.Error("another member sees the account through the agent's verification")
	}
	// An auditor reads but may not act.
	aud := f.signIn(staff.Auditor)
	if r := aud.get(page); r.Status != http.StatusOK {
		t.Errorf("auditor view: %d", r.Status)
	}
	if r := aud.post(page+"/notes", url.Values{"note": {"x"}}); r.Status != http.StatusForbidden {
		t.Errorf("auditor note: %d", r.Status)
	}
	if r := aud.post(page+"/verify", url.Values{"account": {account}, "zip": {zip}, "ssn4": {ssn4}}); r.Status != http.StatusForbidden {
		t.Errorf("auditor verify: %d", r.Status)
	}
	_ = last
}
