package identity

import (
	"context"
	"fmt"
	"time"

	"carfin/db"
)

// ghosts keeps, for email addresses that have no account, the same
// consecutive-failure state an account keeps in logins (failures, the
// last one, a lock), so that sign-in treats an unknown address exactly
// as it would treat an account: the growing delay after
// DelayAfterFailures, a "lock" after LockoutFailures, and no password
// hash while either lasts. Without it, an attacker could tell accounts
// from non-accounts by the time a locked account answers (no hash) or
// by an address never locking.
//
// The state is in the database (signin_ghosts), so that every instance
// over it answers alike; it is read with the throttle's state in one
// statement (throttle.allowLogin) and written with one upsert per
// failure. Rows are keyed by a hash of realm and address (no stored
// email of someone who may have no account), and expire once they mean
// nothing: after a lock ends, or a day after the last failure (Cleanup).
type ghosts struct {
	db *db.DB
}

// ghost is an unknown address's failure state, as logins has it.
type ghost struct {
	failed      int
	lastFailed  time.Time
	lockedUntil time.Time
}

// ghostIdle is how long an unknown address's failures are remembered
// after the last one (an account's are kept until it signs in).
const ghostIdle = 24 * time.Hour

// ghostKey is an unknown address's key: per realm, as logins are.
func ghostKey(r Realm, email string) string { return string(r) + ":" + email }

// ghostRowKey is ghostKey as stored: a hash.
func ghostRowKey(key string) string { return hashToken("signin-ghost", key) }

// ghostFailSQL counts one failure, locking at $3 failures as countFailure
// locks an account: the count and the last failure are cleared and the
// lock ($4) set. All SET expressions read the row as it was.
const ghostFailSQL = `INSERT INTO signin_ghosts (key, failed, last_failed_us, locked_until_us, expires_us) VALUES ($1, $6, $7, $8, $9)
ON CONFLICT (key) DO UPDATE SET
	failed = CASE WHEN signin_ghosts.failed + 1 >= $3 THEN 0 ELSE signin_ghosts.failed + 1 END,
	last_failed_us = CASE WHEN signin_ghosts.failed + 1 >= $3 THEN 0 ELSE CAST($2 AS BIGINT) END,
	locked_until_us = CASE WHEN signin_ghosts.failed + 1 >= $3 THEN CAST($4 AS BIGINT) ELSE signin_ghosts.locked_until_us END,
	expires_us = CASE WHEN signin_ghosts.failed + 1 >= $3 THEN CAST($4 AS BIGINT)
		WHEN signin_ghosts.locked_until_us > $5 THEN signin_ghosts.locked_until_us ELSE CAST($5 AS BIGINT) END`

// fail counts one failure for an address, locking it at lim's lockout
// threshold as countFailure locks an account.
func (g *ghosts) fail(ctx context.Context, key string, lim Limits, now time.Time) error {
	lock := micros(now.Add(lim.LockoutDuration))
	// A first failure: counted, or a lock at once if one failure locks.
	failed, last, until, expires := int64(1), micros(now), int64(0), micros(now.Add(ghostIdle))
	if lim.LockoutFailures <= 1 {
		failed, last, until, expires = 0, 0, lock, lock
	}
	_, err := g.db.SQL.ExecContext(ctx, ghostFailSQL, ghostRowKey(key), micros(now), lim.LockoutFailures, lock, micros(now.Add(ghostIdle)),
		failed, last, until, expires)
	if err != nil {
		return fmt.Errorf("count ghost failure: %w", err)
	}
	return nil
}
