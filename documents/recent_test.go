package documents_test

import (
	"context"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/documents"
)

// TestRecent: a customer's documents of one kind since an instant, newest
// first, never another customer's or another kind.
func TestRecent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)
		d.Now = func() time.Time { return now }
		var a, b int64
		save := func(cust int64, kind, ref string) {
			t.Helper()
			if err := d.InTx(ctx, func(tx *db.Tx) error {
				_, err := documents.Save(ctx, tx, documents.Document{CustomerID: cust, Kind: kind, Title: ref, FileName: "f.pdf",
					ContentType: "application/pdf", Content: []byte("%PDF-1.4"), Ref: ref})
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		err := d.InTx(ctx, func(tx *db.Tx) error {
			for _, id := range []*int64{&a, &b} {
				if err := tx.QueryRowContext(ctx, `INSERT INTO customers (first_name, last_name, email, address_line1, city, state, zip, birth_date, ssn_last4, created_at)
					VALUES ('A', 'B', 'a@example.com', '1 St', 'X', 'OH', '43004', $1, '1234', $2) RETURNING id`, calendar.MustParse("1980-01-01"), tx.Now()).Scan(id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		save(a, documents.KindStatement, "statement:old")
		now = now.Add(40 * 24 * time.Hour)
		save(a, documents.KindStatement, "statement:new")
		save(a, documents.KindReceipt, "receipt:1")
		save(b, documents.KindStatement, "statement:b")
		got, err := documents.Recent(ctx, d.Read, a, documents.KindStatement, now.Add(-30*24*time.Hour))
		if err != nil || len(got) != 1 || got[0].Ref != "statement:new" || got[0].Content != nil {
			t.Errorf("recent statements: %+v %v", got, err)
		}
		if got, _ := documents.Recent(ctx, d.Read, a, documents.KindStatement, now.Add(-60*24*time.Hour)); len(got) != 2 || got[0].Ref != "statement:new" {
			t.Errorf("statements of 60 days: %+v", got)
		}
	})
}
