package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"carfin/audit"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/identity"
)

// lineWriter tells when a line containing want has been written.
type lineWriter struct {
	mu   sync.Mutex
	buf  strings.Builder
	want string
	seen chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for line := range strings.Lines(w.buf.String()) {
		if i := strings.Index(line, w.want); i >= 0 && strings.HasSuffix(line, "\n") {
			select {
			case w.seen <- line:
			default:
			}
		}
	}
	return len(p), nil
}

// TestServeViaRun starts `carfin serve` through run(), as a user would,
// with the real argon2id parameters, on both engines: probes, headers,
// a customer's password sign-in and sign-out, and graceful shutdown.
func TestServeViaRun(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		out := &lineWriter{want: "listening on ", seen: make(chan string, 1)}
		done := make(chan error, 1)
		env := map[string]string{"CARFIN_DB": d.DSN, "CARFIN_LENDER_NAME": "Test Lender", "CARFIN_SUPPORT_PHONE": "1-800-555-0100",
			"CARFIN_SUPPORT_HOURS": "Weekdays 9–5 ET", "CARFIN_ADDRESS_CORRESPONDENCE": "Test Lender; PO Box 1; Town, ST 00000",
			"CARFIN_ADDRESS_PAYMENTS": "Test Lender, Payments; PO Box 2; Town, ST 00000", "CARFIN_METRICS_ADDR": "127.0.0.1:0"}
		go func() {
			done <- run(ctx, []string{"carfin", "serve", "--addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, strings.NewReader(""), out, out)
		}()
		var line string
		select {
		case line = <-out.seen:
		case err := <-done:
			t.Fatalf("serve exited: %v\n%s", err, out.buf.String())
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not start")
		}
		base := strings.Fields(line[strings.Index(line, "listening on ")+len("listening on "):])[0]
		if !strings.HasPrefix(base, "http://localhost:") {
			t.Fatalf("base URL %q", base)
		}
		s := &server{t: t, d: d, base: base}
		metricsRE := regexp.MustCompile(`metrics on (http://\S+)/metrics`)
		for deadline := time.Now().Add(5 * time.Second); s.metrics == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			out.mu.Lock()
			if m := metricsRE.FindStringSubmatch(out.buf.String()); m != nil {
				s.metrics = m[1]
			}
			out.mu.Unlock()
		}
		if !strings.HasPrefix(s.metrics, "http://127.0.0.1:") {
			t.Fatalf("metrics listener %q, want loopback", s.metrics)
		}

		// A customer with online access, hashed with the real parameters.
		c := seedCustomer(t, d, "Ada")
		id, err := identity.New(identity.Config{DB: d, BaseURL: base})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := id.CreateCustomerLogin(ctx, c.id, testPassword); err != nil {
			t.Fatal(err)
		}
		var phc string
		_ = d.Read.QueryRow(`SELECT password_hash FROM logins WHERE customer_id = $1`, c.id).Scan(&phc)
		if !strings.HasPrefix(phc, "$argon2id$v=19$m=19456,t=2,p=1$") {
			t.Fatalf("stored hash %q", phc)
		}

		b := s.browser("")
		for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready"} {
			b.get(path).must(t, 200, want)
		}
		r := b.get("/login")
		r.must(t, 200, `name="email"`, `name="password"`, "Test Lender", "1-800-555-0100")
		csp := r.header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self' 'nonce-", "frame-ancestors 'none'", "style-src 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") {
			t.Errorf("CSP allows unsafe-inline: %q", csp)
		}
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "Cache-Control": "no-store"} {
			if got := r.header.Get(h); got != want {
				t.Errorf("%s = %q, want %q", h, got, want)
			}
		}
		if r.header.Get("Strict-Transport-Security") != "" {
			t.Error("HSTS sent over plain HTTP")
		}
		nonce := csp[strings.Index(csp, "'nonce-")+7:]
		nonce = nonce[:strings.Index(nonce, "'")]
		if !strings.Contains(r.body, `nonce="`+nonce+`"`) {
			t.Error("script tag does not carry the CSP nonce")
		}
		// Every link, image, script and form stays on this origin (or
		// dials the support line).
		for _, m := range urlAttrRE.FindAllStringSubmatch(r.body, -1) {
			local := strings.HasPrefix(m[1], "/") && !strings.HasPrefix(m[1], "//") || strings.HasPrefix(m[1], "#") || strings.HasPrefix(m[1], "tel:")
			if !local {
				t.Errorf("login page points off the origin: %s", m[0])
			}
		}
		for _, third := range []string{"googleapis", "cdn.", "unpkg", "gstatic", "https://"} {
			if strings.Contains(r.body, third) {
				t.Errorf("login page references a third party (%s)", third)
			}
		}

		// Metrics by route, on their own listener only: the portal has no
		// /metrics, so a reverse proxy in front of it cannot expose them,
		// whatever address it connects from.
		b.get("/metrics").must(t, 404)
		m := s.getMetrics("")
		m.must(t, 200, `carfin_http_requests_total{app="portal",method="GET",route="GET /login",status="2xx"} 1`,
			`carfin_http_request_duration_seconds_bucket{app="portal",method="GET",route="GET /login",le="+Inf"} 1`)
		b.get("/logo").must(t, 404)

		b.get("/").must(t, 200, `name="password"`) // not signed in: the sign-in page
		b.mustSignIn(c.email, testPassword)
		home := b.get("/")
		home.must(t, 200, "Welcome, Ada", `action="/logout"`)
		if home.header.Get("Cache-Control") != "no-store" {
			t.Error("account page is cacheable")
		}
		b.post("/logout", url.Values{}).must(t, 200, "You are signed out.")
		b.get("/").must(t, 200, `name="password"`)

		f, err := audit.Verify(ctx, d)
		if err != nil || !f.OK() || f.Checked == 0 {
			t.Errorf("audit chain: %v %v", f, err)
		}

		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("serve returned %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not shut down")
		}
		if !strings.Contains(out.buf.String(), "carfin: stopped") {
			t.Errorf("no graceful stop in output:\n%s", out.buf.String())
		}
	})
}

