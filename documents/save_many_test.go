package documents_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/documents"
	"carfin/money"
	"carfin/servicing"
)

// owner is a customer with a contract, for documents to belong to.
type owner struct{ customer, contract int64 }

func newOwner(t *testing.T, d *db.DB) owner {
	t.Helper()
	ctx := context.Background()
	day := calendar.MustParse
	dbtest.ClockOf(d).Set(day("2026-11-25").Time().Add(15 * time.Hour))
	sv := servicing.New(d, func(t time.Time) calendar.Date { return calendar.Of(t) })
	c, err := sv.CreateCustomer(ctx, servicing.NewCustomer{FirstName: "Zoe", LastName: "Adams", Email: "zoe@example.com",
		AddressLine1: "1 Main St", City: "Springfield", State: "IL", ZIP: "60601", BirthDate: day("1980-02-29"), SSNLast4: "1234"})
	if err != nil {
		t.Fatal(err)
	}
	k, err := sv.OpenContract(ctx, servicing.NewContract{AccountNumber: "NW-S00001", CustomerID: c,
		VIN: servicing.WithCheckDigit("1HGCM8263A0000001"), VehicleYear: 2025, Make: "Mazda", Model: "CX-5",
		Kind: servicing.KindLoan, AmountFinancedCents: money.MustParse("20000"), APR: money.MustParseRate("6.99"), TermMonths: 60,
		ContractDate: day("2026-01-15"), FirstDue: day("2026-02-15"), GraceDays: 10,
		LateFee: servicing.LateFeeRule{Kind: "fixed", FixedCents: money.MustParse("25")}, NSFFeeCents: money.MustParse("25")})
	if err != nil {
		t.Fatal(err)
	}
	return owner{customer: c, contract: k}
}

// statement is a valid statement document of o with ref, its content
// naming the ref.
func (o owner) statement(ref string) documents.Document {
	return documents.Document{CustomerID: o.customer, ContractID: o.contract, Kind: documents.KindStatement,
		Title: "Statement " + ref, FileName: ref + ".pdf", ContentType: "application/pdf", Content: []byte("%PDF-1.4 " + ref), Ref: ref}
}

func rows(t *testing.T, q db.Querier) int {
	t.Helper()
	var n int
	if err := q.QueryRowContext(context.Background(), `SELECT count(*) FROM documents`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func saveMany(t *testing.T, d *db.DB, ds ...documents.Document) []int64 {
	t.Helper()
	var ids []int64
	err := d.InTx(context.Background(), func(tx *db.Tx) error {
		var err error
		ids, err = documents.SaveMany(context.Background(), tx, ds)
		return err
	})
	if err != nil {
		t.Fatalf("SaveMany: %v", err)
	}
	if len(ids) != len(ds) {
		t.Fatalf("SaveMany of %d documents returned %d ids", len(ds), len(ids))
	}
	return ids
}

// checkStored checks that id is want as stored: every field Get returns,
// and contract_id NULL for a document about no contract.
func checkStored(t *testing.T, d *db.DB, id int64, want documents.Document) {
	t.Helper()
	got, err := documents.Get(context.Background(), d.Read, want.CustomerID, id)
	if err != nil {
		t.Fatalf("get %d (%s): %v", id, want.Ref, err)
	}
	sum := sha256.Sum256(want.Content)
	if got.ID != id || got.CustomerID != want.CustomerID || got.ContractID != want.ContractID || got.Kind != want.Kind ||
		got.Title != want.Title || got.FileName != want.FileName || got.ContentType != want.ContentType || got.Ref != want.Ref ||
		string(got.Content) != string(want.Content) || got.SizeBytes != int64(len(want.Content)) || got.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("document %d is\n%+v\nwant\n%+v", id, got, want)
	}
	if now := dbtest.ClockOf(d).Now(); !got.CreatedAt.Equal(now) {
		t.Errorf("document %d created at %v, want %v", id, got.CreatedAt, now)
	}
	var contract sql.NullInt64
	if err := d.Read.QueryRowContext(context.Background(), `SELECT contract_id FROM documents WHERE id = $1`, id).Scan(&contract); err != nil {
		t.Fatal(err)
	}
	if contract.Valid != (want.ContractID != 0) || contract.Int64 != want.ContractID {
		t.Errorf("document %d: contract_id %+v, want %d (NULL for 0)", id, contract, want.ContractID)
	}
}

// TestSaveMany: the ids come back in the order of the documents, each
// stored as given, with no contract when ContractID is 0.
func TestSaveMany(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		o := newOwner(t, d)
		ds := []documents.Document{o.statement("statement:2026-11"), o.statement("statement:2026-09"), o.statement("statement:2026-10")}
		ds[1].ContractID = 0
		ds[2].Content = []byte{0, 1, 2, 0xff, 0} // binary, with NUL bytes
		ds[2].Title = "Estado de cuenta — Núñez"
		ids := saveMany(t, d, ds...)
		if len(slices.Compact(slices.Sorted(slices.Values(ids)))) != len(ds) {
			t.Errorf("ids %v are not distinct", ids)
		}
		for i, id := range ids {
			checkStored(t, d, id, ds[i])
		}
		if n := rows(t, d.Read); n != len(ds) {
			t.Errorf("%d rows, want %d", n, len(ds))
		}
		var none []int64
		err := d.InTx(context.Background(), func(tx *db.Tx) error {
			var err error
			none, err = documents.SaveMany(context.Background(), tx, nil)
			return err
		})
		if err != nil || len(none) != 0 {
			t.Errorf("SaveMany of nothing: %v %v", none, err)
		}
	})
}

