package callers_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"carfin/callers"
	"carfin/db"
	"carfin/db/dbtest"
)

// TestOpenForWork: an opening needs a known purpose and, for "other", a
// reason; it lets only its staff member in, until the call's time limit;
// a customer login is not staff; nothing is written on a refusal.
func TestOpenForWork(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		svc := callers.New(d, "Northwind")
		ctx := t.Context()
		clock := dbtest.ClockOf(d)
		clock.Stop()
		for _, tc := range []struct {
			name, purpose, reason string
			by, customer          int64
			want                  error
		}{
			{"unknown purpose", "curiosity", "looking", f.agent, f.ann, callers.ErrReason},
			{"other without a reason", "other", "  ", f.agent, f.ann, callers.ErrReason},
			{"reason too long", "message", strings.Repeat("x", 501), f.agent, f.ann, callers.ErrReason},
			{"not staff", "message", "", f.annLogin, f.ann, callers.ErrNotStaff},
			{"no such customer", "message", "", f.agent, 999999, callers.ErrNotFound},
		} {
			if _, err := svc.OpenForWork(ctx, tc.by, tc.customer, tc.purpose, tc.reason); !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			}
		}
		var n int
		if err := d.Read.QueryRowContext(ctx, `SELECT count(*) FROM account_openings`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d openings after refusals (%v)", n, err)
		}
		if _, ok, _ := svc.AccessOf(ctx, f.agent, f.ann); ok {
			t.Fatal("access before any opening")
		}
		if _, err := svc.OpenForWork(ctx, f.agent, f.ann, "message", "thread 12"); err != nil {
			t.Fatal(err)
		}
		a, ok, err := svc.AccessOf(ctx, f.agent, f.ann)
		if err != nil || !ok || a.Method != "work" || a.Purpose != "message" {
			t.Fatalf("access %+v %v %v", a, ok, err)
		}
		if _, ok, _ := svc.AccessOf(ctx, f.other, f.ann); ok {
			t.Error("another agent has access through someone else's opening")
		}
		if err := d.Read.QueryRowContext(ctx, `SELECT count(*) FROM audit_events WHERE action = 'customer.open'`).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d audit rows (%v)", n, err)
		}
		clock.Add(31 * time.Minute)
		if _, ok, _ := svc.AccessOf(ctx, f.agent, f.ann); ok {
			t.Error("access after the time limit")
		}
	})
}
