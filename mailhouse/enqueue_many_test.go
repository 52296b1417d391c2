package mailhouse_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/documents"
	"carfin/mailhouse"
)

// TestEnqueueMany: EnqueueMany queues each PDF document of its list once,
// for the date, skipping documents that are not PDFs and ids of no
// document; it agrees with Enqueue (a document either queued is not
// queued again by the other, for any date); and the day's batch holds
// exactly the documents queued.
func TestEnqueueMany(t *testing.T) {
	date, earlier, next := day("2026-11-25"), day("2026-11-24"), day("2026-11-26")
	type call struct {
		many  bool // EnqueueMany of names, or Enqueue of each
		date  calendar.Date
		names []string
		pad   int // ids of no document added to the list
	}
	cases := []struct {
		name  string
		calls []call
		// want: the names queued, each once, and for which date.
		want map[string]calendar.Date
	}{
		{"PDFs queued, others skipped", []call{{true, date, []string{"A1", "TXT", "B2", "none", "B1"}, 0}},
			map[string]calendar.Date{"A1": date, "B1": date, "B2": date}},
		{"a document twice in the list", []call{{true, date, []string{"B1", "A1", "B1", "A1"}, 0}},
			map[string]calendar.Date{"A1": date, "B1": date}},
		{"rerun", []call{{true, date, []string{"A1", "B1"}, 0}, {true, date, []string{"A1", "B1"}, 0}},
			map[string]calendar.Date{"A1": date, "B1": date}},
		{"rerun for a later date", []call{{true, date, []string{"A1", "B1"}, 0}, {true, next, []string{"A1", "B1", "B2"}, 0}},
			map[string]calendar.Date{"A1": date, "B1": date, "B2": next}},
		{"queued by Enqueue before", []call{{false, date, []string{"A1"}, 0}, {true, date, []string{"A1", "B1"}, 0}},
			map[string]calendar.Date{"A1": date, "B1": date}},
		{"queued by Enqueue for an earlier date", []call{{false, earlier, []string{"A1"}, 0}, {true, date, []string{"A1", "B1", "B2"}, 0}},
			map[string]calendar.Date{"A1": earlier, "B1": date, "B2": date}},
		{"Enqueue after EnqueueMany", []call{{true, date, []string{"A1"}, 0}, {false, date, []string{"A1", "B2"}, 0}},
			map[string]calendar.Date{"A1": date, "B2": date}},
		{"only ids that are not PDF documents", []call{{true, date, []string{"TXT", "none"}, 0}}, map[string]calendar.Date{}},
		{"an empty list", []call{{true, date, nil, 0}}, map[string]calendar.Date{}},
		{"a long list", []call{{true, date, []string{"B2"}, 40_000}}, map[string]calendar.Date{"B2": date}},
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		f.docs["TXT"] = textDocument(t, d, f.docs["A1"])
		f.docs["none"] = 999_999
		ids := func(c call) []int64 {
			var out []int64
			for _, n := range c.names {
				out = append(out, f.docs[n])
			}
			for i := range c.pad {
				out = append(out, 1_000_000+int64(i))
			}
			return out
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				// Each case starts from an empty queue and no batch.
				err := d.InTx(ctx, func(tx *db.Tx) error {
					if _, err := tx.ExecContext(ctx, `DELETE FROM print_batches`); err != nil {
						return err
					}
					_, err := tx.ExecContext(ctx, `DELETE FROM print_queue`)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range tc.calls {
					err := d.InTx(ctx, func(tx *db.Tx) error {
						if c.many {
							return mailhouse.EnqueueMany(ctx, tx, ids(c), c.date)
						}
						for _, id := range ids(c) {
							if err := mailhouse.Enqueue(ctx, tx, id, c.date); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						t.Fatalf("queue %v: %v", c.names, err)
					}
				}
				checkQueued(t, d, f, tc.want)

				// The batch of date holds exactly what was queued for it
				// or earlier, and a rerun after it queues nothing again.
				var inBatch []int64
				for name, at := range tc.want {
					if at <= date {
						inBatch = append(inBatch, f.docs[name])
					}
				}
				slices.Sort(inBatch)
				b, err := mailhouse.WriteBatch(ctx, d, filepath.Join(t.TempDir(), "out"), date)
				if err != nil {
					t.Fatal(err)
				}
				var got []int64
				for _, e := range b.Entries {
					got = append(got, e.DocumentID)
				}
				slices.Sort(got)
				if !slices.Equal(got, inBatch) {
					t.Errorf("the batch holds documents %v, want %v", got, inBatch)
				}
				for _, c := range tc.calls {
					err := d.InTx(ctx, func(tx *db.Tx) error { return mailhouse.EnqueueMany(ctx, tx, ids(c), c.date) })
					if err != nil {
						t.Fatal(err)
					}
				}
				checkQueued(t, d, f, tc.want)
			})
		}
	})
}

// textDocument stores a plain-text document of the customer of the
// document like, which no print batch takes.
func textDocument(t *testing.T, d *db.DB, like int64) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	err := d.InTx(ctx, func(tx *db.Tx) error {
		var customer, contract int64
		if err := tx.QueryRowContext(ctx, `SELECT customer_id, contract_id FROM documents WHERE id = $1`, like).Scan(&customer, &contract); err != nil {
			return err
		}
		var err error
		id, err = documents.Save(ctx, tx, documents.Document{CustomerID: customer, ContractID: contract, Kind: documents.KindReceipt,
			Title: "Receipt", FileName: "receipt.txt", ContentType: "text/plain", Content: []byte("paid"), Ref: "test:txt"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// checkQueued checks that each document of f is in the print queue once,
// for the date of want, with its customer and contract, and that the
// others are not in it.
func checkQueued(t *testing.T, d *db.DB, f fixture, want map[string]calendar.Date) {
	t.Helper()
	for name, id := range f.docs {
		n := count(t, d, `SELECT count(*) FROM print_queue WHERE document_id = $1`, id)
		at, queued := want[name]
		if !queued {
			if n != 0 {
				t.Errorf("%s queued %d times, want not queued", name, n)
			}
			continue
		}
		if n != 1 {
			t.Errorf("%s queued %d times, want once", name, n)
			continue
		}
		if m := count(t, d, `SELECT count(*) FROM print_queue q JOIN documents doc ON doc.id = q.document_id
			WHERE q.document_id = $1 AND q.business_date = $2 AND q.customer_id = doc.customer_id AND q.contract_id = doc.contract_id`, id, at); m != 1 {
			t.Errorf("%s is not queued for %s with its customer and contract", name, at)
		}
	}
	if n, want := count(t, d, `SELECT count(*) FROM print_queue`), len(want); n != want {
		t.Errorf("%d queue entries, want %d", n, want)
	}
}
