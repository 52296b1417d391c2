package identity

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"carfin/audit"
	"carfin/db"
)

// Level is how far a session has signed in.
type Level string

const (
	// LevelFlow holds a ceremony's state before anyone signs in.
	LevelFlow Level = "flow"
	// LevelPartial: the password was right; a second factor is pending.
	LevelPartial Level = "partial"
	// LevelFull: signed in.
	LevelFull Level = "full"
)

// Session is a server-side session. The browser holds only its token.
type Session struct {
	ID         int64
	LoginID    int64
	Level      Level
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	// AuthAt is the last time the user proved who they are (sign-in or
	// re-authentication).
	AuthAt    time.Time
	IP        string
	UserAgent string
	Place     string
	data      sessionData
	// Login is the signed-in login (nil for flow sessions).
	Login *Login
}

// RecentAuth reports whether the user proved who they are within
// ReauthWindow of now (for sensitive actions).
func (s *Session) RecentAuth(now time.Time) bool {
	return s.Level == LevelFull && now.Sub(s.AuthAt) <= ReauthWindow
}

// Idle is how long the session lives without a request: IdleFor its
// login's realm (a session without a login is a customer's).
func (s *Session) Idle() time.Duration { return IdleFor(s.realm()) }

// realm is the realm of the session's login (Customer without one).
func (s *Session) realm() Realm {
	if s.Login != nil {
		return s.Login.Realm
	}
	return Customer
}

// IdleDeadline is when the session ends if unused.
func (s *Session) IdleDeadline() time.Time { return s.LastSeenAt.Add(s.Idle()) }

type sessionData struct {
	Remember    bool            `json:"remember,omitempty"`
	WebAuthn    json.RawMessage `json:"wa,omitempty"`
	Fails       int             `json:"fails,omitempty"`
	TOTPPending string          `json:"totp_pending,omitempty"`
	// CodeKey is a random key of this partial session that the sign-in
	// codes sent to it are bound to (a session id may be reused by
	// SQLite once its row is gone; this key never is).
	CodeKey string `json:"ck,omitempty"`
}

// Issued is a new session token for the cookie.
type Issued struct {
	Token     string
	Level     Level
	ExpiresAt time.Time
}

// createSession inserts a session and returns its token. A full session
// lives AbsoluteFor realm (the login's); realm is "" for a flow session.
func (s *Service) createSession(ctx context.Context, tx *db.Tx, loginID int64, realm Realm, level Level, c Client, data sessionData) (Issued, int64, error) {
	token := randomToken()
	now := tx.Now()
	ttl := AbsoluteFor(realm)
	switch level {
	case LevelPartial:
		ttl = partialSessionTTL
	case LevelFlow:
		ttl = flowSessionTTL
	}
	var login, authAt any
	if loginID != 0 {
		login = loginID
	}
	if level == LevelFull {
		authAt = now
	}
	raw, _ := json.Marshal(data)
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO sessions (token_hash, login_id, level, created_at, last_seen_at, expires_at, auth_at, ip, user_agent, place, data)
		VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		hashToken("session", token), login, string(level), now, now.Add(ttl), authAt, c.IP, clipUA(c.UserAgent), s.locate(c.IP), string(raw)).Scan(&id)
	if err != nil {
		return Issued{}, 0, fmt.Errorf("create session: %w", err)
	}
	return Issued{Token: token, Level: level, ExpiresAt: now.Add(ttl)}, id, nil
}

func (s *Service) saveSessionData(ctx context.Context, tx *db.Tx, id int64, data sessionData) error {
	raw, _ := json.Marshal(data)
	if _, err := tx.ExecContext(ctx, `UPDATE sessions SET data = $1 WHERE id = $2`, string(raw), id); err != nil {
		return fmt.Errorf("save session data: %w", err)
	}
	return nil
}

const sessionColumns = `s.id, COALESCE(s.login_id, 0), s.level, s.created_at, s.last_seen_at, s.expires_at, s.auth_at, s.ip, s.user_agent, s.place, s.data`

