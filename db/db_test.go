package db_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
)

// TestEngineConformance checks, on both engines, the behaviours carfin's
// SQL relies on: civil dates compare as dates, timestamps round-trip in
// UTC, $N placeholders (reused too), RETURNING, unique violations are
// recognised, the ledger refuses updates and deletes, and a failed
// transaction leaves nothing behind.
func TestEngineConformance(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 25, 8, 30, 0, 123456000, time.UTC)
		dbtest.ClockOf(d).Set(now)

		var customerID int64
		err := d.InTx(ctx, func(tx *db.Tx) error {
			return tx.QueryRowContext(ctx, `INSERT INTO customers (first_name, last_name, email, address_line1, city, state, zip, birth_date, ssn_last4, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
				"Ada", "Quinn", "ada@example.com", "1 Main St", "Springfield", "IL", "62701",
				calendar.MustParse("1980-02-29"), "1234", tx.Now()).Scan(&customerID)
		})
		if err != nil || customerID == 0 {
			t.Fatalf("insert: %v", err)
		}
		var birth calendar.Date
		var created time.Time
		if err := d.Read.QueryRowContext(ctx, `SELECT birth_date, created_at FROM customers WHERE id = $1 AND birth_date < $2 AND birth_date >= $3`,
			customerID, calendar.MustParse("1980-03-01"), calendar.MustParse("1980-02-29")).Scan(&birth, &created); err != nil {
			t.Fatalf("date comparison: %v", err)
		}
		if birth != calendar.MustParse("1980-02-29") || !created.Equal(now) {
			t.Errorf("round trip: %s, %s", birth, created)
		}
		var n int
		if err := d.Read.QueryRowContext(ctx, `SELECT count(*) FROM customers WHERE created_at > $1 AND created_at < $2`,
			now.Add(-time.Microsecond), now.Add(time.Microsecond)).Scan(&n); err != nil || n != 1 {
			t.Errorf("timestamp comparison: %d, %v", n, err)
		}

		// A failed transaction writes nothing.
		boom := errors.New("boom")
		err = d.InTx(ctx, func(tx *db.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE customers SET first_name = 'Eve' WHERE id = $1`, customerID); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
		var name string
		_ = d.Read.QueryRowContext(ctx, `SELECT first_name FROM customers WHERE id = $1`, customerID).Scan(&name)
		if name != "Ada" {
			t.Errorf("rolled-back write is visible: %s", name)
		}

		// Ledger rows are append-only.
		err = d.InTx(ctx, func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO ledger_transactions (kind, effective_date, idempotency_key, request_hash, created_at) VALUES ('test', $1, 'k1', 'h', $2)`,
				calendar.MustParse("2026-11-25"), tx.Now())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		err = d.InTx(ctx, func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO ledger_transactions (kind, effective_date, idempotency_key, request_hash, created_at) VALUES ('test', $1, 'k1', 'h', $2)`,
				calendar.MustParse("2026-11-25"), tx.Now())
			return err
		})
		if !db.IsUniqueViolation(err) {
			t.Errorf("duplicate key err = %v, want a unique violation", err)
		}
		for _, stmt := range []string{`UPDATE ledger_transactions SET memo = 'x'`, `DELETE FROM ledger_transactions`} {
			err := d.InTx(ctx, func(tx *db.Tx) error { _, err := tx.ExecContext(ctx, stmt); return err })
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: err = %v, want append-only refusal", stmt, err)
			}
		}

		// Savepoints keep the transaction usable after a handled failure.
		err = d.InTx(ctx, func(tx *db.Tx) error {
			spErr := tx.Savepoint(ctx, "dup", func() error {
				_, err := tx.ExecContext(ctx, `INSERT INTO ledger_transactions (kind, effective_date, idempotency_key, request_hash, created_at) VALUES ('test', $1, 'k1', 'h', $2)`,
					calendar.MustParse("2026-11-25"), tx.Now())
				return err
			})
			if !db.IsUniqueViolation(spErr) {
				t.Errorf("savepoint err = %v", spErr)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO ledger_transactions (kind, effective_date, idempotency_key, request_hash, created_at) VALUES ('test', $1, 'k2', 'h', $2)`,
				calendar.MustParse("2026-11-25"), tx.Now())
			return err
		})
		if err != nil {
			t.Errorf("after savepoint: %v", err)
		}

		// Concurrent writers all commit (SQLite: queued on the one writer;
		// PostgreSQL: pool).
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := range 16 {
			wg.Go(func() {
				errs <- d.InTx(ctx, func(tx *db.Tx) error {
					_, err := tx.ExecContext(ctx, `INSERT INTO ledger_transactions (kind, effective_date, idempotency_key, request_hash, created_at) VALUES ('test', $1, $2, 'h', $3)`,
						calendar.MustParse("2026-11-25"), "c"+string(rune('a'+i)), tx.Now())
					return err
				})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("concurrent insert: %v", err)
			}
		}
		// Bulk insert with reserved ids, dates included, on both engines.
		err = d.InTx(ctx, func(tx *db.Tx) error {
			ids, err := tx.NextIDs(ctx, "ledger_transactions", 3)
			if err != nil {
				return err
			}
			rows := make([][]any, len(ids))
			for i, id := range ids {
				rows[i] = []any{id, "bulk", calendar.MustParse("2026-12-01"), "bulk" + string(rune('a'+i)), "h", tx.Now()}
			}
			if err := tx.CopyFrom(ctx, "ledger_transactions", []string{"id", "kind", "effective_date", "idempotency_key", "request_hash", "created_at"}, rows); err != nil {
				return err
			}
			// An id drawn after the bulk insert does not collide.
			_, err = tx.ExecContext(ctx, `INSERT INTO ledger_transactions (kind, effective_date, idempotency_key, request_hash, created_at) VALUES ('test', $1, 'after', 'h', $2)`,
				calendar.MustParse("2026-12-01"), tx.Now())
			return err
		})
		if err != nil {
			t.Fatalf("bulk: %v", err)
		}
		if err := d.Read.QueryRowContext(ctx, `SELECT count(*) FROM ledger_transactions WHERE effective_date = $1`, calendar.MustParse("2026-12-01")).Scan(&n); err != nil || n != 4 {
			t.Errorf("bulk rows by date = %d, %v", n, err)
		}
		cur, newest, err := d.MigrationStatus(ctx)
		if err != nil || cur != newest || cur == 0 {
			t.Errorf("migration status %d/%d, %v", cur, newest, err)
		}
	})
}

// TestClockFixedAtOpen: a database's transactions read the clock it was
// opened with (SystemClock by default); a view made with AsOf reads its
// own, and leaves the database's clock and connections as they were.
func TestClockFixedAtOpen(t *testing.T) {
	ctx := context.Background()
	txNow := func(d *db.DB) time.Time {
		t.Helper()
		var now time.Time
		if err := d.InTx(ctx, func(tx *db.Tx) error { now = tx.Now(); return nil }); err != nil {
			t.Fatal(err)
		}
		return now
	}
	opened := time.Date(2026, 11, 25, 8, 30, 0, 0, time.UTC)
	d, err := db.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "carfin.db"), db.WithClock(db.ClockFunc(func() time.Time { return opened })))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	asOf := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	view := d.AsOf(db.ClockFunc(func() time.Time { return asOf }))
	if got := txNow(view); !got.Equal(asOf) {
		t.Errorf("view's transaction at %s, want %s", got, asOf)
	}
	if err := view.Close(); err != nil {
		t.Fatal(err)
	}
	if got := txNow(d); !got.Equal(opened) || !d.Now().Equal(opened) {
		t.Errorf("database's transaction at %s (Now %s), want %s", got, d.Now(), opened)
	}
	plain, err := db.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "plain.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if got := txNow(plain); time.Since(got).Abs() > time.Minute || got.Location() != time.UTC {
		t.Errorf("default clock reads %s", got)
	}
}

// TestTestClock: dbtest's clock follows the system clock until set, then
// stands still; Add moves it, stopped or running; Run runs it on.
func TestTestClock(t *testing.T) {
	var c dbtest.Clock
	if d := time.Since(c.Now()); d.Abs() > time.Minute {
		t.Errorf("zero clock is %s off the system clock", d)
	}
	at := time.Date(2026, 11, 25, 8, 30, 0, 123456789, time.FixedZone("EST", -5*3600))
	c.Set(at)
	c.Add(time.Hour)
	if want := at.Add(time.Hour).UTC().Truncate(time.Microsecond); !c.Now().Equal(want) || c.Now().Location() != time.UTC {
		t.Errorf("set and moved: %s, want %s", c.Now(), want)
	}
	c.Stop() // stays where it stands
	c.Run()
	c.Add(24 * time.Hour)
	if got := c.Now().Sub(at.Truncate(time.Microsecond)); got < 25*time.Hour || got > 25*time.Hour+time.Minute {
		t.Errorf("running: %s after the instant set", got)
	}
	var s dbtest.Clock
	s.Stop()
	if now := s.Now(); now.Truncate(time.Second) != now || time.Since(now) > time.Minute {
		t.Errorf("stopped at %s", now)
	}
}

func TestOpenRejects(t *testing.T) {
	for _, dsn := range []string{"", "mysql://x", "sqlite:", "sqlite::memory:"} {
		if _, err := db.Open(context.Background(), dsn); err == nil {
			t.Errorf("Open(%q) accepted", dsn)
		}
	}
}

// TestSQLiteFileMode: a new SQLite database and its WAL files are
// readable by their owner only, whatever the umask lets through.
func TestSQLiteFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "carfin.db")
	d, err := db.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if m := st.Mode().Perm(); m != 0o600 {
			t.Errorf("%s: mode %o, want 600", filepath.Base(p), m)
		}
	}
	if st, err := os.Stat(filepath.Dir(path)); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("directory: %v %v", st.Mode(), err)
	}
}

// TestBeforeCommit: what a transaction registers runs after its work, in
// order, and commits with it; a failure there rolls everything back; a
// savepoint rolled back drops what was registered inside it; a failed
// transaction runs nothing.
func TestBeforeCommit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.SQL.ExecContext(ctx, `CREATE TABLE before_commit_test (n INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		insert := func(tx *db.Tx, n int) func() error {
			return func() error {
				_, err := tx.ExecContext(ctx, `INSERT INTO before_commit_test (n) VALUES ($1)`, n)
				return err
			}
		}
		var seen []int
		read := func() []int {
			t.Helper()
			seen = nil
			rs, err := d.Read.QueryContext(ctx, `SELECT n FROM before_commit_test ORDER BY n`)
			if err != nil {
				t.Fatal(err)
			}
			defer rs.Close()
			for rs.Next() {
				var n int
				if err := rs.Scan(&n); err != nil {
					t.Fatal(err)
				}
				seen = append(seen, n)
			}
			return seen
		}

		// Registered work runs after fn, in order: 1's hook sees 2 written.
		var order []string
		err := d.InTx(ctx, func(tx *db.Tx) error {
			tx.BeforeCommit(func() error { order = append(order, "first"); return insert(tx, 1)() })
			tx.BeforeCommit(func() error { order = append(order, "second"); return nil })
			order = append(order, "fn")
			return insert(tx, 2)()
		})
		if err != nil || strings.Join(order, ",") != "fn,first,second" || len(read()) != 2 {
			t.Fatalf("commit: %v, order %v, rows %v", err, order, seen)
		}

		// A failing hook rolls back the transaction's own work too.
		boom := errors.New("boom")
		err = d.InTx(ctx, func(tx *db.Tx) error {
			tx.BeforeCommit(func() error { return boom })
			return insert(tx, 3)()
		})
		if !errors.Is(err, boom) || len(read()) != 2 {
			t.Fatalf("failing hook: %v, rows %v", err, seen)
		}

		// A failed transaction runs none; a savepoint rolled back drops its own.
		ran := false
		err = d.InTx(ctx, func(tx *db.Tx) error {
			tx.BeforeCommit(func() error { ran = true; return nil })
			return boom
		})
		if !errors.Is(err, boom) || ran {
			t.Fatalf("failed transaction: %v, hook ran %v", err, ran)
		}
		err = d.InTx(ctx, func(tx *db.Tx) error {
			_ = tx.Savepoint(ctx, "sp", func() error {
				tx.BeforeCommit(insert(tx, 4))
				return boom
			})
			tx.BeforeCommit(insert(tx, 5))
			return nil
		})
		if got := read(); err != nil || len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 5 {
			t.Fatalf("savepoint: %v, rows %v (want 4 dropped, 5 kept)", err, got)
		}
	})
}
