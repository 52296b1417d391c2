package console_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"carfin/demo"
	"carfin/identity"
	"carfin/internal/browsertest"
	"carfin/staff"
)

func init() { register("team", testTeam) }

var enrolLinkRe = regexp.MustCompile(`href="(/staff/enrol\?token=[A-Za-z0-9_-]+)"`)

// testTeam: an admin adds a member and is shown the enrolment link once,
// which opens the enrolment page; the member enrols and signs in; the
// admin changes their role, disables them (they are put out at once) and
// enables them, each only with a reason; a new link for a pending member
// ends the old one; bad input is refused at its field with nothing
// written; no one but an admin reaches the pages; unknown ids are 404.
func testTeam(t *testing.T, f *fixture) {
	ctx := t.Context()
	for _, role := range []staff.Role{staff.Agent, staff.Supervisor, staff.Auditor} {
		b := f.signIn(role)
		if r := b.get("/staff/team"); r.Status != http.StatusForbidden {
			t.Errorf("%s lists staff: %d", role, r.Status)
		}
		if r := b.post("/staff/team", url.Values{"email": {"x@northwind.example"}, "role": {"admin"}, "reason": {"x"}}); r.Status != http.StatusForbidden {
			t.Errorf("%s adds staff: %d", role, r.Status)
		}
	}
	admin := f.signIn(staff.Admin)
	if r := admin.get("/staff/team"); r.Status != http.StatusOK || !strings.Contains(r.Body, f.logins[staff.Agent].Email) {
		t.Fatalf("team: %d", r.Status)
	}
	members := func() int { return f.count(`SELECT count(*) FROM staff_members`) }
	stamp := f.d.Now().UnixNano()
	email := fmt.Sprintf("new.agent.%d@northwind.example", stamp)
	good := url.Values{"email": {email}, "name": {"New Agent"}, "role": {"agent"}, "reason": {"new hire, servicing team"}}
	with := func(k, v string) url.Values { return withField(good, k, v) }
	before := members()
	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no email", with("email", ""), "Enter a work email address"},
		{"not an email", with("email", "new agent"), "Enter a work email address"},
		{"no role", with("role", ""), "Choose a role."},
		{"unknown role", with("role", "owner"), "Choose a role."},
		{"no reason", with("reason", " "), "Give the reason"},
		{"reason too long", with("reason", strings.Repeat("x", 501)), "The reason is too long"},
		{"an existing member's email", with("email", f.logins[staff.Agent].Email), "has this email already"},
	} {
		r := admin.post("/staff/team", tc.form)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, tc.want) || !strings.Contains(r.Body, "field-error") {
			t.Errorf("add, %s: %d, want 422 with %q", tc.name, r.Status, tc.want)
		}
	}
	if n := members(); n != before {
		t.Fatalf("refused additions were written: %d, want %d", n, before)
	}

	// Add: the link is shown once; the same form again adds no one.
	r := admin.post("/staff/team", good)
	m := enrolLinkRe.FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || m == nil || !strings.Contains(r.Body, "Send this link to the new member") {
		t.Fatalf("add: %d %s", r.Status, r.Body)
	}
	link := m[1]
	token := strings.TrimPrefix(link, "/staff/enrol?token=")
	if r := admin.post("/staff/team", good); r.Status != http.StatusUnprocessableEntity || strings.Contains(r.Body, "/staff/enrol?token=") {
		t.Errorf("add twice: %d", r.Status)
	}
	if n := members(); n != before+1 {
		t.Fatalf("members after adding: %d, want %d", n, before+1)
	}
	if r := f.newBrowser().get(link); r.Status != http.StatusOK || !strings.Contains(r.Body, "Set up your staff account") {
		t.Fatalf("enrolment link: %d", r.Status)
	}
	var id int64
	if err := f.d.Read.QueryRowContext(ctx, `SELECT id FROM logins WHERE email = $1`, email).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'staff.add' AND actor = $1 AND subject = $2 AND ip <> ''`,
		fmt.Sprintf("staff:%d", f.logins[staff.Admin].LoginID), fmt.Sprintf("login:%d", id)); n != 1 {
		t.Errorf("adding audited %d times with the admin and address, want 1", n)
	}

	// The member enrols and signs in.
	setup, err := f.caps.Staff.EnrolmentTOTP(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := demo.StaffCode(setup.Secret, f.d.Now())
	if _, err := f.caps.Staff.Enrol(ctx, token, staffPassword, code, identity.Client{IP: "127.0.0.1", Lang: "en"}); err != nil {
		t.Fatal(err)
	}
	member := f.newBrowser()
	if r := member.post("/staff/login", url.Values{"email": {email}, "password": {staffPassword}}); r.Status != http.StatusSeeOther {
		t.Fatalf("new member password: %d", r.Status)
	}
	f.clock.Add(31 * time.Second)
	code, _ = demo.StaffCode(setup.Secret, f.d.Now())
	if r := member.post("/staff/login/2fa", url.Values{"code": {code}}); r.Location != "/staff/" {
		t.Fatalf("new member code: %d %s", r.Status, r.Location)
	}
	if r := member.get("/staff/"); r.Status != http.StatusOK {
		t.Fatalf("new member home: %d", r.Status)
	}

	// Changes need a reason; each is audited; twice is harmless.
	page := fmt.Sprintf("/staff/team/%d", id)
	status := func() string {
		var s string
		if err := f.d.Read.QueryRowContext(ctx, `SELECT status || ' ' || role FROM staff_members WHERE login_id = $1`, id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if r := admin.get(page); r.Status != http.StatusOK || !strings.Contains(r.Body, email) {
		t.Fatalf("member page: %d", r.Status)
	}
	for _, tc := range []struct {
		name, path string
		form       url.Values
		want       string
	}{
		{"disable without a reason", "/disable", url.Values{}, "Give the reason"},
		{"role without a reason", "/role", url.Values{"role": {"auditor"}}, "Give the reason"},
		{"unknown role", "/role", url.Values{"role": {"owner"}, "reason": {"x"}}, "Choose a role."},
		{"the same role", "/role", url.Values{"role": {"agent"}, "reason": {"x"}}, "this role already"},
		{"a link for an enrolled member", "/resend", url.Values{"reason": {"lost it"}}, "enrolled already"},
	} {
		if r := admin.post(page+tc.path, tc.form); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, tc.want) {
			t.Errorf("%s: %d, want 422 with %q", tc.name, r.Status, tc.want)
		}
	}
	if s := status(); s != "active agent" {
		t.Fatalf("refused changes changed the member: %s", s)
	}
	if r := admin.post(page+"/role", url.Values{"role": {"supervisor"}, "reason": {"promoted"}}); r.Status != http.StatusSeeOther || r.Location != page+"?done=staff_changed" {
		t.Errorf("role: %d %s", r.Status, r.Location)
	}
	for range 2 {
		if r := admin.post(page+"/disable", url.Values{"reason": {"left the company"}}); r.Status != http.StatusSeeOther || r.Location != page+"?done=staff_changed" {
			t.Fatalf("disable: %d %s %s", r.Status, r.Location, r.Body)
		}
	}
	if s := status(); s != "disabled supervisor" {
		t.Errorf("after role and disable: %s", s)
	}
	if r := member.get("/staff/"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/staff/login") {
		t.Errorf("a disabled member was let in: %d %s", r.Status, r.Location)
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE action = 'staff.disable' AND subject = $1 AND details LIKE '%left the company%'`,
		fmt.Sprintf("login:%d", id)); n != 1 {
		t.Errorf("disabling audited %d times, want 1", n)
	}
	if r := admin.post(page+"/enable", url.Values{"reason": {"came back"}}); r.Status != http.StatusSeeOther {
		t.Errorf("enable: %d", r.Status)
	}
	if s := status(); s != "active supervisor" {
		t.Errorf("after enable: %s", s)
	}

	// The admin's own account, and a new link for a pending member.
	self := fmt.Sprintf("/staff/team/%d", f.logins[staff.Admin].LoginID)
	if r := admin.post(self+"/disable", url.Values{"reason": {"x"}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "your own account") {
		t.Errorf("disable oneself: %d", r.Status)
	}
	r = admin.post("/staff/team", with("email", fmt.Sprintf("pending.%d@northwind.example", stamp)))
	first := enrolLinkRe.FindStringSubmatch(r.Body)
	if first == nil {
		t.Fatalf("second add: %d", r.Status)
	}
	var pending int64
	if err := f.d.Read.QueryRowContext(ctx, `SELECT id FROM logins WHERE email = $1`, fmt.Sprintf("pending.%d@northwind.example", stamp)).Scan(&pending); err != nil {
		t.Fatal(err)
	}
	resend := fmt.Sprintf("/staff/team/%d/resend", pending)
	if r := admin.post(resend, url.Values{}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Give the reason") {
		t.Errorf("resend without a reason: %d", r.Status)
	}
	r = admin.post(resend, url.Values{"reason": {"link expired"}})
	second := enrolLinkRe.FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || second == nil || second[1] == first[1] {
		t.Fatalf("resend: %d", r.Status)
	}
	anon := f.newBrowser()
	if r := anon.get(first[1]); r.Status != http.StatusNotFound {
		t.Errorf("the old link still works: %d", r.Status)
	}
	if r := anon.get(second[1]); r.Status != http.StatusOK {
		t.Errorf("the new link: %d", r.Status)
	}

	// Unknown ids.
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/staff/team/99999999"},
		{http.MethodGet, "/staff/team/abc"},
		{http.MethodPost, "/staff/team/99999999/disable"},
		{http.MethodPost, "/staff/team/99999999/enable"},
		{http.MethodPost, "/staff/team/99999999/role"},
		{http.MethodPost, "/staff/team/99999999/resend"},
	} {
		var r response
		if tc.method == http.MethodGet {
			r = admin.get(tc.path)
		} else {
			r = admin.post(tc.path, url.Values{"reason": {"x"}, "role": {"auditor"}})
		}
		if r.Status != http.StatusNotFound {
			t.Errorf("%s %s: %d, want 404", tc.method, tc.path, r.Status)
		}
	}
}

