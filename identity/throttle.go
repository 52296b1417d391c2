package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"carfin/db"
)

// throttle counts sign-in failures per IP and per network, and keeps the
// failure budget, in the database (signin_limits), so that every carfin
// process over one database shares them: N instances behind a balancer
// allow the documented budget once, not N times. An attempt costs one
// read (the IP's and network's windows, the budget, and with
// allowLogin the address's own state) and, when admitted, one write
// that takes a unit of the budget; a failure one upsert more (two while
// its network is not yet a burst, three the first time an account fails
// from it). Per-account failures and lockout are in logins.
//
// On SQLite (one process) the same statements run; the database is the
// single writer either way.
type throttle struct {
	db  *db.DB
	lim Limits
	log *slog.Logger
	// refunds are budget units given back by successful attempts, not
	// yet written: the next reservation adds them in the same statement.
	// Held back, they only make the shared budget smaller for a moment
	// (never larger), so keeping them in memory is safe, and a success
	// costs no write of its own.
	refunds atomic.Int64

	// refused remembers refusals that cannot change before a moment, so
	// that a client hammering past its limit costs no database read:
	// an IP's or a network's window (by its signin_limits key) whose
	// count is over the limit stays over it until the window ends (counts
	// only grow inside a window), so the cached answer is exactly the
	// database's; and the global budget, once empty, until the refill
	// makes one unit (emptyUntil, µs). Other instances' refunds may make
	// one sooner, so that cache only errs towards refusing, for at most
	// 1/GlobalFailuresPerSecond. At most throttleEntriesMax keys.
	mu         sync.Mutex
	refused    map[string]int64 // key → until, µs
	emptyUntil atomic.Int64
}

// reasonUnavailable is the throttle's reason for refusing when the
// database could not be read or written.
const reasonUnavailable = "unavailable"

// refusal is the error for an attempt the throttle refused for why:
// ErrUnavailable when it could not check (an outage), else ErrThrottled.
func refusal(why string) error {
	if why == reasonUnavailable {
		return ErrUnavailable
	}
	return ErrThrottled
}

// throttleQueryTimeout bounds each throttle statement: a sign-in is
// refused rather than left waiting on a stuck database.
const throttleQueryTimeout = 5 * time.Second

// throttleEntriesMax bounds the refusals the throttle remembers.
const throttleEntriesMax = 200_000

// signinCleanupBatch rows are deleted per statement by cleanup, and at
// most signinCleanupBatchesMax statements run per table per Cleanup, so
// that cleaning up after a flood holds no lock for long.
const (
	signinCleanupBatch      = 1000
	signinCleanupBatchesMax = 100
)

func newThrottle(d *db.DB, lim Limits, log *slog.Logger) *throttle {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &throttle{db: d, lim: lim, log: log, refused: map[string]int64{}}
}

// micros is t as stored in signin_limits and signin_ghosts.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros is micros' inverse; 0 is the zero time (never).
func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// Keys of signin_limits rows.
func ipLimitKey(a netip.Addr) string  { return "ip:" + ipPrefix(a).String() }
func netLimitKey(a netip.Addr) string { return "net:" + networkOf(a).String() }

const globalLimitKey = "global"

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

// signinStateSQL reads, in one statement, what allow decides on: the
// IP's and the network's windows, the global budget, and an unknown
// address's ghost row (source 'g'; $4 matches none outside sign-in).
const signinStateSQL = `SELECT 'l', key, started_us, failures, accounts, tokens FROM signin_limits WHERE key IN ($1, $2, $3)
UNION ALL
SELECT 'g', key, last_failed_us, failed, locked_until_us, 0 FROM signin_ghosts WHERE key = $4`

