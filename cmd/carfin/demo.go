package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"carfin/approvals"
	"carfin/calendar"
	"carfin/complaints"
	"carfin/db"
	"carfin/demo"
	"carfin/identity"
	"carfin/keyring"
	"carfin/notes"
	"carfin/payments"
	"carfin/servicing"
	"carfin/support"
	"carfin/tax"
	"carfin/webcore"
)

// demoPassword is the demo login's password. It is public on purpose: the
// demo listens on loopback and holds only fictional people.
const demoPassword = "northwind-test-drive-2026"

// runDemo: carfin demo [--data DIR] [--addr HOST:PORT] [serve flags]
//
// Builds the fictional lender's book in a SQLite file (unless the file
// already has one), creates the logins of two demo customers (a loan and
// a lease, both current; a loan three months past due; no second factor),
// prints them as "demo login: EMAIL PASSWORD" and "past-due login: EMAIL
// PASSWORD" with the business date, makes one staff member per role,
// printed as "demo staff login: EMAIL PASSWORD" and "demo staff totp:
// EMAIL BASE32KEY" (the same key again on a reused --data), gives the
// staff console's work queues open work, and serves the portal until
// interrupted. Without --data the file lives in a fresh temporary
// directory, so every run starts from a clean book.
//
// The demo has one origin, demoBaseURL's: it prints it, its emails link
// to it, the test card processor sends the browser back to it, and the
// portal sends a page asked for at the loopback address to it.
func runDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var dataDir string
	var serveArgs []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--data" || a == "-data":
			if i+1 >= len(args) {
				return usagef("demo: --data needs a directory")
			}
			dataDir = args[i+1]
			i++
		case strings.HasPrefix(a, "--data=") || strings.HasPrefix(a, "-data="):
			dataDir = a[strings.Index(a, "=")+1:]
		default:
			serveArgs = append(serveArgs, a)
		}
	}
	// The demo, alone of the commands, may present the fictional demo
	// lender: its identity fills what the flags and environment leave.
	cfg, err := parseServeConfig(serveArgs, withDemoIdentity(func(k string) string {
		if k == "CARFIN_DB" { // the demo chooses its own database unless --db says otherwise
			return ""
		}
		if v := getenv(k); v != "" || k != "CARFIN_METRICS_ADDR" {
			return v
		}
		return "127.0.0.1:0" // any free port: a demo must not fail on a busy 9464
	}), stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	dir := dataDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "carfin-demo-"); err != nil {
			return err
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if !slices.ContainsFunc(serveArgs, func(a string) bool { return a == "--db" || a == "-db" || strings.HasPrefix(a, "--db=") }) {
		cfg.DSN = "sqlite:" + filepath.Join(dir, "carfin.db")
	}
	if cfg.env, err = demoPaymentsEnv(cfg.env, dir); err != nil {
		return err
	}
	tuneGC(getenv)
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return usagef("demo: --time-zone: %v", err)
	}
	unlock, err := db.ServeLock(cfg.DSN)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer unlock()
	d, err := openDB(ctx, cfg.DSN)
	if err != nil {
		return err
	}
	defer d.Close()
	book, err := ensureBook(ctx, d, loc, stdout, demo.WithLender(statementLender(cfg.Brand, cfg.MailingAddresses, cfg.LenderAddress, "")))
	if err != nil {
		return err
	}
	cutoff, err := calendar.ParseCutoff(cfg.Cutoff, cfg.TimeZone)
	if err != nil {
		return usagef("demo: %v", err)
	}
	book.Today = cutoff.Today(d.Now())
	if cfg.BaseURL, cfg.Addr, err = demoBaseURL(cfg); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d customers, %d contracts on %s (business date %s)\n",
		demo.LenderName, book.Customers, book.Contracts, d.DSN, book.Today)
	if err := ensureDemoLogins(ctx, d, cfg, book); err != nil {
		return err
	}
	if book.LoginCustomerID != 0 {
		if err := ensureDemoMessages(ctx, d, cfg, book); err != nil {
			return err
		}
		if err := ensureDemoPayments(ctx, d, cfg, book); err != nil {
			return err
		}
	}
	if err := ensureDemoTax(ctx, d, cfg, book); err != nil {
		return err
	}
	staffLogins, err := ensureDemoStaff(ctx, d, cfg, book)
	if err != nil {
		return err
	}
	printDemoLogins(stdout, cfg.BaseURL, book)
	printDemoStaff(stdout, staffLogins)
	if cfg.Brand.Name == webcore.DefaultBrand.Name {
		cfg.Brand.Name = demo.LenderName
	}
	demoPayoffInstructions(&cfg)
	return startServer(ctx, cfg, d, stdout)
}