func init() { register("browser-team", testBrowserTeam) }

// testBrowserTeam walks the staff pages in Chromium (axe and the layout
// checks at phone and desktop widths): an admin adds a member, first
// without a reason, is shown the link, and opens the member's page.
func testBrowserTeam(t *testing.T, f *fixture) {
	b := browserSignIn(t, f, staff.Admin)
	b.Go("/staff/team")
	check(t, b, "team")
	b.Fill("#email", fmt.Sprintf("browser.%d@northwind.example", f.d.Now().UnixNano()))
	b.Fill("#name", "Browser Test")
	b.Fill("#role", "auditor")
	b.Click(`form[action="/staff/team"] button[type=submit]`)
	b.WaitFor(".error-summary")
	check(t, b, "team-add-error")
	b.Fill("#reason", "Browser test: external auditor")
	b.Click(`form[action="/staff/team"] button[type=submit]`)
	b.WaitFor("#link")
	check(t, b, "team-link")
	if link := browsertest.Eval[string](b, `document.querySelector("#link").value`); !strings.Contains(link, "/staff/enrol?token=") {
		t.Errorf("the link page shows %q", link)
	}
	b.Click(`a[href^="/staff/team/"]`)
	b.WaitFor(`form[action$="/resend"]`)
	check(t, b, "team-member")
}
