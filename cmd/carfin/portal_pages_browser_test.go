package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db/dbtest"
	"carfin/demo"
	"carfin/identity"
	"carfin/internal/browsertest"
	"carfin/payments"
)

// The customer experience checked in a real browser (issue 13): every
// customer page of the portal, at every width from a small phone to a
// large desktop, in English and in Spanish.

// pageWidths are the viewport widths every page is laid out at (CSS px):
// a small phone, a common phone, a tablet, a laptop and a desktop.
var pageWidths = []int64{320, 390, 768, 1280, 1920}

// axeWidths are the widths axe-core checks (a phone and a laptop): axe
// takes a second or so a run, and the other widths add little to it.
var axeWidths = []int64{390, 1280}

// pageHeight is the viewport's height at every width.
const pageHeight = 900

// Byte budgets of a page, as transferred (compressed, if it was), with the
// browser's cache disabled: the HTML document alone, and everything the
// page loads (document, style sheets, scripts, fonts, images).
const (
	pageDocBytesMax   = 30 * 1024
	pageTotalBytesMax = 100 * 1024
)

// mustStayOnOneLine selects what may never break across lines: account
// numbers, phone numbers and whatever the templates mark .nowrap.
const mustStayOnOneLine = `.nowrap, .acct, a[href^="tel:"]`

// portalPage is one customer page as TestBrowserEveryPage opens it.
type portalPage struct {
	name     string // in messages and screenshot names
	route    string // its pattern in web/routes*.go
	path     string // what the browser opens
	signedIn bool
	status   int // the answer expected; 0 means 200
}

// pageLinks are the ids and one-time links the pages need, from the demo
// book and the fixture's setup.
type pageLinks struct {
	loan, lease               string // contract ids
	payoffQuote, leaseQuote   string // paths of quotes
	receipt, scheduled        string // confirmation numbers: a card payment, a scheduled payment
	card, pendingBank         string // payment method ids
	payReview, autopayReview  string // query strings of the review pages
	thread                    string // a secure-message thread id
	enrol, reset, unlock      string // links from emails (path and token)
	wasntMe, emailRevert      string
	secondFactorEmail, signIn string // the sign-ins: one with an authenticator app, the demo login
}