// sessionScan holds a session row's columns while it is scanned.
type sessionScan struct {
	ss          Session
	level, data string
	authAt      sql.NullTime
}

func (x *sessionScan) dest() []any {
	ss := &x.ss
	return []any{&ss.ID, &ss.LoginID, &x.level, &ss.CreatedAt, &ss.LastSeenAt, &ss.ExpiresAt, &x.authAt, &ss.IP, &ss.UserAgent, &ss.Place, &x.data}
}

func (x *sessionScan) session() (*Session, error) {
	ss := x.ss
	ss.Level, ss.AuthAt = Level(x.level), x.authAt.Time
	if err := json.Unmarshal([]byte(x.data), &ss.data); err != nil {
		return nil, fmt.Errorf("session %d data: %w", ss.ID, err)
	}
	return &ss, nil
}

func scanSession(r rowScanner) (*Session, error) {
	var x sessionScan
	if err := r.Scan(x.dest()...); err != nil {
		return nil, err
	}
	return x.session()
}

// sessionWithLoginSQL reads a signed-in (or half signed-in) session and
// its login in one round trip; every signed-in page runs it, so the
// Service prepares it once.
const sessionWithLoginSQL = `SELECT ` + sessionColumns + `, ` + loginColumns + `
	FROM sessions s JOIN logins l ON l.id = s.login_id WHERE s.token_hash = $1`

// live reports whether a session is neither expired nor idle at now
// (its Login must be loaded first: the idle limit is its realm's).
func (ss *Session) live(now time.Time) bool {
	return now.Before(ss.ExpiresAt) && (ss.Level != LevelFull || now.Sub(ss.LastSeenAt) < ss.Idle())
}

// sessionInTx loads the live session of token inside tx, or ErrNoSession.
func (s *Service) sessionInTx(ctx context.Context, tx *db.Tx, token string, want Level) (*Session, error) {
	if token == "" {
		return nil, ErrNoSession
	}
	ss, err := scanSession(tx.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions s WHERE s.token_hash = $1`+tx.DB().ForUpdate(), hashToken("session", token)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	if !tx.Now().Before(ss.ExpiresAt) || (want != "" && ss.Level != want) {
		return nil, ErrNoSession
	}
	if ss.LoginID != 0 {
		if ss.Login, err = loginByID(ctx, tx, ss.LoginID); err != nil {
			return nil, err
		}
	}
	if !ss.live(tx.Now()) {
		return nil, ErrNoSession
	}
	return ss, nil
}

// Session returns the live full session of token, touching it (at most
// once a minute) so the idle timeout restarts. Returns ErrNoSession for an
// unknown, expired, idle, revoked or not fully signed-in session.
func (s *Service) Session(ctx context.Context, token string) (*Session, error) {
	return s.session(ctx, token, LevelFull, true)
}

// PeekSession is Session without touching: reading it does not keep the
// session alive (for the idle-warning page).
func (s *Service) PeekSession(ctx context.Context, token string) (*Session, error) {
	return s.session(ctx, token, LevelFull, false)
}

// PartialSession returns the live session waiting for a second factor.
func (s *Service) PartialSession(ctx context.Context, token string) (*Session, error) {
	return s.session(ctx, token, LevelPartial, false)
}

func (s *Service) session(ctx context.Context, token string, want Level, touch bool) (*Session, error) {
	if !maybeToken(token) {
		return nil, ErrNoSession
	}
	var xs sessionScan
	var xl loginScan
	err := s.sessionStmt.QueryRowContext(ctx, hashToken("session", token)).Scan(append(xs.dest(), xl.dest()...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	return s.liveSession(ctx, &xs, &xl, want, touch)
}

// maybeToken reports whether token could be a session's (the rest is
// not worth a query).
func maybeToken(token string) bool { return token != "" && len(token) <= 64 }

// liveSession finishes reading a session row: it is the session if live
// and at level want, touched if touch and due.
func (s *Service) liveSession(ctx context.Context, xs *sessionScan, xl *loginScan, want Level, touch bool) (*Session, error) {
	ss, err := xs.session()
	if err != nil {
		return nil, err
	}
	now := s.now()
	ss.Login = xl.login()
	if !ss.live(now) || ss.Level != want {
		return nil, ErrNoSession
	}
	if touch && now.Sub(ss.LastSeenAt) >= sessionTouchInterval {
		if err := s.db.InTx(ctx, func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id = $2`, tx.Now(), ss.ID)
			return err
		}); err != nil {
			return nil, fmt.Errorf("touch session: %w", err)
		}
		ss.LastSeenAt = now
	}
	return ss, nil
}

