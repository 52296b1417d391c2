package console_test

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"carfin/approvals"
	"carfin/calendar"
	"carfin/callers"
	"carfin/casefile"
	"carfin/complaints"
	"carfin/console"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/demo"
	"carfin/identity"
	"carfin/keyring"
	"carfin/notes"
	"carfin/payments"
	"carfin/payments/ach"
	"carfin/payments/cardtest"
	"carfin/quotes"
	"carfin/servicing"
	"carfin/staff"
	"carfin/support"
	"carfin/webcore"
)

const staffPassword = "northwind-test-drive-2026"

// consoleTests are the console's HTTP tests, run by TestConsole on one
// demo book per engine (building it takes seconds on PostgreSQL). Each
// signs in afresh and leaves the book usable by the others: it works on
// its own customer or undoes nothing another relies on.
var consoleTests = map[string]func(t *testing.T, f *fixture){}

// register adds a console test; call it from an init function.
func register(name string, test func(t *testing.T, f *fixture)) {
	if _, dup := consoleTests[name]; dup {
		panic("console test registered twice: " + name)
	}
	consoleTests[name] = test
}

// TestConsole runs every registered console test on both engines, in
// name order.
func TestConsole(t *testing.T) {
	names := slices.Sorted(maps.Keys(consoleTests))
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, console.Config{})
		for _, name := range names {
			t.Run(name, func(t *testing.T) {
				f.t = t
				defer func() { f.t = nil }()
				consoleTests[name](t, f)
			})
		}
	})
}

// fixture is a console over the demo book, with its staff (one per
// role) and open work in every queue, served over real HTTP.
type fixture struct {
	t      *testing.T
	d      *db.DB
	clock  *dbtest.Clock
	book   demo.Book
	caps   console.Capabilities
	logins map[staff.Role]demo.StaffLogin
	srv    *httptest.Server
}

// newFixture builds the demo book in d and starts the console on it. The
// clock stands still (moved by the tests).
func newFixture(t *testing.T, d *db.DB, cfg console.Config) *fixture {
	t.Helper()
	ctx := context.Background()
	clock := dbtest.ClockOf(d)
	clock.Stop()
	book, err := demo.Build(ctx, d, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	today := func(t time.Time) calendar.Date { return calendar.Of(t.UTC()) }
	id, err := identity.New(identity.Config{DB: d, BaseURL: "http://localhost:8080", LenderName: demo.LenderName, Keys: keyring.Dev(),
		Limits: identity.Limits{GlobalFailureBurst: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	// The demo locks a customer's login with one wrong password.
	lockFast, err := identity.New(identity.Config{DB: d, BaseURL: "http://localhost:8080", LenderName: demo.LenderName, Keys: keyring.Dev(),
		Limits: identity.Limits{LockoutFailures: 1, GlobalFailureBurst: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	cutoff := calendar.Cutoff{Hour: 17, Location: time.UTC}
	proc, outDir := cardtest.New("console-test"), t.TempDir()
	payOn := func(v *db.DB) (*payments.Service, error) {
		return payments.New(v, servicing.New(v, cutoff.Today), payments.Config{LenderName: demo.LenderName, Cutoff: cutoff, OutDir: outDir,
			PortalURL: "http://localhost:8080", Phone: "1-800-555-0199", Log: slog.New(slog.DiscardHandler), Keys: payments.DevKeyring(), Directory: ach.SampleDirectory(), Processor: proc,
			Origin: payments.Origin{ODFIRouting: demo.ODFIRouting, DestinationName: demo.ODFIName, CompanyName: demo.ACHCompanyName,
				CompanyID: demo.ACHCompanyID}})
	}
	pay, err := payOn(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Payments(ctx, d, pay, book.LoginCustomerID); err != nil {
		t.Fatal(err)
	}
	sv := servicing.New(d, today)
	qs, err := quotes.New(d, sv, quotes.Config{
		Letterhead: quotes.Letterhead{Name: demo.LenderName, Address: []string{"100 Harbor Way", "Columbus, OH 43215"}, Phone: "1-800-555-0199"},
		Wire:       []string{"Bank: First Example Bank", "ABA routing: 021000021", "Account: 000123456789"},
		Mail:       []string{demo.LenderName, "Payoff Department", "PO Box 4400", "Columbus, OH 43216"}})
	if err != nil {
		t.Fatal(err)
	}
	caps := console.Capabilities{Identity: id, Staff: staff.New(d, id), Callers: callers.New(d, demo.LenderName),
		Casefile: casefile.New(d, casefile.Config{}), Servicing: sv, Payments: pay, Quotes: qs,
		Support: support.New(d, support.Config{LenderName: demo.LenderName, BaseURL: "http://localhost:8080"}),
		Notes:   notes.New(d), Approvals: approvals.New(d, sv, pay, today), Complaints: complaints.New(d, today)}
	w := demo.Work{DB: d, Identity: lockFast, Support: caps.Support, Approvals: caps.Approvals, Complaints: caps.Complaints, Notes: caps.Notes,
		PaymentsOn: payOn, Today: today(d.Now())}
	logins, err := demo.Staff(ctx, d, id, keyring.Dev(), staffPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.StaffWork(ctx, w, book, logins); err != nil {
		t.Fatal(err)
	}
	if cfg.Brand.Name == "" {
		cfg.Brand = webcore.DefaultBrand
	}
	c, err := console.New(cfg, d, caps)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, d: d, clock: clock, book: book, caps: caps, logins: map[staff.Role]demo.StaffLogin{}}
	for _, l := range logins {
		f.logins[l.Role] = l
	}
	f.srv = httptest.NewServer(c)
	t.Cleanup(f.srv.Close)
	return f
}

// browser is an HTTP client with its own cookies that does not follow
// redirects (tests look at them).
type browser struct {
	f *fixture
	c *http.Client
}

func (f *fixture) newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{f: f, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// response is a page read whole.
type response struct {
	Status   int
	Location string
	Body     string
}

func (b *browser) do(req *http.Request) response {
	b.f.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Body: string(body)}
}

func (b *browser) get(path string) response {
	req, _ := http.NewRequest(http.MethodGet, b.f.srv.URL+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) response {
	req, _ := http.NewRequest(http.MethodPost, b.f.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// signIn signs the member of role in, through the sign-in pages, with a
// code of their authenticator app from a step no earlier sign-in used.
func (f *fixture) signIn(role staff.Role) *browser {
	f.t.Helper()
	b := f.newBrowser()
	l := f.logins[role]
	if r := b.post("/staff/login", url.Values{"email": {l.Email}, "password": {staffPassword}}); r.Status != http.StatusSeeOther ||
		!strings.HasPrefix(r.Location, "/staff/login/2fa") {
		f.t.Fatalf("%s: password: %d %s %s", role, r.Status, r.Location, r.Body)
	}
	f.clock.Add(31 * time.Second)
	code, err := demo.StaffCode(l.Secret, f.d.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	if r := b.post("/staff/login/2fa", url.Values{"code": {code}}); r.Status != http.StatusSeeOther || r.Location != "/staff/" {
		f.t.Fatalf("%s: code: %d %s %s", role, r.Status, r.Location, r.Body)
	}
	return b
}