// portalPages is every customer page. TestPortalPagesCoverEveryRoute holds
// it to web/routes*.go: a new GET route needs an entry here (or in
// notPortalPages), so no page can be left out of the browser checks.
func portalPages(l pageLinks) []portalPage {
	out := func(name, route, path string) portalPage {
		return portalPage{name: name, route: route, path: path}
	}
	in := func(name, route, path string) portalPage {
		return portalPage{name: name, route: route, path: path, signedIn: true}
	}
	c := func(id string) string { return "/contracts/" + id }
	return []portalPage{
		// Signed out.
		out("login", "GET /login", "/login"),
		{name: "second-factor", route: "GET /login/2fa", path: "/login/2fa"}, // after the password (see TestBrowserEveryPage)
		out("enrol", "GET /enrol", "/enrol"),
		out("enrol-password", "GET /enrol/verify", l.enrol),
		out("forgot", "GET /forgot", "/forgot"),
		out("reset", "GET /reset", l.reset),
		{name: "link-expired", route: "GET /reset", path: "/reset?token=expired", status: 410},
		out("reset-code", "GET /reset/code", "/reset/code"),
		out("unlock", "GET /unlock", l.unlock),
		out("wasnt-me", "GET /wasnt-me", l.wasntMe),
		out("email-revert", "GET /email-revert", l.emailRevert),
		out("faq", "GET /faq", "/faq"),
		out("contact", "GET /contact", "/contact"),
		{name: "not-found", route: "/", path: "/no-such-page", status: 404},

		// Signed in: the account.
		in("dashboard", "GET /{$}", "/"),
		in("loan", "GET /contracts/{id}", c(l.loan)),
		in("lease", "GET /contracts/{id}", c(l.lease)),
		in("what-if", "GET /contracts/{id}/what-if", c(l.loan)+"/what-if?extra=150"),
		in("history", "GET /contracts/{id}/history", c(l.loan)+"/history?type=payment"),
		in("payoff", "GET /contracts/{id}/payoff", c(l.loan)+"/payoff"),
		in("lease-end", "GET /contracts/{id}/payoff", c(l.lease)+"/payoff"),
		in("payoff-quote", "GET /contracts/{id}/quotes/{number}", l.payoffQuote),
		in("lease-end-quote", "GET /contracts/{id}/quotes/{number}", l.leaseQuote),
		in("documents", "GET /documents", "/documents"),
		// Payments.
		in("pay-choose", "GET /pay", "/pay"),
		in("pay-form", "GET /contracts/{id}/pay", c(l.loan)+"/pay"),
		in("pay-review", "GET /contracts/{id}/pay/review", c(l.loan)+"/pay/review?"+l.payReview),
		in("payments", "GET /payments", "/payments"),
		in("receipt", "GET /payments/{conf}", "/payments/"+l.receipt),
		in("payment-edit", "GET /payments/{conf}/edit", "/payments/"+l.scheduled+"/edit"),
		in("payment-cancel", "GET /payments/{conf}/cancel", "/payments/"+l.scheduled+"/cancel"),
		in("methods", "GET /payment-methods", "/payment-methods"),
		in("bank-new", "GET /payment-methods/bank/new", "/payment-methods/bank/new"),
		in("card-new", "GET /payment-methods/card/new", "/payment-methods/card/new"),
		in("bank-verify", "GET /payment-methods/{id}/verify", "/payment-methods/"+l.pendingBank+"/verify"),
		in("method-remove", "GET /payment-methods/{id}/remove", "/payment-methods/"+l.card+"/remove"),
		in("autopay-form", "GET /contracts/{id}/autopay", c(l.loan)+"/autopay"),
		in("autopay-review", "GET /contracts/{id}/autopay/review", c(l.loan)+"/autopay/review?"+l.autopayReview),
		in("autopay-on", "GET /contracts/{id}/autopay", c(l.lease)+"/autopay"),
		in("autopay-change", "GET /contracts/{id}/autopay/change", c(l.lease)+"/autopay/change"),
		in("autopay-stop", "GET /contracts/{id}/autopay/stop", c(l.lease)+"/autopay/stop"),
		// Support and profile.
		in("messages", "GET /messages", "/messages"),
		in("message-new", "GET /messages/new", "/messages/new"),
		in("thread", "GET /messages/{id}", "/messages/"+l.thread),
		in("profile", "GET /profile", "/profile"),
		in("address", "GET /profile/address", "/profile/address"),
		in("email", "GET /profile/email", "/profile/email"),
		in("email-verify", "GET /profile/email/verify", "/profile/email/verify"),
		in("phone", "GET /profile/phone", "/profile/phone"),
		in("phone-verify", "GET /profile/phone/verify", "/profile/phone/verify"),
		in("alerts", "GET /profile/alerts", "/profile/alerts"),
		in("paperless", "GET /profile/paperless", "/profile/paperless"),
		in("faq-signed-in", "GET /faq", "/faq"),
		in("contact-signed-in", "GET /contact", "/contact"),
		// Security and the session.
		in("security", "GET /security", "/security"),
		in("totp-setup", "GET /security/totp", "/security/totp"),
		in("reauth", "GET /reauth", "/reauth?next=/payment-methods/bank/new"),
		in("idle", "GET /session/idle", "/session/idle?next=/"),
	}
}

// notPortalPages are the GET routes that are not pages, and what they are.
var notPortalPages = map[string]string{
	"GET /contracts/{id}/history.csv":      "the history as CSV",
	"GET /documents/{id}":                  "a document's file (PDF)",
	"GET /payments/{conf}/receipt.pdf":     "a receipt (PDF)",
	"GET /profile/paperless/sample.pdf":    "the paperless consent's sample (PDF)",
	"GET /messages/{id}/attachments/{aid}": "a message's attachment",
	"GET /static/":                         "style sheet, script and fonts",
	"GET /theme.css":                       "the lender's colours",
	"GET /logo":                            "the lender's logo",
	"GET /favicon.ico":                     "the tab's icon",
	"GET /favicon.svg":                     "the tab's icon",
	"GET /session/remaining":               "the session's time left (JSON, for app.js)",
	"GET /healthz":                         "liveness probe",
	"GET /readyz":                          "readiness probe",
}

