package identity

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"carfin/db"
	"carfin/db/dbtest"
)

// TestCounterShared: the enrolment, passkey and reset counters live in
// the database, so two processes (two counters over one database) share
// one limit; concurrent events are each counted once; a window ends on
// time; another prefix counts apart; and the sign-in limits' cleanup
// keeps a live hour-long window. On both engines.
func TestCounterShared(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
		a := counter{db: d, prefix: "enrol:", window: time.Hour}
		b := a // another process over the same database
		a.log, b.log = slog.New(slog.DiscardHandler), slog.New(slog.DiscardHandler)
		for i := range 3 {
			c := &a
			if i%2 == 1 {
				c = &b
			}
			if c.allow(ctx, "ip:198.51.100.7", 3, t0) != nil {
				t.Fatalf("event %d refused under the limit of 3", i+1)
			}
		}
		if b.allow(ctx, "ip:198.51.100.7", 3, t0.Add(time.Minute)) != ErrThrottled || a.allow(ctx, "ip:198.51.100.7", 3, t0.Add(time.Minute)) != ErrThrottled {
			t.Error("a fourth event was allowed: the processes do not share the count")
		}
		other := counter{db: d, log: slog.New(slog.DiscardHandler), prefix: "reset:", window: time.Hour}
		if other.allow(ctx, "ip:198.51.100.7", 3, t0) != nil {
			t.Error("another limit's count was spent by enrolment's")
		}

		// Cleanup half an hour later must not forget the live window.
		th := newThrottle(d, Limits{}.withDefaults(), nil)
		if _, err := th.cleanup(ctx, t0.Add(30*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if a.allow(ctx, "ip:198.51.100.7", 3, t0.Add(31*time.Minute)) == nil {
			t.Error("cleanup forgot a live window: the limit was reset after 30 minutes")
		}
		if a.allow(ctx, "ip:198.51.100.7", 3, t0.Add(time.Hour)) != nil {
			t.Error("the window did not end after an hour")
		}
		if _, err := th.cleanup(ctx, t0.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		var left int
		if err := d.Read.QueryRowContext(ctx, `SELECT count(*) FROM signin_limits WHERE key LIKE 'enrol:%' OR key LIKE 'reset:%'`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left != 0 {
			t.Errorf("%d ended counter rows left after cleanup", left)
		}

		// Twenty events at once from ten goroutines: exactly the limit passes.
		var allowed atomic.Int64
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				for range 2 {
					if a.allow(ctx, "acct:burst", 5, t0.Add(4*time.Hour)) == nil {
						allowed.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if allowed.Load() != 5 {
			t.Errorf("%d of 20 concurrent events allowed, want the limit of 5", allowed.Load())
		}
	})
}

// TestRefusedWhenUnavailable: when the limits cannot be checked because
// the database does not answer, sign-in, enrolment, password reset and
// passkey sign-in are refused with ErrUnavailable, which db.IsUnavailable
// reports (503: an outage), never with ErrThrottled (429: the client's
// doing).
func TestRefusedWhenUnavailable(t *testing.T) {
	d := dbtest.SQLite(t)
	s, err := New(Config{DB: d, Params: Params{MemoryKiB: 64, Time: 1, Threads: 1}, BaseURL: "http://localhost:8080"})
	if err != nil {
		t.Fatal(err)
	}
	d.SQL.Close()
	d.Read.Close()
	ctx := context.Background()
	c := Client{IP: "198.51.100.9"}
	_, loginErr := s.PasswordLogin(ctx, Customer, "kim@example.com", "correct horse battery staple", "", c)
	_, _, passkeyErr := s.BeginPasskeyLogin(ctx, "", c)
	for what, err := range map[string]error{
		"sign-in":       loginErr,
		"enrolment":     s.StartEnrolment(ctx, EnrolRequest{AccountNumber: "NW-1", SSNLast4: "1234", ZIP: "62701"}, c),
		"reset":         s.RequestPasswordReset(ctx, "kim@example.com", c),
		"reset by text": s.RequestResetCode(ctx, "kim@example.com", c),
		"passkey":       passkeyErr,
	} {
		if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrThrottled) || !db.IsUnavailable(err) {
			t.Errorf("%s with the database down: %v, want ErrUnavailable", what, err)
		}
	}
}
