package db_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"carfin/db"
	"carfin/db/dbtest"
)

// TestIsUnavailable classifies errors made by hand: what the drivers
// return when the database is away, shutting down, full or read-only is
// unavailable (a 503 that passes); a request's own mistake, a conflict or
// a missing row is not.
func TestIsUnavailable(t *testing.T) {
	pg := func(code string) error {
		return fmt.Errorf("post payment 7: %w", &pgconn.PgError{Severity: "FATAL", Code: code})
	}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	for _, tc := range []struct {
		name    string
		err     error
		want    bool
		problem string
	}{
		{"nil", nil, false, ""},
		{"plain error", errors.New("boom"), false, ""},
		{"no rows", fmt.Errorf("load: %w", sql.ErrNoRows), false, ""},
		{"cancelled request", context.Canceled, false, ""},
		{"unique violation", pg("23505"), false, ""},
		{"serialization failure", pg("40001"), false, ""},
		{"syntax error", pg("42601"), false, ""},
		{"connection failure 08006", pg("08006"), true, "unavailable"},
		{"cannot connect now 57P03", pg("57P03"), true, "unavailable"},
		{"admin shutdown 57P01", pg("57P01"), true, "unavailable"},
		{"crash shutdown 57P02", pg("57P02"), true, "unavailable"},
		{"too many connections", pg("53300"), true, "unavailable"},
		{"disk full 53100", pg("53100"), true, "disk full"},
		{"read-only transaction 25006", pg("25006"), true, "read-only"},
		{"refused dial", fmt.Errorf("begin: %w", refused), true, "unavailable"},
		{"conn closed", fmt.Errorf("query: %w", pgconn.ErrConnClosed), true, "unavailable"},
		{"bad conn", driver.ErrBadConn, true, "unavailable"},
		{"lost mid-message", fmt.Errorf("failed to receive message: %w", io.ErrUnexpectedEOF), true, "unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := db.IsUnavailable(tc.err); got != tc.want {
				t.Errorf("IsUnavailable(%v) = %v, want %v", tc.err, got, tc.want)
			}
			if got := db.Problem(tc.err); got != tc.problem {
				t.Errorf("Problem(%v) = %q, want %q", tc.err, got, tc.problem)
			}
		})
	}
}

// TestIsUnavailableFromDrivers classifies what the drivers really return:
// a connection to a port nobody listens on, a session the server
// terminates (what a fast shutdown does to every session), SQLite full
// (max_page_count reached) and read-only (query_only), whose errors InTx
// names plainly; and a unique violation, which is not unavailable.
func TestIsUnavailableFromDrivers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	t.Run("postgres refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // nobody listens there now
		_, err = db.Open(ctx, "postgres://carfin@"+addr+"/carfin?sslmode=disable&connect_timeout=2")
		if err == nil || !db.IsUnavailable(err) {
			t.Errorf("open at a closed port: %v, want unavailable", err)
		}
	})

	t.Run("postgres session terminated", func(t *testing.T) {
		url := dbtest.PostgresURL(t)
		d, err := db.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		conn, err := d.SQL.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var pid int
		if err := conn.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
			t.Fatal(err)
		}
		admin, err := db.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		if _, err := admin.SQL.ExecContext(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
			t.Fatal(err)
		}
		var one int
		err = conn.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
		if err == nil || !db.IsUnavailable(err) {
			t.Errorf("query on a terminated session: %v, want unavailable", err)
		}
		var dup int
		err = admin.SQL.QueryRowContext(ctx, `SELECT 1 FROM (VALUES (1), (1)) v(x) GROUP BY x HAVING 1/0 = 1`).Scan(&dup)
		if err == nil || db.IsUnavailable(err) {
			t.Errorf("division by zero: %v, want an error that is not unavailable", err)
		}
	})

	t.Run("sqlite", func(t *testing.T) {
		d, err := db.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "full.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if _, err := d.SQL.ExecContext(ctx, `CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE)`); err != nil {
			t.Fatal(err)
		}
		insert := func(body string) error {
			return d.InTx(ctx, func(tx *db.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO notes (body) VALUES ($1)`, body)
				return err
			})
		}
		if err := insert("first"); err != nil {
			t.Fatal(err)
		}
		if err = insert("first"); err == nil || db.IsUnavailable(err) || !db.IsUniqueViolation(err) {
			t.Errorf("duplicate: %v, want a unique violation that is not unavailable", err)
		}
		// The writer is one connection: the limit holds for every write.
		if _, err := d.SQL.ExecContext(ctx, `PRAGMA max_page_count = 2`); err != nil {
			t.Fatal(err)
		}
		err = insert(strings.Repeat("x", 64<<10)) // needs pages the limit forbids
		if !db.IsUnavailable(err) || db.Problem(err) != "disk full" || !strings.Contains(err.Error(), "database disk full") {
			t.Errorf("insert into a full database: %v, want unavailable, disk full", err)
		}
		var n int
		if err := d.Read.QueryRowContext(ctx, `SELECT count(*) FROM notes`).Scan(&n); err != nil || n != 1 {
			t.Errorf("after the failed insert: %d notes (%v), want 1", n, err)
		}
		_, err = d.Read.ExecContext(ctx, `INSERT INTO notes (body) VALUES ('reader')`) // the readers are query_only
		if !db.IsUnavailable(err) || db.Problem(err) != "read-only" {
			t.Errorf("insert through a read-only connection: %v, want unavailable, read-only", err)
		}
	})
}