// budgetSQL is the global budget brought up to date: tokens refilled at
// $3 per microsecond since started_us (never backwards, should clocks of
// two instances differ), plus $4 refunded units, at most $5.
const budgetSQL = `CASE WHEN signin_limits.tokens + CAST($4 AS DOUBLE PRECISION)
	+ (CASE WHEN $2 > signin_limits.started_us THEN $2 - signin_limits.started_us ELSE 0 END) * CAST($3 AS DOUBLE PRECISION) > CAST($5 AS DOUBLE PRECISION)
	THEN CAST($5 AS DOUBLE PRECISION)
	ELSE signin_limits.tokens + CAST($4 AS DOUBLE PRECISION)
	+ (CASE WHEN $2 > signin_limits.started_us THEN $2 - signin_limits.started_us ELSE 0 END) * CAST($3 AS DOUBLE PRECISION) END`

// reserveSQL takes one unit of the global budget if one is left, in one
// atomic statement (the row's lock orders concurrent instances); no row
// comes back when none is.
const reserveSQL = `INSERT INTO signin_limits (key, started_us, tokens) VALUES ($1, $2, CAST($5 AS DOUBLE PRECISION) - 1)
ON CONFLICT (key) DO UPDATE SET tokens = ` + budgetSQL + ` - 1,
	started_us = CASE WHEN $2 > signin_limits.started_us THEN $2 ELSE signin_limits.started_us END
WHERE ` + budgetSQL + ` >= 1
RETURNING tokens`

// limitRow is a signin_limits row as allow reads it.
type limitRow struct {
	started  int64
	failures int64
	accounts int64
	tokens   float64
}

// allow reports whether an attempt from ip may go on to the password
// check, and why not. With reserve, an admitted attempt takes one unit of
// the global failure budget before hashing, so that a burst of concurrent
// attempts (on any instance) cannot all pass the check before any of
// them fails; a successful attempt gives it back (refund). A database
// error refuses, with the reason "unavailable".
func (t *throttle) allow(ip string, now time.Time, reserve bool) (bool, string) {
	ok, why, _ := t.allowLogin(ip, "", now, reserve)
	return ok, why
}

// allowLogin is allow for a sign-in with a password: the same statement
// also reads the ghost state of key (ghostKey), returned whatever the
// answer, so that an address with an account and one without cost the
// same reads.
func (t *throttle) allowLogin(ip, key string, now time.Time, reserve bool) (bool, string, ghost) {
	ctx, cancel := context.WithTimeout(context.Background(), throttleQueryTimeout)
	defer cancel()
	a := parseIP(ip)
	ipK, netK := ipLimitKey(a), netLimitKey(a)
	if why := t.cachedRefusal(ipK, netK, now); why != "" {
		return false, why, ghost{}
	}
	gk := ""
	if key != "" {
		gk = ghostRowKey(key)
	}
	rows, err := t.db.Read.QueryContext(ctx, signinStateSQL, ipK, netK, globalLimitKey, gk)
	if err != nil {
		t.log.Error("sign-in limits: read", "err", err)
		return false, reasonUnavailable, ghost{}
	}
	var ipRow, netRow, global *limitRow
	var g ghost
	for rows.Next() {
		var src, k string
		var r limitRow
		if err := rows.Scan(&src, &k, &r.started, &r.failures, &r.accounts, &r.tokens); err != nil {
			rows.Close()
			t.log.Error("sign-in limits: read", "err", err)
			return false, reasonUnavailable, ghost{}
		}
		switch {
		case src == "g":
			g = ghost{failed: int(r.failures), lastFailed: fromMicros(r.started), lockedUntil: fromMicros(r.accounts)}
		case k == ipK:
			ipRow = &r
		case k == netK:
			netRow = &r
		case k == globalLimitKey:
			global = &r
		}
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		t.log.Error("sign-in limits: read", "err", err)
		return false, reasonUnavailable, ghost{}
	}
	rows.Close()

	budget := t.lim.GlobalFailureBurst
	if global != nil {
		budget = t.refilled(global.tokens, global.started, now)
	}
	if budget+float64(t.refunds.Load()) < 1 {
		t.budgetEmpty(budget, now)
		return false, "global", g
	}
	windowStart := micros(now.Add(-t.lim.IPWindow))
	window := micros(now) - micros(now.Add(-t.lim.IPWindow))
	limit := int64(t.lim.IPFailuresMax)
	if netRow != nil && netRow.started > windowStart {
		if netRow.failures >= int64(t.lim.NetworkFailuresMax) {
			t.remember(netK, netRow.started+window, now)
			return false, "network", g
		}
		if netRow.accounts >= int64(t.lim.NetworkAccountsBurst) {
			limit = max(1, limit/4)
		}
	}
	if ipRow != nil && ipRow.started > windowStart && ipRow.failures >= limit {
		// The limit may be the burst's quarter: it holds as long as the
		// network's window, so the refusal lasts until the earlier end.
		until := ipRow.started + window
		if limit < int64(t.lim.IPFailuresMax) {
			until = min(until, netRow.started+window)
		}
		t.remember(ipK, until, now)
		return false, "ip", g
	}
	if reserve {
		ok, err := t.reserve(ctx, now)
		if err != nil {
			t.log.Error("sign-in limits: reserve", "err", err)
			return false, reasonUnavailable, g
		}
		if !ok {
			t.budgetEmpty(0, now)
			return false, "global", g
		}
	}
	return true, "", g
}

