package ledger_test

import (
	"context"
	"errors"
	"testing"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/ledger"
	"carfin/money"
)

func payment(key string, amount money.Cents) *ledger.Transaction {
	return &ledger.Transaction{Kind: "payment", EffectiveDate: calendar.MustParse("2026-11-02"), IdempotencyKey: key,
		Postings: []ledger.Posting{{"cash", amount}, {"principal", -amount}}}
}

func TestLedger(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var first int64
		err := d.InTx(ctx, func(tx *db.Tx) error {
			id, dup, err := ledger.Post(ctx, tx, payment("p1", 10000))
			first = id
			if err != nil || dup || id == 0 {
				t.Errorf("post: %d %v %v", id, dup, err)
			}
			// The same key and request: the first result, nothing written.
			id2, dup, err := ledger.Post(ctx, tx, payment("p1", 10000))
			if err != nil || !dup || id2 != id {
				t.Errorf("repost: %d %v %v", id2, dup, err)
			}
			// The same key, another request: a conflict.
			if _, _, err := ledger.Post(ctx, tx, payment("p1", 20000)); !errors.Is(err, ledger.ErrIdempotencyConflict) {
				t.Errorf("conflict: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		bal, _ := ledger.AccountBalance(ctx, d.Read, "cash")
		if bal != 10000 {
			t.Errorf("cash = %s", bal)
		}
		// An unbalanced transaction is a bug: Post panics and nothing is written.
		func() {
			defer func() {
				if recover() == nil {
					t.Error("unbalanced transaction did not panic")
				}
			}()
			_ = d.InTx(ctx, func(tx *db.Tx) error {
				_, _, err := ledger.Post(ctx, tx, &ledger.Transaction{Kind: "x", EffectiveDate: calendar.MustParse("2026-11-02"), IdempotencyKey: "bad",
					Postings: []ledger.Posting{{"cash", 100}, {"principal", -99}}})
				return err
			})
		}()
		// Reverse, and refuse to reverse twice.
		err = d.InTx(ctx, func(tx *db.Tx) error {
			if _, err := ledger.Reverse(ctx, tx, first, "r1", calendar.MustParse("2026-11-05"), "returned"); err != nil {
				return err
			}
			if _, err := ledger.Reverse(ctx, tx, first, "r2", calendar.MustParse("2026-11-05"), "again"); !errors.Is(err, ledger.ErrAlreadyReversed) {
				t.Errorf("second reversal: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		bal, _ = ledger.AccountBalance(ctx, d.Read, "cash")
		if bal != 0 {
			t.Errorf("cash after reversal = %s", bal)
		}
		findings, err := ledger.Check(ctx, d.Read)
		if err != nil || len(findings) != 0 {
			t.Fatalf("check: %v %v", findings, err)
		}
		// Bulk posting.
		err = d.InTx(ctx, func(tx *db.Tx) error {
			var ts []*ledger.Transaction
			for i := range 50 {
				p := payment("bulk"+string(rune('A'+i)), money.Cents(100+i))
				p.ContractID = 0
				ts = append(ts, p)
			}
			return ledger.PostMany(ctx, tx, ts)
		})
		if err != nil {
			t.Fatal(err)
		}
		bal, _ = ledger.AccountBalance(ctx, d.Read, "cash")
		if bal != 50*100+49*50/2 {
			t.Errorf("cash after bulk = %s", bal)
		}
		// Check finds a transaction written around Post that does not balance.
		err = d.InTx(ctx, func(tx *db.Tx) error {
			var id int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO ledger_transactions (kind, effective_date, idempotency_key, request_hash, created_at)
				VALUES ('forged', $1, 'forged', 'h', $2) RETURNING id`, calendar.MustParse("2026-11-02"), tx.Now()).Scan(&id); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO ledger_postings (transaction_id, line, account, amount_cents) VALUES ($1, 1, 'cash', 5), ($1, 2, 'principal', -4)`, id)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		findings, _ = ledger.Check(ctx, d.Read)
		if len(findings) != 1 {
			t.Errorf("check after forgery: %v", findings)
		}
	})
}
