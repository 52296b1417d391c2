package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"carfin/db"
	"carfin/demo"
	"carfin/identity"
	"carfin/web"
)

// demoPassword is the demo login's password. It is public on purpose: the
// demo listens on loopback and holds only fictional people.
const demoPassword = "northwind-test-drive-2026"

// runDemo: carfin demo [--data DIR] [--addr HOST:PORT] [serve flags]
//
// Builds the fictional lender's book in a SQLite file (unless the file
// already has one), creates the demo customer's login (a loan and a
// lease, no second factor), prints it as "demo login: EMAIL PASSWORD" and
// serves the portal until interrupted. Without --data the file lives in a
// fresh temporary directory, so every run starts from a clean book.
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
	d, err := openDB(ctx, cfg.DSN)
	if err != nil {
		return err
	}
	defer d.Close()
	book, err := ensureBook(ctx, d, loc, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d customers, %d contracts on %s (business date %s)\n",
		demo.LenderName, book.Customers, book.Contracts, d.DSN, book.Today)
	if err := ensureDemoLogin(ctx, d, cfg, book); err != nil {
		return err
	}
	if err := ensureDemoMessages(ctx, d, cfg, book); err != nil {
		return err
	}
	if err := ensureDemoPayments(ctx, d, cfg, book); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo login: %s %s\n", book.LoginEmail, demoPassword)
	if cfg.Brand.Name == web.DefaultBrand.Name {
		cfg.Brand.Name = demo.LenderName
	}
	demoPayoffInstructions(&cfg)
	return startServer(ctx, cfg, d, stdout)
}

// ensureDemoLogin gives the demo customer a login with demoPassword,
// unless one exists.
func ensureDemoLogin(ctx context.Context, d *db.DB, cfg serveConfig, book demo.Book) error {
	var n int
	if err := d.Read.QueryRowContext(ctx, `SELECT count(*) FROM logins WHERE customer_id = $1`, book.LoginCustomerID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	id, err := identity.New(identity.Config{DB: d, Params: cfg.hashParams, BaseURL: "http://localhost", LenderName: demo.LenderName})
	if err != nil {
		return err
	}
	if _, err := id.CreateCustomerLogin(ctx, book.LoginCustomerID, demoPassword); err != nil {
		return fmt.Errorf("demo login: %w", err)
	}
	return nil
}

// ensureDemoMessages gives the demo customer a conversation with support.
func ensureDemoMessages(ctx context.Context, d *db.DB, cfg serveConfig, book demo.Book) error {
	id, err := identity.New(identity.Config{DB: d, Params: cfg.hashParams, BaseURL: "http://localhost", LenderName: demo.LenderName})
	if err != nil {
		return err
	}
	return demo.SupportConversation(ctx, d, id, book.LoginCustomerID)
}

// ensureBook builds the demo book unless the database has contracts
// already, in which case it reports what is there.
func ensureBook(ctx context.Context, d *db.DB, loc *time.Location, stdout io.Writer) (demo.Book, error) {
	var n int
	if err := d.Read.QueryRowContext(ctx, `SELECT count(*) FROM contracts`).Scan(&n); err != nil {
		return demo.Book{}, err
	}
	if n > 0 {
		var book demo.Book
		book.Contracts = n
		_ = d.Read.QueryRowContext(ctx, `SELECT count(*) FROM customers`).Scan(&book.Customers)
		// The demo login's customer: the one an earlier run gave a login,
		// else the first with both a loan and a lease.
		_ = d.Read.QueryRowContext(ctx, `SELECT id, email FROM customers WHERE id = COALESCE(
			(SELECT min(customer_id) FROM logins WHERE customer_id IS NOT NULL),
			(SELECT min(customer_id) FROM (SELECT customer_id FROM contracts GROUP BY customer_id HAVING count(DISTINCT kind) = 2) x),
			(SELECT min(id) FROM customers))`).Scan(&book.LoginCustomerID, &book.LoginEmail)
		return book, nil
	}
	fmt.Fprintf(stdout, "building the %s demo book day by day with the servicing engine…\n", demo.LenderName)
	t0 := time.Now()
	book, err := demo.Build(ctx, d, loc)
	if err != nil {
		return demo.Book{}, err
	}
	fmt.Fprintf(stdout, "built in %s\n", time.Since(t0).Round(time.Millisecond))
	return book, nil
}
