package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/identity"
	"carfin/servicing"
)

// The attacks of issue 4, each with its exact outcome, on both engines.

// seedLogins creates n customers with online access (no contracts: the
// attacks need logins only).
func seedLogins(t *testing.T, s *server, n int) []customer {
	t.Helper()
	ctx := context.Background()
	sv := servicing.New(s.d, func(t time.Time) calendar.Date { return calendar.Of(t) })
	id, err := identity.New(identity.Config{DB: s.d, Params: cheapParams, BaseURL: s.base})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]customer, n)
	for i := range out {
		seedMu.Lock()
		seedSeq++
		k := seedSeq
		seedMu.Unlock()
		c := customer{first: "Victim", email: fmt.Sprintf("victim.%d@example.com", k)}
		c.id, err = sv.CreateCustomer(ctx, servicing.NewCustomer{FirstName: c.first, LastName: "Doe", Email: c.email,
			AddressLine1: "1 Elm St", City: "Austin", State: "TX", ZIP: "73301", BirthDate: calendar.MustParse("1970-01-01"), SSNLast4: "4321"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := id.CreateCustomerLogin(ctx, c.id, testPassword); err != nil {
			t.Fatal(err)
		}
		out[i] = c
	}
	return out
}

func statuses(rs []response) map[int]int {
	m := map[int]int{}
	for _, r := range rs {
		m[r.status]++
	}
	return m
}

// TestCredentialStuffing: one IP tries 50 accounts, one leaked password
// each (the 30th is right). Outcome: the first 10 failures get the
// ordinary "wrong email or password" (401); the 10th distinct account
// marks the network as attacking (logged and audited once) and cuts the
// IP's budget to 5, so the other 40 attempts, the right password
// included, get 429 before any hashing; no account is locked; a customer
// on another network signs in normally.
// countRE reads the count out of an audit event's details.
var countRE = regexp.MustCompile(`"count":"(\d+)"`)

func TestCredentialStuffing(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		victims := seedLogins(t, s, 50)
		bot := s.browser("192.0.2.66")
		var rs []response
		for i, v := range victims {
			pw := "leaked password " + fmt.Sprint(i)
			if i == 29 {
				pw = testPassword
			}
			rs = append(rs, bot.login(v.email, pw))
		}
		got := statuses(rs)
		if got[401] != 10 || got[429] != 40 || len(got) != 2 {
			t.Fatalf("statuses %v, want 10×401 then 40×429", got)
		}
		for i, r := range rs {
			if (i < 10) != (r.status == 401) {
				t.Fatalf("attempt %d: %d", i+1, r.status)
			}
		}
		rs[29].must(t, 429, "Too many attempts")
		if rs[29].header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		if n := s.auditCount("login.failure"); n != 10 {
			t.Errorf("%d failures audited, want 10 (the rest were refused before hashing)", n)
		}
		// The 40 refused attempts are audited too, counted by reason and
		// network, within a second or so.
		refused := 0
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			refused = 0
			rows, err := d.Read.Query(`SELECT subject, details FROM audit_events WHERE action = 'login.throttled'`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var subject, details string
				if err := rows.Scan(&subject, &details); err != nil {
					t.Fatal(err)
				}
				m := countRE.FindStringSubmatch(details)
				if subject != "network:192.0.2.0/24" || m == nil {
					t.Fatalf("throttled event %s %s", subject, details)
				}
				n, _ := strconv.Atoi(m[1])
				refused += n
			}
			rows.Close()
			if refused == 40 {
				break
			}
		}
		if refused != 40 {
			t.Errorf("%d refused attempts audited, want 40", refused)
		}
		if n := s.auditCount("login.burst"); n != 1 {
			t.Errorf("%d burst events, want 1", n)
		}
		if !strings.Contains(s.logs.String(), "throttle raised") {
			t.Error("the burst was not logged")
		}
		var locked int
		_ = d.Read.QueryRow(`SELECT count(*) FROM logins WHERE locked_until IS NOT NULL OR failed_count > 1`).Scan(&locked)
		if locked != 0 {
			t.Errorf("%d accounts locked or over one failure", locked)
		}
		s.browser("198.51.100.5").mustSignIn(victims[29].email, testPassword)
		verifyAudit(t, d)
	})
}

