package identity

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"carfin/audit"
	"carfin/db"
)

// LoginResult is the outcome of a correct password.
type LoginResult struct {
	// Session is the new session: full, or partial when a second factor
	// is still needed.
	Session Issued
	// NeedSecondFactor is true when Session is partial.
	NeedSecondFactor bool
}

// delay is the wait imposed after n consecutive failures: none before
// DelayAfterFailures, then DelayBase doubling, at most DelayMax.
func (l Limits) delay(n int) time.Duration {
	if n < l.DelayAfterFailures {
		return 0
	}
	return min(l.DelayBase<<min(n-l.DelayAfterFailures, 20), l.DelayMax)
}

// PasswordLogin checks an email and password. prevToken is the session
// cookie the browser sent, if any: it is ended, so no id chosen before
// sign-in survives it (session fixation).
//
// Order of work: the IP, network and global throttles first (refusing
// costs nothing); then the address's own throttle: inside the growing
// delay or a lock the attempt is refused without hashing; otherwise one
// argon2id hash under the hash gate, against the account's hash or a
// dummy one. An address without an account keeps the same failure state
// in the database (ghosts), so that an unknown email and an account answer
// alike at every step: ErrInvalidCredentials after the same work.
// Returns ErrThrottled when refused by the IP, network or global limits.
func (s *Service) PasswordLogin(ctx context.Context, realm Realm, email, password, prevToken string, c Client) (LoginResult, error) {
	email = NormalizeEmail(email)
	now := s.now()
	// One read gives the IP, network and global limits and, should the
	// address have no account, its state (ghosts): read for every
	// address, so that both cost the same.
	allowed, why, ghostState := s.thr.allowLogin(c.IP, ghostKey(realm, email), now, true)
	if !allowed {
		s.logThrottled(why, c.IP)
		return LoginResult{}, refusal(why)
	}
	if len(email) > emailBytesMax || len(password) > passwordBytesMax {
		return LoginResult{}, s.loginFailed(ctx, nil, email, "too_long", c)
	}
	l, err := loginByEmail(ctx, s.db.Read, realm, email)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return LoginResult{}, err
	}
	// The address's failure state: the account's, or for an address with
	// no account the same state kept in signin_ghosts, so that both
	// follow one rule.
	st := ghostState
	if l != nil {
		st = ghost{failed: l.FailedCount, lastFailed: l.LastFailedAt, lockedUntil: l.LockedUntil}
	}
	reason := ""
	phc := s.dummy
	switch {
	case now.Before(st.lockedUntil):
		reason = "locked" // refused before hashing, known or not
	case !st.lastFailed.IsZero() && now.Before(st.lastFailed.Add(s.limits.delay(st.failed))):
		reason = "delayed"
	case l == nil:
		reason = "unknown"
	case l.passwordHash == "":
		reason = "reset_required"
	default:
		phc = l.passwordHash
	}
	var ok, rehash bool
	if reason != "locked" && reason != "delayed" {
		if err := s.hashes.do(ctx, func() { ok, rehash = s.realHash(password, phc) }); err != nil {
			return LoginResult{}, err
		}
	}
	if reason != "" || !ok {
		if reason == "" {
			reason = "wrong_password"
		}
		if l == nil && reason == "unknown" {
			// Counted after the hash, as loginFailed counts an account's
			// failure: both delays then end at the same moment.
			if err := s.ghosts.fail(ctx, ghostKey(realm, email), s.limits, s.now()); err != nil {
				return LoginResult{}, err
			}
		}
		return LoginResult{}, s.loginFailed(ctx, l, email, reason, c)
	}
	if l.Realm == Staff && !l.HasSecondFactor() {
		// Staff sign in with two factors or not at all (AAL2, NIST SP
		// 800-63B rev. 4 §2.2): a staff password alone is refused with
		// the answer of a wrong one, so it tells nothing.
		return LoginResult{}, s.loginFailed(ctx, l, email, "staff_no_second_factor", c)
	}
	s.thr.refund(s.now())
	newHash := ""
	if rehash {
		_ = s.hashes.do(ctx, func() { newHash = HashPassword(password, s.params) })
	}
	var res LoginResult
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if newHash != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE logins SET password_hash = $1 WHERE id = $2 AND password_hash = $3`, newHash, l.ID, l.passwordHash); err != nil {
				return fmt.Errorf("rehash: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hashToken("session", prevToken)); err != nil {
			return fmt.Errorf("end previous session: %w", err)
		}
		// A remembered device never skips a staff login's second factor:
		// a console on a shared or stolen computer must still ask it.
		trusted := false
		if l.Realm != Staff {
			var err error
			if trusted, err = s.deviceTrusted(ctx, tx, l.ID, c.Device); err != nil {
				return err
			}
		}
		if l.HasSecondFactor() && !trusted {
			// Failures are not reset here but once the second factor is
			// proved: whoever knows the password must not get a fresh
			// count of code guesses with every partial sign-in.
			iss, _, err := s.createSession(ctx, tx, l.ID, l.Realm, LevelPartial, c, sessionData{})
			if err != nil {
				return err
			}
			res = LoginResult{Session: iss, NeedSecondFactor: true}
			return audit.Record(ctx, tx, audit.Event{Actor: loginSubject(l.ID), Action: "login.password_ok", Subject: loginSubject(l.ID), IP: c.IP,
				Details: map[string]string{"next": "second_factor"}})
		}
		if l.Realm == Staff {
			panic(fmt.Sprintf("identity: staff login %d reached a full session without a second factor", l.ID))
		}
		method := "password"
		if trusted {
			method = "password+remembered_device"
		}
		iss, err := s.completeLogin(ctx, tx, l, 0, c, false, method)
		res = LoginResult{Session: iss}
		return err
	})
	if err != nil {
		return LoginResult{}, fmt.Errorf("login: %w", err)
	}
	return res, nil
}

// loginFailed records a failed attempt: the throttles, the account's
// consecutive failures (locking it and emailing an unlock link at the
// limit), and an audit event. It returns ErrInvalidCredentials.
func (s *Service) loginFailed(ctx context.Context, l *Login, email, reason string, c Client) error {
	now := s.now()
	if s.thr.fail(c.IP, email, now) {
		s.log.Warn("login failures from many accounts on one network: throttle raised", "ip", c.IP, "network", networkOf(parseIP(c.IP)).String())
		_ = s.db.InTx(ctx, func(tx *db.Tx) error {
			return audit.Record(ctx, tx, audit.Event{Actor: "anonymous", Action: "login.burst", Subject: "network:" + networkOf(parseIP(c.IP)).String(), IP: c.IP})
		})
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		subject := "email:" + email
		if l != nil {
			subject = loginSubject(l.ID)
		}
		if l != nil && (reason == "wrong_password" || reason == "reset_required") {
			// An account awaiting its reset counts failures too: it locks
			// as any account (and as an unknown address) does.
			if err := s.countFailure(ctx, tx, l.ID, c, false); err != nil {
				return err
			}
		} else if _, err := tx.ExecContext(ctx, `UPDATE logins SET failed_count = failed_count + 1, last_failed_at = $1 WHERE id = $2 RETURNING failed_count`,
			tx.Now(), int64(-1)); err != nil {
			// The same statement as countFailure, matching no row: an
			// unknown or locked account costs what a known one does.
			return fmt.Errorf("count failure: %w", err)
		}
		return audit.Record(ctx, tx, audit.Event{Actor: "anonymous", Action: "login.failure", Subject: subject, IP: c.IP,
			Details: map[string]string{"reason": reason, "ua": clipUA(c.UserAgent)}})
	})
	if err != nil {
		return fmt.Errorf("record login failure: %w", err)
	}
	return ErrInvalidCredentials
}

// countFailure adds one consecutive failure to a login (a wrong password,
// or with factor a wrong second-factor code), and locks it at
// LockoutFailures, alerting the owner: with an unlock link after wrong
// passwords, with a link to a new password after wrong codes (whoever
// tried them knows the password).
func (s *Service) countFailure(ctx context.Context, tx *db.Tx, loginID int64, c Client, factor bool) error {
	var n int
	if err := tx.QueryRowContext(ctx, `UPDATE logins SET failed_count = failed_count + 1, last_failed_at = $1 WHERE id = $2 RETURNING failed_count`,
		tx.Now(), loginID).Scan(&n); err != nil {
		return fmt.Errorf("count failure: %w", err)
	}
	if n < s.limits.LockoutFailures {
		return nil
	}
	until := tx.Now().Add(s.limits.LockoutDuration)
	if _, err := tx.ExecContext(ctx, `UPDATE logins SET locked_until = $1, failed_count = 0, last_failed_at = NULL WHERE id = $2`, until, loginID); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	if err := audit.Record(ctx, tx, audit.Event{Actor: "system", Action: "login.locked", Subject: loginSubject(loginID), IP: c.IP,
		Details: map[string]string{"until": until.Format(time.RFC3339), "failures": fmt.Sprint(n)}}); err != nil {
		return err
	}
	l, err := loginByID(ctx, tx, loginID)
	if err != nil {
		return err
	}
	if factor {
		return s.sendFactorAlert(ctx, tx, l, "unlock_factor", c)
	}
	token, err := s.newToken(ctx, tx, "unlock", l.ID, 0, s.limits.LockoutDuration, true)
	if err != nil {
		return err
	}
	return s.send(ctx, tx, l.Email, "unlock", c.Lang, map[string]string{
		"Name": l.DisplayName, "Link": s.link("/unlock", map[string][]string{"token": {token}}),
		"Minutes": fmt.Sprint(int(s.limits.LockoutDuration.Minutes())),
	})
}

// completeLogin ends the pre-login session (id, or 0), creates the full
// session, clears failures, checks the device (alerting on a new device or
// place) and records the success. A staff login's device is never
// remembered, whatever remember says.
func (s *Service) completeLogin(ctx context.Context, tx *db.Tx, l *Login, prevSessionID int64, c Client, remember bool, method string) (Issued, error) {
	remember = remember && l.Realm != Staff
	if prevSessionID != 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = $1`, prevSessionID); err != nil {
			return Issued{}, fmt.Errorf("end partial session: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE logins SET failed_count = 0, last_failed_at = NULL, factor_failures = 0 WHERE id = $1`, l.ID); err != nil {
		return Issued{}, fmt.Errorf("reset failures: %w", err)
	}
	iss, _, err := s.createSession(ctx, tx, l.ID, l.Realm, LevelFull, c, sessionData{})
	if err != nil {
		return Issued{}, err
	}
	if err := s.seeDevice(ctx, tx, l, c, remember); err != nil {
		return Issued{}, err
	}
	if err := audit.Record(ctx, tx, audit.Event{Actor: loginSubject(l.ID), Action: "login.success", Subject: loginSubject(l.ID), IP: c.IP,
		Details: map[string]string{"method": method, "ua": clipUA(c.UserAgent), "remember": fmt.Sprint(remember)}}); err != nil {
		return Issued{}, err
	}
	return iss, nil
}

