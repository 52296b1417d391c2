package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"carfin/approvals"
	"carfin/servicing"
	"carfin/staff"
)

func init() {
	register("approvals/waiver approved once", testWaiverApprovedOnce)
	register("approvals/own request not decided", testOwnRequestNotDecided)
	register("approvals/rejected posts nothing", testRejectedPostsNothing)
	register("approvals/another customer's contract", testAnotherCustomersContract)
	register("approvals/reversal requested once", testReversalRequestedOnce)
}

// loanOf is the customer's first active loan.
func (f *fixture) loanOf(customerID int64) int64 {
	f.t.Helper()
	var id int64
	if err := f.d.Read.QueryRowContext(f.t.Context(), `SELECT min(id) FROM contracts WHERE customer_id = $1 AND kind = 'loan' AND state = 'active'`,
		customerID).Scan(&id); err != nil || id == 0 {
		f.t.Fatalf("no active loan of customer %d: %v", customerID, err)
	}
	return id
}

// openFor opens the customer's account to role's member for back-office
// work (as the access gate asks of every customer route).
func (f *fixture) openFor(role staff.Role, customerID int64) {
	f.t.Helper()
	if _, err := f.caps.Callers.OpenForWork(f.t.Context(), f.logins[role].LoginID, customerID, "request", "test"); err != nil {
		f.t.Fatal(err)
	}
}

// waivers counts the fee waivers in the contract's history.
func (f *fixture) waivers(customerID, contractID int64) int {
	f.t.Helper()
	items, err := f.caps.Servicing.History(f.t.Context(), customerID, contractID,
		servicing.HistoryFilter{Types: []servicing.ItemType{servicing.ItemFeeWaiver}})
	if err != nil {
		f.t.Fatal(err)
	}
	return len(items)
}