// TestOneAccountManyIPs: 30 guesses at one account from 30 networks, a
// minute apart. Outcome: every answer is the same 401 page; the 10th
// failure locks the account for 30 minutes (one audit event, one unlock
// email); the right password then gets the same 401; the emailed link
// unlocks it. A second account unlocks by itself after 30 minutes, and a
// third shows the growing delay after 5 failures.
func TestOneAccountManyIPs(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		v := seedLogins(t, s, 4)
		var rs []response
		for i := range 30 {
			s.clock.Add(time.Minute)
			rs = append(rs, s.browser(fmt.Sprintf("203.0.%d.7", i)).login(v[0].email, fmt.Sprintf("guess %d", i)))
		}
		for i, r := range rs {
			r.must(t, 401, "The email address or password is not right")
			if sameBody(r) != sameBody(rs[0]) {
				t.Fatalf("answer %d differs from the first", i+1)
			}
		}
		right := s.browser("198.51.100.9").login(v[0].email, testPassword)
		right.must(t, 401)
		if sameBody(right) != sameBody(rs[0]) {
			t.Error("a locked account answers differently from a wrong password")
		}
		// The one answer allows for a lock without telling whether there
		// is one, and an address without an account gets it word for
		// word, in either language (issue 13).
		right.must(t, 401, "or the account is locked after too many wrong passwords", "A locked account gets an email explaining how to unlock it")
		for _, lang := range []string{"en", "es"} {
			var pages []string
			for _, email := range []string{v[0].email, "nobody.at.all@example.com", v[3].email} { // locked, unknown, wrong password
				b := s.browser("198.51.100.12")
				b.lang = lang
				r := b.login(email, "guess again")
				r.must(t, 401)
				pages = append(pages, strings.ReplaceAll(sameBody(r), email, "EMAIL"))
			}
			if pages[0] != pages[1] || pages[0] != pages[2] {
				t.Errorf("%s: locked, unknown and wrong-password answers differ:\n%s\n---\n%s\n---\n%s", lang, pages[0], pages[1], pages[2])
			}
			if lang == "es" && !strings.Contains(pages[0], "Una cuenta bloqueada recibe un correo que explica cómo desbloquearla") {
				t.Errorf("es: %s", pages[0])
			}
		}
		if n := s.auditCount("login.locked"); n != 1 {
			t.Errorf("%d lock events, want 1", n)
		}
		if n := s.count("identity.unlock", v[0].email); n != 1 {
			t.Fatalf("%d unlock emails, want 1", n)
		}
		link := s.lastLink(v[0].email, "identity.unlock")
		owner := s.browser("198.51.100.9")
		owner.get(link).must(t, 200, "Unlock sign-in")
		owner.post("/unlock", url.Values{"token": {strings.TrimPrefix(link, "/unlock?token=")}}).must(t, 200, "Sign-in is unlocked")
		owner.mustSignIn(v[0].email, testPassword)

		// Lockout ends by itself after 30 minutes.
		for i := range 10 {
			s.clock.Add(time.Minute)
			s.browser(fmt.Sprintf("203.1.%d.7", i)).login(v[1].email, "nope nope nope")
		}
		s.browser("198.51.100.10").login(v[1].email, testPassword).must(t, 401)
		s.clock.Add(31 * time.Minute)
		s.browser("198.51.100.10").mustSignIn(v[1].email, testPassword)

		// After 5 failures, the next attempt must wait (1 s, doubling).
		for i := range 5 {
			s.browser(fmt.Sprintf("203.2.%d.7", i)).login(v[2].email, "nope nope nope")
		}
		s.browser("198.51.100.11").login(v[2].email, testPassword).must(t, 401)
		s.clock.Add(1500 * time.Millisecond)
		s.browser("198.51.100.11").mustSignIn(v[2].email, testPassword)
		verifyAudit(t, d)
	})
}

// TestClientIPFromTrustedProxiesOnly: without trusted proxies the client
// cannot choose its IP with X-Forwarded-For: 25 attempts claiming 25
// addresses are all counted against the connection's address (20 × 401,
// then 429). With loopback trusted (the harness default) the same
// requests count per claimed address and none is refused.
func TestClientIPFromTrustedProxiesOnly(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		for _, trusted := range []bool{false, true} {
			s := startServe(t, d, func(cfg *serveConfig) {
				if !trusted {
					cfg.TrustedProxies = nil
				}
			})
			var rs []response
			for i := range 25 {
				rs = append(rs, s.browser(fmt.Sprintf("198.%d.0.1", 18+i)).login("nobody@example.com", "whatever it is"))
			}
			got := statuses(rs)
			want := map[int]int{401: 20, 429: 5}
			if trusted {
				want = map[int]int{401: 25}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("trusted=%v: statuses %v, want %v", trusted, got, want)
			}
		}
	})
}

