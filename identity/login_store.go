package identity

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"carfin/audit"
	"carfin/db"
)

// Login is one person's online access in a realm.
type Login struct {
	ID           int64
	Realm        Realm
	CustomerID   int64 // 0 for staff
	Email        string
	DisplayName  string
	passwordHash string
	// PasswordLong reports whether the password may be the only factor.
	PasswordLong      bool
	PasswordChangedAt time.Time
	// totpSecret is a seed from before seeds were encrypted (""
	// otherwise); totpKeyID and totpCipher hold the encrypted one.
	totpSecret     string
	totpKeyID      string
	totpCipher     []byte
	TOTPEnabled    bool
	totpLastStep   int64
	webauthnHandle []byte
	FailedCount    int
	LastFailedAt   time.Time // zero when none
	LockedUntil    time.Time // zero when not locked
	// FactorFailures counts wrong second-factor codes since the last
	// completed sign-in (or password reset); at factorFailuresMax codes
	// are refused until then.
	FactorFailures int
	// Passkeys is the number of passkeys registered.
	Passkeys int
	// Phone is the customer's phone on file, for SMS codes ("" if none).
	Phone string
}

// HasSecondFactor reports whether a TOTP app or a passkey is enrolled.
func (l *Login) HasSecondFactor() bool { return l.TOTPEnabled || l.Passkeys > 0 }

// passwordAlone reports whether the password may be the only factor: a
// long one, and never for staff (who sign in with two factors always).
func (l *Login) passwordAlone() bool { return l.PasswordLong && l.Realm != Staff }

const loginColumns = `l.id, l.realm, COALESCE(l.customer_id, 0), l.email, l.display_name, l.password_hash, l.password_long,
	l.password_changed_at, l.totp_secret, l.totp_enabled, l.totp_last_step, l.webauthn_handle, l.failed_count,
	l.last_failed_at, l.locked_until, l.totp_key_id, l.totp_cipher, l.factor_failures, (SELECT count(*) FROM passkeys p WHERE p.login_id = l.id),
	COALESCE((SELECT c.phone FROM customers c WHERE c.id = l.customer_id), '')`

type rowScanner interface{ Scan(...any) error }

// loginScan holds a login row's columns while it is scanned.
type loginScan struct {
	l                     Login
	realm                 string
	long, totp            int
	failedAt, lockedUntil sql.NullTime
}

// dest returns the Scan destinations of loginColumns, in order.
func (x *loginScan) dest() []any {
	l := &x.l
	return []any{&l.ID, &x.realm, &l.CustomerID, &l.Email, &l.DisplayName, &l.passwordHash, &x.long, &l.PasswordChangedAt,
		&l.totpSecret, &x.totp, &l.totpLastStep, &l.webauthnHandle, &l.FailedCount, &x.failedAt, &x.lockedUntil,
		&l.totpKeyID, &l.totpCipher, &l.FactorFailures, &l.Passkeys, &l.Phone}
}

func (x *loginScan) login() *Login {
	l := x.l
	l.Realm, l.PasswordLong, l.TOTPEnabled = Realm(x.realm), x.long == 1, x.totp == 1
	l.LastFailedAt, l.LockedUntil = x.failedAt.Time, x.lockedUntil.Time
	return &l
}

func scanLogin(r rowScanner) (*Login, error) {
	var x loginScan
	if err := r.Scan(x.dest()...); err != nil {
		return nil, err
	}
	return x.login(), nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// loginByEmail returns the login, or ErrNotFound.
func loginByEmail(ctx context.Context, q querier, realm Realm, email string) (*Login, error) {
	l, err := scanLogin(q.QueryRowContext(ctx, `SELECT `+loginColumns+` FROM logins l WHERE l.realm = $1 AND l.email = $2`, string(realm), email))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read login: %w", err)
	}
	return l, nil
}

// loginByID returns the login, or ErrNotFound.
func loginByID(ctx context.Context, q querier, id int64) (*Login, error) {
	l, err := scanLogin(q.QueryRowContext(ctx, `SELECT `+loginColumns+` FROM logins l WHERE l.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read login %d: %w", id, err)
	}
	return l, nil
}

// LoginByID returns a login, or ErrNotFound.
func (s *Service) LoginByID(ctx context.Context, id int64) (*Login, error) {
	return loginByID(ctx, s.db.Read, id)
}

// ErrExists is returned when a login already exists.
var ErrExists = errors.New("online access already exists")

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// insertLogin creates a login with a hashed password. Returns ErrExists
// when the realm already has that email, or the customer a login.
func (s *Service) insertLogin(ctx context.Context, tx *db.Tx, realm Realm, customerID int64, email, name, password string, actor string, ip string) (int64, error) {
	handle := make([]byte, 32)
	_, _ = rand.Read(handle)
	var cust any
	if customerID != 0 {
		cust = customerID
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.Savepoint(ctx, "insert_login", func() error {
		return tx.QueryRowContext(ctx, `INSERT INTO logins (realm, customer_id, email, display_name, password_hash, password_long, password_changed_at, webauthn_handle, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7) RETURNING id`,
			string(realm), cust, email, name, hash, boolInt(runeLen(password) >= PasswordMinSingleFactor), tx.Now(), handle).Scan(&id)
	})
	if db.IsUniqueViolation(err) {
		return 0, ErrExists
	}
	if err != nil {
		return 0, fmt.Errorf("create login: %w", err)
	}
	if actor == "" {
		actor = loginSubject(id)
	}
	if err := audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "login.create", Subject: loginSubject(id), IP: ip,
		Details: map[string]string{"realm": string(realm)}}); err != nil {
		return 0, err
	}
	return id, nil
}

// CreateCustomerLogin gives an existing customer online access with the
// given password (for `carfin demo` and imports), using the customer's
// email on file as the username. The password must meet the policy for a
// single factor. Returns ErrExists if the customer already has a login.
func (s *Service) CreateCustomerLogin(ctx context.Context, customerID int64, password string) (int64, error) {
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var email, first, last string
		if err := tx.QueryRowContext(ctx, `SELECT email, first_name, last_name FROM customers WHERE id = $1`, customerID).Scan(&email, &first, &last); err != nil {
			return fmt.Errorf("read customer %d: %w", customerID, err)
		}
		if err := CheckPassword(password, false, email, first, last); err != nil {
			return err
		}
		var err error
		id, err = s.insertLogin(ctx, tx, Customer, customerID, NormalizeEmail(email), first, password, "system", "")
		return err
	})
	return id, err
}

// CreateStaff creates a staff login. Staff must enrol a second factor
// before their first sign-in completes (the console enforces it).
func (s *Service) CreateStaff(ctx context.Context, email, name, password string) (int64, error) {
	email = NormalizeEmail(email)
	if err := CheckPassword(password, false, email, name); err != nil {
		return 0, err
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		id, err = s.insertLogin(ctx, tx, Staff, 0, email, name, password, "system", "")
		return err
	})
	return id, err
}
