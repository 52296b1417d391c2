package identity

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"carfin/db"
	"carfin/db/dbtest"
)

// twoServices returns two Services over one database, as two carfin
// processes over one PostgreSQL would be: the second opens connections
// of its own, and they share nothing but the database (and the test's
// clock, which stands at a fixed time). Hashes are cheap.
func twoServices(t *testing.T, d *db.DB, lim Limits) (*Service, *Service) {
	t.Helper()
	clk := dbtest.ClockOf(d)
	clk.Set(time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC))
	other, err := db.Open(context.Background(), d.DSN, db.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	var ss [2]*Service
	for i, d := range []*db.DB{d, other} {
		s, err := New(Config{DB: d, Params: Params{MemoryKiB: 64, Time: 1, Threads: 1}, BaseURL: "https://portal.example", Limits: lim})
		if err != nil {
			t.Fatal(err)
		}
		ss[i] = s
	}
	return ss[0], ss[1]
}

// failuresUntilThrottled signs in with a wrong password, taking turns
// over services, until one answers ErrThrottled, and returns how many
// failures were let through. Each attempt comes from ip(i).
func failuresUntilThrottled(t *testing.T, ip func(i int) string, email func(i int) string, services ...*Service) int {
	t.Helper()
	ctx := context.Background()
	for i := range 1000 {
		s := services[i%len(services)]
		_, err := s.PasswordLogin(ctx, Customer, email(i), "wrong guess", "", Client{IP: ip(i)})
		if errors.Is(err, ErrThrottled) {
			return i
		}
		if !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	t.Fatal("never throttled")
	return 0
}

// TestThrottleSharedBudgets: with two services over one database, the
// per-IP, per-network and global budgets are the totals one service
// allows, wherever each attempt lands.
func TestThrottleSharedBudgets(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		lim := Limits{GlobalFailureBurst: 1000, DelayBase: time.Nanosecond, DelayMax: time.Nanosecond}
		one := func(i int) string { return "198.51.100.7" }
		same := func(int) string { return "nobody@example.com" }
		cases := []struct {
			name  string
			ip    func(i int) string
			email func(i int) string
			want  int
		}{
			{"per IP", one, same, DefaultLimits().IPFailuresMax},
			// Each IP of a /24 stays under its own limit; the network's
			// limit refuses them together.
			{"per network", func(i int) string { return fmt.Sprintf("203.0.113.%d", i%50) }, same, DefaultLimits().NetworkFailuresMax},
			// Ten accounts failing from one network: a burst, and a
			// quarter of the per-IP budget from then on.
			{"burst", one, func(i int) string { return fmt.Sprintf("n%d@example.com", i) }, DefaultLimits().NetworkAccountsBurst},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				for _, n := range []int{1, 2} {
					if _, err := d.SQL.ExecContext(context.Background(), `DELETE FROM signin_limits`); err != nil {
						t.Fatal(err)
					}
					s1, s2 := twoServices(t, d, lim)
					got := failuresUntilThrottled(t, tc.ip, tc.email, []*Service{s1, s2}[:n]...)
					if got != tc.want {
						t.Errorf("%d service(s): %d failures before the throttle, want %d", n, got, tc.want)
					}
				}
			})
		}

		t.Run("global", func(t *testing.T) {
			for _, n := range []int{1, 2} {
				if _, err := d.SQL.ExecContext(context.Background(), `DELETE FROM signin_limits`); err != nil {
					t.Fatal(err)
				}
				// The clock stands: no refill, so the burst is the budget.
				s1, s2 := twoServices(t, d, Limits{GlobalFailureBurst: 7, DelayBase: time.Nanosecond, DelayMax: time.Nanosecond})
				got := failuresUntilThrottled(t, func(i int) string { return fmt.Sprintf("192.0.%d.1", i) }, same, []*Service{s1, s2}[:n]...)
				if got != 7 {
					t.Errorf("%d service(s): %d failures before the global budget refused, want 7", n, got)
				}
			}
		})
	})
}