// Reauthenticate checks the password of a signed-in user before a
// sensitive action, and rotates the session's token (privilege change).
// Returns ErrInvalidCredentials for a wrong password (counted like a
// failed sign-in) or ErrThrottled.
func (s *Service) Reauthenticate(ctx context.Context, token, password string, c Client) (Issued, error) {
	ss, err := s.Session(ctx, token)
	if err != nil {
		return Issued{}, err
	}
	if ok, why := s.thr.allow(c.IP, s.now(), true); !ok {
		return Issued{}, refusal(why)
	}
	var ok bool
	if err := s.hashes.do(ctx, func() { ok, _ = s.realHash(password, ss.Login.passwordHash) }); err != nil {
		return Issued{}, err
	}
	if !ok || ss.Login.passwordHash == "" {
		return Issued{}, s.loginFailed(ctx, ss.Login, ss.Login.Email, "wrong_password", c)
	}
	s.thr.refund(s.now())
	var iss Issued
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		cur, err := s.sessionInTx(ctx, tx, token, LevelFull)
		if err != nil {
			return err
		}
		if iss, err = s.rotate(ctx, tx, cur, true); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Actor: loginSubject(cur.LoginID), Action: "login.reauth", Subject: loginSubject(cur.LoginID), IP: c.IP})
	})
	return iss, err
}

