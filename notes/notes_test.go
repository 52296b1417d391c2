package notes_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/identity"
	"carfin/money"
	"carfin/notes"
	"carfin/servicing"
)

// fixture is a customer with one contract, another customer with one,
// and a staff login, in d.
type fixture struct {
	ann, annContract, bob, bobContract, staff, customerLogin int64
}

func newFixture(t *testing.T, d *db.DB) fixture {
	t.Helper()
	ctx := context.Background()
	sv := servicing.New(d, func(t time.Time) calendar.Date { return calendar.Of(t) })
	var f fixture
	for i, who := range []struct {
		first              string
		customer, contract *int64
	}{{"Ann", &f.ann, &f.annContract}, {"Bob", &f.bob, &f.bobContract}} {
		id, err := sv.CreateCustomer(ctx, servicing.NewCustomer{FirstName: who.first, LastName: "Quinn",
			Email: strings.ToLower(who.first) + "@example.com", AddressLine1: "1 Main St", City: "Springfield", State: "IL", ZIP: "62701",
			BirthDate: calendar.MustParse("1980-01-01"), SSNLast4: "1234"})
		if err != nil {
			t.Fatal(err)
		}
		c, err := sv.OpenContract(ctx, servicing.NewContract{AccountNumber: "N-000" + string(rune('1'+i)), CustomerID: id,
			VIN: servicing.WithCheckDigit("2T1BURHE0J000000" + string(rune('1'+i))), VehicleYear: 2022, Make: "Kia", Model: "Soul",
			Kind: servicing.KindLoan, AmountFinancedCents: money.MustParse("9000"), APR: money.MustParseRate("8"), TermMonths: 36,
			ContractDate: calendar.MustParse("2024-03-01"), FirstDue: calendar.MustParse("2024-04-01"), GraceDays: 10,
			LateFee: servicing.LateFeeRule{Kind: "fixed", FixedCents: money.MustParse("15")}})
		if err != nil {
			t.Fatal(err)
		}
		*who.customer, *who.contract = id, c
	}
	id, err := identity.New(identity.Config{DB: d, Params: identity.Params{MemoryKiB: 64, Time: 1, Threads: 1}, BaseURL: "https://portal.example"})
	if err != nil {
		t.Fatal(err)
	}
	if f.staff, err = id.CreateStaff(ctx, "agent@northwind.example", "Agent Smith", "a long staff password for tests"); err != nil {
		t.Fatal(err)
	}
	if f.customerLogin, err = id.CreateCustomerLogin(ctx, f.ann, "a long customer pass phrase"); err != nil {
		t.Fatal(err)
	}
	return f
}

func count(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Read.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAddRefusals: bad input is refused with a clear error and nothing is
// written, neither the note nor its audit event.
func TestAddRefusals(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		s := notes.New(d)
		for _, tc := range []struct {
			name                   string
			by, customer, contract int64
			body                   string
			want                   error
		}{
			{"empty", f.staff, f.ann, 0, " \n\t ", notes.ErrInvalid},
			{"too long", f.staff, f.ann, 0, strings.Repeat("é", 2001), notes.ErrInvalid},
			{"not text", f.staff, f.ann, 0, "bad \xff byte", notes.ErrInvalid},
			{"another customer's contract", f.staff, f.ann, f.bobContract, "about the car", notes.ErrInvalid},
			{"unknown contract", f.staff, f.ann, f.bobContract + 100, "about the car", notes.ErrInvalid},
			{"unknown customer", f.staff, f.bob + 100, 0, "hello", notes.ErrNotFound},
			{"a customer's login", f.customerLogin, f.ann, 0, "hello", notes.ErrNotStaff},
			{"no login", f.staff + 100, f.ann, 0, "hello", notes.ErrNotStaff},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := s.Add(context.Background(), tc.by, tc.customer, tc.contract, tc.body); !errors.Is(err, tc.want) {
					t.Errorf("Add: %v, want %v", err, tc.want)
				}
			})
		}
		if n := count(t, d, `SELECT count(*) FROM customer_notes`); n != 0 {
			t.Errorf("%d notes written", n)
		}
		if n := count(t, d, `SELECT count(*) FROM audit_events WHERE action = 'note.add'`); n != 0 {
			t.Errorf("%d note events audited", n)
		}
	})
}

// TestNotes: notes list newest first, scoped to the customer, each
// audited without its text; the database refuses to edit or remove one.
func TestNotes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		clock := dbtest.ClockOf(d)
		clock.Set(time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC))
		s := notes.New(d)
		first, err := s.Add(ctx, f.staff, f.ann, 0, "  Called about the payoff; will call back Friday.  ")
		if err != nil {
			t.Fatal(err)
		}
		if first.Body != "Called about the payoff; will call back Friday." || first.StaffName != "Agent Smith" || !first.CreatedAt.Equal(clock.Now()) {
			t.Errorf("first note: %+v", first)
		}
		clock.Add(time.Minute)
		second, err := s.Add(ctx, f.staff, f.ann, f.annContract, "Correction: Thursday, not Friday. "+strings.Repeat("x", 1966))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Add(ctx, f.staff, f.bob, 0, "Bob's own note"); err != nil {
			t.Fatal(err)
		}
		got, err := s.List(ctx, f.ann, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != second.ID || got[1].ID != first.ID || got[0].ContractID != f.annContract || got[1].ContractID != 0 {
			t.Fatalf("Ann's notes: %+v", got)
		}
		if got[1] != first {
			t.Errorf("read back %+v, wrote %+v", got[1], first)
		}
		if got, _ := s.List(ctx, f.ann, 1); len(got) != 1 || got[0].ID != second.ID {
			t.Errorf("limit 1: %+v", got)
		}
		if n := count(t, d, `SELECT count(*) FROM audit_events WHERE action = 'note.add' AND subject = $1 AND actor = $2`,
			"customer:"+itoa(f.ann), "staff:"+itoa(f.staff)); n != 2 {
			t.Errorf("%d note events for Ann, want 2", n)
		}
		if n := count(t, d, `SELECT count(*) FROM audit_events WHERE details LIKE '%Thursday%'`); n != 0 {
			t.Error("the audit log holds a note's text")
		}
		// Append-only: neither an edit nor a removal gets through.
		for _, q := range []string{`UPDATE customer_notes SET body = 'edited' WHERE id = $1`, `DELETE FROM customer_notes WHERE id = $1`} {
			if _, err := d.SQL.ExecContext(ctx, q, first.ID); err == nil {
				t.Errorf("%s: allowed", q)
			}
		}
		if got, _ := s.List(ctx, f.ann, 0); len(got) != 2 || got[1].Body != first.Body {
			t.Errorf("after the refused edits: %+v", got)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
