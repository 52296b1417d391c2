// Package identity is how customers and staff get into carfin, and how
// attackers do not: passwords (argon2id), second factors (TOTP with
// recovery codes, passkeys, one-time codes by email or SMS), server-side
// sessions, throttling and lockout, enrolment, recovery and alerts. Every
// security-relevant event is written to the audit log in the same
// transaction as the change it reports.
//
// Rules, and where they come from:
//   - Passwords: NIST SP 800-63B rev. 4 §3.1.1.2 (length not composition,
//     blocklist, NFKC, no truncation, no forced change); argon2id with
//     OWASP's parameters.
//   - Sessions: OWASP Session Management Cheat Sheet (256-bit random ids,
//     rotation at login and privilege change, idle and absolute timeouts);
//     NIST SP 800-63B rev. 4 §2.2.3 for re-authentication.
//   - Throttling: NIST SP 800-63B rev. 4 §3.2.2 (at most 100 consecutive
//     failures; carfin locks after 10); no enumeration (OWASP
//     Authentication Cheat Sheet): unknown account, wrong password and
//     locked account give the same answer after the same work.
//
// The package never imports net/http: the web layer passes what it knows
// about the request as a Client.
package identity

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"carfin/db"
	"carfin/keyring"
	"carfin/locale"
)

// Realm separates customers' logins from staff's: the same email may have
// one login in each, and a session of one realm never opens the other.
type Realm string

const (
	Customer Realm = "customer"
	Staff    Realm = "staff"
)

// Client is what the web layer knows about the request.
type Client struct {
	// IP is the client address (RemoteAddr, or X-Forwarded-For from a
	// trusted proxy).
	IP string
	// UserAgent is the browser's User-Agent, shortened.
	UserAgent string
	// Device is the value of the long-lived device cookie (may be empty).
	Device string
	// Lang is the language of messages sent as a result ("en", "es").
	Lang string
}

// Limits holds the throttling and lockout settings. Zero fields take the
// defaults in DefaultLimits.
type Limits struct {
	// LockoutFailures consecutive failures lock a login for LockoutDuration.
	LockoutFailures int
	LockoutDuration time.Duration
	// DelayAfterFailures: from this many consecutive failures on, the next
	// attempt must wait DelayBase·2^(n−DelayAfterFailures), at most DelayMax.
	DelayAfterFailures int
	DelayBase          time.Duration
	DelayMax           time.Duration
	// IPFailuresMax failures from one IP in IPWindow refuse further
	// attempts from it (before hashing) until the window passes.
	IPFailuresMax int
	IPWindow      time.Duration
	// NetworkAccountsBurst distinct accounts failing from one network
	// (IPv4 /24, IPv6 /64) within IPWindow mark it as attacking: it is
	// logged, and each IP in it gets IPFailuresMax/4.
	NetworkAccountsBurst int
	// NetworkFailuresMax failures from one network in IPWindow refuse it.
	NetworkFailuresMax int
	// GlobalFailuresPerSecond refills a failure budget of
	// GlobalFailureBurst, one for all instances over the database (as
	// the IP and network counts are). When a flood of wrong passwords
	// has spent it, attempts are refused before hashing until it
	// refills, so a flood cannot take the CPU from signed-in customers.
	GlobalFailuresPerSecond float64
	GlobalFailureBurst      float64
	// HashConcurrency is the number of password hashes run at once
	// (GOMAXPROCS by default); HashQueueMax more may wait, the rest are
	// refused, so memory stays bounded (19 MiB per hash).
	HashConcurrency int
	HashQueueMax    int
}