// requestWaiver asks, as b, for a waiver of amount on the contract and
// returns the request's id (found by its reason).
func (f *fixture) requestWaiver(b *browser, customerID, contractID int64, amount, reason string) int64 {
	f.t.Helper()
	base := "/staff/customers/" + strconv.FormatInt(customerID, 10) + "/contracts/" + strconv.FormatInt(contractID, 10)
	r := b.post(base+"/requests", url.Values{"kind": {"fee_waiver"}, "amount": {amount}, "reason": {reason}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, base+"/requests/new?kind=fee_waiver") || !strings.Contains(r.Location, "done=requested") {
		f.t.Fatalf("request waiver: %d %s %s", r.Status, r.Location, r.Body)
	}
	rs, err := f.caps.Approvals.ForContract(f.t.Context(), contractID, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, q := range rs {
		if q.Reason == reason {
			return q.ID
		}
	}
	f.t.Fatalf("request %q not found", reason)
	return 0
}

// testWaiverApprovedOnce: an agent requests a waiver, sees it in the
// queue as theirs and cannot approve it; a supervisor approves it, and
// the waiver is posted once however often Approve is sent.
func testWaiverApprovedOnce(t *testing.T, f *fixture) {
	cust := f.book.PastDueCustomerID
	loan := f.loanOf(cust)
	base := "/staff/customers/" + strconv.FormatInt(cust, 10) + "/contracts/" + strconv.FormatInt(loan, 10)
	agent := f.signIn(staff.Agent)
	f.openFor(staff.Agent, cust)

	for _, tc := range []struct {
		name, path string
		want       []string
	}{
		{"waiver form", base + "/requests/new?kind=fee_waiver", []string{"Fees owed", "up to $250.00", `name="amount"`}},
		{"reversal form", base + "/requests/new?kind=payment_reversal", []string{"Payment to reverse"}},
		{"adjustment form", base + "/requests/new?kind=balance_adjustment", []string{"up to $1,000.00"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := agent.get(tc.path)
			if r.Status != http.StatusOK {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.Body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
		})
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"no reason", url.Values{"kind": {"fee_waiver"}, "amount": {"1.00"}}, http.StatusUnprocessableEntity, "Say why"},
		{"not dollars", url.Values{"kind": {"fee_waiver"}, "amount": {"1.005"}, "reason": {"x"}}, http.StatusUnprocessableEntity, "dollars and cents"},
		{"above the agent's limit", url.Values{"kind": {"fee_waiver"}, "amount": {"300.00"}, "reason": {"x"}}, http.StatusUnprocessableEntity, "above your limit of $250.00"},
		{"more than the fees", url.Values{"kind": {"fee_waiver"}, "amount": {"249.00"}, "reason": {"x"}}, http.StatusUnprocessableEntity, "at most the fees owed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(mustForContract(t, f, loan))
			r := agent.post(base+"/requests", tc.form)
			if r.Status != tc.status || !strings.Contains(r.Body, tc.want) {
				t.Fatalf("%d, want %d with %q: %s", r.Status, tc.status, tc.want, r.Body)
			}
			if after := len(mustForContract(t, f, loan)); after != before {
				t.Fatalf("%d requests, was %d", after, before)
			}
		})
	}

	waived := f.waivers(cust, loan)
	id := f.requestWaiver(agent, cust, loan, "1.00", "console test: goodwill waiver "+t.Name())
	path := "/staff/approvals/" + strconv.FormatInt(id, 10)
	if r := agent.get("/staff/approvals"); r.Status != http.StatusOK || !strings.Contains(r.Body, `href="`+path+`"`) ||
		!strings.Contains(r.Body, "yours") {
		t.Fatalf("agent's queue: %d %s", r.Status, r.Body)
	}
	if r := agent.get(path); r.Status != http.StatusOK || strings.Contains(r.Body, "Approve and post") {
		t.Fatalf("agent's view of the request: %d %s", r.Status, r.Body)
	}
	if r := agent.post(path+"/approve", nil); r.Status != http.StatusForbidden {
		t.Fatalf("agent approves: %d", r.Status)
	}
	if n := f.waivers(cust, loan); n != waived {
		t.Fatalf("%d waivers after the agent's approve, want %d", n, waived)
	}

	sup := f.signIn(staff.Supervisor)
	if r := sup.get(path); r.Status != http.StatusOK || !strings.Contains(r.Body, "Approve and post") || !strings.Contains(r.Body, "/staff/customers/"+strconv.FormatInt(cust, 10)) {
		t.Fatalf("supervisor's view: %d %s", r.Status, r.Body)
	}
	if r := sup.post(path+"/approve", url.Values{"note": {"ok"}}); r.Status != http.StatusSeeOther || r.Location != path+"?done=approved" {
		t.Fatalf("approve: %d %s %s", r.Status, r.Location, r.Body)
	}
	if n := f.waivers(cust, loan); n != waived+1 {
		t.Fatalf("%d waivers after approval, want %d", n, waived+1)
	}
	r := sup.post(path+"/approve", url.Values{"note": {"ok"}})
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Already approved") {
		t.Fatalf("second approve: %d %s", r.Status, r.Body)
	}
	if n := f.waivers(cust, loan); n != waived+1 {
		t.Fatalf("%d waivers after a second approve, want %d", n, waived+1)
	}
	q, err := f.caps.Approvals.Get(t.Context(), id)
	if err != nil || q.Status != approvals.StatusApproved || q.PostedEventID == 0 {
		t.Fatalf("request: %+v %v", q, err)
	}
}