// TestResetTokenAttacks: a token works once, only for its purpose and only
// for the account it was sent to, whatever the form says.
// TestGlobalFailureBudget: wrong passwords from many networks (one each,
// so no IP or network limit applies) spend the process-wide failure
// budget (20, refilled at 10 a second); past it every attempt, a right
// password too, is refused before hashing with 429, and a second later
// sign-in works again.
func TestGlobalFailureBudget(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d, func(cfg *serveConfig) { cfg.limits.GlobalFailureBurst = 20 })
		accounts := seedLogins(t, s, 26) // one each: no account's own delay or lock plays a part
		c := accounts[25]
		var got []int
		for i := range 25 {
			got = append(got, s.browser(fmt.Sprintf("203.0.%d.7", 100+i)).login(accounts[i].email, "wrong password number "+fmt.Sprint(i)).status)
		}
		for i, st := range got {
			if want := map[bool]int{true: 401, false: 429}[i < 20]; st != want {
				t.Fatalf("attempt %d: %d, want %d (all: %v)", i+1, st, want, got)
			}
		}
		s.browser("203.0.200.7").login(c.email, testPassword).must(t, 429, "Too many attempts")
		if n := s.auditCount("login.failure"); n != 20 {
			t.Errorf("%d failures audited (hashed), want 20", n)
		}
		s.clock.Add(time.Second) // 10 units back
		s.browser("203.0.201.7").mustSignIn(c.email, testPassword)
	})
}

// TestResetRequestFlood: "forgot password" sends an email or a paid text
// to someone each time, so requests are limited per address (known or
// not: the limit says nothing about which addresses have accounts) and
// per IP; past a limit nothing is sent.
func TestResetRequestFlood(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		c := seedLogin(t, s, "Flo")
		for i := range 7 {
			x := s.browser(fmt.Sprintf("198.51.100.%d", 150+i)) // a new IP each time
			known := x.post("/forgot", url.Values{"email": {c.email}, "channel": {[]string{"email", "sms"}[i%2]}})
			unknown := x.post("/forgot", url.Values{"email": {"no.one@example.com"}, "channel": {[]string{"email", "sms"}[i%2]}})
			want := http.StatusOK
			if i >= 5 {
				want = http.StatusTooManyRequests
			}
			known.must(t, want)
			unknown.must(t, want)
			if want == http.StatusTooManyRequests {
				known.must(t, want, "Too many attempts")
			}
		}
		if n := s.count("identity.reset", c.email) + s.count("identity.reset_code", c.phone); n != 5 {
			t.Errorf("%d reset messages sent for 7 requests, want 5", n)
		}
		// One IP asking for many addresses.
		x := s.browser("198.51.100.200")
		for i := range 22 {
			r := x.post("/forgot", url.Values{"email": {fmt.Sprintf("someone.%d@example.com", i)}})
			if want := map[bool]int{true: 200, false: 429}[i < 20]; r.status != want {
				t.Fatalf("request %d from one IP: %d, want %d", i+1, r.status, want)
			}
		}
	})
}