// getRouteRE matches a route of web/routes*.go that answers GET: "GET
// /path", or a pattern without a method (the not-found page's "/").
var getRouteRE = regexp.MustCompile(`\.Handle\("((?:GET )?/[^"]*)"`)

// TestPortalPagesCoverEveryRoute: every GET route of the portal is a page
// of portalPages or is listed in notPortalPages, and neither lists a route
// that is gone.
func TestPortalPagesCoverEveryRoute(t *testing.T) {
	files, err := filepath.Glob("../../web/routes*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("route files: %v %v", files, err)
	}
	routes := map[string]bool{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range getRouteRE.FindAllStringSubmatch(string(src), -1) {
			routes[m[1]] = true
		}
	}
	if len(routes) < 50 {
		t.Fatalf("found only %d GET routes in %v: is getRouteRE still right?", len(routes), files)
	}
	listed := map[string]bool{}
	for _, p := range portalPages(pageLinks{}) {
		listed[p.route] = true
	}
	for r := range notPortalPages {
		if listed[r] {
			t.Errorf("%s is both a page and not one", r)
		}
		listed[r] = true
	}
	var missing, gone []string
	for r := range routes {
		if !listed[r] {
			missing = append(missing, r)
		}
	}
	for r := range listed {
		if !routes[r] {
			gone = append(gone, r)
		}
	}
	sort.Strings(missing)
	sort.Strings(gone)
	for _, r := range missing {
		t.Errorf("%s is in web/routes*.go but not in portalPages (a page TestBrowserEveryPage checks) nor in notPortalPages", r)
	}
	for _, r := range gone {
		t.Errorf("%s is listed but no longer in web/routes*.go", r)
	}
}

// pageWeight is what a page loaded: its HTML and everything, in bytes as
// transferred.
type pageWeight struct {
	page, lang string
	doc, total int64
}

// pageFailure is one check a page failed.
type pageFailure struct {
	page, lang string
	width      int64 // 0: the page as a whole (bytes, requests)
	check      string
	detail     string
}

// TestBrowserEveryPage opens every customer page (portalPages) on the demo
// book in Chromium, in English and in Spanish, at each of pageWidths, and
// checks that:
//
//   - page: it answers (200, or the 404 or 410 it is listed with) at its
//     own address, in the language asked for;
//   - overflow: the page never scrolls sideways;
//   - tables: no table is wider than its container, and nothing scrolls
//     sideways inside the page either;
//   - clipped: no text is cut off by overflow hidden or an ellipsis;
//   - nowrap: account and phone numbers stay on one line;
//   - axe: axe-core finds no WCAG 2.2 A/AA violation (at axeWidths);
//   - bytes: the HTML is under 30 KB and all the page loads under 100 KB,
//     as transferred on a load with the cache disabled;
//   - origin: nothing comes from another origin (requests, fonts embedded
//     as data: URLs);
//   - requests: every request the page makes (the favicon too) succeeds;
//
// with a full-page screenshot of each page, width and language kept as a
// test artifact. Every failure is reported, then a summary by check.
// One browser a language, the two side by side; one load of each page,
// the widths set on the loaded page. SQLite only: the HTTP tests cover
// both engines.
func TestBrowserEveryPage(t *testing.T) {
	start := time.Now()
	d := dbtest.SQLite(t)
	env := newPayEnv(t)
	s, ab := startAccount(t, d, demoPayoffInstructions, env.serve)
	links := portalPagesSetup(t, s, env, ab)
	pages := portalPages(links)
	t.Logf("setup (demo book, its payments, links from emails) in %s", time.Since(start).Round(time.Second))
	t0 := time.Now()
	var mu sync.Mutex
	var failures []pageFailure
	var weights []pageWeight
	t.Run("pages", func(t *testing.T) {
		for _, lang := range []string{"en", "es"} {
			t.Run(lang, func(t *testing.T) {
				t.Parallel()
				fs, ws := browsePages(t, s.base, pages, links, lang)
				mu.Lock()
				failures, weights = append(failures, fs...), append(weights, ws...)
				mu.Unlock()
			})
		}
	})
	t.Logf("%d pages × %d widths × 2 languages in %s; screenshots in %s", len(pages), len(pageWidths), time.Since(t0).Round(time.Second), browsertest.ArtifactsDir())
	logPageWeights(t, weights)
	logPageFailures(t, failures)
}