func mustForContract(t *testing.T, f *fixture, contractID int64) []approvals.Request {
	t.Helper()
	rs, err := f.caps.Approvals.ForContract(t.Context(), contractID, 0)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// testOwnRequestNotDecided: a supervisor's own request waits for another
// approver; an admin may decide it.
func testOwnRequestNotDecided(t *testing.T, f *fixture) {
	cust := f.book.PastDueCustomerID
	loan := f.loanOf(cust)
	sup := f.signIn(staff.Supervisor)
	f.openFor(staff.Supervisor, cust)
	waived := f.waivers(cust, loan)
	id := f.requestWaiver(sup, cust, loan, "1.00", "console test: own request "+t.Name())
	path := "/staff/approvals/" + strconv.FormatInt(id, 10)
	if r := sup.get(path); r.Status != http.StatusOK || strings.Contains(r.Body, "Approve and post") || !strings.Contains(r.Body, "cannot decide your own") {
		t.Fatalf("own request's page: %d %s", r.Status, r.Body)
	}
	for _, action := range []string{"approve", "reject"} {
		r := sup.post(path+"/"+action, url.Values{"note": {"mine"}})
		if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "cannot decide your own") {
			t.Fatalf("%s own request: %d %s", action, r.Status, r.Body)
		}
	}
	if q, err := f.caps.Approvals.Get(t.Context(), id); err != nil || q.Status != approvals.StatusPending {
		t.Fatalf("request: %+v %v", q, err)
	}
	if n := f.waivers(cust, loan); n != waived {
		t.Fatalf("%d waivers, want %d", n, waived)
	}
	admin := f.signIn(staff.Admin)
	if r := admin.post(path+"/reject", url.Values{"note": {"test over"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("admin rejects: %d %s", r.Status, r.Body)
	}
}

// testRejectedPostsNothing: a rejection needs a note, and posts nothing.
func testRejectedPostsNothing(t *testing.T, f *fixture) {
	cust := f.book.PastDueCustomerID
	loan := f.loanOf(cust)
	agent := f.signIn(staff.Agent)
	f.openFor(staff.Agent, cust)
	waived := f.waivers(cust, loan)
	id := f.requestWaiver(agent, cust, loan, "2.00", "console test: to reject "+t.Name())
	path := "/staff/approvals/" + strconv.FormatInt(id, 10)
	sup := f.signIn(staff.Supervisor)
	if r := sup.post(path+"/reject", url.Values{"note": {"  "}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Say why it is rejected") {
		t.Fatalf("reject without a note: %d %s", r.Status, r.Body)
	}
	if q, _ := f.caps.Approvals.Get(t.Context(), id); q.Status != approvals.StatusPending {
		t.Fatalf("status %s after a refused rejection", q.Status)
	}
	if r := sup.post(path+"/reject", url.Values{"note": {"Not eligible: second waiver this year."}}); r.Status != http.StatusSeeOther || r.Location != path+"?done=rejected" {
		t.Fatalf("reject: %d %s %s", r.Status, r.Location, r.Body)
	}
	q, err := f.caps.Approvals.Get(t.Context(), id)
	if err != nil || q.Status != approvals.StatusRejected || q.PostedEventID != 0 {
		t.Fatalf("request: %+v %v", q, err)
	}
	if n := f.waivers(cust, loan); n != waived {
		t.Fatalf("%d waivers after a rejection, want %d", n, waived)
	}
	if r := sup.post(path+"/approve", nil); r.Status != http.StatusConflict {
		t.Fatalf("approve a rejected request: %d %s", r.Status, r.Body)
	}
	if n := f.waivers(cust, loan); n != waived {
		t.Fatalf("%d waivers after approving a rejected request, want %d", n, waived)
	}
	if r := sup.get("/staff/approvals/999999999"); r.Status != http.StatusNotFound {
		t.Fatalf("unknown request: %d", r.Status)
	}
}

// testAnotherCustomersContract: every contract route of a customer
// answers 404 for a contract of another customer, and writes nothing.
func testAnotherCustomersContract(t *testing.T, f *fixture) {
	cust, other := f.book.PastDueCustomerID, f.book.LoginCustomerID
	otherLoan := f.loanOf(other)
	agent := f.signIn(staff.Agent)
	f.openFor(staff.Agent, cust)
	base := "/staff/customers/" + strconv.FormatInt(cust, 10) + "/contracts/" + strconv.FormatInt(otherLoan, 10)
	before := len(mustForContract(t, f, otherLoan))
	for _, tc := range []struct {
		method, path string
		form         url.Values
	}{
		{"GET", base + "/requests/new?kind=fee_waiver", nil},
		{"POST", base + "/requests", url.Values{"kind": {"fee_waiver"}, "amount": {"1.00"}, "reason": {"x"}}},
		{"GET", base + "/pay", nil},
		{"POST", base + "/pay", url.Values{"amount": {"1.00"}, "authorized": {"yes"}, "key": {"k"}}},
		{"GET", base + "/payoff", nil},
		{"POST", base + "/payoff", url.Values{"to": {"customer"}}},
		{"GET", base + "/payoff/PQ-00000001.pdf", nil},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			var r response
			if tc.method == "GET" {
				r = agent.get(tc.path)
			} else {
				r = agent.post(tc.path, tc.form)
			}
			if r.Status != http.StatusNotFound {
				t.Fatalf("%d, want 404", r.Status)
			}
		})
	}
	if after := len(mustForContract(t, f, otherLoan)); after != before {
		t.Fatalf("%d requests on the other customer's loan, was %d", after, before)
	}
}

// hiddenValue is the value of the form's hidden field name.
func hiddenValue(t *testing.T, body, name string) string {
	t.Helper()
	m := regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `" value="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no field %q in %s", name, body)
	}
	return m[1]
}

var eventRadio = regexp.MustCompile(`name="event" id="event-[0-9]+" value="([0-9]+)"`)

// testReversalRequestedOnce: an agent picks a posted payment to reverse;
// a second request for it while the first waits is refused; rejected,
// nothing is reversed.
func testReversalRequestedOnce(t *testing.T, f *fixture) {
	cust := f.book.PastDueCustomerID
	loan := f.loanOf(cust)
	base := "/staff/customers/" + strconv.FormatInt(cust, 10) + "/contracts/" + strconv.FormatInt(loan, 10)
	agent := f.signIn(staff.Agent)
	f.openFor(staff.Agent, cust)
	r := agent.get(base + "/requests/new?kind=payment_reversal")
	m := eventRadio.FindAllStringSubmatch(r.Body, -1)
	if r.Status != http.StatusOK || len(m) == 0 {
		t.Fatalf("reversal form: %d %s", r.Status, r.Body)
	}
	event := m[len(m)-1][1] // the oldest: other tests do not pick it
	reason := "console test: reversal " + t.Name()
	form := url.Values{"kind": {"payment_reversal"}, "event": {event}, "reason": {reason}}
	before := len(mustForContract(t, f, loan))
	if r := agent.post(base+"/requests", url.Values{"kind": {"payment_reversal"}, "reason": {reason}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, "Choose the payment") {
		t.Fatalf("no payment: %d %s", r.Status, r.Body)
	}
	if r := agent.post(base+"/requests", form); r.Status != http.StatusSeeOther {
		t.Fatalf("request: %d %s", r.Status, r.Body)
	}
	if r := agent.post(base+"/requests", form); r.Status != http.StatusConflict || !strings.Contains(r.Body, "already waiting") {
		t.Fatalf("second request: %d %s", r.Status, r.Body)
	}
	rs := mustForContract(t, f, loan)
	if len(rs) != before+1 || rs[0].Kind != approvals.PaymentReversal || strconv.FormatInt(rs[0].EventID, 10) != event {
		t.Fatalf("requests: %d (was %d), newest %+v", len(rs), before, rs[0])
	}
	sup := f.signIn(staff.Supervisor)
	path := "/staff/approvals/" + strconv.FormatInt(rs[0].ID, 10)
	if r := sup.post(path+"/reject", url.Values{"note": {"test over"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("reject: %d %s", r.Status, r.Body)
	}
	if r := agent.get(base + "/requests/new?kind=payment_reversal"); !strings.Contains(r.Body, `value="`+event+`"`) {
		t.Fatalf("the payment is no longer offered after a rejection: %s", r.Body)
	}
}
