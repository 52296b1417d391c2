package main

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"carfin/demo"
)

// signInForm posts a form with jar's cookies and returns the response
// (redirects not followed) and its body.
func postForm(t *testing.T, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// cookieOf is the value of the cookie name that jar holds for base.
func cookieOf(t *testing.T, jar http.CookieJar, base, name string) string {
	t.Helper()
	u, _ := url.Parse(base)
	for _, c := range jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	t.Fatalf("no cookie %s for %s", name, base)
	return ""
}

// getWith asks for path with exactly the cookies given.
func getWith(t *testing.T, base, path string, cookies map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	for k, v := range cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestStaffAndCustomerRealmsApart: with the console on a listener of
// its own (--staff-addr; the portal's listener has no /staff/ then), a
// customer's session never reaches a staff page, whichever cookie carries
// it, and a staff session never reaches a customer page. (Browsers send a
// host's cookies to every port, so the two listeners share cookies as one
// origin would. The console under /staff/ beside the portal runs the
// same handler: the console's route walk covers it.)
func TestStaffAndCustomerRealmsApart(t *testing.T) {
	r := startDemo(t, "--staff-addr", "127.0.0.1:0", "--staff-allow", "127.0.0.0/8,::1/128")
	defer r.stop(t)
	base := r.base
	if resp := getWith(t, base, "/staff/login", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("portal listener /staff/login: %d, want 404", resp.StatusCode)
	}
	m := regexp.MustCompile(`staff console on (http://\S+)/staff/`).FindStringSubmatch(r.out)
	if m == nil {
		t.Fatalf("no staff console address in:\n%s", r.out)
	}
	staffBase := m[1]

	// A customer signs in (the demo login has no second factor).
	cust := &http.Client{Jar: newJar(), Timeout: 30 * time.Second, CheckRedirect: noRedirects.CheckRedirect}
	login := regexp.MustCompile(`demo login: (\S+) (\S+)`).FindStringSubmatch(r.out)
	if login == nil {
		t.Fatalf("no demo login in:\n%s", r.out)
	}
	if resp, body := postForm(t, cust, base+"/login", url.Values{"email": {login[1]}, "password": {login[2]}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("customer sign-in: %d %s", resp.StatusCode, body)
	}
	custToken := cookieOf(t, cust.Jar, base, "carfin_session")

	// A staff agent signs in with password and authenticator code.
	staffLine := regexp.MustCompile(`demo staff totp: (agent@\S+) (\S+)`).FindStringSubmatch(r.out)
	pw := regexp.MustCompile(`demo staff login: agent@\S+ (\S+)`).FindStringSubmatch(r.out)
	if staffLine == nil || pw == nil {
		t.Fatalf("no demo agent in:\n%s", r.out)
	}
	agent := &http.Client{Jar: newJar(), Timeout: 30 * time.Second, CheckRedirect: noRedirects.CheckRedirect}
	if resp, body := postForm(t, agent, staffBase+"/staff/login", url.Values{"email": {staffLine[1]}, "password": {pw[1]}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("staff password: %d %s", resp.StatusCode, body)
	}
	code, err := demo.StaffCode(staffLine[2], time.Now().Add(30*time.Second)) // enrolment spent the current step
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := postForm(t, agent, staffBase+"/staff/login/2fa", url.Values{"code": {code}}); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/staff/" {
		t.Fatalf("staff code: %d %s %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	staffToken := cookieOf(t, agent.Jar, staffBase, "carfin_staff")

	// Each works in its own realm.
	if resp := getWith(t, staffBase, "/staff/", map[string]string{"carfin_staff": staffToken}); resp.StatusCode != http.StatusOK {
		t.Fatalf("staff home with the staff cookie: %d", resp.StatusCode)
	}
	if resp := getWith(t, base, "/", map[string]string{"carfin_session": custToken}); resp.StatusCode != http.StatusOK {
		t.Fatalf("dashboard with the customer cookie: %d", resp.StatusCode)
	}
	// And never in the other.
	for _, path := range []string{"/staff/", "/staff/customers?q=Okafor", "/staff/messages", "/staff/approvals"} {
		for _, cookies := range []map[string]string{{"carfin_session": custToken}, {"carfin_staff": custToken}} {
			resp := getWith(t, staffBase, path, cookies)
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/staff/login") {
				t.Errorf("%s with a customer session in %v: %d %s", path, cookies, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
	}
	for _, path := range []string{"/", "/payments", "/profile", "/messages", "/security"} {
		for _, cookies := range []map[string]string{{"carfin_session": staffToken}, {"carfin_staff": staffToken}} {
			resp := getWith(t, base, path, cookies)
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
				t.Errorf("%s with a staff session in %v: %d %s", path, cookies, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
	}
	// The staff session survived being offered to the portal.
	if resp := getWith(t, staffBase, "/staff/", map[string]string{"carfin_staff": staffToken}); resp.StatusCode != http.StatusOK {
		t.Errorf("staff home afterwards: %d", resp.StatusCode)
	}
}
