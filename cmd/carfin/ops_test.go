package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"carfin/db/dbtest"
)

// TestDemoAndCheck: `carfin demo` builds the book, `carfin check` passes
// on it, and fails, naming the contract, once a cached balance is tampered
// with behind the engine's back. On both engines.
func TestDemoAndCheck(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			dsn := "sqlite:" + filepath.Join(t.TempDir(), "carfin.db")
			if engine == "postgres" {
				dsn = dbtest.PostgresDSN(t)
			}
			out, errOut, code := carfin(t, "demo", "--db", dsn)
			if code != 0 || !strings.Contains(out, "Northwind Motor Finance: 51 customers, 52 contracts") {
				t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
			}
			out, errOut, code = carfin(t, "check", "--db", dsn)
			if code != 0 || !strings.Contains(out, "0 finding(s)") {
				t.Fatalf("check: exit %d\n%s\n%s", code, out, errOut)
			}
			driver, source := "sqlite", strings.TrimPrefix(dsn, "sqlite:")
			if engine == "postgres" {
				driver, source = "pgx", dsn
			}
			raw, err := sql.Open(driver, source)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			if _, err := raw.ExecContext(context.Background(), `UPDATE contract_balances SET principal_cents = principal_cents + 1 WHERE contract_id = 3`); err != nil {
				t.Fatal(err)
			}
			out, _, code = carfin(t, "check", "--db", dsn)
			if code != 1 || !strings.Contains(out, "FINDING: contract 3:") {
				t.Fatalf("check after tampering: exit %d\n%s", code, out)
			}
		})
	}
}