// TestSaveManyIdempotent: a document whose kind and ref are stored is not
// stored again (nor changed) and its id comes back in its place; a ref
// twice in one call is stored once.
func TestSaveManyIdempotent(t *testing.T) {
	cases := []struct {
		name   string
		before []string // refs stored by an earlier SaveMany
		refs   []string // then saved, with other content
		// want: for each of refs, the index in before of the id it gets,
		// or -1-k for the k-th new document of this call.
		want  []int
		added int
	}{
		{"the same refs again", []string{"a", "b", "c"}, []string{"a", "b", "c"}, []int{0, 1, 2}, 0},
		{"the same refs in another order", []string{"a", "b", "c"}, []string{"c", "a", "b"}, []int{2, 0, 1}, 0},
		{"a subset", []string{"a", "b", "c"}, []string{"b"}, []int{1}, 0},
		{"stored and new mixed", []string{"a", "b"}, []string{"x", "b", "y", "a"}, []int{-1, 1, -2, 0}, 2},
		{"a ref twice in one call", nil, []string{"a", "b", "a"}, []int{-1, -2, -1}, 2},
		{"a stored ref twice with a new one", []string{"a"}, []string{"a", "n", "a", "n"}, []int{0, -1, 0, -1}, 1},
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		o := newOwner(t, d)
		for c, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				// Each case's refs are its own.
				ref := func(r string) string { return fmt.Sprintf("case%d:%s", c, r) }
				var before []documents.Document
				var beforeIDs []int64
				if len(tc.before) > 0 {
					for _, r := range tc.before {
						before = append(before, o.statement(ref(r)))
					}
					beforeIDs = saveMany(t, d, before...)
				}
				n0 := rows(t, d.Read)
				var ds []documents.Document
				for i, r := range tc.refs {
					doc := o.statement(ref(r))
					doc.Title, doc.Content = fmt.Sprintf("Other %d", i), []byte(fmt.Sprintf("%%PDF-1.4 other %d", i))
					ds = append(ds, doc)
				}
				ids := saveMany(t, d, ds...)
				if n := rows(t, d.Read); n != n0+tc.added {
					t.Errorf("%d rows added, want %d", n-n0, tc.added)
				}
				fresh := map[int]int64{}
				for i, w := range tc.want {
					switch {
					case w >= 0 && ids[i] != beforeIDs[w]:
						t.Errorf("ref %s: id %d, want %d (stored before)", tc.refs[i], ids[i], beforeIDs[w])
					case w >= 0:
						checkStored(t, d, ids[i], before[w]) // not changed
					case fresh[w] == 0:
						if slices.Contains(beforeIDs, ids[i]) {
							t.Errorf("new ref %s got the id %d of an earlier document", tc.refs[i], ids[i])
						}
						fresh[w] = ids[i]
						checkStored(t, d, ids[i], ds[i]) // the first of the call is stored
					case ids[i] != fresh[w]:
						t.Errorf("ref %s again: id %d, want %d", tc.refs[i], ids[i], fresh[w])
					}
				}
				if len(fresh) != tc.added {
					t.Errorf("%d distinct new ids, want %d", len(fresh), tc.added)
				}
				// Once more: the same ids, nothing stored.
				n1 := rows(t, d.Read)
				if again := saveMany(t, d, ds...); !slices.Equal(again, ids) {
					t.Errorf("again: %v, want %v", again, ids)
				}
				if n := rows(t, d.Read); n != n1 {
					t.Errorf("the rerun stored %d rows", n-n1)
				}
			})
		}
	})
}

