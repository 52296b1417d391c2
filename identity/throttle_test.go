package identity

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"carfin/db"
	"carfin/db/dbtest"
)

// freshThrottle returns a throttle over d with empty signin_limits.
func freshThrottle(t *testing.T, d *db.DB, lim Limits) *throttle {
	t.Helper()
	if _, err := d.SQL.ExecContext(context.Background(), `DELETE FROM signin_limits`); err != nil {
		t.Fatal(err)
	}
	return newThrottle(d, lim, nil)
}

func TestThrottle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		testThrottle(t, d)
	})
}

// testThrottle is TestThrottle on one engine. Each newThrottle starts
// from an empty signin_limits, as a new process started from empty
// memory before the limits were shared.
func testThrottle(t *testing.T, d *db.DB) {
	newThrottle := func(lim Limits) *throttle { return freshThrottle(t, d, lim) }
	lim := Limits{GlobalFailureBurst: 1000, GlobalFailuresPerSecond: 1}.withDefaults()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th := newThrottle(lim)

	// Per IP: 20 failures in the window, then refused until it passes.
	for i := range lim.IPFailuresMax {
		if ok, why := th.allow("192.0.2.1", now, true); !ok {
			t.Fatalf("attempt %d refused (%s)", i+1, why)
		}
		th.fail("192.0.2.1", "same@example.com", now)
	}
	if ok, why := th.allow("192.0.2.1", now, true); ok || why != "ip" {
		t.Fatalf("21st attempt: ok=%v why=%q", ok, why)
	}
	if ok, _ := th.allow("192.0.2.2", now, true); !ok {
		t.Fatal("a neighbour was refused before any burst")
	}
	if ok, _ := th.allow("192.0.2.1", now.Add(lim.IPWindow), true); !ok {
		t.Fatal("still refused after the window")
	}

	// Many accounts from one network: a burst, reported once, and a
	// quarter of the per-IP budget for everyone in it.
	th = newThrottle(lim)
	bursts := 0
	for i := range lim.NetworkAccountsBurst + 3 {
		if th.fail("198.51.100.7", string(rune('a'+i))+"@example.com", now) {
			bursts++
		}
	}
	if bursts != 1 {
		t.Fatalf("%d bursts reported, want 1", bursts)
	}
	if ok, _ := th.allow("198.51.100.7", now, true); ok {
		t.Fatal("the bursting IP was not limited")
	}
	for range lim.IPFailuresMax / 4 {
		th.fail("198.51.100.8", "x@example.com", now)
	}
	if ok, _ := th.allow("198.51.100.8", now, true); ok {
		t.Fatal("a neighbour in a bursting network kept the full budget")
	}
	if ok, _ := th.allow("198.51.101.8", now, true); !ok {
		t.Fatal("another network was limited")
	}
	if networkOf(parseIP("2001:db8:1:2:3::4")).String() != "2001:db8:1:2::/64" {
		t.Error("IPv6 network is not the /64")
	}

	// Global budget: reserved before hashing, refunded on success,
	// refilled over time.
	g := newThrottle(Limits{GlobalFailureBurst: 3, GlobalFailuresPerSecond: 1}.withDefaults())
	for i := range 3 {
		if ok, _ := g.allow("203.0.113.1", now, true); !ok {
			t.Fatalf("reservation %d refused", i+1)
		}
	}
	if ok, why := g.allow("203.0.113.2", now, true); ok || why != "global" {
		t.Fatalf("4th concurrent attempt: ok=%v why=%q", ok, why)
	}
	g.refund(now)
	if ok, _ := g.allow("203.0.113.3", now, true); !ok {
		t.Fatal("a refunded unit was not available")
	}
	if ok, _ := g.allow("203.0.113.4", now.Add(1500*time.Millisecond), true); !ok {
		t.Fatal("the budget did not refill")
	}
}

func TestDelay(t *testing.T) {
	lim := DefaultLimits()
	for n, want := range map[int]time.Duration{0: 0, 4: 0, 5: time.Second, 6: 2 * time.Second, 9: 16 * time.Second, 30: time.Minute} {
		if got := lim.delay(n); got != want {
			t.Errorf("delay(%d) = %s, want %s", n, got, want)
		}
	}
}

