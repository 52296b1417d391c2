package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/identity"
	"carfin/money"
	"carfin/notify"
	"carfin/servicing"
)

// cheapParams make argon2id fast for tests that are not about its cost;
// TestServeViaRun and the benchmarks use the real parameters.
var cheapParams = identity.Params{MemoryKiB: 64, Time: 1, Threads: 1}

// server is a carfin portal started in-process on 127.0.0.1:0 through
// startServer (what `carfin serve` runs), over a test database.
type server struct {
	t     *testing.T
	d     *db.DB
	base  string
	clock *dbtest.Clock // the database's
	logs  *syncBuffer
	// metrics is the origin of the metrics listener ("" when off).
	metrics string
}

// harnessEnv is the environment of servers under test: the demo lender's
// identity and the public development key (authenticator seeds and bank
// numbers are encrypted under it); tests that need more set cfg.env.
var harnessEnv = withDemoIdentity(func(k string) string {
	if k == "CARFIN_PAYMENT_KEYS" {
		return "dev"
	}
	return ""
})

// getMetrics reads the metrics listener with a bearer token ("" for none).
func (s *server) getMetrics(token string) response {
	s.t.Helper()
	req, err := http.NewRequest("GET", s.metrics+"/metrics", nil)
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("metrics: %v", err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return response{status: res.StatusCode, body: string(raw), url: "/metrics", header: res.Header}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// startServe starts the portal; opts adjust its configuration. Trusted
// proxies default to loopback, so tests choose client IPs with
// X-Forwarded-For.
func startServe(t *testing.T, d *db.DB, opts ...func(*serveConfig)) *server {
	t.Helper()
	// The database's clock stands still, at the real time (cookies and
	// TOTP apps live in it), until the test moves it; unless the test set
	// it already, or another server over d stopped it: a second server
	// shares the first's time.
	clk := dbtest.ClockOf(d)
	clk.Stop()
	cfg, err := parseServeConfig(nil, harnessEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = "127.0.0.1:0"
	cfg.MetricsAddr = "127.0.0.1:0"
	metrics := make(chan string, 1)
	cfg.onMetrics = func(origin string) { metrics <- origin }
	cfg.Jobs = false // tests move the clock themselves; no day close behind their backs
	cfg.hashParams = cheapParams
	// The global failure budget would refuse most attack tests' attempts
	// on a frozen clock; TestGlobalFailureBudget (identity_attacks_test.go) tests it.
	cfg.limits.GlobalFailureBurst = 10_000
	cfg.TrustedProxies = harnessProxies()
	logs := &syncBuffer{}
	cfg.logOut = logs
	ready := make(chan string, 1)
	cfg.onListen = func(base string) { ready <- base }
	for _, o := range opts {
		o(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- startServer(ctx, cfg, d, io.Discard) }()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("server did not start: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("server did not start in 10 s")
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server stopped with %v", err)
		}
	})
	srv := &server{t: t, d: d, base: base, clock: clk, logs: logs}
	select {
	case srv.metrics = <-metrics:
	default: // metrics off
	}
	return srv
}

// browser is a client with its own cookies and client IP.
type browser struct {
	t    *testing.T
	srv  *server
	c    *http.Client
	ip   string
	lang string
	// header is added to every request.
	header http.Header
}

func (s *server) browser(ip string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: s.t, srv: s, ip: ip, header: http.Header{},
		c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

type response struct {
	status int
	body   string
	url    string
	header http.Header
}

func (b *browser) do(method, path string, form url.Values, hdr http.Header) response {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.srv.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.ip != "" {
		req.Header.Set("X-Forwarded-For", b.ip)
	}
	req.Header.Set("User-Agent", "carfin-test/1.0 ("+b.ip+")")
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return response{status: res.StatusCode, body: string(raw), url: res.Request.URL.RequestURI(), header: res.Header}
}

func (b *browser) get(path string) response { b.t.Helper(); return b.do("GET", path, nil, nil) }
func (b *browser) post(path string, form url.Values) response {
	b.t.Helper()
	return b.do("POST", path, form, nil)
}

// cookie returns the value of a cookie the browser holds for the server.
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.srv.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func (b *browser) setCookie(name, value string) {
	u, _ := url.Parse(b.srv.base)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

func (b *browser) login(email, password string) response {
	b.t.Helper()
	return b.post("/login", url.Values{"email": {email}, "password": {password}})
}

// mustSignIn signs in with a password only and checks it reached home.
func (b *browser) mustSignIn(email, password string) {
	b.t.Helper()
	r := b.login(email, password)
	if r.status != 200 || r.url != "/" || !strings.Contains(r.body, "Welcome,") {
		b.t.Fatalf("sign-in of %s: %d %s\n%s", email, r.status, r.url, clip(r.body))
	}
}

func (r response) must(t *testing.T, status int, contains ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d (at %s)\n%s", r.status, status, r.url, clip(r.body))
	}
	for _, c := range contains {
		if !strings.Contains(r.body, c) {
			t.Fatalf("page at %s lacks %q\n%s", r.url, c, clip(r.body))
		}
	}
}

// seedSeq numbers seeded customers, accounts and VINs.
var (
	seedMu  sync.Mutex
	seedSeq int
)

type customer struct {
	id            int64
	email, first  string
	account, ssn4 string
	birth, zip    string
	phone         string
}

// seedCustomer creates a customer with a loan through the servicing
// engine, as the lender's book would have them.
func seedCustomer(t testing.TB, d *db.DB, first string) customer {
	t.Helper()
	seedMu.Lock()
	seedSeq++
	n := seedSeq
	seedMu.Unlock()
	ctx := context.Background()
	sv := servicing.New(d, func(t time.Time) calendar.Date { return calendar.Of(t) })
	c := customer{email: fmt.Sprintf("%s.%d@example.com", strings.ToLower(first), n), first: first,
		account: fmt.Sprintf("NW-T%06d", n), ssn4: fmt.Sprintf("%04d", 1000+n%9000), birth: "1980-02-29", zip: "62701",
		phone: fmt.Sprintf("+1555555%04d", n%10000)}
	id, err := sv.CreateCustomer(ctx, servicing.NewCustomer{FirstName: first, LastName: "Quinn", Email: c.email, Phone: c.phone,
		AddressLine1: "1 Main St", City: "Springfield", State: "IL", ZIP: c.zip, BirthDate: calendar.MustParse(c.birth), SSNLast4: c.ssn4})
	if err != nil {
		t.Fatal(err)
	}
	c.id = id
	_, err = sv.OpenContract(ctx, servicing.NewContract{
		AccountNumber: c.account, CustomerID: id, VIN: servicing.WithCheckDigit(fmt.Sprintf("1HGCM8263%c%07d", 'A', n)),
		VehicleYear: 2023, Make: "Subaru", Model: "Outback", Kind: servicing.KindLoan,
		AmountFinancedCents: money.MustParse("20000"), APR: money.MustParseRate("6.99"), TermMonths: 60,
		ContractDate: calendar.MustParse("2026-01-15"), FirstDue: calendar.MustParse("2026-02-15"), GraceDays: 10,
		LateFee: servicing.LateFeeRule{Kind: "fixed", FixedCents: money.MustParse("25")}, NSFFeeCents: money.MustParse("25"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testPassword is a valid single-factor password.
const testPassword = "correct horse battery staple"

// seedLogin creates a customer with online access and the test password.
func seedLogin(t *testing.T, s *server, first string) customer {
	t.Helper()
	c := seedCustomer(t, s.d, first)
	id, err := identity.New(identity.Config{DB: s.d, Params: cheapParams, BaseURL: s.base})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := id.CreateCustomerLogin(context.Background(), c.id, testPassword); err != nil {
		t.Fatal(err)
	}
	return c
}

// mail returns the messages queued for to, newest last.
func (s *server) mail(to string) []notify.Queued {
	s.t.Helper()
	q, err := notify.Outbox(context.Background(), s.d, to, 1000)
	if err != nil {
		s.t.Fatal(err)
	}
	return q
}

var linkRE = regexp.MustCompile(`https?://[^\s]+`)

// lastLink returns the link in the newest message of kind to to.
func (s *server) lastLink(to, kind string) string {
	s.t.Helper()
	q := s.mail(to)
	for i := len(q) - 1; i >= 0; i-- {
		if q[i].Message.Kind == kind {
			for _, l := range linkRE.FindAllString(q[i].Message.Text, -1) {
				if strings.Contains(l, "token=") {
					u, _ := url.Parse(l)
					return u.RequestURI()
				}
			}
		}
	}
	s.t.Fatalf("no %s message with a link to %s in %+v", kind, to, q)
	return ""
}

func (s *server) count(kind, to string) int {
	n := 0
	for _, q := range s.mail(to) {
		if q.Message.Kind == kind {
			n++
		}
	}
	return n
}

// auditCount counts audit events of action.
func (s *server) auditCount(action string) int {
	s.t.Helper()
	var n int
	if err := s.d.Read.QueryRow(`SELECT count(*) FROM audit_events WHERE action = $1`, action).Scan(&n); err != nil {
		s.t.Fatal(err)
	}
	return n
}

var (
	secretRE   = regexp.MustCompile(`<code class="secret">([A-Z2-7]+)</code>`)
	recoveryRE = regexp.MustCompile(`<li><code>([a-z2-7]{2}-[a-z2-7]{5}-[a-z2-7]{5})</code></li>`)
)

func writePlaces(t *testing.T, csv string) string {
	t.Helper()
	p := t.TempDir() + "/places.csv"
	if err := os.WriteFile(p, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// clip shortens a page for a failure message: the main element only.
func clip(body string) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	if i := strings.Index(body, "</main>"); i >= 0 {
		body = body[:i]
	}
	if len(body) > 3000 {
		body = body[:3000] + "…"
	}
	return body
}

var nonceRE = regexp.MustCompile(`nonce="[^"]*"`)

// sameBody is a page without its per-request nonce, to compare answers.
func sameBody(r response) string { return nonceRE.ReplaceAllString(r.body, "") }

// harnessProxies trusts loopback, so tests choose client IPs with
// X-Forwarded-For.
func harnessProxies() []netip.Prefix {
	return []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
}