// pageWeightsShown is how many of the heaviest pages the log lists.
const pageWeightsShown = 8

// logPageWeights prints the heaviest pages: all they load, and their HTML.
func logPageWeights(t *testing.T, weights []pageWeight) {
	t.Helper()
	sort.Slice(weights, func(i, j int) bool { return weights[i].total > weights[j].total })
	var sb strings.Builder
	fmt.Fprintf(&sb, "heaviest pages (KB as transferred, cache off; budgets %d and %d):\n", pageTotalBytesMax/1024, pageDocBytesMax/1024)
	for i, w := range weights {
		if i == pageWeightsShown {
			break
		}
		fmt.Fprintf(&sb, "  %-18s %s  all %5.1f  HTML %5.1f\n", w.page, w.lang, float64(w.total)/1024, float64(w.doc)/1024)
	}
	t.Log(sb.String())
}

// browsePages opens every page in a browser of its own, in one language:
// the signed-out pages on a first visit, the second step of a sign-in with
// an authenticator app, then the demo login's pages. It reports each
// failure with t.Errorf and returns them all, with what each page loaded.
func browsePages(t *testing.T, origin string, pages []portalPage, links pageLinks, lang string) ([]pageFailure, []pageWeight) {
	b := browsertest.StartFor(t, origin, 10*time.Minute)
	traffic := b.RecordTraffic()
	var failures []pageFailure
	var weights []pageWeight
	fail := func(p portalPage, width int64, check, format string, args ...any) {
		t.Helper()
		f := pageFailure{page: p.name, lang: lang, width: width, check: check, detail: fmt.Sprintf(format, args...)}
		failures = append(failures, f)
		at := lang
		if width != 0 {
			at = fmt.Sprintf("%s %d px", lang, width)
		}
		t.Errorf("%s (%s, %s): %s: %s", p.name, p.path, at, check, f.detail)
	}

	check := func(p portalPage) {
		t.Helper()
		// A fresh load (the cache is off while traffic records), then each
		// width on the loaded page.
		b.Viewport(pageWidths[len(pageWidths)-2], pageHeight)
		traffic.Reset()
		b.Go(p.path)
		browsertest.Eval[bool](b, `document.fonts.ready.then(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true)))))`)
		want, _, _ := strings.Cut(p.path, "?")
		at, _, _ := strings.Cut(strings.TrimPrefix(b.Location(), origin), "?")
		if at != want {
			fail(p, 0, "page", "opened %s, landed at %s", p.path, at)
			return
		}
		if got := browsertest.Eval[string](b, `document.documentElement.lang`); got != lang {
			fail(p, 0, "page", "lang=%q", got)
		}
		for _, w := range pageWidths {
			b.Viewport(w, pageHeight)
			// The layout at the new width, with any font it needs.
			browsertest.Eval[bool](b, `document.body.offsetWidth, document.fonts.ready.then(() => true)`)
			for _, problem := range b.Layout(mustStayOnOneLine).Problems() {
				fail(p, w, layoutCheck(problem), "%s", problem)
			}
			if slices.Contains(axeWidths, w) {
				for _, v := range b.Axe() {
					fail(p, w, "axe", "%s", v)
				}
			}
			b.Screenshot(fmt.Sprintf("%s-%d", p.name, w))
		}
		for _, x := range b.OffOrigin() {
			fail(p, 0, "origin", "%s", x)
		}
		if busy := traffic.WaitQuiet(100*time.Millisecond, 5*time.Second); busy != nil {
			fail(p, 0, "requests", "still loading after 5 s: %v", busy)
		}
		doc, total := pageTraffic(p, traffic.Requests(), origin, func(check, format string, args ...any) {
			t.Helper()
			fail(p, 0, check, format, args...)
		})
		weights = append(weights, pageWeight{page: p.name, lang: lang, doc: doc, total: total})
	}
	signIn := func(email, lands string) {
		t.Helper()
		b.Go("/login")
		b.Fill("#email", email)
		b.Fill("#password", testPassword)
		b.Click(`form[action="/login"] button.primary`)
		b.WaitPath(lands)
	}

	visited := 0
	visit := func(which func(portalPage) bool) {
		t.Helper()
		for _, p := range pages {
			if which(p) {
				check(p)
				visited++
			}
		}
	}
	secondFactor := func(p portalPage) bool { return p.route == "GET /login/2fa" }
	// A first visit in the language, then each signed-out page.
	b.ClearCookies()
	b.SetCookie("carfin_lang", lang)
	visit(func(p portalPage) bool { return !p.signedIn && !secondFactor(p) })
	// The second step of a sign-in with an authenticator app.
	signIn(links.secondFactorEmail, "/login/2fa")
	visit(secondFactor)
	// The demo login, and every page behind it.
	b.ClearCookies()
	b.SetCookie("carfin_lang", lang)
	signIn(links.signIn, "/")
	visit(func(p portalPage) bool { return p.signedIn })
	if visited != len(pages) {
		t.Errorf("visited %d pages, want %d", visited, len(pages))
	}
	return failures, weights
}

