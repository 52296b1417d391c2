// Package dbtest gives tests a fresh, migrated carfin database on each
// engine: SQLite in a temporary file always, and PostgreSQL in a fresh
// schema of the server at CARFIN_TEST_POSTGRES_URL.
//
// Without that variable the PostgreSQL half is skipped with a message,
// except under CI (CI set), where a missing or unreachable PostgreSQL fails
// the test: CI must prove both engines.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver for schema setup

	"carfin/db"
)

// EnvPostgres names the variable holding the PostgreSQL test server URL.
const EnvPostgres = "CARFIN_TEST_POSTGRES_URL"

// Each runs body as two subtests, "sqlite" and "postgres", each with its
// own fresh, migrated database.
func Each(t *testing.T, body func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { body(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { body(t, Postgres(t)) })
}

// SQLite returns a fresh migrated SQLite database in a temporary directory,
// closed when the test ends.
func SQLite(t testing.TB) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "carfin.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

// PostgresURL returns the test server's URL, skipping the test when none
// is configured outside CI and failing it under CI.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvPostgres)
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: CI must run every store test on PostgreSQL", EnvPostgres)
		}
		t.Skipf("PostgreSQL half skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", EnvPostgres)
	}
	return u
}

// Postgres returns a fresh migrated PostgreSQL database: a new schema on
// the test server, dropped when the test ends.
func Postgres(t testing.TB) *db.DB {
	t.Helper()
	dsn := PostgresDSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := db.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return d
}

// PostgresDSN creates a fresh, empty schema on the test server (dropped
// when the test ends) and returns a DSN whose search_path selects it, for
// tests that run carfin's commands against PostgreSQL.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := PostgresURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("PostgreSQL at %s: %v", base, err)
	}
	defer admin.Close()
	if err := admin.PingContext(ctx); err != nil {
		t.Fatalf("PostgreSQL at %s is unreachable: %v", base, err)
	}
	schema := "carfin_t_" + randomHex(8)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		c, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = c.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// FixedClock returns a clock that always answers t, for tests that need
// "now" to be a known instant.
func FixedClock(t time.Time) db.Clock {
	return func() time.Time { return t.UTC() }
}