// TestHashGate: with 2 slots and 3 places to wait, 2 hashes run, 3 wait
// (for a slot, or until their context ends), and the next ones are
// refused at once; once the running ones finish, the waiting ones run,
// never more than 2 at a time. Each step waits for the gate's own state,
// not for time to pass.
func TestHashGate(t *testing.T) {
	g := newHashGate(2, 3)
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	var running, peak int
	var mu sync.Mutex
	hash := func() {
		mu.Lock()
		running++
		peak = max(peak, running)
		mu.Unlock()
		started <- struct{}{}
		<-release
		mu.Lock()
		running--
		mu.Unlock()
	}
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 2 {
		wg.Go(func() { errs <- g.do(context.Background(), hash) })
	}
	<-started
	<-started // both slots taken
	for range 3 {
		wg.Go(func() { errs <- g.do(context.Background(), hash) })
	}
	deadline := time.Now().Add(10 * time.Second)
	for g.waiting.Load() != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("%d waiting, want 3", g.waiting.Load())
		}
		runtime.Gosched()
	}
	for i := range 4 {
		if err := g.do(context.Background(), hash); !errors.Is(err, ErrThrottled) {
			t.Fatalf("attempt %d past a full queue: %v, want ErrThrottled", i+1, err)
		}
	}
	if g.tryNow(hash) {
		t.Fatal("tryNow ran with every slot taken")
	}
	close(release)
	wg.Wait()
	close(errs)
	done := 0
	for err := range errs {
		if err != nil {
			t.Errorf("a hash that ran or waited: %v", err)
		}
		done++
	}
	if done != 5 || peak != 2 {
		t.Errorf("done %d, peak %d at once; want 5 and 2", done, peak)
	}

	// A waiting caller whose context ends leaves the queue.
	one := newHashGate(1, 1)
	hold := make(chan struct{})
	inSlot := make(chan struct{})
	go func() { _ = one.do(context.Background(), func() { close(inSlot); <-hold }) }()
	<-inSlot
	ctx, cancel := context.WithCancel(context.Background())
	waiter := make(chan error, 1)
	go func() { waiter <- one.do(ctx, func() { t.Error("a cancelled waiter ran") }) }()
	for one.waiting.Load() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the waiter never queued")
		}
		runtime.Gosched()
	}
	cancel()
	if err := <-waiter; !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled waiter: %v", err)
	}
	if n := one.waiting.Load(); n != 0 {
		t.Errorf("%d still waiting after the cancel", n)
	}
	close(hold)
}

// TestIPKey: IPv4 addresses count alone, IPv6 ones by their /64.
func TestIPKey(t *testing.T) {
	for in, want := range map[string]string{
		"198.51.100.7": "198.51.100.7", "::ffff:198.51.100.7": "198.51.100.7",
		"2001:db8:1:2:aaaa::1": "2001:db8:1:2::/64", "2001:db8:1:2:bbbb::9": "2001:db8:1:2::/64",
	} {
		if got := ipKey(in); got != want {
			t.Errorf("ipKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestThrottleIPv6By64: an IPv6 client is limited per /64, as the README
// says: failures spread over addresses of one /64 (one subscriber) meet
// the per-IP limit; another /64 does not.
func TestThrottleIPv6By64(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		testThrottleIPv6By64(t, d)
	})
}

func testThrottleIPv6By64(t *testing.T, d *db.DB) {
	lim := Limits{GlobalFailureBurst: 1000, GlobalFailuresPerSecond: 1}.withDefaults()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th := freshThrottle(t, d, lim)
	for i := range lim.IPFailuresMax {
		ip := fmt.Sprintf("2001:db8:7:9:%x::%x", i, i+1)
		if ok, why := th.allow(ip, now, true); !ok {
			t.Fatalf("attempt %d refused (%s)", i+1, why)
		}
		th.fail(ip, "same@example.com", now)
	}
	if ok, why := th.allow("2001:db8:7:9:ffff::1", now, true); ok || why != "ip" {
		t.Fatalf("after %d failures from one /64: ok=%v why=%q, want refused by the per-IP limit", lim.IPFailuresMax, ok, why)
	}
	if ok, _ := th.allow("2001:db8:7:a::1", now, true); !ok {
		t.Fatal("the next /64 was refused")
	}
}
