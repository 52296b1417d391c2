package documents_test

import (
	"context"
	"errors"
	"testing"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/documents"
)

func TestDocuments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var a, b int64
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
		doc := documents.Document{CustomerID: a, Kind: documents.KindReceipt, Title: "Receipt", FileName: "receipt.pdf",
			ContentType: "application/pdf", Content: []byte("%PDF-1.4 test"), Ref: "payment:1"}
		var id, again int64
		err = d.InTx(ctx, func(tx *db.Tx) error {
			var err error
			if id, err = documents.Save(ctx, tx, doc); err != nil {
				return err
			}
			again, err = documents.Save(ctx, tx, doc)
			return err
		})
		if err != nil || id != again {
			t.Fatalf("save: %d %d %v", id, again, err)
		}
		got, err := documents.Get(ctx, d.Read, a, id)
		if err != nil || string(got.Content) != "%PDF-1.4 test" || got.SHA256 == "" {
			t.Errorf("get: %+v %v", got, err)
		}
		if _, err := documents.Get(ctx, d.Read, b, id); !errors.Is(err, documents.ErrNotFound) {
			t.Errorf("another customer's document: %v", err)
		}
		if l, _ := documents.List(ctx, d.Read, b, 0); len(l) != 0 {
			t.Errorf("another customer's list: %v", l)
		}
		if l, _ := documents.List(ctx, d.Read, a, 0); len(l) != 1 || l[0].Content != nil {
			t.Errorf("list: %+v", l)
		}
		err = d.InTx(ctx, func(tx *db.Tx) error {
			bad := doc
			bad.Content, bad.Ref = nil, "x"
			_, err := documents.Save(ctx, tx, bad)
			return err
		})
		if !errors.Is(err, documents.ErrInvalid) {
			t.Errorf("empty document: %v", err)
		}
	})
}