func TestResetTokenAttacks(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		v := seedLogins(t, s, 2)
		a, b := v[0], v[1]
		x := s.browser("198.51.100.80")
		x.post("/forgot", url.Values{"email": {a.email}})
		x.post("/forgot", url.Values{"email": {b.email}})
		tokA := strings.TrimPrefix(s.lastLink(a.email, "identity.reset"), "/reset?token=")
		pw := "attacker chosen passphrase"
		// A's token, with B's email smuggled into the form.
		x.post("/reset", url.Values{"token": {tokA}, "email": {b.email}, "password": {pw}, "confirm": {pw}}).must(t, 200, "Sign in with the new password")
		s.browser("198.51.100.81").mustSignIn(b.email, testPassword) // B unchanged
		s.browser("198.51.100.82").login(b.email, pw).must(t, 401)
		s.browser("198.51.100.83").mustSignIn(a.email, pw) // A changed: the token was A's
		// Reused.
		x.post("/reset", url.Values{"token": {tokA}, "password": {pw + "2"}, "confirm": {pw + "2"}}).must(t, 410)
		// Tampered, and a token of another purpose.
		x.get("/reset?token="+tokA[:len(tokA)-1]+"A").must(t, 410)
		x.get("/reset?token="+strings.Repeat("A", 5000)).must(t, 410)
		x.post("/forgot", url.Values{"email": {b.email}})
		tokB := strings.TrimPrefix(s.lastLink(b.email, "identity.reset"), "/reset?token=")
		x.post("/unlock", url.Values{"token": {tokB}}).must(t, 410)
		x.post("/wasnt-me", url.Values{"token": {tokB}}).must(t, 410)
		x.get("/reset?token="+tokB).must(t, 200) // still good for its own purpose
		// A password change invalidates outstanding reset links.
		y := s.browser("198.51.100.84")
		y.mustSignIn(b.email, testPassword)
		np := "b changes her passphrase now"
		y.post("/security/password", url.Values{"current": {testPassword}, "password": {np}, "confirm": {np}}).must(t, 200)
		x.get("/reset?token="+tokB).must(t, 410)
		verifyAudit(t, d)
	})
}

// TestSessionAttacks: a cookie copied before sign-out is dead after it;
// an id planted before sign-in, or a pre-sign-in session, never becomes
// the signed-in session; a partial session's id changes at the second
// factor.
func TestSessionAttacks(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		v := seedLogins(t, s, 1)[0]

		// Cookie reuse after logout.
		b := s.browser("198.51.100.90")
		b.mustSignIn(v.email, testPassword)
		stolen := b.cookie("carfin_session")
		if len(stolen) < 43 {
			t.Fatalf("session token %q is shorter than 256 bits", stolen)
		}
		b.post("/logout", url.Values{}).must(t, 200, "You are signed out")
		thief := s.browser("198.51.100.91")
		thief.setCookie("carfin_session", stolen)
		thief.get("/").must(t, 200, `name="password"`)
		thief.get("/security").must(t, 200, `name="password"`)
		var n int
		_ = d.Read.QueryRow(`SELECT count(*) FROM sessions WHERE login_id IS NOT NULL`).Scan(&n)
		if n != 0 {
			t.Errorf("%d sessions left after sign-out", n)
		}
		var stored string
		_ = d.Read.QueryRow(`SELECT token_hash FROM sessions LIMIT 1`).Scan(&stored)
		if stored != "" && strings.Contains(stored, stolen) {
			t.Error("token stored in clear")
		}

		// Fixation with a planted id.
		victim := s.browser("198.51.100.92")
		victim.setCookie("carfin_session", "attacker-chosen-session-id-0000000000000000")
		victim.mustSignIn(v.email, testPassword)
		if got := victim.cookie("carfin_session"); got == "attacker-chosen-session-id-0000000000000000" {
			t.Fatal("planted session id survived sign-in")
		}
		attacker := s.browser("198.51.100.93")
		attacker.setCookie("carfin_session", "attacker-chosen-session-id-0000000000000000")
		attacker.get("/").must(t, 200, `name="password"`)

		// Fixation with a real pre-sign-in session (a passkey ceremony).
		pre := s.browser("198.51.100.94")
		pre.do("POST", "/login/passkey/begin", nil, nil).must(t, 200, `"challenge"`)
		preID := pre.cookie("carfin_session")
		if preID == "" {
			t.Fatal("no flow session")
		}
		planted := s.browser("198.51.100.95")
		planted.setCookie("carfin_session", preID)
		planted.mustSignIn(v.email, testPassword)
		if planted.cookie("carfin_session") == preID {
			t.Fatal("pre-sign-in session id survived sign-in")
		}
		pre.get("/").must(t, 200, `name="password"`) // the attacker's copy opens nothing

		// The id changes at re-authentication (a privilege change).
		before := planted.cookie("carfin_session")
		planted.post("/reauth", url.Values{"password": {testPassword}, "next": {"/security"}}).must(t, 200, "Security settings")
		if after := planted.cookie("carfin_session"); after == before || after == "" {
			t.Error("session id kept across re-authentication")
		}
		old := s.browser("198.51.100.96")
		old.setCookie("carfin_session", before)
		old.get("/security").must(t, 200, `name="password"`)

		// The partial session's id changes at the second factor, and the
		// partial id opens nothing afterwards.
		secret, _ := enableTOTP(t, planted)
		planted.post("/logout", url.Values{})
		two := s.browser("198.51.100.97")
		two.login(v.email, testPassword).must(t, 200, "Authenticator app")
		partial := two.cookie("carfin_session")
		s.clock.Add(30 * time.Second)
		two.post("/login/2fa", url.Values{"method": {"totp"}, "code": {totpCode(t, secret, s.clock.Now())}}).must(t, 200, "Welcome,")
		if full := two.cookie("carfin_session"); full == partial || full == "" {
			t.Error("session id kept across the second factor")
		}
		replay := s.browser("198.51.100.98")
		replay.setCookie("carfin_session", partial)
		replay.get("/").must(t, 200, `name="password"`)
		replay.get("/login/2fa").mustNot(t, "Authenticator app")
		verifyAudit(t, d)
	})
}