// layoutCheck names the check a layout problem belongs to.
func layoutCheck(problem string) string {
	switch {
	case strings.HasPrefix(problem, "page "):
		return "overflow"
	case strings.HasPrefix(problem, "table "), strings.HasPrefix(problem, "scrolls sideways"):
		return "tables"
	case strings.HasPrefix(problem, "text clipped"):
		return "clipped"
	default:
		return "nowrap"
	}
}

// pageTraffic checks what a page loaded: its document's answer, its bytes
// against the budgets, and that every request went to origin and
// succeeded. It returns the bytes of the document's body and of all the
// page loaded.
func pageTraffic(p portalPage, reqs []browsertest.Request, origin string, fail func(check, format string, args ...any)) (docBytes, total int64) {
	var doc *browsertest.Request
	var parts []string
	for i, r := range reqs {
		if !r.Network() {
			continue
		}
		if r.Type == "Document" {
			doc = &reqs[i]
		}
		total += r.Transferred
		parts = append(parts, fmt.Sprintf("%s %.1f KB", strings.TrimPrefix(r.URL, origin), float64(r.Transferred)/1024))
		u, err := url.Parse(r.URL)
		if err != nil || u.Scheme+"://"+u.Host != origin {
			fail("origin", "request to another origin: %s", r.URL)
		}
		switch {
		case r.Cached:
			fail("bytes", "%s came from the browser's cache: its bytes are not counted", r.URL)
		case r.Failed != "" && r.Type != "Document":
			fail("requests", "%s failed: %s", r.URL, r.Failed)
		case r.Status >= 400 && r.Type != "Document":
			fail("requests", "%s answered %d", r.URL, r.Status)
		}
	}
	want := int64(p.status)
	if want == 0 {
		want = 200
	}
	if doc == nil {
		fail("page", "no document among the page's requests")
		return 0, total
	}
	if doc.Status != want {
		fail("page", "answered %d, want %d", doc.Status, want)
	}
	if doc.Body > pageDocBytesMax {
		fail("bytes", "HTML %.1f KB, over %d KB", float64(doc.Body)/1024, pageDocBytesMax/1024)
	}
	if total > pageTotalBytesMax {
		fail("bytes", "the page loads %.1f KB, over %d KB: %s", float64(total)/1024, pageTotalBytesMax/1024, strings.Join(parts, ", "))
	}
	return doc.Body, total
}

// logPageFailures prints the failures by check, each page with the
// languages and widths it failed at.
func logPageFailures(t *testing.T, failures []pageFailure) {
	t.Helper()
	if len(failures) == 0 {
		t.Log("every page passed every check")
		return
	}
	type key struct{ check, page string }
	where := map[key]map[string]bool{}
	var keys []key
	for _, f := range failures {
		k := key{f.check, f.page}
		if where[k] == nil {
			where[k] = map[string]bool{}
			keys = append(keys, k)
		}
		at := f.lang
		if f.width != 0 {
			at = fmt.Sprintf("%s@%d", f.lang, f.width)
		}
		where[k][at] = true
	}
	sort.SliceStable(keys, func(i, j int) bool { return keys[i].check < keys[j].check })
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d failures:\n", len(failures))
	for _, k := range keys {
		var ats []string
		for a := range where[k] {
			ats = append(ats, a)
		}
		sort.Strings(ats)
		fmt.Fprintf(&sb, "  %-9s %-18s %s\n", k.check, k.page, strings.Join(ats, " "))
	}
	t.Log(sb.String())
}