// urlAttrRE finds the URLs a page loads or links to.
var urlAttrRE = regexp.MustCompile(`(?:src|href|action|srcset|formaction)="([^"]*)"`)

// TestServeConfig checks flags, environment and the loud warning for
// plain HTTP on a non-loopback address.
func TestServeConfig(t *testing.T) {
	env := map[string]string{"CARFIN_ADDR": "0.0.0.0:9999", "CARFIN_COLOR_PRIMARY": "#123456", "CARFIN_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7"}
	cfg, err := parseServeConfig([]string{"--lender-name", "Flag Lender"}, withDemoIdentity(func(k string) string { return env[k] }), &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "0.0.0.0:9999" || cfg.Brand.Name != "Flag Lender" || cfg.Brand.Primary != "#123456" || cfg.DSN != "sqlite:./data/carfin.db" ||
		len(cfg.TrustedProxies) != 2 || cfg.TrustedProxies[1].String() != "192.0.2.7/32" {
		t.Errorf("config %+v", cfg)
	}
	// Password costs and lockout settings, by flag and environment.
	sec, err := parseServeConfig([]string{"--argon2-time", "3"}, withDemoIdentity(func(k string) string {
		return map[string]string{"CARFIN_LOCKOUT_DURATION": "45m", "CARFIN_LOCKOUT_FAILURES": "6"}[k]
	}), &strings.Builder{})
	if err != nil || sec.hashParams != (identity.Params{MemoryKiB: 19 * 1024, Time: 3, Threads: 1}) ||
		sec.limits.LockoutDuration != 45*time.Minute || sec.limits.LockoutFailures != 6 {
		t.Errorf("security settings: %+v %+v %v", sec.hashParams, sec.limits, err)
	}
	if d, _ := parseServeConfig(nil, noEnv, &strings.Builder{}); d.hashParams != (identity.Params{}) {
		t.Errorf("default costs %+v: identity's defaults apply", d.hashParams)
	}
	for _, bad := range [][]string{{"--argon2-memory", "1024"}, {"--argon2-time", "1"}, {"--lockout-duration", "10s"}, {"--lockout-failures", "1"}} {
		if _, err := parseServeConfig(bad, noEnv, &strings.Builder{}); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	// A lender's own hours without a Spanish version show as given in
	// both languages (never the demo lender's Spanish hours).
	own, err := parseServeConfig([]string{"--support-hours", "Weekdays 9–5 CT"}, noEnv, &strings.Builder{})
	if err != nil || own.Brand.Hours("es") != "Weekdays 9–5 CT" || own.Brand.Hours("en") != "Weekdays 9–5 CT" {
		t.Errorf("own hours: %q / %q %v", own.Brand.Hours("en"), own.Brand.Hours("es"), err)
	}
	for _, bad := range [][]string{{"--color-primary", "red;}"}, {"--tls-cert", "x.pem"}, {"--trusted-proxies", "nope"}, {"--base-url", "ftp://x"}, {"--time-zone", "Mars/Base"}} {
		if _, err := parseServeConfig(bad, noEnv, &strings.Builder{}); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	// A primary colour that white text cannot be read on is refused at
	// start, with the reason and a shade that would do; from the
	// environment too.
	for _, args := range [][]string{{"--color-primary", "#ffcc00"}, {}} {
		env := func(k string) string {
			if k == "CARFIN_COLOR_PRIMARY" {
				return "#7fb2e5"
			}
			return noEnv(k)
		}
		if len(args) > 0 {
			env = noEnv
		}
		_, err := parseServeConfig(args, env, &strings.Builder{})
		if err == nil || !strings.Contains(err.Error(), "against white") || !strings.Contains(err.Error(), "darker shade such as #") {
			t.Errorf("%v: a light primary colour: %v", args, err)
		}
	}

	d := dbtest.SQLite(t)
	var out strings.Builder
	var mu sync.Mutex
	cfg, _ = parseServeConfig([]string{"--addr", "0.0.0.0:0", "--metrics-addr", "127.0.0.1:0"}, noEnv, &strings.Builder{})
	cfg.logOut = &strings.Builder{}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	cfg.onListen = func(b string) { ready <- b }
	done := make(chan error, 1)
	go func() {
		w := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(p) })
		done <- startServer(ctx, cfg, d, w)
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("server did not start: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server did not start in 10 s")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(out.String(), "WARNING: carfin is serving plain HTTP") {
		t.Errorf("no warning for plain HTTP on 0.0.0.0:\n%s", out.String())
	}
}

// TestMetricsListener: /metrics is served on the metrics listener only;
// with CARFIN_METRICS_TOKEN it asks for that bearer token, and a
// non-loopback metrics address without a token is refused at start.
func TestMetricsListener(t *testing.T) {
	t.Parallel()
	const token = "s3cret-metrics-token-0123456789"
	s := startServe(t, dbtest.SQLite(t), func(c *serveConfig) { c.metricsToken = token })
	b := s.browser("")
	b.get("/login").must(t, 200)
	for _, r := range []response{b.get("/metrics"), b.do("GET", "/metrics", nil, http.Header{"Authorization": {"Bearer " + token}})} {
		r.must(t, 404) // the portal does not serve them, token or not
	}
	if r := s.getMetrics(""); r.status != 401 || strings.Contains(r.body, "carfin_") {
		t.Errorf("no token: %d %q", r.status, r.body)
	}
	if r := s.getMetrics("wrong-token-wrong-token"); r.status != 401 {
		t.Errorf("wrong token: %d", r.status)
	}
	s.getMetrics(token).must(t, 200, `carfin_http_requests_total{app="portal",method="GET",route="GET /login",status="2xx"} 1`)

	for _, tc := range []struct {
		args []string
		env  map[string]string
		ok   bool
	}{
		{[]string{"--metrics-addr", "0.0.0.0:9464"}, nil, false},
		{[]string{"--metrics-addr", "0.0.0.0:9464"}, map[string]string{"CARFIN_METRICS_TOKEN": "short"}, false},
		{[]string{"--metrics-addr", "0.0.0.0:9464"}, map[string]string{"CARFIN_METRICS_TOKEN": token}, true},
		{[]string{"--metrics-addr", "nonsense"}, nil, false},
		{[]string{"--metrics-addr", "off"}, nil, true},
		{nil, nil, true},
	} {
		cfg, err := parseServeConfig(tc.args, withDemoIdentity(func(k string) string { return tc.env[k] }), &strings.Builder{})
		if (err == nil) != tc.ok {
			t.Errorf("%v %v: %v", tc.args, tc.env, err)
		}
		if tc.args == nil && cfg.MetricsAddr != "127.0.0.1:9464" {
			t.Errorf("default metrics address %q, want loopback", cfg.MetricsAddr)
		}
	}
}

// noEnv is an empty environment with the demo lender's identity, which
// `serve` needs and only the demo and the tests may use.
var noEnv = withDemoIdentity(func(string) string { return "" })

// TestServeRequiresLenderIdentity: `serve` never falls back to the demo
// lender; without the lender's own name, support line and addresses it
// refuses to start, naming each missing setting, and starts once they
// are given (by flag or environment).
func TestServeRequiresLenderIdentity(t *testing.T) {
	none := func(string) string { return "" }
	_, err := parseServeConfig(nil, none, &strings.Builder{})
	if err == nil {
		t.Fatal("serve started without the lender's identity")
	}
	for _, want := range []string{"--lender-name", "--support-phone", "--support-hours", "--address-correspondence", "--address-payments"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "--address-overnight") {
		t.Errorf("the overnight address is optional: %v", err)
	}
	var u usageError
	if !errors.As(err, &u) {
		t.Errorf("not a usage error (exit 2): %T", err)
	}
	own := map[string]string{"CARFIN_LENDER_NAME": "Lakeside Auto Credit", "CARFIN_SUPPORT_PHONE": "1-888-555-0142",
		"CARFIN_SUPPORT_HOURS": "Weekdays 9–5 CT", "CARFIN_ADDRESS_CORRESPONDENCE": "Lakeside Auto Credit; PO Box 9; Madison, WI 53701"}
	if _, err := parseServeConfig(nil, func(k string) string { return own[k] }, &strings.Builder{}); err == nil || !strings.Contains(err.Error(), "--address-payments") ||
		strings.Contains(err.Error(), "--lender-name") {
		t.Errorf("with all but the payments address: %v", err)
	}
	cfg, err := parseServeConfig([]string{"--address-payments", "Lakeside Auto Credit, Payments; PO Box 10; Madison, WI 53701"},
		func(k string) string { return own[k] }, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{cfg.Brand.Name, cfg.Brand.SupportPhone, cfg.Brand.Hours("es"), fmt.Sprint(cfg.MailingAddresses), cfg.MailFrom} {
		if strings.Contains(v, "Northwind") || strings.Contains(v, "555-0199") || strings.Contains(v, "Columbus") {
			t.Errorf("the demo lender leaks into a lender's settings: %q", v)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

var _ = http.StatusOK

// TestServeLogo: a configured logo is served at /logo and shown in the
// header; an SVG logo is sandboxed so that script in it never runs.
func TestServeLogo(t *testing.T) {
	t.Parallel()
	d := dbtest.SQLite(t)
	svg := t.TempDir() + "/logo.svg"
	if err := os.WriteFile(svg, []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>`), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, d, func(cfg *serveConfig) { cfg.LogoFile = svg })
	b := s.browser("")
	r := b.get("/logo")
	r.must(t, 200, "<svg")
	if ct, csp := r.header.Get("Content-Type"), r.header.Get("Content-Security-Policy"); ct != "image/svg+xml" || !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("logo served as %q with CSP %q", ct, csp)
	}
	// The logo stands for the name, which the header then leaves out.
	b.get("/login").must(t, 200, `<a class="brand" href="/"><img src="/logo" alt="Northwind Motor Finance" height="40"></a>`)
	if _, err := loadLogo(t.TempDir() + "/logo.gif"); err == nil {
		t.Error("a .gif logo was accepted")
	}
}

// pathIDRE finds a concrete path (a number after a slash).
var pathIDRE = regexp.MustCompile(`/\d`)

// TestRequestLogsHoldNoPersonalData: the request log names the method,
// the route pattern, the status, the size and the time, never the path
// (contract ids), the query (dates, filters), the client's IP, or what
// the customer sent (email, password, names).
func TestRequestLogsHoldNoPersonalData(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		c := seedLogin(t, s, "Priya")
		var contract int64
		if err := d.Read.QueryRow(`SELECT id FROM contracts WHERE customer_id = $1`, c.id).Scan(&contract); err != nil {
			t.Fatal(err)
		}
		b := s.browser("198.51.100.177")
		b.login(c.email, "a wrong password for the log").must(t, 401)
		b.mustSignIn(c.email, testPassword)
		path := "/contracts/" + itoa(contract)
		b.get(path).must(t, 200)
		b.get(path+"/history?from=2026-01-01&type=payment").must(t, 200)
		b.get("/contracts/987654321").must(t, 404)
		b.post("/forgot", url.Values{"email": {"someone.else@example.com"}})
		var lines int
		for _, line := range strings.Split(s.logs.String(), "\n") {
			if !strings.Contains(line, "msg=request") {
				continue
			}
			lines++
			if pathIDRE.MatchString(line) {
				t.Errorf("request log holds a path with an id: %s", line)
			}
			for _, secret := range []string{c.email, "someone.else", testPassword, "wrong password", "Priya", c.account, "198.51.100.177",
				"987654321", "2026-01-01", "type=payment", "?"} {
				if strings.Contains(line, secret) {
					t.Errorf("request log holds %q: %s", secret, line)
				}
			}
			if !strings.Contains(line, "route=") || !strings.Contains(line, "status=") {
				t.Errorf("request log line without route or status: %s", line)
			}
		}
		if lines < 6 {
			t.Fatalf("%d request log lines for 6+ requests:\n%s", lines, s.logs.String())
		}
		if !strings.Contains(s.logs.String(), `route="GET /contracts/{id}"`) {
			t.Errorf("the route pattern is not logged:\n%s", s.logs.String())
		}
	})
}

// TestStaticFilesOnly: /static/ serves its files and never lists a
// directory.
func TestStaticFilesOnly(t *testing.T) {
	t.Parallel()
	s := startServe(t, dbtest.SQLite(t))
	b := s.browser("")
	b.get("/static/app.css").must(t, 200)
	for _, p := range []string{"/static/", "/static", "/static/./", "/static//", "/static/nope.css"} {
		r := b.get(p)
		if r.status != 404 || strings.Contains(r.body, `href="app.js"`) || strings.Contains(r.body, "<pre>") {
			t.Errorf("%s: %d\n%s", p, r.status, clip(r.body))
		}
	}
}