// TestCrossSiteRequests: a browser's cross-site form POST is refused
// (403) with Sec-Fetch-Site or with only an Origin header; same-origin and
// header-less (non-browser) requests go through.
func TestCrossSiteRequests(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		v := seedLogins(t, s, 1)[0]
		b := s.browser("198.51.100.100")
		b.mustSignIn(v.email, testPassword)
		form := url.Values{"current": {testPassword}, "password": {"changed by evil site"}, "confirm": {"changed by evil site"}}
		for name, h := range map[string]http.Header{
			"sec-fetch-site cross-site": {"Sec-Fetch-Site": {"cross-site"}},
			"origin only":               {"Origin": {"https://evil.example"}},
			"both":                      {"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}},
		} {
			r := b.do("POST", "/security/password", form, h)
			if r.status != http.StatusForbidden {
				t.Errorf("%s: status %d, want 403", name, r.status)
			}
			if r := b.do("POST", "/login", url.Values{"email": {v.email}, "password": {testPassword}}, h); r.status != http.StatusForbidden {
				t.Errorf("%s login: status %d, want 403", name, r.status)
			}
		}
		s.browser("198.51.100.101").mustSignIn(v.email, testPassword) // password unchanged
		same := b.do("POST", "/lang", url.Values{"lang": {"en"}, "next": {"/"}}, http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {s.base}})
		same.must(t, 200, "Welcome")
		if got := same.header.Get("Content-Security-Policy"); !strings.Contains(got, "frame-ancestors 'none'") {
			t.Errorf("CSP %q", got)
		}
		// Oversized bodies are refused.
		big := url.Values{"email": {strings.Repeat("a", 100<<10)}, "password": {"x"}}
		if r := b.do("POST", "/login", big, nil); r.status != http.StatusRequestEntityTooLarge {
			t.Errorf("100 KiB body: status %d, want 413", r.status)
		}
	})
}