// TestThrottleSharedConcurrent: many attempts at once over two services
// never take more of the global budget than it holds, and no failure
// count is lost.
func TestThrottleSharedConcurrent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		const burst, workers = 25, 80
		s1, s2 := twoServices(t, d, Limits{GlobalFailureBurst: burst})
		now := s1.now()
		var admitted atomic.Int64
		var wg sync.WaitGroup
		for i := range workers {
			s := []*Service{s1, s2}[i%2]
			wg.Go(func() {
				if ok, why := s.thr.allow(fmt.Sprintf("192.0.2.%d", i), now, true); ok {
					admitted.Add(1)
				} else if why != "global" {
					t.Errorf("refused for %q", why)
				}
				s.thr.fail("198.51.100.9", fmt.Sprintf("a%d@example.com", i%3), now)
			})
		}
		wg.Wait()
		if n := admitted.Load(); n != burst {
			t.Errorf("%d attempts admitted at once, want the budget, %d", n, burst)
		}
		var failures, accounts int
		if err := d.SQL.QueryRowContext(context.Background(), `SELECT failures, accounts FROM signin_limits WHERE key = $1`,
			"ip:198.51.100.9/32").Scan(&failures, &accounts); err != nil {
			t.Fatal(err)
		}
		if failures != workers {
			t.Errorf("%d failures counted, want %d", failures, workers)
		}
		if err := d.SQL.QueryRowContext(context.Background(), `SELECT accounts FROM signin_limits WHERE key = $1`,
			"net:198.51.100.0/24").Scan(&accounts); err != nil {
			t.Fatal(err)
		}
		if accounts != 3 {
			t.Errorf("%d distinct accounts counted, want 3", accounts)
		}
	})
}

// TestGhostsShared: an unknown address locked through one service is
// locked on the other (refused before hashing, as an account would be),
// and its delay too.
func TestGhostsShared(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s1, s2 := twoServices(t, d, Limits{GlobalFailureBurst: 1000})
		clk := dbtest.ClockOf(d)
		hashes := 0
		real := s2.realHash
		s2.realHash = func(pw, phc string) (bool, bool) { hashes++; return real(pw, phc) }
		lim := s1.limits
		for i := range lim.LockoutFailures {
			clk.Add(time.Hour) // past any delay
			if _, err := s1.PasswordLogin(ctx, Customer, "ghost@example.com", "wrong guess", "", Client{IP: fmt.Sprintf("192.0.2.%d", i)}); !errors.Is(err, ErrInvalidCredentials) {
				t.Fatalf("failure %d: %v", i+1, err)
			}
			if i == lim.DelayAfterFailures-1 {
				// Inside the delay the other service does not hash either.
				if _, err := s2.PasswordLogin(ctx, Customer, "ghost@example.com", "wrong guess", "", Client{IP: "198.51.100.1"}); !errors.Is(err, ErrInvalidCredentials) {
					t.Fatal(err)
				}
				if hashes != 0 {
					t.Errorf("the other service hashed inside the delay")
				}
				clk.Add(time.Hour)
			}
		}
		_, _, st := s2.thr.allowLogin("198.51.100.1", ghostKey(Customer, "ghost@example.com"), s2.now(), false)
		if !s2.now().Before(st.lockedUntil) {
			t.Fatalf("the other service sees no lock: %+v", st)
		}
		if _, err := s2.PasswordLogin(ctx, Customer, "ghost@example.com", "wrong guess", "", Client{IP: "198.51.100.2"}); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatal(err)
		}
		if hashes != 0 {
			t.Errorf("the other service hashed %d time(s) for a locked unknown address", hashes)
		}
		// Another realm's address is another ghost.
		if _, _, st := s2.thr.allowLogin("198.51.100.1", ghostKey(Staff, "ghost@example.com"), s2.now(), false); st != (ghost{}) {
			t.Errorf("staff realm: %+v", st)
		}
	})
}

