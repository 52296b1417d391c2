// Package dbtest gives tests a fresh, migrated carfin database on each
// engine: SQLite in a temporary file always, and PostgreSQL in a fresh
// schema of the server at CARFIN_TEST_POSTGRES_URL.
//
// Every database it opens has a Clock of its own, which tests move
// (ClockOf): it follows the system clock until a test sets it.
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
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver for schema setup

	"carfin/db"
)

// EnvPostgres names the variable holding the PostgreSQL test server URL.
const EnvPostgres = "CARFIN_TEST_POSTGRES_URL"

// Each runs body as two subtests, "sqlite" and "postgres", each with its
// own fresh, migrated database, with a clock of its own (ClockOf).
func Each(t *testing.T, body func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { body(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { body(t, Postgres(t)) })
}

// SQLite returns a fresh migrated SQLite database in a temporary directory,
// closed when the test ends, with a clock of its own (ClockOf).
func SQLite(t testing.TB) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "carfin.db"), db.WithClock(&Clock{}))
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
// the test server, dropped when the test ends, with a clock of its own
// (ClockOf).
func Postgres(t testing.TB) *db.DB {
	t.Helper()
	dsn := PostgresDSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := db.Open(ctx, dsn, db.WithClock(&Clock{}))
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

// Clock is a test clock: the clock of every database dbtest opens, and a
// clock for tests to give db.Open (db.WithClock). The zero Clock follows
// the system clock; Set stops it at an instant, and Add moves it, stopped
// or running. Tests move a database's time through its clock; the clock
// itself, fixed when the database was opened, is shared by everything
// over the database (a second server sees the same time).
type Clock struct {
	mu      sync.Mutex
	stopped bool
	at      time.Time     // where a stopped clock stands
	offset  time.Duration // from the system clock, while running
}

// ClockOf returns the clock of d, a database dbtest opened. It panics for
// any other database: its clock is not a test's to move.
func ClockOf(d *db.DB) *Clock {
	c, ok := d.Clock().(*Clock)
	if !ok {
		panic("dbtest.ClockOf: the database was not opened by dbtest")
	}
	return c
}

// Now returns the clock's time, in UTC.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return c.at
	}
	return db.SystemClock.Now().Add(c.offset)
}

// Set stops the clock at t, kept in UTC to the microsecond (what
// PostgreSQL keeps, so that a time read back equals the one written).
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped, c.at = true, t.UTC().Truncate(time.Microsecond)
}

// Add moves the clock by d, whether it stands or runs.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		c.at = c.at.Add(d)
	} else {
		c.offset += d
	}
}

// Stop stops a running clock at the whole second it shows (cookies and
// authenticator codes count whole seconds, so times a test works out from
// it land where it expects); a stopped clock stays where it stands.
func (c *Clock) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stopped {
		c.stopped, c.at = true, db.SystemClock.Now().Add(c.offset).Truncate(time.Second)
	}
}

// Run lets a stopped clock run on in real time from where it stands.
func (c *Clock) Run() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		c.stopped, c.offset = false, c.at.Sub(db.SystemClock.Now())
	}
}