// Unlock ends a lockout with the emailed link's token. Returns
// ErrInvalidToken for an unknown, used or expired token.
func (s *Service) Unlock(ctx context.Context, token string, c Client) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		loginID, _, err := s.useToken(ctx, tx, "unlock", token)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE logins SET locked_until = NULL, failed_count = 0, last_failed_at = NULL WHERE id = $1`, loginID); err != nil {
			return fmt.Errorf("unlock: %w", err)
		}
		return audit.Record(ctx, tx, audit.Event{Actor: loginSubject(loginID), Action: "login.unlock", Subject: loginSubject(loginID), IP: c.IP,
			Details: map[string]string{"by": "email_link"}})
	})
}

// StaffUnlock ends a lockout on behalf of a customer, after support staff
// verified the caller's identity (the console records how in reason).
// Returns ErrNotFound for an unknown login, ErrNotStaff when
// staffLoginID is not a staff login.
func (s *Service) StaffUnlock(ctx context.Context, staffLoginID, loginID int64, reason string) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		var staff int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM logins WHERE id = $1 AND realm = 'staff'`, staffLoginID).Scan(&staff); err != nil {
			return fmt.Errorf("staff unlock: %w", err)
		}
		if staff == 0 {
			return fmt.Errorf("login %d is not staff: %w", staffLoginID, ErrNotStaff)
		}
		r, err := tx.ExecContext(ctx, `UPDATE logins SET locked_until = NULL, failed_count = 0, last_failed_at = NULL, factor_failures = 0 WHERE id = $1`, loginID)
		if err != nil {
			return fmt.Errorf("staff unlock: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return audit.Record(ctx, tx, audit.Event{Actor: fmt.Sprintf("staff:%d", staffLoginID), Action: "login.unlock", Subject: loginSubject(loginID),
			Details: map[string]string{"by": "staff", "reason": reason}})
	})
}