// CustomerOfSessionSQL is an SQL expression: the customer id of the
// login behind the full session whose token's hash is $1 (NULL if none).
// It keys a read sent beside the session's own in one round trip
// (SessionRead, db.ReadPipelined), whose rows mean nothing until the
// session has turned out live and the rows are checked to be that
// customer's: the two reads are two snapshots.
const CustomerOfSessionSQL = `(SELECT l.customer_id FROM sessions s JOIN logins l ON l.id = s.login_id
	WHERE s.token_hash = $1 AND s.level = 'full')`

// SessionRead is Session split in two, so that the session's query can
// travel with the page's own (db.ReadPipelined): Read is the query, Key
// the value of $1 in CustomerOfSessionSQL, and Session, called after the
// read, what Session would have returned.
type SessionRead struct {
	s     *Service
	token string
	found bool
	xs    sessionScan
	xl    loginScan
}

// SessionRead prepares the read of token's session, or returns false for
// a token that cannot be one (Session's answer is then ErrNoSession).
func (s *Service) SessionRead(token string) (*SessionRead, bool) {
	if !maybeToken(token) {
		return nil, false
	}
	return &SessionRead{s: s, token: token}, true
}

// Key is $1 of CustomerOfSessionSQL for this session.
func (r *SessionRead) Key() any { return hashToken("session", r.token) }

// Read is the session's query.
func (r *SessionRead) Read() db.Read {
	return db.Read{SQL: sessionWithLoginSQL, Args: []any{r.Key()}, Scan: func(rows db.Rows) error {
		for rows.Next() {
			if err := rows.Scan(append(r.xs.dest(), r.xl.dest()...)...); err != nil {
				return err
			}
			r.found = true
		}
		return nil
	}}
}

// Session returns the live full session read, touching it as Session
// does, or ErrNoSession.
func (r *SessionRead) Session(ctx context.Context) (*Session, error) {
	if !r.found {
		return nil, ErrNoSession
	}
	return r.s.liveSession(ctx, &r.xs, &r.xl, LevelFull, true)
}