// cachedRefusal returns why an attempt is refused by a refusal cached in
// refused, or "".
func (t *throttle) cachedRefusal(ipK, netK string, now time.Time) string {
	us := micros(now)
	if us < t.emptyUntil.Load() && t.refunds.Load() == 0 {
		return "global"
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range []string{netK, ipK} {
		until, ok := t.refused[k]
		if !ok {
			continue
		}
		if us < until {
			if k == netK {
				return "network"
			}
			return "ip"
		}
		delete(t.refused, k)
	}
	return ""
}

// remember caches a refusal of key until a moment (µs). Past
// throttleEntriesMax keys, ended ones are dropped; if none has ended,
// the refusal is not cached (the database still refuses).
func (t *throttle) remember(key string, until int64, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.refused[key]; !ok && len(t.refused) >= throttleEntriesMax {
		for k, u := range t.refused {
			if u <= micros(now) {
				delete(t.refused, k)
			}
		}
		if len(t.refused) >= throttleEntriesMax {
			return
		}
	}
	t.refused[key] = until
}

// budgetEmpty caches that the global budget holds budget (< 1) at now,
// until the refill makes one unit.
func (t *throttle) budgetEmpty(budget float64, now time.Time) {
	if t.lim.GlobalFailuresPerSecond <= 0 {
		return
	}
	t.emptyUntil.Store(micros(now) + int64((1-budget)*1e6/t.lim.GlobalFailuresPerSecond))
}

// refilled is the budget of tokens counted at started (µs) once refilled
// up to now, as budgetSQL computes it.
func (t *throttle) refilled(tokens float64, started int64, now time.Time) float64 {
	if d := micros(now) - started; d > 0 {
		tokens += float64(d) * t.lim.GlobalFailuresPerSecond / 1e6
	}
	return min(t.lim.GlobalFailureBurst, tokens)
}

// reserve takes one unit of the global budget, writing the refunds held
// back with it. It reports false when none is left.
func (t *throttle) reserve(ctx context.Context, now time.Time) (bool, error) {
	refunds := t.refunds.Swap(0)
	var tokens float64
	err := t.db.SQL.QueryRowContext(ctx, reserveSQL, globalLimitKey, micros(now),
		t.lim.GlobalFailuresPerSecond/1e6, float64(refunds), t.lim.GlobalFailureBurst).Scan(&tokens)
	if err != nil {
		t.refunds.Add(refunds) // not written: kept for the next one
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// refund returns the budget unit a successful attempt reserved. It is
// written with this process's next reservation (see throttle.refunds).
func (t *throttle) refund(time.Time) { t.refunds.Add(1) }

// countFailureSQL counts a failure in the IP's and the network's windows,
// starting a new window where the last one has ended ($4: the start of
// the current window). All SET expressions read the row as it was.
const countFailureSQL = `INSERT INTO signin_limits (key, started_us, failures) VALUES ($1, $3, 1), ($2, $3, 1)
ON CONFLICT (key) DO UPDATE SET
	failures = CASE WHEN signin_limits.started_us <= $4 THEN 1 ELSE signin_limits.failures + 1 END,
	accounts = CASE WHEN signin_limits.started_us <= $4 THEN 0 ELSE signin_limits.accounts END,
	started_us = CASE WHEN signin_limits.started_us <= $4 THEN $3 ELSE signin_limits.started_us END
RETURNING key, started_us, accounts`

// fail counts a failure from ip against account, and reports whether it
// made the network a burst (many accounts failing from one network): on
// exactly one instance, the one whose failure counted the network's
// NetworkAccountsBurst-th account.
func (t *throttle) fail(ip, account string, now time.Time) (burstStarted bool) {
	ctx, cancel := context.WithTimeout(context.Background(), throttleQueryTimeout)
	defer cancel()
	a := parseIP(ip)
	netK := netLimitKey(a)
	rows, err := t.db.SQL.QueryContext(ctx, countFailureSQL, ipLimitKey(a), netK, micros(now), micros(now.Add(-t.lim.IPWindow)))
	if err != nil {
		t.log.Error("sign-in limits: count failure", "err", err)
		return false
	}
	var netStart, accounts int64
	for rows.Next() {
		var k string
		var started, n int64
		if err := rows.Scan(&k, &started, &n); err != nil {
			t.log.Error("sign-in limits: count failure", "err", err)
			break
		}
		if k == netK {
			netStart, accounts = started, n
		}
	}
	if err := rows.Err(); err != nil {
		t.log.Error("sign-in limits: count failure", "err", err)
	}
	rows.Close()
	if netStart == 0 || accounts >= int64(t.lim.NetworkAccountsBurst) {
		return false // already a burst: accounts are no longer told apart
	}
	// The account, counted once per network window: its row is keyed by
	// the window's start, and expires with it.
	acctK := fmt.Sprintf("acct:%s@%d:%s", networkOf(a), netStart, hashToken("signin-account", account)[:32])
	r, err := t.db.SQL.ExecContext(ctx, `INSERT INTO signin_limits (key, started_us) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, acctK, netStart)
	if err != nil {
		t.log.Error("sign-in limits: count account", "err", err)
		return false
	}
	if n, _ := r.RowsAffected(); n != 1 {
		return false // seen in this window already
	}
	var n int64
	err = t.db.SQL.QueryRowContext(ctx, `UPDATE signin_limits SET accounts = accounts + 1 WHERE key = $1 AND started_us = $2 RETURNING accounts`,
		netK, netStart).Scan(&n)
	if err != nil {
		if !errors.Is(err, sql.ErrNoRows) { // no row: the window ended meanwhile
			t.log.Error("sign-in limits: count account", "err", err)
		}
		return false
	}
	return n == int64(t.lim.NetworkAccountsBurst)
}

// cleanup deletes ended windows and spent budget rows (never the global
// budget) and ghosts that no longer mean anything, in batches of
// signinCleanupBatch, each its own statement. It returns the rows deleted.
func (t *throttle) cleanup(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	for _, q := range []struct {
		what, sql string
		arg       int64
	}{
		{"sign-in limits", `DELETE FROM signin_limits WHERE key IN (SELECT key FROM signin_limits WHERE started_us <= $1 AND key <> 'global' LIMIT ` +
			strconv.Itoa(signinCleanupBatch) + `)`, micros(now.Add(-max(t.lim.IPWindow, counterWindowMax)))},
		{"sign-in ghosts", `DELETE FROM signin_ghosts WHERE key IN (SELECT key FROM signin_ghosts WHERE expires_us <= $1 LIMIT ` +
			strconv.Itoa(signinCleanupBatch) + `)`, micros(now)},
	} {
		for range signinCleanupBatchesMax {
			r, err := t.db.SQL.ExecContext(ctx, q.sql, q.arg)
			if err != nil {
				return total, fmt.Errorf("clean up %s: %w", q.what, err)
			}
			n, _ := r.RowsAffected()
			total += n
			if n < signinCleanupBatch {
				break
			}
		}
	}
	return total, nil
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