// ensureDemoTax fills the demo contracts' vehicle-loan tax data and
// issues the last tax year's Form 1098-VLI statements and interest
// summaries as they went out in January (a view of d whose clock is the
// 15th). Both are idempotent: a restart repeats nothing.
func ensureDemoTax(ctx context.Context, d *db.DB, cfg serveConfig, book demo.Book) error {
	keys, err := keyring.Parse(cfg.env("CARFIN_PAYMENT_KEYS"))
	if err != nil {
		return fmt.Errorf("demo: tax data: %w", err)
	}
	if err := demo.FillTaxData(ctx, d, keys); err != nil {
		return err
	}
	year := book.Today.Year() - 1
	if year < tax.FirstTaxYear || year > tax.LastTaxYear {
		return nil
	}
	issued := calendar.OnOrAfterBusinessDay(calendar.New(year+1, time.January, 15))
	at := d.AsOf(db.ClockFunc(func() time.Time { return issued.Time().Add(15 * time.Hour) }))
	yearEnd, err := newYearEnd(cfg, at, keys, time.UTC)
	if err != nil {
		return err
	}
	return yearEnd(ctx, issued)
}

// demoBaseURL returns the demo's one origin, serve's (publicBase:
// --base-url, or localhost and the port of --addr on this machine), and
// the address to listen on. A port 0 is chosen here rather than by serve,
// so that the origin is known before the emails and payments the demo
// seeds link to it: the port is free when chosen, and taken again by the
// server a moment later.
func demoBaseURL(cfg serveConfig) (base, addr string, err error) {
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return "", "", usagef("demo: --addr %q: %v", cfg.Addr, err)
	}
	if port == "0" {
		ln, err := net.Listen("tcp", cfg.Addr)
		if err != nil {
			return "", "", fmt.Errorf("demo: listen %s: %w", cfg.Addr, err)
		}
		_, port, _ = net.SplitHostPort(ln.Addr().String())
		ln.Close()
	}
	return publicBase(cfg, host, port), net.JoinHostPort(host, port), nil
}

// printDemoLogins prints where to sign in, and as whom.
func printDemoLogins(w io.Writer, base string, book demo.Book) {
	if book.LoginCustomerID == 0 {
		fmt.Fprintf(w, "no demo login: no customer has the address %s in this database\n", demo.LoginEmail)
	} else {
		fmt.Fprintf(w, "demo login: %s %s\n", book.LoginEmail, demoPassword) // a loan and a lease, both current
	}
	if book.PastDueCustomerID != 0 {
		fmt.Fprintf(w, "past-due login: %s %s (a loan three months past due, with late fees)\n", demo.PastDueEmail, demoPassword)
	}
	fmt.Fprintf(w, "sign in at %s/login\n", base)
}

// demoLockout is the lockout of the demo's identity service when it
// seeds the staff console's work: one wrong password locks, for a working
// day, so the locked-accounts queue has a login locked today without ten
// sign-in attempts. serve runs with the ordinary limits.
var demoLockout = identity.Limits{LockoutFailures: 1, LockoutDuration: 12 * time.Hour}

