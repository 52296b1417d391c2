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

// TestFind: a customer's documents narrowed by kind and by a span of
// creation times (a year of statements), newest first, bounded; Span
// gives the oldest and newest, zero for a customer with none.
func TestFind(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var a, b int64
		ny, _ := time.LoadLocation("America/New_York")
		// Statements on the 15th of each month from Nov 2024 to Feb 2026,
		// and a receipt in 2025; the first of 2025 at 11 PM on Dec 31,
		// 2024 in New York, which is 2025 in UTC: it belongs to 2024.
		var made []time.Time
		for m := time.Date(2024, 11, 15, 17, 0, 0, 0, ny); m.Before(time.Date(2026, 3, 1, 0, 0, 0, 0, ny)); m = m.AddDate(0, 1, 0) {
			made = append(made, m)
		}
		late := time.Date(2024, 12, 31, 23, 0, 0, 0, ny)
		err := d.InTx(ctx, func(tx *db.Tx) error {
			for _, id := range []*int64{&a, &b} {
				if err := tx.QueryRowContext(ctx, `INSERT INTO customers (first_name, last_name, email, address_line1, city, state, zip, birth_date, ssn_last4, created_at)
					VALUES ('A', 'B', 'a@example.com', '1 St', 'X', 'OH', '43004', $1, '1234', $2) RETURNING id`, calendar.MustParse("1980-01-01"), tx.Now()).Scan(id); err != nil {
					return err
				}
			}
			save := func(kind, ref string, at time.Time) error {
				id, err := documents.Save(ctx, tx, documents.Document{CustomerID: a, Kind: kind, Title: ref, FileName: "s.pdf",
					ContentType: "application/pdf", Content: []byte("%PDF-1.4 " + ref), Ref: ref})
				if err != nil {
					return err
				}
				_, err = tx.ExecContext(ctx, `UPDATE documents SET created_at = $1 WHERE id = $2`, at.UTC(), id)
				return err
			}
			for _, m := range made {
				if err := save(documents.KindStatement, "statement:"+m.Format("2006-01"), m); err != nil {
					return err
				}
			}
			if err := save(documents.KindStatement, "statement:late", late); err != nil {
				return err
			}
			return save(documents.KindReceipt, "payment:1", time.Date(2025, 6, 1, 12, 0, 0, 0, ny))
		})
		if err != nil {
			t.Fatal(err)
		}
		year := func(y int) (time.Time, time.Time) {
			return time.Date(y, 1, 1, 0, 0, 0, 0, ny), time.Date(y+1, 1, 1, 0, 0, 0, 0, ny)
		}
		refs := func(ds []documents.Document) string {
			var s string
			for _, d := range ds {
				s += d.Ref + " "
			}
			return s
		}
		f24, t24 := year(2024)
		f25, t25 := year(2025)
		for _, tc := range []struct {
			name string
			f    documents.Filter
			want string
		}{
			{"2024's statements, newest first", documents.Filter{Kind: documents.KindStatement, From: f24, To: t24},
				"statement:late statement:2024-12 statement:2024-11 "},
			{"2025, every kind", documents.Filter{From: f25, To: t25}, "statement:2025-12 statement:2025-11 statement:2025-10 statement:2025-09 statement:2025-08 " +
				"statement:2025-07 statement:2025-06 payment:1 statement:2025-05 statement:2025-04 statement:2025-03 statement:2025-02 statement:2025-01 "},
			{"the latest three statements", documents.Filter{Kind: documents.KindStatement, Limit: 3},
				"statement:2026-02 statement:2026-01 statement:2025-12 "},
			{"receipts since 2026", documents.Filter{Kind: documents.KindReceipt, From: t25}, ""},
			{"a year with none", documents.Filter{From: time.Date(2023, 1, 1, 0, 0, 0, 0, ny), To: f24}, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := documents.Find(ctx, d.Read, a, tc.f)
				if err != nil {
					t.Fatal(err)
				}
				if refs(got) != tc.want {
					t.Errorf("got  %s\nwant %s", refs(got), tc.want)
				}
			})
		}
		if got, _ := documents.Find(ctx, d.Read, b, documents.Filter{}); len(got) != 0 {
			t.Errorf("another customer's: %s", refs(got))
		}
		oldest, newest, err := documents.Span(ctx, d.Read, a, 0)
		if err != nil || !oldest.Equal(made[0]) || !newest.Equal(made[len(made)-1]) {
			t.Errorf("span: %s %s %v, want %s %s", oldest, newest, err, made[0], made[len(made)-1])
		}
		if o, n, err := documents.Span(ctx, d.Read, b, 0); err != nil || !o.IsZero() || !n.IsZero() {
			t.Errorf("span of none: %s %s %v", o, n, err)
		}
		if all, _ := documents.List(ctx, d.Read, a, 0); len(all) != len(made)+2 {
			t.Errorf("list: %d documents, want %d", len(all), len(made)+2)
		}
	})
}
