package identity

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"image/png"

	"github.com/pquerna/otp/totp"

	"carfin/audit"
	"carfin/db"
)

// Staff enrolment: a staff login is created with no usable password
// (password_hash '' refuses every sign-in, as after "this wasn't me"), and
// becomes usable only when its owner sets a password AND confirms an
// authenticator app in one step, so no staff login ever has a password
// alone (AAL2, NIST SP 800-63B rev. 4 §2.2). The staff package holds the
// enrolment token and calls these inside its own transaction, so the
// staff record and the login change together or not at all.

// ErrStaffEnrolled is returned when a staff login already has a password
// or an authenticator app: enrolment happens once.
var ErrStaffEnrolled = errors.New("staff login already enrolled")

// CreatePendingStaff creates a staff login, in tx, that cannot sign in
// until CompleteStaffEnrolment, and audits it as done by actor ("system"
// or "staff:ID"). Returns ErrInvalidEmail for a bad address, ErrExists
// when the staff realm already has that email.
func (s *Service) CreatePendingStaff(ctx context.Context, tx *db.Tx, email, name, actor string) (int64, error) {
	email, err := NormalizeContactEmail(email)
	if err != nil {
		return 0, err
	}
	handle := make([]byte, 32)
	_, _ = rand.Read(handle) // never fails (crypto/rand)
	var id int64
	err = tx.Savepoint(ctx, "insert_staff_login", func() error {
		return tx.QueryRowContext(ctx, `INSERT INTO logins (realm, email, display_name, password_hash, password_long, password_changed_at, webauthn_handle, created_at)
			VALUES ($1, $2, $3, '', 0, $4, $5, $4) RETURNING id`, string(Staff), email, name, tx.Now(), handle).Scan(&id)
	})
	if db.IsUniqueViolation(err) {
		return 0, ErrExists
	}
	if err != nil {
		return 0, fmt.Errorf("create staff login: %w", err)
	}
	if err := audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "login.create", Subject: loginSubject(id),
		Details: map[string]string{"realm": string(Staff), "pending": "enrolment"}}); err != nil {
		return 0, err
	}
	return id, nil
}

// staffToEnrol reads a staff login that has not enrolled yet. Returns
// ErrNotFound or ErrStaffEnrolled.
func staffToEnrol(ctx context.Context, tx *db.Tx, loginID int64) (*Login, error) {
	l, err := loginByID(ctx, tx, loginID)
	if err != nil {
		return nil, err
	}
	if l.Realm != Staff {
		return nil, ErrNotFound
	}
	if l.passwordHash != "" || l.HasSecondFactor() {
		return nil, ErrStaffEnrolled
	}
	return l, nil
}

// BeginStaffTOTP gives a staff login awaiting enrolment its authenticator
// seed, kept encrypted on the login (not enabled) until
// CompleteStaffEnrolment; a second call (a page reload) shows the same
// seed. Returns ErrNoKeys, ErrNotFound or ErrStaffEnrolled.
func (s *Service) BeginStaffTOTP(ctx context.Context, tx *db.Tx, loginID int64) (TOTPSetup, error) {
	var setup TOTPSetup
	if s.keys == nil {
		return setup, ErrNoKeys
	}
	l, err := staffToEnrol(ctx, tx, loginID)
	if err != nil {
		return setup, err
	}
	var secret []byte
	if l.totpCipher != nil {
		if seed, err := s.keys.Open(l.totpKeyID, l.totpCipher, totpAAD(l.ID)); err == nil {
			secret, _ = base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(seed)
		}
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.lender + " staff", AccountName: l.Email, Period: totpOpts.Period,
		Digits: totpOpts.Digits, Algorithm: totpOpts.Algorithm, SecretSize: 20, Secret: secret})
	if err != nil {
		return setup, fmt.Errorf("generate TOTP key: %w", err)
	}
	img, err := key.Image(totpQRPixels, totpQRPixels)
	if err != nil {
		return setup, fmt.Errorf("TOTP QR code: %w", err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return setup, fmt.Errorf("TOTP QR code: %w", err)
	}
	setup = TOTPSetup{URL: key.URL(), Secret: key.Secret(), QRPNG: b.Bytes()}
	keyID, sealed := s.keys.Seal(key.Secret(), totpAAD(l.ID))
	if _, err := tx.ExecContext(ctx, `UPDATE logins SET totp_secret = '', totp_key_id = $1, totp_cipher = $2, totp_enabled = 0 WHERE id = $3`,
		keyID, sealed, l.ID); err != nil {
		return setup, fmt.Errorf("keep staff TOTP seed: %w", err)
	}
	return setup, nil
}

// CompleteStaffEnrolment sets a staff login's password and turns on the
// authenticator app begun by BeginStaffTOTP, when code is a current code
// of it, and returns the recovery codes to show once. Nothing is written
// on failure. Returns a password policy error, ErrInvalidCode (also when
// no seed was begun), ErrNotFound or ErrStaffEnrolled.
func (s *Service) CompleteStaffEnrolment(ctx context.Context, tx *db.Tx, loginID int64, password, code string, c Client) ([]string, error) {
	l, err := staffToEnrol(ctx, tx, loginID)
	if err != nil {
		return nil, err
	}
	if err := CheckPassword(password, true, l.Email, l.DisplayName); err != nil {
		return nil, err
	}
	if l.totpCipher == nil || s.keys == nil {
		return nil, ErrInvalidCode
	}
	seed, err := s.keys.Open(l.totpKeyID, l.totpCipher, totpAAD(l.ID))
	if err != nil {
		return nil, fmt.Errorf("staff TOTP seed of login %d: %w", l.ID, err)
	}
	step, ok := totpMatch(seed, code, tx.Now(), 0)
	if !ok {
		return nil, ErrInvalidCode
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE logins SET password_hash = $1, password_long = $2, password_changed_at = $3,
		totp_enabled = 1, totp_last_step = $4, totp_enabled_at = $3 WHERE id = $5`,
		hash, boolInt(runeLen(password) >= PasswordMinSingleFactor), tx.Now(), step, l.ID); err != nil {
		return nil, fmt.Errorf("enrol staff login %d: %w", l.ID, err)
	}
	codes, err := storeRecoveryCodes(ctx, tx, l.ID, s.makeRecoveryCodes())
	if err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, tx, audit.Event{Actor: loginSubject(l.ID), Action: "factor.change", Subject: loginSubject(l.ID), IP: c.IP,
		Details: map[string]string{"change": "totp_on", "how": "staff_enrolment"}}); err != nil {
		return nil, err
	}
	return codes, nil
}

// EndStaffSessions ends every session of a staff login (it was disabled
// or its role changed), recording them as revoked.
func (s *Service) EndStaffSessions(ctx context.Context, tx *db.Tx, loginID int64) error {
	return revokeSessions(ctx, tx, loginID, 0, EndRevoked)
}
