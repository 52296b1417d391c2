package complaints_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/complaints"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/identity"
	"carfin/money"
	"carfin/servicing"
)

// fixture: Ann and Bob, a contract each, a staff login and Ann's customer
// login; the clock stands at 2026-12-07 15:00 UTC.
type fixture struct {
	ann, annContract, bob, bobContract, staff, annLogin int64
}

var today = calendar.MustParse("2026-12-07")

func newFixture(t *testing.T, d *db.DB) fixture {
	t.Helper()
	ctx := context.Background()
	dbtest.ClockOf(d).Set(today.Time().Add(15 * time.Hour))
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
		c, err := sv.OpenContract(ctx, servicing.NewContract{AccountNumber: fmt.Sprint("N-000", i+1), CustomerID: id,
			VIN: servicing.WithCheckDigit(fmt.Sprintf("2T1BURHE0J%07d", i)), VehicleYear: 2022, Make: "Kia", Model: "Soul",
			Kind: servicing.KindLoan, AmountFinancedCents: money.MustParse("9000"), APR: money.MustParseRate("8"), TermMonths: 36,
			ContractDate: calendar.MustParse("2026-03-01"), FirstDue: calendar.MustParse("2026-04-01"), GraceDays: 10,
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
	if f.staff, err = id.CreateStaff(ctx, "agent@northwind.example", "Agent", "a long staff password for tests"); err != nil {
		t.Fatal(err)
	}
	if f.annLogin, err = id.CreateCustomerLogin(ctx, f.ann, "a long customer pass phrase"); err != nil {
		t.Fatal(err)
	}
	return f
}

func newService(d *db.DB) *complaints.Service {
	return complaints.New(d, func(t time.Time) calendar.Date { return calendar.Of(t) })
}

func count(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Read.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLogRefusals: bad input is refused with a clear error, and neither
// the complaint nor an audit event is written.
func TestLogRefusals(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		s := newService(d)
		good := complaints.NewComplaint{CustomerID: f.ann, ContractID: f.annContract, Category: "fees", Channel: "phone",
			Description: "Charged a late fee though the payment was on time."}
		for _, tc := range []struct {
			name   string
			by     int64
			change func(*complaints.NewComplaint)
			want   error
			says   string
		}{
			{"unknown category", f.staff, func(n *complaints.NewComplaint) { n.Category = "Fees" }, complaints.ErrInvalid, "category"},
			{"unknown channel", f.staff, func(n *complaints.NewComplaint) { n.Channel = "fax" }, complaints.ErrInvalid, "channel"},
			{"no description", f.staff, func(n *complaints.NewComplaint) { n.Description = " \n " }, complaints.ErrInvalid, "description is required"},
			{"description too long", f.staff, func(n *complaints.NewComplaint) { n.Description = strings.Repeat("ñ", 4001) }, complaints.ErrInvalid, "over 4000"},
			{"received tomorrow", f.staff, func(n *complaints.NewComplaint) { n.ReceivedOn = today + 1 }, complaints.ErrInvalid, "future"},
			{"received over a year ago", f.staff, func(n *complaints.NewComplaint) { n.ReceivedOn = today - 367 }, complaints.ErrInvalid, "days ago"},
			{"another customer's contract", f.staff, func(n *complaints.NewComplaint) { n.ContractID = f.bobContract }, complaints.ErrInvalid, "not the customer's"},
			{"unknown customer", f.staff, func(n *complaints.NewComplaint) { n.CustomerID, n.ContractID = f.bob+100, 0 }, complaints.ErrNotFound, ""},
			{"a customer's login", f.annLogin, func(*complaints.NewComplaint) {}, complaints.ErrNotStaff, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				n := good
				tc.change(&n)
				_, err := s.Log(context.Background(), tc.by, n)
				if !errors.Is(err, tc.want) || !strings.Contains(fmt.Sprint(err), tc.says) {
					t.Errorf("Log: %v, want %v saying %q", err, tc.want, tc.says)
				}
			})
		}
		if n := count(t, d, `SELECT count(*) FROM complaints`); n != 0 {
			t.Errorf("%d complaints written", n)
		}
		if n := count(t, d, `SELECT count(*) FROM audit_events WHERE action LIKE 'complaint.%'`); n != 0 {
			t.Errorf("%d complaint events audited", n)
		}
		// The longest description and the oldest date are accepted.
		n := good
		n.Description, n.ReceivedOn = strings.Repeat("ñ", 4000), today-366
		if _, err := s.Log(context.Background(), f.staff, n); err != nil {
			t.Errorf("at the limits: %v", err)
		}
	})
}