// TestInjectionPayloads: SQL and script payloads in every field are
// stored and shown as text, never executed or interpreted.
func TestInjectionPayloads(t *testing.T) {
	t.Parallel()
	payloads := []string{
		`<script>alert(1)</script>`,
		`"><img src=x onerror=alert(1)>`,
		`' OR '1'='1' --`,
		`'; DROP TABLE logins; --`,
		`javascript:alert(1)`,
		"{{.Session}}",
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		ctx := context.Background()
		sv := servicing.New(d, func(t time.Time) calendar.Date { return calendar.Of(t) })
		id, _ := identity.New(identity.Config{DB: d, Params: cheapParams, BaseURL: s.base})
		// A stored payload: the customer's name, shown on every page.
		cust, err := sv.CreateCustomer(ctx, servicing.NewCustomer{FirstName: `<script>alert("name")</script>`, LastName: "O'Brien", Email: "xss@example.com",
			AddressLine1: "1 Elm St", City: "Austin", State: "TX", ZIP: "73301", BirthDate: calendar.MustParse("1970-01-01"), SSNLast4: "4321"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := id.CreateCustomerLogin(ctx, cust, testPassword); err != nil {
			t.Fatal(err)
		}
		noRaw := func(r response, p string) {
			t.Helper()
			if r.status >= 500 {
				t.Fatalf("payload %q: status %d", p, r.status)
			}
			if strings.Contains(p, "<") && strings.Contains(r.body, p) {
				t.Fatalf("payload %q shown unescaped at %s", p, r.url)
			}
		}
		for i, p := range payloads {
			b := s.browser(fmt.Sprintf("198.51.%d.1", 110+i))
			b.header.Set("User-Agent", p)
			noRaw(b.login(p, p), p)
			noRaw(b.login(p+"@example.com", p), p)
			noRaw(b.post("/enrol", url.Values{"account": {p}, "ssn4": {p}, "dob": {p}, "zip": {p}}), p)
			noRaw(b.post("/forgot", url.Values{"email": {p}, "channel": {p}}), p)
			noRaw(b.post("/reset", url.Values{"token": {p}, "password": {p}, "confirm": {p}}), p)
			noRaw(b.post("/reset/code", url.Values{"email": {p}, "code": {p}, "password": {p}, "confirm": {p}}), p)
			noRaw(b.get("/reset?token="+url.QueryEscape(p)), p)
			noRaw(b.get("/login?next="+url.QueryEscape(p)), p)
			noRaw(b.post("/lang", url.Values{"lang": {p}, "next": {p}}), p)
			noRaw(b.post("/login/2fa", url.Values{"method": {p}, "code": {p}}), p)
			noRaw(b.post("/enrol/verify", url.Values{"token": {p}, "password": {p}, "confirm": {p}}), p)
			noRaw(b.get("/enrol/verify?token="+url.QueryEscape(p)), p)
			noRaw(b.post("/unlock", url.Values{"token": {p}}), p)
			noRaw(b.get("/unlock?token="+url.QueryEscape(p)), p)
			noRaw(b.post("/wasnt-me", url.Values{"token": {p}}), p)
			noRaw(b.get("/wasnt-me?token="+url.QueryEscape(p)), p)
		}
		// Signed in, with a payload as User-Agent (named on the sessions
		// page in words, never shown raw).
		b := s.browser("198.51.200.1")
		b.header.Set("User-Agent", `<script>alert("ua")</script>`)
		r := b.login("xss@example.com", testPassword)
		r.must(t, 200, "Welcome, &lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;")
		sec := b.get("/security")
		sec.must(t, 200, "<strong>This device</strong> · Unknown browser ·")
		if strings.Contains(sec.body, `alert(&#34;ua&#34;)`) || strings.Contains(sec.body, `<script>alert("ua")`) || strings.Contains(r.body, `<script>alert("name")`) {
			t.Fatal("stored payload shown unescaped")
		}
		noRaw(b.post("/security/password", url.Values{"current": {payloads[3]}, "password": {payloads[0]}, "confirm": {payloads[0]}}), payloads[0])
		noRaw(b.post("/reauth", url.Values{"password": {payloads[2]}, "next": {payloads[4]}}), payloads[4])
		noRaw(b.post("/security/sessions/"+url.PathEscape(payloads[2])+"/revoke", url.Values{}), payloads[2])
		noRaw(b.post("/security/passkeys/"+url.PathEscape(payloads[1])+"/remove", url.Values{}), payloads[1])
		b.get("/security/totp").must(t, 200)
		for _, p := range payloads {
			noRaw(b.post("/security/totp", url.Values{"code": {p}}), p)
		}
		// The tables are all there and the customer still signs in.
		var n int
		if err := d.Read.QueryRow(`SELECT count(*) FROM logins`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("logins: %d %v", n, err)
		}
		verifyAudit(t, d)
	})
}

// TestLoginTiming: an unknown email and an account cost the same at
// every step: the response times of an unknown address and a known one
// (wrong passwords, both locking after 10 and refused unhashed while
// locked) differ by less than a few milliseconds. Hashing uses small but real argon2id costs so
// that the hash dominates as in production.
func TestLoginTiming(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		params := identity.Params{MemoryKiB: 2048, Time: 1, Threads: 1}
		s := startServe(t, d, func(cfg *serveConfig) { cfg.hashParams = params })
		v := seedCustomer(t, d, "Tia")
		id, _ := identity.New(identity.Config{DB: d, Params: params, BaseURL: s.base})
		if _, err := id.CreateCustomerLogin(context.Background(), v.id, testPassword); err != nil {
			t.Fatal(err)
		}
		// Alternate known and unknown emails and compare each pair, so
		// that load from other tests on the machine hits both alike; the
		// median of the paired differences ignores the odd stall. Which
		// goes first alternates too: the second request of a pair can pay
		// for work the first left behind (garbage, a job woken).
		const pairs = 100
		var diffs, known, unknown []time.Duration
		for i := range pairs {
			var took [2]time.Duration
			order := []int{0, 1}
			if i%2 == 1 {
				order = []int{1, 0}
			}
			// One unknown address throughout: it fails, is delayed and
			// "locks" exactly as the account does.
			emails := []string{v.email, "nobody@example.com"}
			for _, j := range order {
				email := emails[j]
				b := s.browser(fmt.Sprintf("10.%d.%d.1", i/100, (2*i+j)%200))
				s.clock.Add(time.Minute) // past the growing delay: every failure counts
				start := time.Now()
				r := b.login(email, "definitely not the password")
				took[j] = time.Since(start)
				if r.status != 401 {
					t.Fatalf("attempt %d/%d: status %d", i, j, r.status)
				}
			}
			if i < 3 {
				continue // warm-up
			}
			diffs = append(diffs, took[0]-took[1])
			known, unknown = append(known, took[0]), append(unknown, took[1])
		}
		// The median and the average (without the slowest and fastest
		// tenth, the stalls of a busy machine) of the paired differences.
		// identity's TestEveryRefusalHashesOnce counts the work exactly.
		diff, mean := medianDuration(diffs), trimmedMean(diffs, 0.1)
		t.Logf("median known %s, unknown %s; paired difference: median %s, mean %s", medianDuration(known), medianDuration(unknown), diff, mean)
		for _, d := range []time.Duration{diff, mean} {
			if d < -5*time.Millisecond || d > 5*time.Millisecond {
				t.Errorf("known and unknown emails differ by %s (paired differences: median %s, trimmed mean %s; limit 5 ms)", d, diff, mean)
			}
		}
		if s.auditCount("login.locked") < 1 {
			t.Error("the known account was not locked during the run")
		}
	})
}