// DefaultLimits are the settings used for zero fields of Config.Limits.
func DefaultLimits() Limits {
	procs := runtime.GOMAXPROCS(0)
	return Limits{
		LockoutFailures:         10,
		LockoutDuration:         30 * time.Minute,
		DelayAfterFailures:      5,
		DelayBase:               time.Second,
		DelayMax:                time.Minute,
		IPFailuresMax:           20,
		IPWindow:                15 * time.Minute,
		NetworkAccountsBurst:    10,
		NetworkFailuresMax:      100,
		GlobalFailuresPerSecond: 10,
		GlobalFailureBurst:      20,
		HashConcurrency:         procs,
		HashQueueMax:            64 * procs,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	set := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setD := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	setF := func(v *float64, def float64) {
		if *v == 0 {
			*v = def
		}
	}
	set(&l.LockoutFailures, d.LockoutFailures)
	setD(&l.LockoutDuration, d.LockoutDuration)
	set(&l.DelayAfterFailures, d.DelayAfterFailures)
	setD(&l.DelayBase, d.DelayBase)
	setD(&l.DelayMax, d.DelayMax)
	set(&l.IPFailuresMax, d.IPFailuresMax)
	setD(&l.IPWindow, d.IPWindow)
	set(&l.NetworkAccountsBurst, d.NetworkAccountsBurst)
	set(&l.NetworkFailuresMax, d.NetworkFailuresMax)
	setF(&l.GlobalFailuresPerSecond, d.GlobalFailuresPerSecond)
	setF(&l.GlobalFailureBurst, d.GlobalFailureBurst)
	set(&l.HashConcurrency, d.HashConcurrency)
	set(&l.HashQueueMax, d.HashQueueMax)
	return l
}

// Session and token lifetimes.
const (
	// SessionIdle ends a session 15 minutes after its last request.
	SessionIdle = 15 * time.Minute
	// SessionAbsolute ends a session 12 hours after sign-in, whatever its use.
	SessionAbsolute = 12 * time.Hour
	// StaffSessionIdle ends a staff session 10 minutes after its last
	// request: a console left open on a desk shows every customer's
	// account, so it closes sooner than a customer's own portal.
	StaffSessionIdle = 10 * time.Minute
	// StaffSessionAbsolute ends a staff session 10 hours after sign-in: one
	// working shift, then a fresh password and second factor.
	StaffSessionAbsolute = 10 * time.Hour
	// sessionAbsoluteMax is the longest absolute limit of any realm: a
	// session row older than that is dead whatever its realm.
	sessionAbsoluteMax = max(SessionAbsolute, StaffSessionAbsolute)
	// ReauthWindow: sensitive actions need a password, TOTP or passkey
	// check within the last 5 minutes.
	ReauthWindow = 5 * time.Minute
	// partialSessionTTL bounds the second-factor step after the password.
	partialSessionTTL = 5 * time.Minute
	// flowSessionTTL bounds a ceremony (passkey sign-in) before sign-in.
	flowSessionTTL = 10 * time.Minute
	// sessionTouchInterval: last_seen_at is written at most once a minute
	// per session, so reading pages does not write on every request.
	sessionTouchInterval = time.Minute
	// RememberDevice skips the second factor on a device for 30 days.
	RememberDevice = 30 * 24 * time.Hour
	// resetTokenTTL: password reset links and codes are valid 30 minutes.
	resetTokenTTL = 30 * time.Minute
	// enrolTokenTTL: the email verification link of enrolment.
	enrolTokenTTL = time.Hour
	// wasntMeTTL: the "this wasn't me" link in an alert.
	wasntMeTTL = 7 * 24 * time.Hour
	// loginCodeTTL: one-time sign-in codes by email or SMS.
	loginCodeTTL = 10 * time.Minute
	// codeAttemptsMax wrong tries end a one-time code or a partial session.
	codeAttemptsMax = 5
	// factorFailuresMax: no more wrong second-factor codes than this are
	// tried against one account between completed sign-ins, however they
	// are spread over partial sessions, locks and time (NIST SP 800-63B
	// rev. 4, 5.2.2: at most 100 consecutive failed attempts).
	factorFailuresMax = 100
	// emailBytesMax: RFC 3696 errata, 254 in a path.
	emailBytesMax = 254
	// userAgentBytesMax: User-Agents are shortened to this.
	userAgentBytesMax = 200
	// sessionsListMax bounds the sessions page.
	sessionsListMax = 50
)

// IdleFor is how long a full session of realm lives without a request.
func IdleFor(r Realm) time.Duration {
	if r == Staff {
		return StaffSessionIdle
	}
	return SessionIdle
}

// AbsoluteFor is how long a full session of realm lives after sign-in,
// however it is used.
func AbsoluteFor(r Realm) time.Duration {
	if r == Staff {
		return StaffSessionAbsolute
	}
	return SessionAbsolute
}

// Errors callers branch on. The web layer maps each to one response.
var (
	// ErrInvalidCredentials is the one answer for an unknown account, a
	// wrong password, a locked account and an attempt too soon after
	// failures, so that none of them can be told apart.
	ErrInvalidCredentials = errors.New("invalid email or password")
	// ErrThrottled is returned before any password work when the client's
	// IP or network, or the whole service, is over its failure budget.
	ErrThrottled = errors.New("too many attempts")
	// ErrUnavailable is returned instead of ErrThrottled when the limits
	// could not be checked because the database did not answer: the
	// attempt is refused, but it is an outage (503), not the client's
	// doing (429).
	ErrUnavailable = fmt.Errorf("identity: sign-in limits cannot be checked: %w", db.ErrUnavailable)
	// ErrInvalidCode is a wrong, used or expired second-factor code.
	ErrInvalidCode = errors.New("invalid code")
	// ErrInvalidToken is an unknown, used, expired or superseded link.
	ErrInvalidToken = errors.New("invalid or expired link")
	// ErrNoSession means the session is unknown, expired or revoked.
	ErrNoSession = errors.New("no session")
	// ErrReauth means the action needs a fresh password check.
	ErrReauth = errors.New("re-authentication required")
	// ErrNotFound is a factor, session or login that does not exist for
	// this user.
	ErrNotFound = errors.New("not found")
	// ErrNotStaff: a staff operation asked by a login that is not staff.
	ErrNotStaff = errors.New("not a staff login")
	// ErrNoKeys: an authenticator app cannot be added because no
	// encryption key is configured for its seed.
	ErrNoKeys = errors.New("no encryption key configured")
	// ErrFactorBlocked: too many wrong second-factor codes since the
	// last completed sign-in (factorFailuresMax); codes are refused until
	// the password is reset, a passkey signs in, or staff unlock.
	ErrFactorBlocked = errors.New("second-factor codes blocked after too many wrong ones")
	// ErrLastFactor refuses removing the last second factor while the
	// password is too short to be the only one, or of a staff login.
	ErrLastFactor = errors.New("password too short to be the only factor")
)

// Config configures a Service.
type Config struct {
	DB *db.DB
	// Params are the argon2id costs of new hashes (DefaultParams).
	Params Params
	// BaseURL is the public origin, e.g. https://portal.lender.example;
	// links in emails point there and passkeys are bound to its host.
	BaseURL string
	// LenderName appears in emails, the authenticator app and passkeys.
	LenderName string
	// Locate returns an approximate place (a country) for an IP, or "".
	Locate func(ip string) string
	// Location is the lender's time zone, in which emails say when
	// something happened (UTC when nil).
	Location *time.Location
	Limits   Limits
	Log      *slog.Logger
	// Keys encrypt authenticator-app seeds at rest (the key ring of bank
	// account numbers). Without keys no authenticator app can be added
	// (ErrNoKeys); seeds stored before encryption still work.
	Keys *keyring.Keyring
}

// Service is the identity capability.
type Service struct {
	db       *db.DB
	params   Params
	base     *url.URL
	lender   string
	locate   func(string) string
	loc      *time.Location
	limits   Limits
	log      *slog.Logger
	keys     *keyring.Keyring
	wa       *webauthn.WebAuthn
	thr      *throttle
	hashes   *hashGate
	dummy    string
	realHash func(pw, phc string) (bool, bool)
	// sessionStmt is sessionWithLoginSQL, prepared on the read pool.
	sessionStmt *sql.Stmt
	// enrolLimits counts enrolment attempts; flowLimits counts passkey
	// ceremonies started before sign-in (each writes a session row).
	enrolLimits counter
	flowLimits  counter
	// ghosts keeps the failure state of addresses without an account.
	ghosts ghosts
	// recoveryLimits counts password reset requests (each sends an email
	// or a paid text message to someone).
	recoveryLimits counter
	// thrLog gathers the sign-in attempts refused before hashing, by
	// reason and network, until they are logged and audited together.
	thrLog struct {
		sync.Mutex
		pending bool
		counts  map[throttledKey]int
	}
}

// New returns a Service. It fails only on a bad BaseURL.
func New(cfg Config) (*Service, error) {
	if cfg.Params == (Params{}) {
		cfg.Params = DefaultParams
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("identity: base URL %q must be http(s)://host[:port]", cfg.BaseURL)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Locate == nil {
		cfg.Locate = func(string) string { return "" }
	}
	if cfg.LenderName == "" {
		cfg.LenderName = "carfin"
	}
	origin := u.Scheme + "://" + u.Host
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          u.Hostname(),
		RPDisplayName: cfg.LenderName,
		RPOrigins:     []string{origin},
	})
	if err != nil {
		return nil, fmt.Errorf("identity: webauthn: %w", err)
	}
	lim := cfg.Limits.withDefaults()
	s := &Service{
		db: cfg.DB, params: cfg.Params, base: u, lender: cfg.LenderName, locate: cfg.Locate, loc: cmp.Or(cfg.Location, time.UTC),
		limits: lim, log: cfg.Log, keys: cfg.Keys, wa: wa,
		thr:            newThrottle(cfg.DB, lim, cfg.Log),
		ghosts:         ghosts{db: cfg.DB},
		hashes:         newHashGate(lim.HashConcurrency, lim.HashQueueMax),
		enrolLimits:    counter{db: cfg.DB, log: cfg.Log, prefix: "enrol:", window: enrolWindow},
		flowLimits:     counter{db: cfg.DB, log: cfg.Log, prefix: "flow:", window: flowWindow},
		recoveryLimits: counter{db: cfg.DB, log: cfg.Log, prefix: "reset:", window: recoveryWindow},
	}
	if s.sessionStmt, err = cfg.DB.Read.PrepareContext(context.Background(), sessionWithLoginSQL); err != nil {
		return nil, fmt.Errorf("identity: prepare session lookup (is the database migrated?): %w", err)
	}
	// The hash an unknown account is checked against, so that it costs the
	// same as a known one.
	s.dummy = HashPassword(randomToken(), cfg.Params)
	s.realHash = func(pw, phc string) (bool, bool) { return VerifyPassword(pw, phc, s.params) }
	return s, nil
}