// TestLifecycle: open → acknowledged → closed, each step audited with the
// staff member and the note; closing needs a resolution, and a step the
// status does not allow is refused with nothing written.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		s := newService(d)
		c, err := s.Log(ctx, f.staff, complaints.NewComplaint{CustomerID: f.ann, ContractID: f.annContract, Category: "credit_reporting",
			Channel: "cfpb_portal", Description: "  Reported 30 days late in error.  ", ReceivedOn: calendar.MustParse("2026-12-01")})
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != complaints.Open || c.Description != "Reported 30 days late in error." || c.CustomerName != "Ann Quinn" ||
			c.AcknowledgeBy != calendar.MustParse("2026-12-16") || c.CloseBy != calendar.MustParse("2027-01-30") ||
			c.ContractID != f.annContract || c.LoggedBy != f.staff || !c.AcknowledgedAt.IsZero() {
			t.Fatalf("logged: %+v", c)
		}
		for _, tc := range []struct {
			name string
			do   func() error
			want error
			// status after the step
			status string
		}{
			{"close without a resolution", func() error { return s.Close(ctx, f.staff, c.ID, "   ") }, complaints.ErrInvalid, complaints.Open},
			{"acknowledge without a note", func() error { return s.Acknowledge(ctx, f.staff, c.ID, "") }, complaints.ErrInvalid, complaints.Open},
			{"acknowledge by a customer's login", func() error { return s.Acknowledge(ctx, f.annLogin, c.ID, "Called back") }, complaints.ErrNotStaff, complaints.Open},
			{"acknowledge an unknown complaint", func() error { return s.Acknowledge(ctx, f.staff, c.ID+100, "Called back") }, complaints.ErrNotFound, complaints.Open},
			{"acknowledge", func() error { return s.Acknowledge(ctx, f.staff, c.ID, "Called back; letter sent.") }, nil, complaints.Acknowledged},
			{"acknowledge twice", func() error { return s.Acknowledge(ctx, f.staff, c.ID, "Again") }, complaints.ErrState, complaints.Acknowledged},
			{"close without a resolution, acknowledged", func() error { return s.Close(ctx, f.staff, c.ID, "") }, complaints.ErrInvalid, complaints.Acknowledged},
			{"close", func() error { return s.Close(ctx, f.staff, c.ID, "Bureaus corrected; letter sent.") }, nil, complaints.Closed},
			{"close twice", func() error { return s.Close(ctx, f.staff, c.ID, "Again") }, complaints.ErrState, complaints.Closed},
			{"acknowledge a closed one", func() error { return s.Acknowledge(ctx, f.staff, c.ID, "Late") }, complaints.ErrState, complaints.Closed},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if err := tc.do(); !errors.Is(err, tc.want) {
					t.Errorf("%v, want %v", err, tc.want)
				}
				if got, err := s.Get(ctx, c.ID); err != nil || got.Status != tc.status {
					t.Errorf("status %q %v, want %q", got.Status, err, tc.status)
				}
			})
		}
		got, err := s.Get(ctx, c.ID)
		if err != nil || got.AcknowledgeNote != "Called back; letter sent." || got.Resolution != "Bureaus corrected; letter sent." ||
			got.AcknowledgedByStaff != f.staff || got.ClosedByStaff != f.staff || got.ClosedAt.IsZero() || got.AcknowledgedAt.IsZero() {
			t.Errorf("closed: %+v %v", got, err)
		}
		actor, subject := "staff:"+strconv.FormatInt(f.staff, 10), "customer:"+strconv.FormatInt(f.ann, 10)
		for action, note := range map[string]string{"complaint.log": "", "complaint.acknowledge": "Called back; letter sent.",
			"complaint.close": "Bureaus corrected; letter sent."} {
			if n := count(t, d, `SELECT count(*) FROM audit_events WHERE action = $1 AND actor = $2 AND subject = $3 AND details LIKE $4`,
				action, actor, subject, "%"+note+"%"); n != 1 {
				t.Errorf("%s audited %d times with its note, want 1", action, n)
			}
		}
		if n := count(t, d, `SELECT count(*) FROM audit_events WHERE action LIKE 'complaint.%'`); n != 3 {
			t.Errorf("%d complaint events, want 3 (refused steps write none)", n)
		}
		if l, err := s.OfCustomer(ctx, f.bob); err != nil || len(l) != 0 {
			t.Errorf("Bob's complaints: %+v %v", l, err)
		}
		if l, err := s.OfCustomer(ctx, f.ann); err != nil || len(l) != 1 || l[0].ID != c.ID {
			t.Errorf("Ann's complaints: %+v %v", l, err)
		}
	})
}

