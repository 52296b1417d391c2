package identity

import (
	"sync"
	"time"
)

// ghosts keeps, for email addresses that have no account, the same
// consecutive-failure state an account keeps in the database (failures,
// the last one, a lock), so that sign-in treats an unknown address
// exactly as it would treat an account: the growing delay after
// DelayAfterFailures, a "lock" after LockoutFailures, and no password
// hash while either lasts. Without it, an attacker could tell accounts
// from non-accounts by the time a locked account answers (no hash) or
// by an address never locking.
//
// The state lives in each process (a deployment of several instances
// counts per instance) and is bounded: past ghostsMax addresses, entries
// idle for a day are dropped first, then the oldest.
type ghosts struct {
	mu sync.Mutex
	m  map[string]*ghost
}

// ghost is an unknown address's failure state, as logins has it.
type ghost struct {
	failed      int
	lastFailed  time.Time
	lockedUntil time.Time
}

const ghostsMax = 100_000

// ghostKey is an unknown address's key: per realm, as logins are.
func ghostKey(r Realm, email string) string { return string(r) + ":" + email }

// state returns an address's failures, last failure and lock.
func (g *ghosts) state(email string) ghost {
	g.mu.Lock()
	defer g.mu.Unlock()
	if x := g.m[email]; x != nil {
		return *x
	}
	return ghost{}
}

// fail counts one failure for an address, locking it at lim's lockout
// threshold as countFailure locks an account.
func (g *ghosts) fail(email string, lim Limits, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m == nil {
		g.m = map[string]*ghost{}
	}
	x := g.m[email]
	if x == nil {
		if len(g.m) >= ghostsMax {
			g.evict(now)
		}
		x = &ghost{}
		g.m[email] = x
	}
	x.failed++
	x.lastFailed = now
	if x.failed >= lim.LockoutFailures {
		x.lockedUntil, x.failed, x.lastFailed = now.Add(lim.LockoutDuration), 0, time.Time{}
	}
}

// evict makes room: unlocked entries whose last failure is a day old go
// first, then the entry whose last failure (or lock) is oldest.
func (g *ghosts) evict(now time.Time) {
	var oldest string
	var oldestAt time.Time
	for k, x := range g.m {
		at := x.lastFailed
		if x.lockedUntil.After(at) {
			at = x.lockedUntil
		}
		if now.After(x.lockedUntil) && now.Sub(x.lastFailed) > 24*time.Hour {
			delete(g.m, k)
			continue
		}
		if oldest == "" || at.Before(oldestAt) {
			oldest, oldestAt = k, at
		}
	}
	if len(g.m) >= ghostsMax && oldest != "" {
		delete(g.m, oldest)
	}
}
