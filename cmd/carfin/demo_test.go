package main

import (
	"bufio"
	"context"
	"database/sql"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"carfin/db"
	"carfin/demo"
	"carfin/identity"
	"carfin/keyring"
	"carfin/staff"
)

// demoRun is a `carfin demo` serving in the background.
type demoRun struct {
	out    string // what it printed up to "listening on"
	base   string // the address it said it listens on
	cancel context.CancelFunc
	done   chan error
}

// startDemo runs `carfin demo` until it listens.
func startDemo(t *testing.T, args ...string) *demoRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	r := &demoRun{cancel: cancel, done: make(chan error, 1)}
	go func() {
		r.done <- run(ctx, append([]string{"carfin", "demo"}, args...), func(string) string { return "" }, strings.NewReader(""), pw, io.Discard)
		pw.Close()
	}()
	var out strings.Builder
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		if i := strings.Index(line, " listening on "); i >= 0 {
			r.base = strings.Fields(line[i+len(" listening on "):])[0]
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	r.out = out.String()
	if r.base == "" {
		cancel()
		t.Fatalf("demo did not start: %v\n%s", <-r.done, r.out)
	}
	return r
}

func (r *demoRun) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	if err := <-r.done; err != nil {
		t.Errorf("demo exited with %v", err)
	}
}

func newJar() http.CookieJar {
	jar, _ := cookiejar.New(nil)
	return jar
}

