package console_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"carfin/staff"
)

func init() { register("complaints", testComplaints) }

var lastField = regexp.MustCompile(`name="last" value="(-?[0-9]+)"`)

// testComplaints: an agent logs a complaint against a customer (once,
// however often the form is sent; bad input refused at its field with
// nothing written) and sees it in the queue; a supervisor acknowledges
// and closes it, the closing only with a resolution; an agent may not,
// and neither an admin nor an auditor sees complaints; unknown ids are
// 404.
func testComplaints(t *testing.T, f *fixture) {
	ctx := t.Context()
	cust := f.book.PastDueCustomerID
	var contract, otherContract int64
	if err := f.d.Read.QueryRowContext(ctx, `SELECT min(id) FROM contracts WHERE customer_id = $1`, cust).Scan(&contract); err != nil {
		t.Fatal(err)
	}
	if err := f.d.Read.QueryRowContext(ctx, `SELECT min(id) FROM contracts WHERE customer_id = $1`, f.book.LoginCustomerID).Scan(&otherContract); err != nil {
		t.Fatal(err)
	}
	ofCustomer := func() int { return f.count(`SELECT count(*) FROM complaints WHERE customer_id = $1`, cust) }
	agent := f.signIn(staff.Agent)
	newPath := fmt.Sprintf("/staff/customers/%d/complaints/new", cust)
	r := agent.get(newPath)
	m := lastField.FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || m == nil || !strings.Contains(r.Body, "Credit reporting") || !strings.Contains(r.Body, fmt.Sprintf(`value="%d"`, contract)) {
		t.Fatalf("new complaint form: %d %s", r.Status, r.Body)
	}
	description := fmt.Sprintf("The customer says the payoff letter %d showed the wrong amount.", f.d.Now().UnixNano())
	good := url.Values{"category": {"billing"}, "channel": {"phone"}, "contract": {fmt.Sprint(contract)}, "description": {description},
		"last": {m[1]}}
	with := func(k, v string) url.Values { return withField(good, k, v) }
	before := ofCustomer()
	create := fmt.Sprintf("/staff/customers/%d/complaints", cust)
	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no category", with("category", ""), "Choose what the complaint is about."},
		{"unknown channel", with("channel", "pigeon"), "Choose how the complaint reached us."},
		{"another customer's contract", with("contract", fmt.Sprint(otherContract)), "one of the customer&#39;s contracts"},
		{"not a contract", with("contract", "abc"), "one of the customer&#39;s contracts"},
		{"no description", with("description", "  "), "Describe the complaint"},
		{"too long", with("description", strings.Repeat("x", 4001)), "too long"},
		{"received in the future", with("received", f.book.Today.AddDays(30).String()), "cannot be in the future"},
		{"received long ago", with("received", f.book.Today.AddDays(-400).String()), "more than a year ago"},
		{"not a date", with("received", "yesterday"), "YYYY-MM-DD"},
	} {
		r := agent.post(create, tc.form)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, tc.want) || !strings.Contains(r.Body, "field-error") {
			t.Errorf("%s: %d, want 422 with %q", tc.name, r.Status, tc.want)
		}
	}
	if n := ofCustomer(); n != before {
		t.Fatalf("refused complaints were written: %d, want %d", n, before)
	}
	var path string
	for i := range 2 { // a double submit logs one
		r := agent.post(create, good)
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/staff/complaints/") || !strings.HasSuffix(r.Location, "?done=complaint") {
			t.Fatalf("log: %d %s %s", r.Status, r.Location, r.Body)
		}
		if i == 1 && strings.TrimSuffix(r.Location, "?done=complaint") != path {
			t.Errorf("the second submit went to %s, not %s", r.Location, path)
		}
		path = strings.TrimSuffix(r.Location, "?done=complaint")
	}
	if n := ofCustomer(); n != before+1 {
		t.Fatalf("complaints after a double submit: %d, want %d", n, before+1)
	}
	id := strings.TrimPrefix(path, "/staff/complaints/")
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'complaint.log' AND actor = $1 AND details LIKE $2`,
		fmt.Sprintf("staff:%d", f.logins[staff.Agent].LoginID), `%"complaint":"`+id+`"%`); n != 1 {
		t.Errorf("logging audited %d times, want 1", n)
	}
	if r := agent.get("/staff/complaints"); r.Status != http.StatusOK || !strings.Contains(r.Body, `href="`+path+`"`) {
		t.Errorf("queue lacks the complaint: %d", r.Status)
	}
	r = agent.get(path + "?done=complaint")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Complaint logged.") || !strings.Contains(r.Body, description) {
		t.Errorf("complaint page: %d", r.Status)
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'customer.view' AND subject = $1 AND details LIKE $2`,
		fmt.Sprintf("customer:%d", cust), `%"page":"complaint:`+id+`"%`); n == 0 {
		t.Errorf("opening the complaint was not audited")
	}
	if strings.Contains(r.Body, path+"/acknowledge") || strings.Contains(r.Body, path+"/close") {
		t.Errorf("an agent is offered the supervisor's forms")
	}
	status := func() string {
		var s string
		if err := f.d.Read.QueryRowContext(ctx, `SELECT status FROM complaints WHERE id = $1`, id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}

	// Only a supervisor acknowledges and closes.
	for _, p := range []string{"/acknowledge", "/close"} {
		if r := agent.post(path+p, url.Values{"note": {"x"}, "resolution": {"x"}}); r.Status != http.StatusForbidden {
			t.Errorf("agent %s: %d", p, r.Status)
		}
	}
	sup := f.signIn(staff.Supervisor)
	if r := sup.get(path); !strings.Contains(r.Body, path+"/acknowledge") || !strings.Contains(r.Body, path+"/close") {
		t.Errorf("the supervisor lacks the forms")
	}
	if r := sup.post(path+"/close", url.Values{"resolution": {"  "}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Write the resolution") {
		t.Errorf("close without a resolution: %d", r.Status)
	}
	if r := sup.post(path+"/acknowledge", url.Values{"note": {""}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "what the customer was told") {
		t.Errorf("acknowledge without a note: %d", r.Status)
	}
	if s := status(); s != "open" {
		t.Fatalf("refused changes changed the complaint: %s", s)
	}
	for range 2 {
		if r := sup.post(path+"/acknowledge", url.Values{"note": {"Called the customer; told them we are checking the letter."}}); r.Status != http.StatusSeeOther ||
			r.Location != path+"?done=acknowledged" {
			t.Fatalf("acknowledge: %d %s %s", r.Status, r.Location, r.Body)
		}
	}
	if s := status(); s != "acknowledged" {
		t.Errorf("after acknowledging: %s", s)
	}
	for range 2 {
		if r := sup.post(path+"/close", url.Values{"resolution": {"The letter was wrong; a corrected one was sent."}}); r.Status != http.StatusSeeOther ||
			r.Location != path+"?done=resolved" {
			t.Fatalf("close: %d %s %s", r.Status, r.Location, r.Body)
		}
	}
	if n := f.count(`SELECT count(*) FROM complaints WHERE id = $1 AND status = 'closed' AND resolution = 'The letter was wrong; a corrected one was sent.'`, id); n != 1 {
		t.Errorf("not closed with its resolution")
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'complaint.close' AND actor = $1 AND details LIKE $2`,
		fmt.Sprintf("staff:%d", f.logins[staff.Supervisor].LoginID), `%"complaint":"`+id+`"%`); n != 1 {
		t.Errorf("closing audited %d times, want 1", n)
	}
	if r := sup.post(path+"/acknowledge", url.Values{"note": {"late"}}); r.Status != http.StatusConflict {
		t.Errorf("acknowledging a closed complaint: %d", r.Status)
	}
	if r := sup.get("/staff/complaints"); strings.Contains(r.Body, `href="`+path+`"`) {
		t.Errorf("the queue lists a closed complaint")
	}

	// Roles and unknown ids.
	admin, auditor := f.signIn(staff.Admin), f.signIn(staff.Auditor)
	for _, tc := range []struct {
		name   string
		b      *browser
		method string
		path   string
		want   int
	}{
		{"admin queue", admin, http.MethodGet, "/staff/complaints", http.StatusForbidden},
		{"auditor queue", auditor, http.MethodGet, "/staff/complaints", http.StatusForbidden},
		{"auditor logs", auditor, http.MethodPost, create, http.StatusForbidden},
		{"unknown complaint", sup, http.MethodGet, "/staff/complaints/99999999", http.StatusNotFound},
		{"not a number", sup, http.MethodGet, "/staff/complaints/abc", http.StatusNotFound},
		{"acknowledge unknown", sup, http.MethodPost, "/staff/complaints/99999999/acknowledge", http.StatusNotFound},
		{"close unknown", sup, http.MethodPost, "/staff/complaints/99999999/close", http.StatusNotFound},
		{"unknown customer's form", agent, http.MethodGet, "/staff/customers/99999999/complaints/new", http.StatusNotFound},
		{"log for an unknown customer", agent, http.MethodPost, "/staff/customers/99999999/complaints", http.StatusNotFound},
	} {
		var r response
		if tc.method == http.MethodGet {
			r = tc.b.get(tc.path)
		} else {
			r = tc.b.post(tc.path, good)
		}
		if r.Status != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, r.Status, tc.want)
		}
	}
	if n := ofCustomer(); n != before+1 {
		t.Errorf("complaints after refusals: %d", n)
	}
}

func init() { register("browser-complaints", testBrowserComplaints) }

// testBrowserComplaints walks the complaint pages in Chromium (axe and
// the layout checks at phone and desktop widths): an agent logs one,
// first without a category; a supervisor sees the queue and closes it,
// first without a resolution.
func testBrowserComplaints(t *testing.T, f *fixture) {
	cust := strconv.FormatInt(f.book.PastDueCustomerID, 10)
	b := browserSignIn(t, f, staff.Agent)
	b.Go("/staff/customers/" + cust + "/complaints/new")
	check(t, b, "complaint-new")
	b.Fill("#description", "Browser test: the customer says a payment was applied a day late.")
	b.Click(`form[action$="/complaints"] button[type=submit]`)
	b.WaitFor(".error-summary")
	check(t, b, "complaint-new-error")
	b.Fill("#category", "payments")
	b.Fill("#channel", "phone")
	b.Click(`form[action$="/complaints"] button[type=submit]`)
	b.WaitFor(".notice")
	loc, err := url.Parse(b.Location())
	if err != nil || !strings.HasPrefix(loc.Path, "/staff/complaints/") {
		t.Fatalf("after logging: %s", b.Location())
	}
	path := loc.Path

	sup := browserSignIn(t, f, staff.Supervisor)
	sup.Go("/staff/complaints")
	check(t, sup, "complaints")
	sup.Go(path)
	check(t, sup, "complaint")
	sup.Click(`form[action$="/close"] button[type=submit]`)
	sup.WaitFor(".error-summary")
	check(t, sup, "complaint-close-error")
	sup.Fill("#resolution", "Browser test: the payment was applied on its date; explained to the customer.")
	sup.Click(`form[action$="/close"] button[type=submit]`)
	sup.WaitFor(".notice")
	id := strings.TrimPrefix(path, "/staff/complaints/")
	if n := f.count(`SELECT count(*) FROM complaints WHERE id = $1 AND status = 'closed'`, id); n != 1 {
		t.Errorf("complaint %s not closed by the browser", id)
	}
}
