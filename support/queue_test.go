package support_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"carfin/audit"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/identity"
	"carfin/support"
)

// staffLogin creates a staff login with a staff account in status
// ("" for none: a login made by identity.CreateStaff alone).
func staffLogin(t *testing.T, d *db.DB, name, status string) int64 {
	t.Helper()
	ctx := context.Background()
	id, err := identity.New(identity.Config{DB: d, Params: identity.Params{MemoryKiB: 64, Time: 1, Threads: 1}, BaseURL: "https://portal.example"})
	if err != nil {
		t.Fatal(err)
	}
	login, err := id.CreateStaff(ctx, name+"@northwind.example", name, "a long staff password for tests")
	if err != nil {
		t.Fatal(err)
	}
	if status != "" {
		if _, err := d.SQL.ExecContext(ctx, `INSERT INTO staff_members (login_id, role, status, created_at, created_by, updated_at)
			VALUES ($1, 'agent', $2, $3, 'system', $3)`, login, status, d.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return login
}

func ids(items []support.QueueItem) []int64 {
	var out []int64
	for _, q := range items {
		out = append(out, q.ThreadID)
	}
	return out
}

func TestQueue(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clock := dbtest.ClockOf(d)
		t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		clock.Set(t0)
		s := support.New(d, support.Config{LenderName: "Northwind", BaseURL: "https://portal.example"})
		ann, bob := customer(t, d, "Ann"), customer(t, d, "Bob")
		agent, other := staffLogin(t, d, "Agent", "active"), staffLogin(t, d, "Other", "active")
		disabled, bare := staffLogin(t, d, "Gone", "disabled"), staffLogin(t, d, "Bare", "")

		start := func(cust int64, subject string) int64 {
			t.Helper()
			id, err := s.StartThread(ctx, cust, "en", subject, "help", nil)
			if err != nil {
				t.Fatal(err)
			}
			clock.Add(time.Minute)
			return id
		}
		a1 := start(ann, "first") // waits since t0
		b1 := start(bob, "second")
		a2 := start(ann, "third")
		// Staff answer a2: it leaves the waiting part of the queue.
		if _, err := s.StaffReply(ctx, agent, a2, "answered", nil); err != nil {
			t.Fatal(err)
		}
		clock.Add(time.Minute)
		// Bob writes again in b1: the wait still runs from his first message.
		if _, err := s.Reply(ctx, bob, b1, "still waiting", nil); err != nil {
			t.Fatal(err)
		}

		all, err := s.Queue(ctx, support.QueueFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(ids(all)); got != fmt.Sprint([]int64{a1, b1, a2}) {
			t.Fatalf("queue order %s, want %v", got, []int64{a1, b1, a2})
		}
		if q := all[0]; q.CustomerName != "Ann Quinn" || q.Subject != "first" || !q.AwaitingSince.Equal(t0) || q.Messages != 1 ||
			q.Status != support.StatusOpen || q.AssignedTo != 0 || !q.Unread {
			t.Errorf("first item: %+v", q)
		}
		if q := all[1]; !q.AwaitingSince.Equal(t0.Add(time.Minute)) || q.Messages != 2 || !q.LastMessageAt.Equal(t0.Add(4*time.Minute)) {
			t.Errorf("Bob's item: %+v", q)
		}
		if q := all[2]; q.Awaiting() || q.Messages != 2 {
			t.Errorf("answered item: %+v", q)
		}
		if n, un, oldest, err := s.QueueCounts(ctx); err != nil || n != 2 || un != 3 || !oldest.Equal(t0) {
			t.Errorf("counts %d %d %v %v", n, un, oldest, err)
		}

		// Assignment: take it, give it, and the filters follow.
		if err := s.Assign(ctx, agent, b1, agent); err != nil {
			t.Fatal(err)
		}
		if err := s.Assign(ctx, agent, a2, other); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			f    support.QueueFilter
			want []int64
		}{
			{"all", support.QueueFilter{Scope: support.ScopeAll}, []int64{a1, b1, a2}},
			{"mine", support.QueueFilter{Scope: support.ScopeMine, StaffLoginID: agent}, []int64{b1}},
			{"other's", support.QueueFilter{Scope: support.ScopeMine, StaffLoginID: other}, []int64{a2}},
			{"unassigned", support.QueueFilter{Scope: support.ScopeUnassigned}, []int64{a1}},
			{"limit", support.QueueFilter{Limit: 1}, []int64{a1}},
			{"limit into the answered", support.QueueFilter{Limit: 3}, []int64{a1, b1, a2}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.Queue(ctx, tc.f)
				if err != nil || fmt.Sprint(ids(got)) != fmt.Sprint(tc.want) {
					t.Fatalf("got %v %v, want %v", ids(got), err, tc.want)
				}
			})
		}
		mine, _ := s.Queue(ctx, support.QueueFilter{Scope: support.ScopeMine, StaffLoginID: agent})
		if len(mine) != 1 || mine[0].AssignedName != "Agent" || mine[0].AssignedTo != agent {
			t.Errorf("assigned item: %+v", mine)
		}
		if _, un, _, _ := s.QueueCounts(ctx); un != 1 {
			t.Errorf("unassigned count %d", un)
		}

		// Close: out of the queue, waits for nothing; the customer reopens it.
		if err := s.CloseThread(ctx, agent, b1, "  resolved \n by phone "); err != nil {
			t.Fatal(err)
		}
		if err := s.CloseThread(ctx, agent, b1, "again"); err != nil {
			t.Fatalf("closing a closed thread: %v", err)
		}
		if got, _ := s.Queue(ctx, support.QueueFilter{}); fmt.Sprint(ids(got)) != fmt.Sprint([]int64{a1, a2}) {
			t.Fatalf("queue after close: %v", ids(got))
		}
		bobs, err := s.ThreadsOfCustomer(ctx, bob, 0)
		if err != nil || len(bobs) != 1 || bobs[0].Status != support.StatusClosed || bobs[0].Awaiting() {
			t.Fatalf("Bob's threads after close: %+v %v", bobs, err)
		}
		clock.Add(time.Hour)
		if _, err := s.Reply(ctx, bob, b1, "one more thing", nil); err != nil {
			t.Fatal(err)
		}
		bobs, _ = s.ThreadsOfCustomer(ctx, bob, 0)
		if q := bobs[0]; q.Status != support.StatusOpen || !q.AwaitingSince.Equal(clock.Now()) || q.AssignedTo != agent || q.Messages != 3 {
			t.Fatalf("reopened: %+v", q)
		}
		if got, _ := s.Queue(ctx, support.QueueFilter{}); fmt.Sprint(ids(got)) != fmt.Sprint([]int64{a1, b1, a2}) {
			t.Fatalf("queue after reopening: %v", ids(got))
		}
		if anns, _ := s.ThreadsOfCustomer(ctx, ann, 1); len(anns) != 1 || anns[0].ThreadID != a2 {
			t.Errorf("Ann's latest thread: %+v", anns)
		}
		// Unassign.
		if err := s.Assign(ctx, other, a2, 0); err != nil {
			t.Fatal(err)
		}

		// Refusals change nothing.
		for _, tc := range []struct {
			name string
			err  error
			want error
		}{
			{"customer login assigns", s.Assign(ctx, 999999, a1, agent), support.ErrNotStaff},
			{"disabled staff assigns", s.Assign(ctx, disabled, a1, agent), support.ErrNotStaff},
			{"to a disabled member", s.Assign(ctx, agent, a1, disabled), support.ErrAssignee},
			{"to a login without a staff account", s.Assign(ctx, agent, a1, bare), support.ErrAssignee},
			{"to a missing login", s.Assign(ctx, agent, a1, 999999), support.ErrAssignee},
			{"missing thread", s.Assign(ctx, agent, 999999, agent), support.ErrNotFound},
			{"disabled staff closes", s.CloseThread(ctx, disabled, a1, "x"), support.ErrNotStaff},
			{"close a missing thread", s.CloseThread(ctx, agent, 999999, "x"), support.ErrNotFound},
			{"bad scope", func() error { _, err := s.Queue(ctx, support.QueueFilter{Scope: "everything"}); return err }(), support.ErrScope},
			{"mine of no one", func() error { _, err := s.Queue(ctx, support.QueueFilter{Scope: support.ScopeMine}); return err }(), support.ErrScope},
		} {
			if !errors.Is(tc.err, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.name, tc.err, tc.want)
			}
		}
		for reason, want := range map[string]string{" \n": support.Required, string(make([]rune, support.CloseReasonRunesMax+1)): support.TooLong} {
			var fe support.FieldErrors
			if err := s.CloseThread(ctx, agent, a1, reason); !errors.As(err, &fe) || fe["reason"] != want {
				t.Errorf("reason %q: %v", reason, err)
			}
		}
		if a, _ := s.ThreadsOfCustomer(ctx, ann, 0); a[1].Status != support.StatusOpen || a[1].AssignedTo != 0 {
			t.Errorf("refused changes wrote: %+v", a[1])
		}

		// A login without a staff account, but of the staff realm, may act.
		if err := s.Assign(ctx, bare, a1, agent); err != nil {
			t.Errorf("staff login without a staff account: %v", err)
		}

		// The migration's backfill of awaiting_since agrees with the
		// column kept up by every write, for threads never closed (before
		// the migration none was; closing ends a wait the backfill would
		// see, as Bob's shows).
		mig, err := os.ReadFile("../db/migrations/00232_support_queue.sql")
		if err != nil {
			t.Fatal(err)
		}
		backfill := string(mig[strings.Index(string(mig), "UPDATE support_threads"):])
		backfill = backfill[:strings.Index(backfill, ";")]
		before, _ := s.ThreadsOfCustomer(ctx, ann, 0)
		if _, err := d.SQL.ExecContext(ctx, backfill); err != nil {
			t.Fatal(err)
		}
		after, _ := s.ThreadsOfCustomer(ctx, ann, 0)
		if fmt.Sprint(before) != fmt.Sprint(after) {
			t.Errorf("backfill differs:\n%+v\n%+v", before, after)
		}
		if bobs, _ := s.ThreadsOfCustomer(ctx, bob, 0); !bobs[0].AwaitingSince.Equal(t0.Add(time.Minute)) {
			t.Errorf("backfill of Bob's thread: %+v", bobs[0])
		}

		// Audit: every staff change, with its actor; refusals none.
		var log []string
		for _, c := range []int64{ann, bob} {
			es, err := audit.ForSubject(ctx, d, fmt.Sprintf("customer:%d", c), 50)
			if err != nil {
				t.Fatal(err)
			}
			for i := len(es) - 1; i >= 0; i-- {
				if e := es[i]; e.Action != "support.staff_reply" {
					log = append(log, fmt.Sprintf("%s %s %s>%s %s", e.Actor, e.Action, e.Details["from"], e.Details["to"], e.Details["reason"]))
				}
			}
		}
		want := []string{
			fmt.Sprintf("staff:%d support.assign 0>%d ", agent, other),
			fmt.Sprintf("staff:%d support.assign %d>0 ", other, other),
			fmt.Sprintf("staff:%d support.assign 0>%d ", bare, agent),
			fmt.Sprintf("staff:%d support.assign 0>%d ", agent, agent),
			fmt.Sprintf("staff:%d support.close > resolved by phone", agent),
		}
		if fmt.Sprintf("%q", log) != fmt.Sprintf("%q", want) {
			t.Errorf("audit:\n got %q\nwant %q", log, want)
		}
	})
}
