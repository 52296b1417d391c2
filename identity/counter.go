package identity

import (
	"context"
	"log/slog"
	"time"

	"carfin/db"
)

// counter counts events per key in fixed windows, for the limits that are
// not about failed passwords: enrolment attempts, passkey ceremonies
// started before sign-in, password reset requests. The counts are rows of
// signin_limits (keyed prefix+key), so that every carfin process over the
// database shares them: N instances allow each limit once, not N times.
type counter struct {
	db     *db.DB
	log    *slog.Logger
	prefix string // "enrol:", "flow:", "reset:": never a throttle key's
	window time.Duration
}

// counterWindowMax is the longest counter window: cleanup keeps
// signin_limits rows at least this long, so it never forgets a live count.
const counterWindowMax = time.Hour

// countEventSQL counts one event in key's window, starting a new window
// where the last one has ended ($3: the start of the current window).
const countEventSQL = `INSERT INTO signin_limits (key, started_us, failures) VALUES ($1, $2, 1)
ON CONFLICT (key) DO UPDATE SET
	failures = CASE WHEN signin_limits.started_us <= $3 THEN 1 ELSE signin_limits.failures + 1 END,
	started_us = CASE WHEN signin_limits.started_us <= $3 THEN $2 ELSE signin_limits.started_us END
RETURNING failures`

// allow counts one event for key. Returns ErrThrottled past max, and
// ErrUnavailable when the database cannot count it (the event is
// refused: these limits guard emails, texts and session rows, which can
// wait).
func (c *counter) allow(ctx context.Context, key string, max int, now time.Time) error {
	if c.window > counterWindowMax {
		panic("identity: counter window longer than counterWindowMax")
	}
	ctx, cancel := context.WithTimeout(ctx, throttleQueryTimeout)
	defer cancel()
	var n int64
	err := c.db.SQL.QueryRowContext(ctx, countEventSQL, c.prefix+key, micros(now), micros(now.Add(-c.window))).Scan(&n)
	if err != nil {
		c.log.Error("limits: count event", "key", c.prefix+key, "err", err)
		return ErrUnavailable
	}
	if n > int64(max) {
		return ErrThrottled
	}
	return nil
}
