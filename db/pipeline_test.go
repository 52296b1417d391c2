package db_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/money"
)

// TestReadPipelined: on both engines, reads sent together come back each
// to its own Scan, with the types carfin scans into (named integers,
// civil dates, NULLs, timestamps), in order; a failing query, or a Scan's
// own error, fails the whole read with the query's number, and the
// connection it used serves the next read.
func TestReadPipelined(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		at := time.Date(2026, 12, 8, 9, 30, 0, 250000000, time.UTC)
		var (
			cents  money.Cents
			day    calendar.Date
			none   sql.NullInt64
			none2  *int64
			when   sql.NullTime // a timestamp on PostgreSQL; SQLite's driver makes one only of a column's
			labels []string
		)
		// SQLite keeps a date as its text, which a cast would make a number.
		first, args := `SELECT CAST($1 AS BIGINT), $2, NULL, NULL, NULL`, []any{int64(12345), calendar.MustParse("2026-12-31")}
		if d.Engine == db.Postgres {
			first = `SELECT CAST($1 AS BIGINT), CAST($2 AS DATE), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST($3 AS TIMESTAMP)`
			args = append(args, at)
		}
		reads := []db.Read{
			{SQL: first,
				Args: args,
				Scan: func(r db.Rows) error {
					for r.Next() {
						if err := r.Scan(&cents, &day, &none, &none2, &when); err != nil {
							return err
						}
					}
					return nil
				}},
			{SQL: `SELECT 'a' || CAST(n AS TEXT) FROM (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3) x WHERE n >= $1 ORDER BY n`,
				Args: []any{int64(2)},
				Scan: func(r db.Rows) error {
					for r.Next() {
						var s string
						if err := r.Scan(&s); err != nil {
							return err
						}
						labels = append(labels, s)
					}
					return nil
				}},
		}
		if err := d.ReadPipelined(ctx, reads...); err != nil {
			t.Fatal(err)
		}
		if cents != 12345 || day != calendar.MustParse("2026-12-31") || none.Valid || none2 != nil || (d.Engine == db.Postgres) != when.Valid || when.Valid && !when.Time.Equal(at) ||
			strings.Join(labels, ",") != "a2,a3" {
			t.Fatalf("got %v %v %v %v %v %q", cents, day, none, none2, when, labels)
		}

		// The second of three fails on the server.
		var after int
		bad := []db.Read{reads[1], {SQL: `SELECT n FROM no_such_table WHERE n = $1`, Args: []any{int64(1)}, Scan: func(r db.Rows) error {
			for r.Next() {
				var n int64
				if err := r.Scan(&n); err != nil {
					return err
				}
			}
			return nil
		}}, {SQL: `SELECT 1`, Scan: func(r db.Rows) error {
			for r.Next() {
				after++
			}
			return nil
		}}}
		labels = nil
		err := d.ReadPipelined(ctx, bad...)
		if err == nil || !strings.Contains(err.Error(), "no_such_table") {
			t.Fatalf("a missing table: %v", err)
		}
		if after != 0 {
			t.Errorf("the read after the failed one was scanned")
		}

		// A Scan's own error ends the read, as it is.
		mine := errors.New("not this one")
		err = d.ReadPipelined(ctx, db.Read{SQL: `SELECT 1`, Scan: func(db.Rows) error { return mine }}, reads[1])
		if !errors.Is(err, mine) {
			t.Fatalf("scan error: %v", err)
		}

		// The pool's connections still answer, in a pipeline and alone.
		for range 4 {
			labels = nil
			if err := d.ReadPipelined(ctx, reads...); err != nil || len(labels) != 2 {
				t.Fatalf("after the failures: %v %q", err, labels)
			}
		}
	})
}
