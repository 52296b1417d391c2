package identity

import (
	"context"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// throttle counts sign-in failures per IP and per network, and keeps the
// process-wide failure budget, all in memory, so that a refused attempt
// costs no database round trip and no hash. Each carfin process keeps its
// own counters (an attacker spreading over N instances gets N budgets);
// per-account failures and lockout are in the database and shared.
type throttle struct {
	lim Limits

	mu   sync.Mutex
	ip   map[netip.Prefix]*window // by ipPrefix
	net  map[netip.Prefix]*netWindow
	seen int // inserts since the last prune

	budget     float64
	budgetTime time.Time
}

type window struct {
	start    time.Time
	failures int
}

type netWindow struct {
	window
	accounts map[string]struct{}
	burst    bool
}

// entriesMax bounds the throttle's memory: past it, expired windows are
// pruned, and if that is not enough, the oldest half is dropped.
const throttleEntriesMax = 200_000

func newThrottle(lim Limits) *throttle {
	return &throttle{lim: lim, ip: map[netip.Prefix]*window{}, net: map[netip.Prefix]*netWindow{}, budget: lim.GlobalFailureBurst}
}

// networkOf is the network an address is counted in: /24 for IPv4, /64
// for IPv6 (one customer site or one provider allocation).
func networkOf(a netip.Addr) netip.Prefix {
	bits := 64
	if a.Is4() {
		bits = 24
	}
	p, _ := a.Prefix(bits)
	return p
}

// ipKey is what per-IP limits count by: the address for IPv4, its /64
// for IPv6 (a single subscriber usually holds a whole /64, so counting
// single IPv6 addresses would let one rotate past any limit).
func ipKey(ip string) string {
	a := parseIP(ip)
	if a.Is4() {
		return a.String()
	}
	return networkOf(a).String()
}

// ipPrefix is ipKey as a prefix: the address alone (/32) for IPv4, its
// /64 for IPv6. The sign-in throttle's per-IP windows are kept by it.
func ipPrefix(a netip.Addr) netip.Prefix {
	if a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	return networkOf(a)
}

func parseIP(ip string) netip.Addr {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return netip.IPv6Unspecified()
	}
	return a.Unmap()
}

// refill brings the global budget up to date. Caller holds mu.
func (t *throttle) refill(now time.Time) {
	if !t.budgetTime.IsZero() && now.After(t.budgetTime) {
		t.budget = min(t.lim.GlobalFailureBurst, t.budget+now.Sub(t.budgetTime).Seconds()*t.lim.GlobalFailuresPerSecond)
	}
	t.budgetTime = now
}

// allow reports whether an attempt from ip may go on to the password
// check, and why not. With reserve, an admitted attempt takes one unit of
// the global failure budget before hashing, so that a burst of concurrent
// attempts cannot all pass the check before any of them fails; a
// successful attempt gives it back (refund).
func (t *throttle) allow(ip string, now time.Time, reserve bool) (bool, string) {
	a := parseIP(ip)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.refill(now)
	if t.budget < 1 {
		return false, "global"
	}
	limit := t.lim.IPFailuresMax
	if n := t.net[networkOf(a)]; n != nil && now.Sub(n.start) < t.lim.IPWindow {
		if n.failures >= t.lim.NetworkFailuresMax {
			return false, "network"
		}
		if n.burst {
			limit = max(1, limit/4)
		}
	}
	if w := t.ip[ipPrefix(a)]; w != nil && now.Sub(w.start) < t.lim.IPWindow && w.failures >= limit {
		return false, "ip"
	}
	if reserve {
		t.budget--
	}
	return true, ""
}

// refund returns the budget unit a successful attempt reserved.
func (t *throttle) refund(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.refill(now)
	t.budget = min(t.lim.GlobalFailureBurst, t.budget+1)
}

// fail counts a failure from ip against account, and reports whether it
// made the network a burst (many accounts failing from one network).
func (t *throttle) fail(ip, account string, now time.Time) (burstStarted bool) {
	a := parseIP(ip)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.refill(now)
	t.seen++
	if t.seen > 1000 || len(t.ip) > throttleEntriesMax {
		t.prune(now)
	}
	w := t.ip[ipPrefix(a)]
	if w == nil || now.Sub(w.start) >= t.lim.IPWindow {
		w = &window{start: now}
		t.ip[ipPrefix(a)] = w
	}
	w.failures++
	p := networkOf(a)
	n := t.net[p]
	if n == nil || now.Sub(n.start) >= t.lim.IPWindow {
		n = &netWindow{window: window{start: now}, accounts: map[string]struct{}{}}
		t.net[p] = n
	}
	n.failures++
	if len(n.accounts) < t.lim.NetworkAccountsBurst {
		n.accounts[account] = struct{}{}
	}
	if !n.burst && len(n.accounts) >= t.lim.NetworkAccountsBurst {
		n.burst = true
		return true
	}
	return false
}

// prune drops expired windows. Caller holds mu.
func (t *throttle) prune(now time.Time) {
	t.seen = 0
	for k, w := range t.ip {
		if now.Sub(w.start) >= t.lim.IPWindow {
			delete(t.ip, k)
		}
	}
	for k, n := range t.net {
		if now.Sub(n.start) >= t.lim.IPWindow {
			delete(t.net, k)
		}
	}
	if len(t.ip) > throttleEntriesMax {
		i := 0
		for k := range t.ip {
			if i%2 == 0 {
				delete(t.ip, k)
			}
			i++
		}
	}
}

// hashGate runs at most n password hashes at once (argon2id takes 19 MiB
// each) and lets at most queueMax more wait; others are refused at once,
// so a burst cannot exhaust memory or queue without bound.
type hashGate struct {
	sem      chan struct{}
	waiting  atomic.Int64
	queueMax int64
}

func newHashGate(n, queueMax int) *hashGate {
	return &hashGate{sem: make(chan struct{}, n), queueMax: int64(queueMax)}
}

// tryNow runs fn under the gate if a slot is free at once, and reports
// whether it ran: for hashes inside a database transaction, which must
// not wait for the gate while holding locks (on SQLite, the one writer).
func (g *hashGate) tryNow(fn func()) bool {
	select {
	case g.sem <- struct{}{}:
	default:
		return false
	}
	defer func() { <-g.sem }()
	fn()
	return true
}

// do runs fn under the gate. Returns ErrThrottled when the queue is full
// and ctx's error when it ends while waiting.
func (g *hashGate) do(ctx context.Context, fn func()) error {
	if g.waiting.Add(1) > g.queueMax {
		g.waiting.Add(-1)
		return ErrThrottled
	}
	select {
	case g.sem <- struct{}{}:
		g.waiting.Add(-1)
	case <-ctx.Done():
		g.waiting.Add(-1)
		return ctx.Err()
	}
	defer func() { <-g.sem }()
	fn()
	return nil
}
