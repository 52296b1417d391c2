package console_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"carfin/identity"
	"carfin/staff"
)

func init() { register("routes", testRoutes) }

// route is one console route as routes*.go register it, with the action
// its guard names ("" for any member, "public" for none).
type route struct {
	method, path, action string
}

var (
	handleLine = regexp.MustCompile(`mux\.Handle\("(GET|POST) ([^"]*)"((?:\s*\+\s*\w+\s*\+\s*"[^"]*")*)`)
	pathVar    = regexp.MustCompile(`(\w+) := "(/staff[^"]*)"`)
	guardOf    = regexp.MustCompile(`may\((?:staff\.(\w+)|"")\)`)
	guardVar   = regexp.MustCompile(`(\w+) := may\(staff\.(\w+)\)`)
)

// consoleRoutes reads the routes from the package's routes*.go files: a
// route added to the console cannot escape these tests.
func consoleRoutes(t *testing.T) []route {
	t.Helper()
	files, _ := filepath.Glob("routes*.go")
	var out []route
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		vars := map[string]string{}
		for _, m := range pathVar.FindAllStringSubmatch(string(src), -1) {
			vars[m[1]] = m[2]
		}
		guards := map[string]string{} // admin := may(staff.ManageStaff)
		for _, m := range guardVar.FindAllStringSubmatch(string(src), -1) {
			guards[m[1]] = m[2]
		}
		for _, line := range strings.Split(string(src), "\n") {
			line = strings.TrimSpace(line)
			if !strings.HasPrefix(line, "mux.Handle(") {
				continue
			}
			// "GET "+contract+"/pay": fold the variables in.
			for name, val := range vars {
				line = strings.ReplaceAll(line, `"+`+name+`+"`, val)
				line = strings.ReplaceAll(line, `" + `+name+` + "`, val)
			}
			m := handleLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			r := route{method: m[1], path: m[2], action: "public"}
			if g := guardOf.FindStringSubmatch(line); g != nil {
				r.action = g[1]
			}
			for name, action := range guards {
				if strings.Contains(line, ", "+name+"(") {
					r.action = action
				}
			}
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].method+out[i].path < out[j].method+out[j].path })
	if len(out) < 30 {
		t.Fatalf("read only %d routes: is the parser out of date?", len(out))
	}
	return out
}

// actions maps the guard's identifier to the action, so that a route's
// role can be chosen from the role table.
var actions = map[string]staff.Action{
	"": "", "ViewCustomer": staff.ViewCustomer, "VerifyCaller": staff.VerifyCaller, "UnlockLogin": staff.UnlockLogin,
	"ResetSecondFactor": staff.ResetSecondFactor, "EndSessions": staff.EndSessions, "ResendEnrolment": staff.ResendEnrolment,
	"ReplyMessage": staff.ReplyMessage, "CloseMessage": staff.CloseMessage, "AddNote": staff.AddNote, "TakePhonePayment": staff.TakePhonePayment,
	"IssuePayoffQuote": staff.IssuePayoffQuote, "RequestWaiver": staff.RequestWaiver, "RequestReversal": staff.RequestReversal,
	"RequestAdjustment": staff.RequestAdjustment, "RequestReturnReview": staff.RequestReturnReview, "ApproveRequest": staff.ApproveRequest,
	"RejectRequest": staff.RejectRequest, "LogComplaint": staff.LogComplaint, "ManageComplaints": staff.ManageComplaints,
	"ManageStaff": staff.ManageStaff, "ChangeSettings": staff.ChangeSettings, "ReadAudit": staff.ReadAudit,
}

// roleFor is a role that may take the action: an agent when it can.
func roleFor(t *testing.T, action string) staff.Role {
	a, ok := actions[action]
	if !ok {
		t.Fatalf("guard names unknown action %q: add it to the table", action)
	}
	for _, r := range []staff.Role{staff.Agent, staff.Supervisor, staff.Admin, staff.Auditor} {
		if a == "" || staff.Can(r, a) {
			return r
		}
	}
	t.Fatalf("no role may %s", action)
	return ""
}

