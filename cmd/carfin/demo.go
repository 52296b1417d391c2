package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"carfin/db"
	"carfin/demo"
)

// runDemo: carfin demo [--data DIR] [--db DSN] [--addr HOST:PORT]
//
// Builds the fictional lender's book (unless the database already has
// one) and prints a summary. Without --data it works in a fresh temporary
// directory, so every run starts from a clean book.
func runDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	var f dbFlags
	f.register(fs, getenv)
	dataDir := fs.String("data", "", "directory that keeps the demo's SQLite file (default: a new temporary directory)")
	addr := fs.String("addr", "127.0.0.1:8080", "address the portal listens on")
	dsnSet := false
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fs.Visit(func(fl *flag.Flag) { dsnSet = dsnSet || fl.Name == "db" })
	cutoff, err := f.cutoffOf()
	if err != nil {
		return err
	}
	dsn := f.dsn
	if !dsnSet {
		dir := *dataDir
		if dir == "" {
			if dir, err = os.MkdirTemp("", "carfin-demo-"); err != nil {
				return err
			}
		}
		dsn = "sqlite:" + filepath.Join(dir, "carfin.db")
	}
	d, err := openDB(ctx, dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	book, err := ensureBook(ctx, d, cutoff.Location, stdout)
	if err != nil {
		return err
	}
	_ = addr
	_ = stderr
	fmt.Fprintf(stdout, "%s: %d customers, %d contracts on %s (business date %s)\n",
		demo.LenderName, book.Customers, book.Contracts, d.DSN, book.Today)
	return nil
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
		_ = d.Read.QueryRowContext(ctx, `SELECT id, email FROM customers ORDER BY id LIMIT 1`).Scan(&book.LoginCustomerID, &book.LoginEmail)
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