// demoExtras gives the demo login what `carfin demo` gives it beyond the
// book (demo.Payments: a bank account, a card, a card payment and a
// scheduled one; a conversation with support) and statements, and returns
// the payments service the server's configuration makes.
func demoExtras(t *testing.T, s *server, env payEnv, ab accountBook) *payments.Service {
	t.Helper()
	ctx := context.Background()
	pay := env.paymentsFor(t, s.d)
	if err := demo.Payments(ctx, s.d, pay, ab.a.id); err != nil {
		t.Fatal(err)
	}
	id, err := identity.New(identity.Config{DB: s.d, Params: cheapParams, BaseURL: s.base})
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.SupportConversation(ctx, s.d, id, ab.a.id, s.base); err != nil {
		t.Fatal(err)
	}
	ensureStatements(t, s.d, ab.a, ab.sv.Today())
	return pay
}

// portalPagesSetup gives the demo login what every page needs to show (the
// demo's payments and conversation, statements, quotes, a bank account
// awaiting its micro-deposits, autopay on the lease, email and phone
// changes awaiting their codes), makes the links from emails that the
// signed-out pages open and a customer with an authenticator app, and
// checks every page over HTTP.
func portalPagesSetup(t *testing.T, s *server, env payEnv, ab accountBook) pageLinks {
	t.Helper()
	ctx := context.Background()
	d := s.d
	a := ab.a
	loan, lease := itoa(a.loan().ID), itoa(a.lease().ID)
	l := pageLinks{loan: loan, lease: lease, signIn: a.email}

	pay := demoExtras(t, s, env, ab)
	one := func(query string, args ...any) int64 {
		t.Helper()
		var n int64
		if err := d.Read.QueryRow(query, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	bank := one(`SELECT min(id) FROM payment_methods WHERE customer_id = $1 AND kind = 'bank'`, a.id)
	l.card = itoa(one(`SELECT min(id) FROM payment_methods WHERE customer_id = $1 AND kind = 'card'`, a.id))
	l.receipt = payments.Confirmation(one(`SELECT min(id) FROM payments WHERE customer_id = $1 AND rail = 'card'`, a.id))
	l.thread = itoa(one(`SELECT min(id) FROM support_threads WHERE customer_id = $1`, a.id))

	// A payment scheduled for a later day, unless the demo made one.
	opts, err := pay.Options(ctx, a.id, a.loan().ID)
	if err != nil {
		t.Fatal(err)
	}
	later := calendar.AddBusinessDays(opts.Earliest, 3)
	if one(`SELECT count(*) FROM payments WHERE customer_id = $1 AND status = 'scheduled'`, a.id) == 0 {
		if _, err := pay.Pay(ctx, a.id, payments.OneTime{ContractID: a.loan().ID, MethodID: bank, Choice: payments.PayOther, Other: "60.00",
			Date: later, IdempotencyKey: "pages-scheduled"}); err != nil {
			t.Fatal(err)
		}
	}
	l.scheduled = payments.Confirmation(one(`SELECT min(id) FROM payments WHERE customer_id = $1 AND status = 'scheduled'`, a.id))
	l.payReview = url.Values{"amount": {"other"}, "other": {"50.00"}, "method": {itoa(bank)}, "date": {later.String()}}.Encode()
	l.autopayReview = url.Values{"method": {itoa(bank)}, "extra_choice": {"none"}, "days": {"3"}}.Encode()

	// A second bank account, its micro-deposits sent and not yet confirmed.
	pending, err := pay.AddBankAccount(ctx, a.id, payments.NewBankAccount{HolderName: a.first + " Savings", AccountType: "savings",
		Routing: "129083018", Account: "55507777", ConfirmAccount: "55507777", Nickname: "Rainy day"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pay.OriginateACH(ctx, calendar.OnOrAfterBusinessDay(pay.Config().Cutoff.Today(d.Now()))); err != nil {
		t.Fatal(err)
	}
	l.pendingBank = itoa(pending.ID)

	// Autopay on the lease; the loan's stays off (its form and review).
	terms, err := pay.AutopayTerms(ctx, a.id, payments.AutopayRequest{ContractID: a.lease().ID, MethodID: bank, DaysBefore: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pay.EnrolAutopay(ctx, a.id, payments.AutopayRequest{ContractID: a.lease().ID, MethodID: bank, DaysBefore: 2,
		Accepted: true, Version: terms.Version}); err != nil {
		t.Fatal(err)
	}

	// Quotes, and contact changes awaiting their codes, as the demo login.
	hb := s.browser("198.51.100.130")
	hb.mustSignIn(a.email, testPassword)
	goodThrough := func(contract string) string {
		t.Helper()
		m := selectedDateRE.FindStringSubmatch(hb.get("/contracts/" + contract + "/payoff").body)
		if m == nil {
			t.Fatalf("no date chosen on the payoff page of contract %s", contract)
		}
		return m[1]
	}
	r := hb.post("/contracts/"+loan+"/payoff", url.Values{"good_through": {goodThrough(loan)}})
	r.must(t, 200)
	l.payoffQuote = r.url
	r = hb.post("/contracts/"+lease+"/lease-end", url.Values{"good_through": {goodThrough(lease)}, "odometer": {"40000"}})
	r.must(t, 200)
	l.leaseQuote = r.url
	hb.post("/profile/email", url.Values{"email": {"riley.new@example.com"}}).must(t, 200)
	hb.post("/profile/phone", url.Values{"phone": {"(555) 201-7788"}}).must(t, 200)

	// Links from emails, each to a customer of its own.
	ip := 140
	next := func() string { ip++; return fmt.Sprintf("198.51.100.%d", ip) }
	enrolee := seedCustomer(t, d, "Enzo")
	s.browser(next()).post("/enrol", url.Values{"account": {enrolee.account}, "ssn4": {enrolee.ssn4}, "zip": {enrolee.zip}}).must(t, 200)
	l.enrol = s.lastLink(enrolee.email, "identity.enrol")

	forgets := seedLogin(t, s, "Rosa")
	s.browser(next()).post("/forgot", url.Values{"email": {forgets.email}}).must(t, 200)
	l.reset = s.lastLink(forgets.email, "identity.reset")

	traveller := seedLogin(t, s, "Wes")
	s.browser(next()).mustSignIn(traveller.email, testPassword)
	s.browser(next()).mustSignIn(traveller.email, testPassword) // a new device: an alert with "this wasn't me"
	l.wasntMe = s.lastLink(traveller.email, "identity.login_alert")

	mover := seedLogin(t, s, "Mona")
	mb := s.browser(next())
	mb.mustSignIn(mover.email, testPassword)
	mb.post("/profile/email", url.Values{"email": {"mona.new@example.com"}}).must(t, 200)
	mb.post("/profile/email/verify", url.Values{"code": {lastCode(t, s, "mona.new@example.com", "identity.email_change_code")}}).must(t, 200)
	l.emailRevert = s.lastLink(mover.email, "identity.email_changed")

	locked := seedLogin(t, s, "Lou")
	for range 10 {
		s.clock.Add(time.Minute)
		s.browser(next()).login(locked.email, "not the password at all")
	}
	l.unlock = s.lastLink(locked.email, "identity.unlock")

	tess, _ := withTOTP(t, s, "Tess", next())
	l.secondFactorEmail = tess.email

	// Every page answers over HTTP before the browser opens it.
	check := s.browser(next())
	check.mustSignIn(a.email, testPassword)
	signedOut := s.browser(next())
	for _, p := range portalPages(l) {
		if p.route == "GET /login/2fa" {
			continue
		}
		c := signedOut
		if p.signedIn {
			c = check
		}
		want := p.status
		if want == 0 {
			want = 200
		}
		r := c.get(p.path)
		at, _, _ := strings.Cut(r.url, "?")
		if path, _, _ := strings.Cut(p.path, "?"); r.status != want || at != path {
			t.Fatalf("%s: GET %s: %d at %s, want %d\n%s", p.name, p.path, r.status, r.url, want, clip(r.body))
		}
	}
	return l
}

// selectedDateRE finds the date a form's list has chosen.
var selectedDateRE = regexp.MustCompile(`<option value="([0-9]{4}-[0-9]{2}-[0-9]{2})" selected>`)
