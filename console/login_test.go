package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"carfin/demo"
	"carfin/staff"
)

func init() { register("sign-in", testStaffSignIn) }

// testStaffSignIn: a staff member signs in with password and code and
// sees the work queues their role works; a wrong password, an unknown
// address and a customer's address get the same refusal; the session
// ends after 10 idle minutes; a disabled member is put out at once.
func testStaffSignIn(t *testing.T, f *fixture) {
	d := f.d
	{

		anon := f.newBrowser()
		if r := anon.get("/staff/"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/staff/login") {
			t.Fatalf("signed out home: %d %s", r.Status, r.Location)
		}
		var refusals []string
		for _, tc := range []struct{ name, email, password string }{
			{"wrong password", f.logins[staff.Agent].Email, "not-the-password-at-all"},
			{"unknown address", "nobody@northwind.example", staffPassword},
			{"a customer's address", f.book.LoginEmail, "demo-password"},
		} {
			r := anon.post("/staff/login", url.Values{"email": {tc.email}, "password": {tc.password}})
			if r.Status != http.StatusUnauthorized {
				t.Errorf("%s: %d %s", tc.name, r.Status, r.Location)
			}
			refusals = append(refusals, strings.ReplaceAll(r.Body, tc.email, ""))
		}
		for i := range refusals[1:] {
			if stripNonce(refusals[i+1]) != stripNonce(refusals[0]) {
				t.Errorf("refusal %d differs from the first: enumeration", i+1)
			}
		}

		queues := map[staff.Role][]string{
			staff.Agent:      {"Unanswered messages", "Requests awaiting approval", "Returns awaiting review", "Complaints by deadline", "Locked out now"},
			staff.Supervisor: {"Unanswered messages", "Requests awaiting approval", "Complaints by deadline"},
			staff.Admin:      {"Requests awaiting approval"},
			staff.Auditor:    {},
		}
		for role, want := range queues {
			b := f.signIn(role)
			r := b.get("/staff/")
			if r.Status != http.StatusOK {
				t.Fatalf("%s home: %d", role, r.Status)
			}
			for _, q := range want {
				if !strings.Contains(r.Body, q) {
					t.Errorf("%s home lacks %q", role, q)
				}
			}
			if role == staff.Auditor && strings.Contains(r.Body, "Unanswered messages") {
				t.Errorf("auditor sees the message queue")
			}
		}

		// Idle: 10 minutes without a request ends the session.
		b := f.signIn(staff.Agent)
		f.clock.Add(9 * time.Minute)
		if r := b.get("/staff/"); r.Status != http.StatusOK {
			t.Fatalf("after 9 idle minutes: %d", r.Status)
		}
		f.clock.Add(10*time.Minute + time.Second)
		if r := b.get("/staff/"); r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "ended=1") {
			t.Errorf("after 10 idle minutes: %d %s", r.Status, r.Location)
		}

		// Disabled: the next request is refused and signs out.
		b = f.signIn(staff.Supervisor)
		admin := staff.Actor{LoginID: f.logins[staff.Admin].LoginID}
		if err := f.caps.Staff.Disable(t.Context(), admin, f.logins[staff.Supervisor].LoginID, "left the company"); err != nil {
			t.Fatal(err)
		}
		if r := b.get("/staff/"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/staff/login") {
			t.Errorf("disabled member: %d %s", r.Status, r.Location)
		}
		// Nor can they sign in again, even with both factors right.
		nb := f.newBrowser()
		l := f.logins[staff.Supervisor]
		if r := nb.post("/staff/login", url.Values{"email": {l.Email}, "password": {staffPassword}}); r.Status == http.StatusSeeOther {
			f.clock.Add(31 * time.Second)
			code, _ := demo.StaffCode(l.Secret, d.Now())
			if r := nb.post("/staff/login/2fa", url.Values{"code": {code}}); r.Location == "/staff/" {
				t.Errorf("a disabled member signed in")
			}
			if r := nb.get("/staff/"); r.Status != http.StatusSeeOther {
				t.Errorf("a disabled member reached the home page: %d", r.Status)
			}
		}
		if err := f.caps.Staff.Enable(t.Context(), admin, f.logins[staff.Supervisor].LoginID, "back"); err != nil {
			t.Fatal(err)
		}
	}
}

// stripNonce removes the per-request CSP nonce from a page.
func stripNonce(s string) string {
	if i := strings.Index(s, `nonce="`); i >= 0 {
		if j := strings.Index(s[i+7:], `"`); j >= 0 {
			return s[:i] + s[i+7+j:]
		}
	}
	return s
}