// noRedirects is a client that reports redirects instead of following them.
var noRedirects = &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// TestDemoOneOriginAndRestart: `carfin demo` prints one origin, and its
// seeded emails link to it, the card processor sends the browser back to
// it and the loopback address moves to it. Run again on the same --data,
// it finds the demo customers by their addresses — not the lowest
// customer with a login, which is now the past-due one — and prints both
// logins and the business date; each signs in as its customer, and the
// demo payments stay with the demo login's customer.
func TestDemoOneOriginAndRestart(t *testing.T) {
	dir := t.TempDir()
	first := startDemo(t, "--data", dir, "--addr", "127.0.0.1:0")
	base := first.base
	if !regexp.MustCompile(`^http://localhost:[1-9][0-9]*$`).MatchString(base) {
		t.Fatalf("base %q", base)
	}
	for _, want := range []string{"building the Northwind Motor Finance demo book", "(business date 20",
		"\ndemo login: " + demo.LoginEmail + " " + demoPassword + "\n", "\npast-due login: " + demo.PastDueEmail + " " + demoPassword + " ",
		"\nsign in at " + base + "/login\n"} {
		if !strings.Contains(first.out, want) {
			t.Errorf("the demo did not print %q:\n%s", want, first.out)
		}
	}

	staffKeys := demoStaffLines(t, first.out)

	// The seeded emails link to the portal where it listens.
	raw, err := sql.Open("sqlite", filepath.Join(dir, "carfin.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(`SELECT kind, body_text FROM outbox`)
	if err != nil {
		t.Fatal(err)
	}
	links := 0
	for rows.Next() {
		var kind, body string
		if err := rows.Scan(&kind, &body); err != nil {
			t.Fatal(err)
		}
		for _, l := range linkRE.FindAllString(body, -1) {
			links++
			if !strings.HasPrefix(l, base+"/") && l != base {
				t.Errorf("%s links to %s, not to %s", kind, l, base)
			}
		}
	}
	rows.Close()
	if links < 3 {
		t.Errorf("only %d links in the demo's emails", links)
	}

	// The card processor sends the browser back to the same origin, and
	// to no other.
	card := url.Values{"number": {"4242424242424242"}, "exp_month": {"8"}, "exp_year": {"2031"}, "cvc": {"123"},
		"redirect_uri": {base + "/payment-methods/card/new"}}
	resp, err := noRedirects.PostForm(base+tokenizerPath+"/tokens", card)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, base+"/payment-methods/card/new?card_token=") {
		t.Errorf("the processor answered %d %q", resp.StatusCode, loc)
	}
	port := strings.TrimPrefix(base, "http://localhost:")
	card.Set("redirect_uri", "http://127.0.0.1:"+port+"/payment-methods/card/new")
	if resp, err = noRedirects.PostForm(base+tokenizerPath+"/tokens", card); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("the processor redirects to the loopback address: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// A page asked for at the loopback address moves to the one origin.
	if resp, err = noRedirects.Get("http://127.0.0.1:" + port + "/payment-methods/card/new"); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusTemporaryRedirect || loc != base+"/payment-methods/card/new" {
		t.Errorf("127.0.0.1 answered %d %q", resp.StatusCode, loc)
	}
	first.stop(t)

	// Again on the same data: the past-due customer's login is now the
	// lowest customer id with a login.
	var pastDue, login int64
	if err := raw.QueryRow(`SELECT id FROM customers WHERE email = $1`, demo.PastDueEmail).Scan(&pastDue); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRow(`SELECT id FROM customers WHERE email = $1`, demo.LoginEmail).Scan(&login); err != nil {
		t.Fatal(err)
	}
	var lowest int64
	if err := raw.QueryRow(`SELECT min(customer_id) FROM logins`).Scan(&lowest); err != nil || lowest != pastDue || login == pastDue {
		t.Fatalf("lowest customer with a login %d, past due %d, demo login %d: %v", lowest, pastDue, login, err)
	}
	second := startDemo(t, "--data", dir, "--addr", "127.0.0.1:0")
	defer second.stop(t)
	if strings.Contains(second.out, "building") {
		t.Errorf("the book was built again:\n%s", second.out)
	}
	for _, want := range []string{"Northwind Motor Finance: 51 customers, 52 contracts", "(business date 20",
		"\ndemo login: " + demo.LoginEmail + " " + demoPassword + "\n", "\npast-due login: " + demo.PastDueEmail + " " + demoPassword + " ",
		"\nsign in at " + second.base + "/login\n"} {
		if !strings.Contains(second.out, want) {
			t.Errorf("the second run did not print %q:\n%s", want, second.out)
		}
	}
	if again := demoStaffLines(t, second.out); !maps.Equal(again, staffKeys) {
		t.Errorf("the second run printed other staff keys: %v, first %v", again, staffKeys)
	}
	demoQueues(t, raw)
	demoStaffSignIn(t, dir, staffKeys)
	for _, who := range []struct {
		email, sees string
	}{{demo.LoginEmail, "NW-100001"}, {demo.PastDueEmail, "NW-100004"}} {
		client := &http.Client{Jar: newJar(), Timeout: 30 * time.Second}
		resp, err := client.PostForm(second.base+"/login", url.Values{"email": {who.email}, "password": {demoPassword}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/" || !strings.Contains(string(body), who.sees) {
			t.Errorf("%s: %d at %s, want the dashboard with %s", who.email, resp.StatusCode, resp.Request.URL, who.sees)
		}
	}
	var methods int
	if err := raw.QueryRow(`SELECT count(*) FROM payment_methods WHERE customer_id = $1`, pastDue).Scan(&methods); err != nil || methods != 0 {
		t.Errorf("the past-due customer has %d payment methods: %v", methods, err)
	}
	if err := raw.QueryRow(`SELECT count(*) FROM payment_methods WHERE customer_id = $1`, login).Scan(&methods); err != nil || methods != 2 {
		t.Errorf("the demo login's customer has %d payment methods: %v", methods, err)
	}
}

// demoStaffLines checks that out has a staff login and an authenticator
// key for each role, and returns the keys by address.
func demoStaffLines(t *testing.T, out string) map[string]string {
	t.Helper()
	keys := map[string]string{}
	for _, role := range staff.Roles {
		email := string(role) + "@northwind.example"
		if !strings.Contains(out, "\ndemo staff login: "+email+" "+demoPassword+"\n") {
			t.Errorf("no staff login for %s:\n%s", role, out)
		}
		m := regexp.MustCompile(`\ndemo staff totp: ` + regexp.QuoteMeta(email) + ` ([A-Z2-7]{16,})\n`).FindStringSubmatch(out)
		if m == nil {
			t.Errorf("no authenticator key for %s:\n%s", role, out)
			continue
		}
		if _, err := demo.StaffCode(m[1], time.Now()); err != nil {
			t.Errorf("%s: key %q makes no code: %v", role, m[1], err)
		}
		keys[email] = m[1]
	}
	return keys
}

// demoQueues checks that each queue of the staff console's home page has
// open work in the demo's database.
func demoQueues(t *testing.T, raw *sql.DB) {
	t.Helper()
	now := time.Now().UTC()
	for _, q := range []struct {
		queue, query string
		args         []any
	}{
		{"unanswered messages", `SELECT count(*) FROM support_threads WHERE unread_by_staff = 1`, nil},
		{"requests awaiting approval", `SELECT count(*) FROM approval_requests WHERE status = 'pending' AND kind = 'fee_waiver'`, nil},
		{"complaints", `SELECT count(*) FROM complaints WHERE status = 'open'`, nil},
		{"notes", `SELECT count(*) FROM customer_notes`, nil},
		{"locked accounts", `SELECT count(*) FROM logins WHERE realm = 'customer' AND locked_until > $1`, []any{now}},
		{"returns awaiting review", `SELECT count(*) FROM ach_returns WHERE review_required = 1 AND code = 'R69'`, nil},
		{"active staff", `SELECT count(*) FROM staff_members WHERE status = 'active'`, nil},
	} {
		var n int
		if err := raw.QueryRow(q.query, q.args...).Scan(&n); err != nil || n == 0 {
			t.Errorf("%s: %d (%v)", q.queue, n, err)
		}
	}
}

// demoStaffSignIn signs in as each printed staff login on the demo's
// database, with the demo password and then a code of the printed key,
// as identity checks them.
func demoStaffSignIn(t *testing.T, dir string, keys map[string]string) {
	t.Helper()
	ctx := context.Background()
	raw, err := os.ReadFile(filepath.Join(dir, demoKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	ring, err := keyring.Parse("demo:" + strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(ctx, "sqlite:"+filepath.Join(dir, "carfin.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	id, err := identity.New(identity.Config{DB: d, BaseURL: "http://localhost", LenderName: demo.LenderName, Keys: ring})
	if err != nil {
		t.Fatal(err)
	}
	c := identity.Client{IP: "192.0.2.7", UserAgent: "demo test"}
	for email, secret := range keys {
		// The first run's enrolment spent the code of its moment: a later
		// step's code is the one an app shows next.
		code, err := demo.StaffCode(secret, d.Now().Add(30*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		res, err := id.PasswordLogin(ctx, identity.Staff, email, demoPassword, "", c)
		if err != nil || !res.NeedSecondFactor {
			t.Errorf("%s: password: %+v %v", email, res, err)
			continue
		}
		if _, err := id.SecondFactor(ctx, res.Session.Token, identity.MethodTOTP, code, false, c); err != nil {
			t.Errorf("%s: the printed key's code: %v", email, err)
		}
	}
}
