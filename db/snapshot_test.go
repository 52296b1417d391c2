package db_test

import (
	"context"
	"testing"

	"carfin/db"
	"carfin/db/dbtest"
)

// TestReadSnapshot: every statement in a ReadSnapshot sees the state of its
// first read; a write committed in between shows only in a later read, and
// the reader does not hold the writer up. On both engines.
func TestReadSnapshot(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.SQL.ExecContext(ctx, `CREATE TABLE snapshot_test (n INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		count := func(q db.Querier) int {
			var n int
			if err := q.QueryRowContext(ctx, `SELECT count(*) FROM snapshot_test`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		insert := func() {
			if err := d.InTx(ctx, func(tx *db.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO snapshot_test (n) VALUES (1)`)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		insert()
		var first, second int
		if err := d.ReadSnapshot(ctx, func(q db.Querier) error {
			first = count(q)
			insert() // commits while the snapshot is open
			second = count(q)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if first != 1 || second != 1 {
			t.Errorf("in one snapshot: %d rows, then %d after another commit; want 1 and 1", first, second)
		}
		if n := count(d.Read); n != 2 {
			t.Errorf("after the snapshot: %d rows, want 2", n)
		}
		// InSnapshotTx: the same in a writing transaction. (SQLite's one
		// writer connection would wait for itself here: its transactions
		// are serial, so they see one state anyway.)
		if d.Engine == db.Postgres {
			if err := d.InSnapshotTx(ctx, func(tx *db.Tx) error {
				first = count(tx)
				insert()
				second = count(tx)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if first != 2 || second != 2 {
				t.Errorf("in one snapshot transaction: %d rows, then %d after another commit; want 2 and 2", first, second)
			}
		} else {
			insert()
		}
		if n := count(d.Read); n != 3 {
			t.Errorf("after the snapshot transaction: %d rows, want 3", n)
		}
		// Read only: a write inside fails and leaves nothing.
		err := d.ReadSnapshot(ctx, func(q db.Querier) error {
			_, err := q.ExecContext(ctx, `INSERT INTO snapshot_test (n) VALUES (2)`)
			return err
		})
		if err == nil {
			t.Error("a write in a read snapshot succeeded")
		}
		if n := count(d.Read); n != 3 {
			t.Errorf("after a refused write: %d rows, want 3", n)
		}
	})
}
