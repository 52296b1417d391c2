package console_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"carfin/demo"
	"carfin/internal/browsertest"
	"carfin/staff"
)

func init() { register("browser", testBrowser) }

// consoleNowrap are the console's texts that must stay on one line.
const consoleNowrap = ".nowrap, .acct"

// browserSignIn signs the member of role in through the sign-in pages of
// a real browser.
func browserSignIn(t *testing.T, f *fixture, role staff.Role) *browsertest.Browser {
	t.Helper()
	b := browsertest.Start(t, f.srv.URL)
	l := f.logins[role]
	b.Go("/staff/login")
	b.Fill("#email", l.Email)
	b.Fill("#password", staffPassword)
	b.Click("button[type=submit]")
	b.WaitFor("#code")
	f.clock.Add(31 * time.Second)
	code, err := demo.StaffCode(l.Secret, f.d.Now())
	if err != nil {
		t.Fatal(err)
	}
	b.Fill("#code", code)
	b.Click("button[type=submit]")
	b.WaitPath("/staff/")
	return b
}

// check runs axe and the layout checks on the page at phone and desktop
// widths and saves a screenshot of each.
func check(t *testing.T, b *browsertest.Browser, name string) {
	t.Helper()
	for _, w := range []int64{390, 1280} {
		b.Viewport(w, 900)
		for _, p := range b.Layout(consoleNowrap).Problems() {
			t.Errorf("%s at %d px: %s", name, w, p)
		}
		for _, v := range b.Axe() {
			t.Errorf("%s at %d px: axe: %s", name, w, v)
		}
		b.Screenshot(name + "-" + strconv.FormatInt(w, 10))
	}
	b.Viewport(1280, 900)
}

// testBrowser walks the agent's main flows in Chromium: sign in, the
// work queues, find a customer, verify the caller, unlock their sign-in.
func testBrowser(t *testing.T, f *fixture) {
	ctx := context.Background()
	var customerID int64
	var account, zip, ssn4, last string
	if err := f.d.Read.QueryRowContext(ctx, `SELECT c.id, k.account_number, c.zip, c.ssn_last4, c.last_name
		FROM customers c JOIN contracts k ON k.customer_id = c.id
		WHERE c.id = (SELECT id FROM customers WHERE id NOT IN ($1, $2) ORDER BY id DESC LIMIT 1) ORDER BY k.id LIMIT 1`,
		f.book.PastDueCustomerID, f.book.LoginCustomerID).Scan(&customerID, &account, &zip, &ssn4, &last); err != nil {
		t.Fatal(err)
	}
	// The customer has online access and has locked it with wrong passwords.
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
	b := browserSignIn(t, f, staff.Agent)
	check(t, b, "home")

	// Find the customer by name, open them, verify the caller.
	b.Fill("#q", last)
	b.Click("form[role=search] button")
	b.WaitPath("/staff/customers")
	check(t, b, "search")
	b.Click(`a[href="/staff/customers/` + strconv.FormatInt(customerID, 10) + `"]`)
	b.WaitFor("#account")
	check(t, b, "customer-masked")
	b.Fill("#account", account)
	b.Fill("#zip", zip)
	b.Fill("#ssn4", ssn4)
	b.Click(`form[action$="/verify"] button[type=submit]`)
	b.WaitFor("#contact")
	if got := b.Text(".notice"); got == "" {
		t.Error("no confirmation after verification")
	}
	check(t, b, "customer-verified")

	// Unlock the customer's sign-in, with a reason.
	b.Fill("#reason-unlocked", "Verified caller; forgot the password and locked it")
	b.Click(`form[action$="/unlock"] button[type=submit]`)
	// (The page has a notice already, the verification's: wait for the
	// unlock's own address.)
	b.WaitPath("/staff/customers/" + strconv.FormatInt(customerID, 10) + "?done=unlocked")
	if st, err := f.caps.Identity.SignInState(ctx, customerID); err != nil || !st.LockedUntil.IsZero() {
		t.Errorf("still locked after the browser's unlock (%v)", err)
	}

	// Answer a secure message from the queue.
	thread, err := f.caps.Support.StartThread(ctx, customerID, "en", "Browser test: payoff by phone?", "Can I pay off my loan by phone?", nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Go("/staff/messages")
	check(t, b, "messages")
	b.Click(`a[href="/staff/messages/` + strconv.FormatInt(thread, 10) + `"]`)
	b.WaitFor("#body")
	check(t, b, "message-thread")
	b.Fill("#body", "Yes: call us and an agent takes it with your spoken authorization.")
	b.Click("#reply button[type=submit]")
	b.WaitFor(".notice")
	var awaiting int
	if err := f.d.Read.QueryRowContext(ctx, `SELECT count(*) FROM support_threads WHERE id = $1 AND awaiting_since IS NOT NULL`, thread).Scan(&awaiting); err != nil || awaiting != 0 {
		t.Errorf("thread still awaits a reply after the browser's (%v)", err)
	}

	// Request a fee waiver on the past-due loan; a supervisor approves it.
	var contract int64
	if err := f.d.Read.QueryRowContext(ctx, `SELECT id FROM contracts WHERE customer_id = $1 AND kind = 'loan' ORDER BY id LIMIT 1`,
		f.book.PastDueCustomerID).Scan(&contract); err != nil {
		t.Fatal(err)
	}
	if _, err := f.caps.Callers.OpenForWork(ctx, f.logins[staff.Agent].LoginID, f.book.PastDueCustomerID, "request", "browser test waiver"); err != nil {
		t.Fatal(err)
	}
	b.Go("/staff/customers/" + strconv.FormatInt(f.book.PastDueCustomerID, 10) + "/contracts/" + strconv.FormatInt(contract, 10))
	check(t, b, "contract")
	b.Go("/staff/customers/" + strconv.FormatInt(f.book.PastDueCustomerID, 10) + "/contracts/" + strconv.FormatInt(contract, 10) + "/requests/new?kind=fee_waiver")
	check(t, b, "request-waiver")
	b.Fill("#amount", "1.00")
	b.Fill("#reason", "Browser test: first late fee, customer on autopay now")
	b.Click(`form[action$="/requests"] button[type=submit]`)
	b.WaitFor(".notice")
	var request int64
	if err := f.d.Read.QueryRowContext(ctx, `SELECT id FROM approval_requests WHERE contract_id = $1 AND reason LIKE 'Browser test:%' AND status = 'pending'`,
		contract).Scan(&request); err != nil {
		t.Fatalf("the browser's waiver request: %v", err)
	}
	sup := browserSignIn(t, f, staff.Supervisor)
	sup.Go("/staff/approvals/" + strconv.FormatInt(request, 10))
	check(t, sup, "approval")
	sup.Fill("#note", "Approved: first fee")
	sup.Click(`button[formaction$="/approve"]`)
	sup.WaitFor(".notice")
	var status string
	if err := f.d.Read.QueryRowContext(ctx, `SELECT status FROM approval_requests WHERE id = $1`, request).Scan(&status); err != nil || status != "approved" {
		t.Errorf("request %d is %q after the supervisor approved it (%v)", request, status, err)
	}
}