// Params returns the argon2id parameters of new hashes.
func (s *Service) Params() Params { return s.params }

// link returns the absolute URL of path on the portal.
func (s *Service) link(path string, q url.Values) string {
	u := *s.base
	u.Path = path
	u.RawQuery = q.Encode()
	return u.String()
}

// randomToken returns 256 random bits, base64url without padding.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewDeviceToken returns a value for the long-lived device cookie.
func NewDeviceToken() string { return randomToken() }

// hashToken is the stored form of a token: SHA-256, hex. Tokens carry 256
// random bits, so a fast hash is enough (nothing to brute-force).
func hashToken(purpose, token string) string {
	sum := sha256.Sum256([]byte(purpose + "\x00" + token))
	return hex.EncodeToString(sum[:])
}

// NormalizeEmail is the username form of an email: trimmed, lower-case.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

func clipUA(ua string) string {
	if len(ua) > userAgentBytesMax {
		ua = ua[:userAgentBytesMax]
	}
	return strings.ToValidUTF8(ua, "")
}

// loginSubject is the audit subject of a login.
func loginSubject(id int64) string { return fmt.Sprintf("login:%d", id) }

// now reads the service clock (the database's), outside a transaction.
func (s *Service) now() time.Time { return s.db.Now().UTC() }