// LockState tells support whether a login is locked and until when.
func (s *Service) LockState(ctx context.Context, loginID int64) (lockedUntil time.Time, failures int, err error) {
	var until sql.NullTime
	err = s.db.Read.QueryRowContext(ctx, `SELECT locked_until, failed_count FROM logins WHERE id = $1`, loginID).Scan(&until, &failures)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, 0, ErrNotFound
	}
	if until.Valid && s.now().Before(until.Time) {
		lockedUntil = until.Time
	}
	return lockedUntil, failures, err
}

// Sign-in attempts refused before hashing (by the per-IP, per-network or
// global budget) are audited too, but not one by one: a flood would then
// cost a chained audit write per request, the very work the throttle
// saves. They are counted by reason and network, and within
// throttleLogInterval of the first one each count becomes one
// "login.throttled" audit event and one log line. At most
// throttledKeysMax networks are told apart per interval; the rest are
// counted together.
const (
	throttleLogInterval = time.Second
	throttledKeysMax    = 50
)

// throttledKey is what refused attempts are counted by.
type throttledKey struct{ reason, network string }

func (s *Service) logThrottled(why, ip string) {
	s.thrLog.Lock()
	defer s.thrLog.Unlock()
	if s.thrLog.counts == nil {
		s.thrLog.counts = map[throttledKey]int{}
	}
	k := throttledKey{why, networkOf(parseIP(ip)).String()}
	if _, seen := s.thrLog.counts[k]; !seen && len(s.thrLog.counts) >= throttledKeysMax {
		k.network = "other networks"
	}
	s.thrLog.counts[k]++
	if !s.thrLog.pending {
		s.thrLog.pending = true
		time.AfterFunc(throttleLogInterval, s.flushThrottled)
	}
}

// flushThrottled logs and audits the refused attempts counted so far.
func (s *Service) flushThrottled() {
	s.thrLog.Lock()
	counts := s.thrLog.counts
	s.thrLog.counts, s.thrLog.pending = nil, false
	s.thrLog.Unlock()
	if len(counts) == 0 {
		return
	}
	keys := slices.SortedFunc(maps.Keys(counts), func(a, b throttledKey) int {
		return cmp.Or(cmp.Compare(a.reason, b.reason), cmp.Compare(a.network, b.network))
	})
	err := s.db.InTx(context.Background(), func(tx *db.Tx) error {
		for _, k := range keys {
			s.log.Warn("sign-in attempts refused before hashing", "reason", k.reason, "network", k.network, "count", counts[k])
			if err := audit.Record(context.Background(), tx, audit.Event{Actor: "anonymous", Action: "login.throttled", Subject: "network:" + k.network,
				Details: map[string]string{"reason": k.reason, "count": strconv.Itoa(counts[k])}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.log.Error("audit refused sign-in attempts", "err", err)
	}
}