// TestSigninCleanup: Cleanup deletes ended windows (in batches, however
// many) and ghosts that no longer mean anything, and keeps the live
// ones and the global budget.
func TestSigninCleanup(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := twoServices(t, d, Limits{GlobalFailureBurst: 1000})
		clk := dbtest.ClockOf(d)
		start := s.now()
		// A flood: more ended windows than a few batches.
		old := micros(start.Add(-time.Hour))
		err := d.InTx(ctx, func(tx *db.Tx) error {
			for i := range 2*signinCleanupBatch + 10 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO signin_limits (key, started_us, failures) VALUES ($1, $2, 1)`, fmt.Sprintf("ip:flood-%d", i), old); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.thr.allow("192.0.2.1", start, true); !ok {
			t.Fatal("refused")
		}
		s.thr.fail("192.0.2.1", "a@example.com", start)
		lim := s.limits
		if err := s.ghosts.fail(ctx, "customer:idle@example.com", lim, start); err != nil {
			t.Fatal(err)
		}
		for range lim.LockoutFailures {
			if err := s.ghosts.fail(ctx, "customer:locked@example.com", lim, start.Add(ghostIdle)); err != nil {
				t.Fatal(err)
			}
		}
		count := func(q string) int {
			t.Helper()
			var n int
			if err := d.SQL.QueryRowContext(ctx, q).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if _, err := s.Cleanup(ctx); err != nil {
			t.Fatal(err)
		}
		// Left: the global budget, the IP's and network's live windows and
		// the account seen in it; both ghosts.
		if n := count(`SELECT count(*) FROM signin_limits`); n != 4 {
			t.Errorf("%d limit rows after cleanup, want 4", n)
		}
		clk.Set(start.Add(lim.IPWindow + ghostIdle))
		if _, err := s.Cleanup(ctx); err != nil {
			t.Fatal(err)
		}
		if n := count(`SELECT count(*) FROM signin_limits WHERE key <> 'global'`); n != 0 {
			t.Errorf("%d ended windows left", n)
		}
		if n := count(`SELECT count(*) FROM signin_limits WHERE key = 'global'`); n != 1 {
			t.Error("the global budget was deleted")
		}
		if n := count(`SELECT count(*) FROM signin_ghosts`); n != 1 {
			t.Errorf("%d ghosts a day after the idle one's failure, want the locked one", n)
		}
		clk.Set(start.Add(ghostIdle + lim.LockoutDuration))
		if _, err := s.Cleanup(ctx); err != nil {
			t.Fatal(err)
		}
		if n := count(`SELECT count(*) FROM signin_ghosts`); n != 0 {
			t.Errorf("%d ghosts once the lock ended", n)
		}
	})
}

// TestThrottleRefusalCache: a refusal is remembered in memory until the
// window that caused it ends, and no longer (the database's rows gone,
// the cached answer alone still refuses, then lets in); an empty global
// budget is remembered until the refill makes a unit.
func TestThrottleRefusalCache(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		lim := Limits{GlobalFailureBurst: 1000, GlobalFailuresPerSecond: 1}.withDefaults()
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		th := freshThrottle(t, d, lim)
		for range lim.IPFailuresMax {
			th.fail("192.0.2.1", "a@example.com", now)
		}
		later := now.Add(lim.IPWindow / 2)
		if ok, why := th.allow("192.0.2.1", later, true); ok || why != "ip" {
			t.Fatalf("ok=%v why=%q", ok, why)
		}
		if _, err := d.SQL.ExecContext(ctx, `DELETE FROM signin_limits WHERE key <> 'global'`); err != nil {
			t.Fatal(err)
		}
		if ok, why := th.allow("192.0.2.1", later, true); ok || why != "ip" {
			t.Errorf("the cached refusal: ok=%v why=%q", ok, why)
		}
		if ok, _ := th.allow("192.0.2.1", now.Add(lim.IPWindow), true); !ok {
			t.Error("refused once the window ended")
		}

		g := freshThrottle(t, d, Limits{GlobalFailureBurst: 1, GlobalFailuresPerSecond: 2}.withDefaults())
		if ok, _ := g.allow("198.51.100.1", now, true); !ok {
			t.Fatal("the first unit refused")
		}
		if ok, why := g.allow("198.51.100.2", now, true); ok || why != "global" {
			t.Fatalf("ok=%v why=%q", ok, why)
		}
		if g.emptyUntil.Load() != micros(now.Add(500*time.Millisecond)) {
			t.Errorf("empty until %s, want half a second later", fromMicros(g.emptyUntil.Load()))
		}
		if ok, _ := g.allow("198.51.100.3", now.Add(500*time.Millisecond), true); !ok {
			t.Error("refused once the refill made a unit")
		}
	})
}