// moment words an instant for an email in lang, in the lender's zone.
func (s *Service) moment(lang string, t time.Time) string { return locale.Moment(lang, t.In(s.loc)) }

// Cleanup deletes expired sessions, one-time tokens, records of why
// sessions ended, and sign-in limit windows and ghosts that have ended;
// run it periodically. It returns the number of rows deleted.
func (s *Service) Cleanup(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		n = 0
		// Each statement gets only the parameters it names: PostgreSQL
		// cannot type a parameter a statement does not use.
		now, old := tx.Now(), tx.Now().Add(-sessionAbsoluteMax)
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`DELETE FROM sessions WHERE expires_at < $1 OR last_seen_at < $2`, []any{now, old}},
			{`DELETE FROM one_time_tokens WHERE expires_at < $1`, []any{old}},
			{`DELETE FROM session_ends WHERE expires_at < $1`, []any{now}},
		} {
			r, err := tx.ExecContext(ctx, q.sql, q.args...)
			if err != nil {
				return err
			}
			k, _ := r.RowsAffected()
			n += k
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("identity cleanup: %w", err)
	}
	// The sign-in limits, each batch its own statement (a flood leaves
	// many rows).
	k, err := s.thr.cleanup(ctx, s.now())
	n += k
	if err != nil {
		return n, fmt.Errorf("identity cleanup: %w", err)
	}
	return n, nil
}

// Now is the service clock (for "within five minutes" checks in views).
func (s *Service) Now() time.Time { return s.now() }