// testRoutes walks every console route:
//   - signed out, and with a customer's session in the staff cookie,
//     every route but the sign-in, enrolment and asset ones goes to the
//     staff sign-in page (a customer never acts in the console);
//   - every route with an id in its path answers 404 for an id that does
//     not exist, and for a contract of another customer under a
//     customer the member has open (no IDOR);
//   - a role without a route's action gets 403.
func testRoutes(t *testing.T, f *fixture) {
	ctx := context.Background()
	routes := consoleRoutes(t)

	// A customer with online access and a live session.
	var customerID, ownContract, otherContract int64
	if err := f.d.Read.QueryRowContext(ctx, `SELECT c.id, k.id FROM customers c JOIN contracts k ON k.customer_id = c.id
		WHERE NOT EXISTS (SELECT 1 FROM logins l WHERE l.customer_id = c.id) ORDER BY c.id LIMIT 1`).Scan(&customerID, &ownContract); err != nil {
		t.Fatal(err)
	}
	if err := f.d.Read.QueryRowContext(ctx, `SELECT id FROM contracts WHERE customer_id <> $1 ORDER BY id LIMIT 1`, customerID).Scan(&otherContract); err != nil {
		t.Fatal(err)
	}
	const pw = "a customer's own passphrase 2026"
	if _, err := f.caps.Identity.CreateCustomerLogin(ctx, customerID, pw); err != nil {
		t.Fatal(err)
	}
	var email string
	if err := f.d.Read.QueryRowContext(ctx, `SELECT email FROM logins WHERE customer_id = $1`, customerID).Scan(&email); err != nil {
		t.Fatal(err)
	}
	res, err := f.caps.Identity.PasswordLogin(ctx, identity.Customer, email, pw, "", identity.Client{IP: "192.0.2.9", UserAgent: "test"})
	if err != nil || res.NeedSecondFactor {
		t.Fatalf("customer sign-in: %+v %v", res, err)
	}
	customerToken := res.Session.Token

	fill := func(path, id, contract, other string) string {
		p := strings.ReplaceAll(path, "{id}", id)
		p = strings.ReplaceAll(p, "{contract}", contract)
		p = regexp.MustCompile(`\{\w+\}`).ReplaceAllString(p, other)
		return strings.TrimSuffix(p, "{$}")
	}
	public := func(r route) bool {
		return r.action == "public"
	}

	// Signed out and as a customer.
	for _, r := range routes {
		if public(r) {
			continue
		}
		path := fill(r.path, strconv.FormatInt(customerID, 10), strconv.FormatInt(ownContract, 10), "1")
		for name, cookie := range map[string]string{"signed out": "", "customer session": customerToken} {
			req, _ := http.NewRequest(r.method, f.srv.URL+path, strings.NewReader(url.Values{"reason": {"x"}, "note": {"x"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if cookie != "" {
				req.AddCookie(&http.Cookie{Name: "carfin_staff", Value: cookie})
			}
			b := f.newBrowser()
			got := b.do(req)
			if got.Status != http.StatusSeeOther || !strings.HasPrefix(got.Location, "/staff/login") {
				t.Errorf("%s %s, %s: %d %s, want the staff sign-in page", r.method, r.path, name, got.Status, got.Location)
			}
		}
	}

	// Ids that do not exist, and another customer's contract.
	browsers := map[staff.Role]*browser{}
	as := func(role staff.Role) *browser {
		if browsers[role] == nil {
			browsers[role] = f.signIn(role)
			if _, err := f.caps.Callers.OpenForWork(ctx, f.logins[role].LoginID, customerID, "other", "route test"); err != nil {
				t.Fatal(err)
			}
		}
		return browsers[role]
	}
	withID := 0
	for _, r := range routes {
		if !strings.Contains(strings.TrimSuffix(r.path, "{$}"), "{") {
			continue
		}
		withID++
		role := roleFor(t, r.action)
		b := as(role)
		form := url.Values{"reason": {"route test"}, "note": {"route test"}, "kind": {"fee_waiver"}}
		send := func(path string) response {
			if r.method == http.MethodGet {
				return b.get(path)
			}
			return b.post(path, form)
		}
		unknown := fill(r.path, "999999999", "999999999", "999999999")
		if got := send(unknown); got.Status != http.StatusNotFound {
			t.Errorf("%s %s as %s with unknown ids (%s): %d, want 404", r.method, r.path, role, unknown, got.Status)
		}
		if strings.Contains(r.path, "{contract}") {
			other := fill(r.path, strconv.FormatInt(customerID, 10), strconv.FormatInt(otherContract, 10), "1")
			if got := send(other); got.Status != http.StatusNotFound {
				t.Errorf("%s %s as %s with another customer's contract (%s): %d, want 404", r.method, r.path, role, other, got.Status)
			}
		}
	}
	t.Logf("%d routes, %d with an id", len(routes), withID)
	if withID < 15 {
		t.Errorf("only %d routes with an id: is the parser out of date?", withID)
	}

	// A role without the action gets 403.
	for _, r := range routes {
		a := actions[r.action]
		if public(r) || a == "" {
			continue
		}
		for _, role := range []staff.Role{staff.Agent, staff.Supervisor, staff.Admin, staff.Auditor} {
			if staff.Can(role, a) {
				continue
			}
			path := fill(r.path, strconv.FormatInt(customerID, 10), strconv.FormatInt(ownContract, 10), "1")
			var got response
			if r.method == http.MethodGet {
				got = as(role).get(path)
			} else {
				got = as(role).post(path, url.Values{"reason": {"x"}})
			}
			if got.Status != http.StatusForbidden {
				t.Errorf("%s %s as %s (no %s): %d, want 403", r.method, r.path, role, a, got.Status)
			}
		}
	}
}