// trimmedMean is the mean of ds without the lowest and highest cut of them.
func trimmedMean(ds []time.Duration, cut float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	k := int(float64(len(s)) * cut)
	s = s[k : len(s)-k]
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return sum / time.Duration(len(s))
}

// medianDuration is the middle value.
func medianDuration(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestSecurityRoutesAuthorization: customer B naming customer A's
// session or passkey in the security page's routes gets exactly the
// answer of an id that does not exist, and A's session and passkey stay.
func TestSecurityRoutesAuthorization(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		v := seedLogins(t, s, 2)
		a, b := s.browser("198.51.100.210"), s.browser("198.51.100.211")
		a.mustSignIn(v[0].email, testPassword)
		b.mustSignIn(v[1].email, testPassword)
		var session, passkey int64
		if err := d.Read.QueryRow(`SELECT s.id FROM sessions s JOIN logins l ON l.id = s.login_id WHERE l.email = $1`, v[0].email).Scan(&session); err != nil {
			t.Fatal(err)
		}
		if err := d.SQL.QueryRow(`INSERT INTO passkeys (login_id, credential_id, name, credential, created_at)
			SELECT id, $1, 'A''s phone', '{}', $2 FROM logins WHERE email = $3 RETURNING id`, []byte("a-key"), s.clock.Now(), v[0].email).Scan(&passkey); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ name, owned, missing string }{
			{"revoke a session", "/security/sessions/" + itoa(session) + "/revoke", "/security/sessions/99999999/revoke"},
			{"remove a passkey", "/security/passkeys/" + itoa(passkey) + "/remove", "/security/passkeys/99999999/remove"},
		} {
			other, none := b.post(tc.owned, url.Values{}), b.post(tc.missing, url.Values{})
			// The same page but for the path itself (the language switch's "next").
			if other.status != none.status || other.status < 400 ||
				strings.ReplaceAll(sameBody(other), tc.owned, "P") != strings.ReplaceAll(sameBody(none), tc.missing, "P") {
				t.Errorf("%s of A's: %d, of none: %d (want the same refusal)", tc.name, other.status, none.status)
			}
		}
		a.get("/security").must(t, 200, "A&#39;s phone") // A's session and passkey are untouched
	})
}