// TestQueue: open complaints sort by their nearest open deadline, and are
// flagged overdue as the database's clock moves past their deadlines.
func TestQueue(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		s := newService(d)
		log := func(received calendar.Date) int64 {
			t.Helper()
			c, err := s.Log(ctx, f.staff, complaints.NewComplaint{CustomerID: f.ann, Category: "billing", Channel: "email",
				Description: "Statement wrong", ReceivedOn: received})
			if err != nil {
				t.Fatal(err)
			}
			return c.ID
		}
		late := log(today - 20)    // acknowledge by today − 5: overdue
		fresh := log(today - 2)    // acknowledge by today + 13
		working := log(today - 50) // acknowledged: close by today + 10
		if err := s.Acknowledge(ctx, f.staff, working, "Looking into it"); err != nil {
			t.Fatal(err)
		}
		done := log(today - 1)
		if err := s.Close(ctx, f.staff, done, "Explained the statement"); err != nil {
			t.Fatal(err)
		}
		_ = log(0) // today: acknowledge by today + 15

		type row struct {
			id            int64
			ackLate, late bool
			daysLeft      int
		}
		for _, tc := range []struct {
			name  string
			moved int // days the clock moves from today
			limit int
			want  []row
		}{
			{"today", 0, 10, []row{{late, true, false, -5}, {working, false, false, 10}, {fresh, false, false, 13}, {done + 1, false, false, 15}}},
			{"limit 2", 0, 2, []row{{late, true, false, -5}, {working, false, false, 10}}},
			{"on the deadlines' days", 10, 10, []row{{late, true, false, -15}, {working, false, false, 0}, {fresh, false, false, 3}, {done + 1, false, false, 5}}},
			{"a day past", 11, 10, []row{{late, true, false, -16}, {working, false, true, -1}, {fresh, false, false, 2}, {done + 1, false, false, 4}}},
			{"seventy days on", 70, 10, []row{{late, true, true, -75}, {working, false, true, -60}, {fresh, true, true, -57}, {done + 1, true, true, -55}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				dbtest.ClockOf(d).Set(today.AddDays(tc.moved).Time().Add(15 * time.Hour))
				items, err := s.Queue(ctx, tc.limit)
				if err != nil {
					t.Fatal(err)
				}
				var got []row
				for _, it := range items {
					got = append(got, row{it.ID, it.AcknowledgeOverdue, it.CloseOverdue, it.DaysLeft})
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.want) {
					t.Errorf("queue:\n got %v\nwant %v", got, tc.want)
				}
			})
		}
	})
}