// Extend keeps a live session alive ("stay signed in" on the idle
// warning), whatever the touch interval.
func (s *Service) Extend(ctx context.Context, token string) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		ss, err := s.sessionInTx(ctx, tx, token, LevelFull)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id = $2`, tx.Now(), ss.ID)
		return err
	})
}

// Logout ends the session of token (any level). It is not an error if
// there is none.
func (s *Service) Logout(ctx context.Context, token string, c Client) error {
	if token == "" {
		return nil
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		var login int64
		h := hashToken("session", token)
		err := tx.QueryRowContext(ctx, `SELECT COALESCE(login_id, 0) FROM sessions WHERE token_hash = $1`, h).Scan(&login)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("logout: %w", err)
		}
		if login == 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, h); err != nil {
				return fmt.Errorf("logout: %w", err)
			}
			return nil
		}
		if _, err := endSessions(ctx, tx, EndSignedOut, `token_hash = $2`, login, h); err != nil {
			return fmt.Errorf("logout: %w", err)
		}
		return audit.Record(ctx, tx, audit.Event{Actor: loginSubject(login), Action: "session.logout", Subject: loginSubject(login), IP: c.IP})
	})
}

// SessionInfo describes a session on the sessions page.
type SessionInfo struct {
	ID         int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	IP         string
	UserAgent  string
	Place      string
	Current    bool
}

// Sessions lists the live sessions of the session's login, newest first.
func (s *Service) Sessions(ctx context.Context, cur *Session) ([]SessionInfo, error) {
	return s.liveSessions(ctx, cur.LoginID, cur.Idle(), cur.ID)
}

// liveSessionsSQL lists a login's live full sessions ($1 the login, $2
// now, $3 the oldest last activity that is not idle, $4 the limit), by
// sessions_login.
const liveSessionsSQL = `SELECT id, created_at, last_seen_at, ip, user_agent, place FROM sessions
	WHERE login_id = $1 AND level = 'full' AND expires_at > $2 AND last_seen_at > $3 ORDER BY last_seen_at DESC, id DESC LIMIT $4`

// liveSessions lists the live full sessions of a login whose idle limit
// is idle, newest first, at most sessionsListMax; the one with id cur is
// marked Current.
func (s *Service) liveSessions(ctx context.Context, loginID int64, idle time.Duration, cur int64) ([]SessionInfo, error) {
	now := s.now()
	rows, err := s.db.Read.QueryContext(ctx, liveSessionsSQL, loginID, now, now.Add(-idle), sessionsListMax)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	var out []SessionInfo
	for rows.Next() {
		var si SessionInfo
		if err := rows.Scan(&si.ID, &si.CreatedAt, &si.LastSeenAt, &si.IP, &si.UserAgent, &si.Place); err != nil {
			return nil, fmt.Errorf("list sessions: %w", err)
		}
		si.Current = si.ID == cur
		out = append(out, si)
	}
	return out, rows.Err()
}

// RevokeSession signs out one of the login's sessions. Returns ErrNotFound
// if it is not one of theirs.
func (s *Service) RevokeSession(ctx context.Context, cur *Session, id int64, c Client) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		n, err := endSessions(ctx, tx, EndRevoked, `id = $2`, cur.LoginID, id)
		if err != nil {
			return fmt.Errorf("revoke session: %w", err)
		}
		if n == 0 {
			return ErrNotFound
		}
		return audit.Record(ctx, tx, audit.Event{Actor: loginSubject(cur.LoginID), Action: "session.revoke", Subject: loginSubject(cur.LoginID), IP: c.IP,
			Details: map[string]string{"session": fmt.Sprint(id)}})
	})
}

// RevokeOtherSessions signs out everywhere ("sign out everywhere";
// the session of token is kept when keepCurrent is true). It needs a
// recent authentication (ErrReauth): a stolen session must not be able
// to sign its owner out of every device.
func (s *Service) RevokeOtherSessions(ctx context.Context, token string, keepCurrent bool, c Client) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		cur, err := s.requireRecent(ctx, tx, token)
		if err != nil {
			return err
		}
		keep := int64(0)
		if keepCurrent {
			keep = cur.ID
		}
		if err := revokeSessions(ctx, tx, cur.LoginID, keep, EndRevoked); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Actor: loginSubject(cur.LoginID), Action: "session.revoke_all", Subject: loginSubject(cur.LoginID), IP: c.IP,
			Details: map[string]string{"kept_current": fmt.Sprint(keepCurrent)}})
	})
}

// revokeSessions deletes every session of a login except keep (0: none),
// recording why, so that each browser signed out is told.
func revokeSessions(ctx context.Context, tx *db.Tx, loginID, keep int64, why EndReason) error {
	_, err := endSessions(ctx, tx, why, `id <> $2`, loginID, keep)
	return err
}

// rotate replaces a session's token (privilege change) and returns the
// new one; the old token stops working in the same transaction.
func (s *Service) rotate(ctx context.Context, tx *db.Tx, ss *Session, reauth bool) (Issued, error) {
	token := randomToken()
	q := `UPDATE sessions SET token_hash = $1, last_seen_at = $2 WHERE id = $3`
	if reauth {
		q = `UPDATE sessions SET token_hash = $1, last_seen_at = $2, auth_at = $2 WHERE id = $3`
	}
	if _, err := tx.ExecContext(ctx, q, hashToken("session", token), tx.Now(), ss.ID); err != nil {
		return Issued{}, fmt.Errorf("rotate session: %w", err)
	}
	return Issued{Token: token, Level: ss.Level, ExpiresAt: ss.ExpiresAt}, nil
}