// TestSaveManyInvalid: a batch with one document Save would refuse, or
// one without a ref, of two kinds, or too many documents, returns
// ErrInvalid and stores none of the batch, even when the transaction
// commits.
func TestSaveManyInvalid(t *testing.T) {
	cases := []struct {
		name string
		bad  func(o owner) []documents.Document // a valid document comes first
	}{
		{"a document without a ref", func(o owner) []documents.Document {
			b := o.statement("b")
			b.Ref = ""
			return []documents.Document{o.statement("a"), b}
		}},
		{"two kinds", func(o owner) []documents.Document {
			b := o.statement("b")
			b.Kind = documents.KindReceipt
			return []documents.Document{o.statement("a"), b}
		}},
		{"empty content", func(o owner) []documents.Document {
			b := o.statement("b")
			b.Content = nil
			return []documents.Document{o.statement("a"), b}
		}},
		{"no title", func(o owner) []documents.Document {
			b := o.statement("b")
			b.Title = "  "
			return []documents.Document{o.statement("a"), b}
		}},
		{"no customer", func(o owner) []documents.Document {
			b := o.statement("b")
			b.CustomerID = 0
			return []documents.Document{o.statement("a"), b}
		}},
		{"a ref too long", func(o owner) []documents.Document {
			b := o.statement("b")
			b.Ref = strings.Repeat("r", 201)
			return []documents.Document{o.statement("a"), b}
		}},
		{"the invalid one first", func(o owner) []documents.Document {
			a := o.statement("a")
			a.Ref = ""
			return []documents.Document{a, o.statement("b")}
		}},
		{"1001 documents", func(o owner) []documents.Document {
			var ds []documents.Document
			for i := range 1001 {
				ds = append(ds, o.statement(fmt.Sprintf("s%04d", i)))
			}
			return ds
		}},
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		o := newOwner(t, d)
		saveMany(t, d, o.statement("stored"))
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := rows(t, d.Read)
				err := d.InTx(ctx, func(tx *db.Tx) error {
					ids, err := documents.SaveMany(ctx, tx, tc.bad(o))
					if !errors.Is(err, documents.ErrInvalid) || ids != nil {
						t.Errorf("SaveMany: %v %v, want ErrInvalid", ids, err)
					}
					if n := rows(t, tx); n != before {
						t.Errorf("%d rows in the transaction, want %d", n, before)
					}
					return nil // commit
				})
				if err != nil {
					t.Fatal(err)
				}
				if n := rows(t, d.Read); n != before {
					t.Errorf("%d rows after commit, want %d", n, before)
				}
			})
		}
	})
}

// TestSaveManyMax: a batch of exactly saveManyMax (1000) documents is
// stored on both engines (SQLite's parameters, 11 a row, within its
// limit), each in its place.
func TestSaveManyMax(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		o := newOwner(t, d)
		var ds []documents.Document
		for i := range 1000 {
			ds = append(ds, o.statement(fmt.Sprintf("s%04d", 999-i)))
		}
		ids := saveMany(t, d, ds...)
		if n := rows(t, d.Read); n != 1000 {
			t.Errorf("%d rows, want 1000", n)
		}
		for _, i := range []int{0, 1, 500, 998, 999} {
			checkStored(t, d, ids[i], ds[i])
		}
		if again := saveMany(t, d, ds...); !slices.Equal(again, ids) {
			t.Error("the rerun of 1000 returned other ids")
		}
	})
}

// TestSaveManyAgreesWithSave: a document Save stored is found by SaveMany
// and one SaveMany stored is found by Save, by kind and ref: a ref of
// another kind is another document.
func TestSaveManyAgreesWithSave(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		o := newOwner(t, d)
		err := d.InTx(ctx, func(tx *db.Tx) error {
			bySave, err := documents.Save(ctx, tx, o.statement("by-save"))
			if err != nil {
				return err
			}
			receipt := o.statement("shared")
			receipt.Kind = documents.KindReceipt
			receiptID, err := documents.Save(ctx, tx, receipt)
			if err != nil {
				return err
			}
			ids, err := documents.SaveMany(ctx, tx, []documents.Document{o.statement("shared"), o.statement("by-save"), o.statement("by-many")})
			if err != nil {
				return err
			}
			if ids[1] != bySave {
				t.Errorf("SaveMany of a ref Save stored: %d, want %d", ids[1], bySave)
			}
			if ids[0] == receiptID {
				t.Errorf("a statement got the id of the receipt with the same ref")
			}
			for i, ref := range []string{"shared", "by-many"} {
				id, err := documents.Save(ctx, tx, o.statement(ref))
				if err != nil {
					return err
				}
				if want := ids[[]int{0, 2}[i]]; id != want {
					t.Errorf("Save of %s, stored by SaveMany: %d, want %d", ref, id, want)
				}
			}
			if n := rows(t, tx); n != 4 {
				t.Errorf("%d rows, want 4 (by-save, the receipt, shared, by-many)", n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// What SaveMany stores reads back as what Save stores.
		var viaSave, viaMany int64
		doc := o.statement("x")
		doc.ContractID = 0
		err = d.InTx(ctx, func(tx *db.Tx) error {
			doc.Ref = "via-save"
			if viaSave, err = documents.Save(ctx, tx, doc); err != nil {
				return err
			}
			doc.Ref = "via-many"
			ids, err := documents.SaveMany(ctx, tx, []documents.Document{doc})
			if err == nil {
				viaMany = ids[0]
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		a, errA := documents.Get(ctx, d.Read, o.customer, viaSave)
		b, errB := documents.Get(ctx, d.Read, o.customer, viaMany)
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		a.ID, a.Ref, b.ID, b.Ref = 0, "", 0, ""
		if fmt.Sprintf("%+v", a) != fmt.Sprintf("%+v", b) || !a.CreatedAt.Equal(b.CreatedAt) {
			t.Errorf("Save stored\n%+v\nSaveMany stored\n%+v", a, b)
		}
	})
}
