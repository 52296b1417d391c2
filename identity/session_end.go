package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"carfin/db"
)

// EndReason is why a session no longer lets its browser in. The sign-in
// page tells the customer which: a session ended by a password change or
// by "this wasn't me" must not be told it was idle, or the customer would
// not look for the change they did not make.
type EndReason string

const (
	// EndUnknown: no record of the session (never issued, or cleaned up).
	EndUnknown EndReason = ""
	// EndIdle: the realm's idle limit (IdleFor) passed without a request.
	EndIdle EndReason = "idle"
	// EndAbsolute: the realm's absolute limit (AbsoluteFor) passed since
	// sign-in.
	EndAbsolute EndReason = "absolute"
	// EndPassword: the password was changed (on another device) or reset.
	EndPassword EndReason = "password"
	// EndRevoked: signed out from the security page of another device, or
	// by "sign out everywhere".
	EndRevoked EndReason = "revoked"
	// EndWasntMe: the owner answered an alert with "this wasn't me" (a
	// sign-in, a security change or an email change they did not make).
	EndWasntMe EndReason = "wasnt-me"
	// EndSignedOut: the session was signed out (a copy of its cookie, or
	// another tab that kept it, comes back).
	EndSignedOut EndReason = "signed-out"
	// EndStaffReset: support reset the customer's two-step verification
	// (StaffResetSecondFactor), which signs out every device.
	EndStaffReset EndReason = "staff-reset"
	// EndStaffSignedOut: support signed the customer out of every device
	// (StaffEndSessions), at their request or to protect the account.
	EndStaffSignedOut EndReason = "staff-signed-out"
)

// SessionEnded tells why the session of token is not live: idle or past
// its absolute limit while its row is kept, else the reason recorded
// when it was ended on purpose, else EndUnknown (also for a live
// session). Reading it never extends a session.
func (s *Service) SessionEnded(ctx context.Context, token string) (EndReason, error) {
	if token == "" || len(token) > 64 {
		return EndUnknown, nil
	}
	h := hashToken("session", token)
	var level, realm string
	var lastSeen, expires time.Time
	err := s.db.Read.QueryRowContext(ctx, `SELECT s.level, s.last_seen_at, s.expires_at, COALESCE(l.realm, '')
		FROM sessions s LEFT JOIN logins l ON l.id = s.login_id WHERE s.token_hash = $1`, h).Scan(&level, &lastSeen, &expires, &realm)
	switch {
	case err == nil:
		now := s.now()
		if Level(level) != LevelFull {
			return EndUnknown, nil
		}
		idleAt := lastSeen.Add(IdleFor(Realm(realm)))
		switch {
		case !now.Before(idleAt) && idleAt.Before(expires):
			return EndIdle, nil
		case !now.Before(expires):
			return EndAbsolute, nil
		}
		return EndUnknown, nil
	case !errors.Is(err, sql.ErrNoRows):
		return EndUnknown, fmt.Errorf("read session end: %w", err)
	}
	var reason string
	err = s.db.Read.QueryRowContext(ctx, `SELECT reason FROM session_ends WHERE token_hash = $1`, h).Scan(&reason)
	if errors.Is(err, sql.ErrNoRows) {
		return EndUnknown, nil
	}
	if err != nil {
		return EndUnknown, fmt.Errorf("read session end: %w", err)
	}
	return EndReason(reason), nil
}

// endSessions deletes the sessions of a login that match where (SQL on
// the sessions table, its parameters after the login's, which is $1),
// recording why for each first. Returns how many ended.
func endSessions(ctx context.Context, tx *db.Tx, why EndReason, where string, loginID int64, args ...any) (int64, error) {
	args = append([]any{loginID}, args...)
	n := len(args)
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO session_ends (token_hash, login_id, reason, ended_at, expires_at)
		SELECT token_hash, login_id, $%d, $%d, expires_at FROM sessions WHERE login_id = $1 AND (%s)`, n+1, n+2, where),
		append(args, string(why), tx.Now())...); err != nil {
		return 0, fmt.Errorf("record end of sessions of login %d: %w", loginID, err)
	}
	r, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE login_id = $1 AND (`+where+`)`, args...)
	if err != nil {
		return 0, fmt.Errorf("end sessions of login %d: %w", loginID, err)
	}
	k, _ := r.RowsAffected()
	return k, nil
}

// Remaining is how long the session has left at now: until its idle
// deadline or its absolute limit, whichever comes first, never negative.
// absolute reports that the absolute limit comes first, which no
// activity moves. The idle deadline is the one the server enforces:
// activity is recorded at most once a minute (sessionTouchInterval), so
// it can be up to a minute earlier than the last request plus the
// session's Idle limit.
func (ss *Session) Remaining(now time.Time) (left time.Duration, absolute bool) {
	end := ss.IdleDeadline()
	if ss.Level != LevelFull {
		end = ss.ExpiresAt
	}
	if !ss.ExpiresAt.After(end) {
		end, absolute = ss.ExpiresAt, true
	}
	return max(end.Sub(now), 0), absolute
}