// ensureDemoStaff makes the demo's staff, one per role, ready to sign in
// with demoPassword and an authenticator app (demo.Staff), and gives the
// console's work queues open work (demo.StaffWork), through the services
// serve runs with.
func ensureDemoStaff(ctx context.Context, d *db.DB, cfg serveConfig, book demo.Book) ([]demo.StaffLogin, error) {
	cutoff, err := calendar.ParseCutoff(cfg.Cutoff, cfg.TimeZone)
	if err != nil {
		return nil, err
	}
	paymentsOn := func(v *db.DB) (*payments.Service, error) {
		pay, _, _, err := servePayments(cfg, v, servicing.New(v, cutoff.Today), cutoff, cfg.BaseURL, true, slog.New(slog.DiscardHandler), nil)
		return pay, err
	}
	pay, err := paymentsOn(d)
	if err != nil {
		return nil, err
	}
	var keys *keyring.Keyring
	if k := pay.Config().Keys; k != nil {
		keys = k.Keyring // authenticator seeds are sealed under the payments key ring, as serve does
	}
	id, err := identity.New(identity.Config{DB: d, Params: cfg.hashParams, BaseURL: cfg.BaseURL, LenderName: demo.LenderName,
		Location: cutoff.Location, Keys: keys, Limits: demoLockout, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	logins, err := demo.Staff(ctx, d, id, keys, demoPassword)
	if err != nil {
		return nil, err
	}
	w := demo.Work{DB: d, Identity: id, Support: support.New(d, support.Config{LenderName: demo.LenderName, BaseURL: cfg.BaseURL}),
		Approvals: approvals.New(d, servicing.New(d, cutoff.Today), pay, cutoff.Today), Complaints: complaints.New(d, cutoff.Today), Notes: notes.New(d),
		PaymentsOn: paymentsOn, Today: cutoff.Today(d.Now())}
	return logins, demo.StaffWork(ctx, w, book, logins)
}

// printDemoStaff prints the demo's staff logins, one line for the
// password and one for the authenticator key of each.
func printDemoStaff(w io.Writer, logins []demo.StaffLogin) {
	for _, l := range logins {
		fmt.Fprintf(w, "demo staff login: %s %s\n", l.Email, demoPassword)
		fmt.Fprintf(w, "demo staff totp: %s %s\n", l.Email, l.Secret)
	}
}

// ensureDemoLogins gives the demo customers (the demo login's and the
// past-due one) a login with demoPassword, unless they have one.
func ensureDemoLogins(ctx context.Context, d *db.DB, cfg serveConfig, book demo.Book) error {
	id, err := identity.New(identity.Config{DB: d, Params: cfg.hashParams, BaseURL: cfg.BaseURL, LenderName: demo.LenderName})
	if err != nil {
		return err
	}
	for _, customer := range []int64{book.LoginCustomerID, book.PastDueCustomerID} {
		if customer == 0 {
			continue
		}
		var n int
		if err := d.Read.QueryRowContext(ctx, `SELECT count(*) FROM logins WHERE customer_id = $1`, customer).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		if _, err := id.CreateCustomerLogin(ctx, customer, demoPassword); err != nil {
			return fmt.Errorf("demo login: %w", err)
		}
	}
	return nil
}

// ensureDemoMessages gives the demo customer a conversation with support.
func ensureDemoMessages(ctx context.Context, d *db.DB, cfg serveConfig, book demo.Book) error {
	id, err := identity.New(identity.Config{DB: d, Params: cfg.hashParams, BaseURL: cfg.BaseURL, LenderName: demo.LenderName})
	if err != nil {
		return err
	}
	return demo.SupportConversation(ctx, d, id, book.LoginCustomerID, cfg.BaseURL)
}

// ensureBook builds the demo book unless the database has contracts
// already, in which case it reports what is there, with the demo
// customers found by their addresses (demo.Existing).
func ensureBook(ctx context.Context, d *db.DB, loc *time.Location, stdout io.Writer, opts ...demo.Option) (demo.Book, error) {
	book, ok, err := demo.Existing(ctx, d.Read)
	if ok || err != nil {
		return book, err
	}
	fmt.Fprintf(stdout, "building the %s demo book day by day with the servicing engine…\n", demo.LenderName)
	t0 := time.Now()
	book, err = demo.Build(ctx, d, loc, opts...)
	if err != nil {
		return demo.Book{}, err
	}
	fmt.Fprintf(stdout, "built in %s\n", time.Since(t0).Round(time.Millisecond))
	return book, nil
}
