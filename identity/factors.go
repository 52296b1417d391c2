package identity

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"carfin/audit"
	"carfin/db"
)

// TOTP (RFC 6238): 6 digits, 30-second steps, HMAC-SHA1 (what every
// authenticator app supports), one step of clock skew either way. A code
// is accepted once: the step it belongs to is stored, and codes of that
// step or earlier are refused (replay within the window).
var totpOpts = totp.ValidateOpts{Period: 30, Skew: 1, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

const (
	recoveryCodesCount = 10
	loginCodeDigits    = 6
	loginCodesSentMax  = 3
	totpQRPixels       = 240
)

// totpMatch returns the time step whose code equals code and is later
// than last.
func totpMatch(secret, code string, now time.Time, last int64) (int64, bool) {
	code = strings.TrimSpace(strings.ReplaceAll(code, " ", ""))
	if len(code) != loginCodeDigits || secret == "" {
		return 0, false
	}
	cur := now.Unix() / int64(totpOpts.Period)
	for k := -int64(totpOpts.Skew); k <= int64(totpOpts.Skew); k++ {
		step := cur + k
		if step <= last {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*int64(totpOpts.Period), 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// useTOTP accepts a code once for a login, recording its step.
func useTOTP(ctx context.Context, tx *db.Tx, l *Login, secret, code string) (bool, error) {
	step, ok := totpMatch(secret, code, tx.Now(), l.totpLastStep)
	if !ok {
		return false, nil
	}
	r, err := tx.ExecContext(ctx, `UPDATE logins SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1`, step, l.ID)
	if err != nil {
		return false, fmt.Errorf("record TOTP step: %w", err)
	}
	n, _ := r.RowsAffected()
	return n == 1, nil
}

// TOTPSetup is what the enrolment page shows.
type TOTPSetup struct {
	// URL is the otpauth:// URL the QR code holds.
	URL string
	// Secret is the base32 key for typing into an app by hand.
	Secret string
	// QRPNG is the QR code of URL as a PNG image.
	QRPNG []byte
}

// requireRecent loads the full session of token inside tx and checks it
// proved who it is within ReauthWindow. Returns ErrReauth otherwise.
func (s *Service) requireRecent(ctx context.Context, tx *db.Tx, token string) (*Session, error) {
	ss, err := s.sessionInTx(ctx, tx, token, LevelFull)
	if err != nil {
		return nil, err
	}
	if !ss.RecentAuth(tx.Now()) {
		return nil, ErrReauth
	}
	return ss, nil
}

// BeginTOTP starts adding an authenticator app: a new secret is kept in
// the session until ConfirmTOTP. Needs a recent authentication (ErrReauth).
func (s *Service) BeginTOTP(ctx context.Context, token string) (TOTPSetup, error) {
	var setup TOTPSetup
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		ss, err := s.requireRecent(ctx, tx, token)
		if err != nil {
			return err
		}
		// A page reload shows the same pending secret, so a code from an
		// app that already scanned it still confirms.
		var secret []byte
		if ss.data.TOTPPending != "" {
			if secret, err = base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(ss.data.TOTPPending); err != nil {
				secret = nil
			}
		}
		key, err := totp.Generate(totp.GenerateOpts{Issuer: s.lender, AccountName: ss.Login.Email, Period: totpOpts.Period,
			Digits: totpOpts.Digits, Algorithm: totpOpts.Algorithm, SecretSize: 20, Secret: secret})
		if err != nil {
			return fmt.Errorf("generate TOTP key: %w", err)
		}
		img, err := key.Image(totpQRPixels, totpQRPixels)
		if err != nil {
			return fmt.Errorf("TOTP QR code: %w", err)
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			return fmt.Errorf("TOTP QR code: %w", err)
		}
		setup = TOTPSetup{URL: key.URL(), Secret: key.Secret(), QRPNG: b.Bytes()}
		ss.data.TOTPPending = key.Secret()
		return s.saveSessionData(ctx, tx, ss.ID, ss.data)
	})
	return setup, err
}

// ConfirmTOTP finishes adding an authenticator app with a code from it.
// The first second factor also makes recovery codes, returned once for
// the user to keep. The session gets a new token (privilege change).
// Returns ErrInvalidCode, ErrReauth or ErrNotFound (no setup started).
func (s *Service) ConfirmTOTP(ctx context.Context, token, code string, c Client) ([]string, Issued, error) {
	var codes []string
	var iss Issued
	wrong := false
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		codes, wrong = nil, false
		ss, err := s.requireRecent(ctx, tx, token)
		if err != nil {
			return err
		}
		if ss.data.TOTPPending == "" {
			return ErrNotFound
		}
		step, ok := totpMatch(ss.data.TOTPPending, code, tx.Now(), 0)
		if !ok {
			wrong = true
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE logins SET totp_secret = $1, totp_enabled = 1, totp_last_step = $2, totp_enabled_at = $3 WHERE id = $4`,
			ss.data.TOTPPending, step, tx.Now(), ss.LoginID); err != nil {
			return fmt.Errorf("enable TOTP: %w", err)
		}
		ss.data.TOTPPending = ""
		if err := s.saveSessionData(ctx, tx, ss.ID, ss.data); err != nil {
			return err
		}
		if !ss.Login.HasSecondFactor() {
			if codes, err = s.newRecoveryCodes(ctx, tx, ss.LoginID); err != nil {
				return err
			}
		}
		if iss, err = s.rotate(ctx, tx, ss, false); err != nil {
			return err
		}
		return s.factorChanged(ctx, tx, ss.Login, "totp_on", c)
	})
	if err == nil && wrong {
		err = ErrInvalidCode
	}
	return codes, iss, err
}

// factorChanged audits a change of factors and alerts the owner.
func (s *Service) factorChanged(ctx context.Context, tx *db.Tx, l *Login, change string, c Client) error {
	if err := audit.Record(ctx, tx, audit.Event{Actor: loginSubject(l.ID), Action: "factor.change", Subject: loginSubject(l.ID), IP: c.IP,
		Details: map[string]string{"change": change}}); err != nil {
		return err
	}
	return s.alert(ctx, tx, l, "security_change", c, map[string]string{"Change": changeNames[msgLang(c.Lang)][change]})
}

// RemoveTOTP removes the authenticator app. Needs a recent
// authentication (ErrReauth). Returns ErrLastFactor when no passkey would
// remain and the password is shorter than PasswordMinSingleFactor.
func (s *Service) RemoveTOTP(ctx context.Context, token string, c Client) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		ss, err := s.requireRecent(ctx, tx, token)
		if err != nil {
			return err
		}
		l := ss.Login
		if !l.TOTPEnabled {
			return ErrNotFound
		}
		if l.Passkeys == 0 && !l.PasswordLong {
			return ErrLastFactor
		}
		if _, err := tx.ExecContext(ctx, `UPDATE logins SET totp_secret = '', totp_enabled = 0, totp_enabled_at = NULL WHERE id = $1`, l.ID); err != nil {
			return fmt.Errorf("remove TOTP: %w", err)
		}
		if l.Passkeys == 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE login_id = $1`, l.ID); err != nil {
				return fmt.Errorf("remove recovery codes: %w", err)
			}
		}
		return s.factorChanged(ctx, tx, l, "totp_off", c)
	})
}

// newRecoveryCodes replaces a login's recovery codes with ten new ones
// (50 random bits each, stored as SHA-256) and returns them.
func (s *Service) newRecoveryCodes(ctx context.Context, tx *db.Tx, loginID int64) ([]string, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE login_id = $1`, loginID); err != nil {
		return nil, fmt.Errorf("replace recovery codes: %w", err)
	}
	codes := make([]string, recoveryCodesCount)
	for i := range codes {
		raw := strings.ToLower(randomBase32(10))
		codes[i] = raw[:5] + "-" + raw[5:]
		if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (login_id, code_hash, created_at) VALUES ($1, $2, $3)`,
			loginID, hashToken("recovery", fmt.Sprintf("%d:%s", loginID, raw)), tx.Now()); err != nil {
			return nil, fmt.Errorf("store recovery code: %w", err)
		}
	}
	return codes, nil
}

// RegenerateRecoveryCodes replaces the recovery codes. Needs a recent
// authentication (ErrReauth) and a second factor (ErrNotFound).
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, token string, c Client) ([]string, error) {
	var codes []string
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		ss, err := s.requireRecent(ctx, tx, token)
		if err != nil {
			return err
		}
		if !ss.Login.HasSecondFactor() {
			return ErrNotFound
		}
		if codes, err = s.newRecoveryCodes(ctx, tx, ss.LoginID); err != nil {
			return err
		}
		return s.factorChanged(ctx, tx, ss.Login, "recovery_codes", c)
	})
	return codes, err
}

// RecoveryCodesLeft returns the number of unused recovery codes.
func (s *Service) RecoveryCodesLeft(ctx context.Context, loginID int64) (int, error) {
	var n int
	err := s.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM recovery_codes WHERE login_id = $1 AND used_at IS NULL`, loginID).Scan(&n)
	return n, err
}

func normalizeRecoveryCode(code string) string {
	return strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
}

// Method is a second factor at sign-in.
type Method string

const (
	MethodTOTP     Method = "totp"
	MethodRecovery Method = "recovery"
	MethodCode     Method = "code" // emailed or texted one-time code
)

// SecondFactor completes a sign-in waiting for a second factor (the
// partial session of token) with a TOTP code, a recovery code or a
// one-time code. With remember, this device skips the second factor for
// RememberDevice. A wrong code counts as a failed sign-in (lockout) and
// after codeAttemptsMax the partial session ends. Returns ErrInvalidCode
// or ErrNoSession.
func (s *Service) SecondFactor(ctx context.Context, token string, m Method, code string, remember bool, c Client) (Issued, error) {
	var iss Issued
	wrong := false
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		wrong = false
		ss, err := s.sessionInTx(ctx, tx, token, LevelPartial)
		if err != nil {
			return err
		}
		l := ss.Login
		if tx.Now().Before(l.LockedUntil) {
			return ErrNoSession
		}
		ok := false
		switch m {
		case MethodTOTP:
			if l.TOTPEnabled {
				if ok, err = useTOTP(ctx, tx, l, l.totpSecret, code); err != nil {
					return err
				}
			}
		case MethodRecovery:
			r, err := tx.ExecContext(ctx, `UPDATE recovery_codes SET used_at = $1 WHERE login_id = $2 AND code_hash = $3 AND used_at IS NULL`,
				tx.Now(), l.ID, hashToken("recovery", fmt.Sprintf("%d:%s", l.ID, normalizeRecoveryCode(code))))
			if err != nil {
				return fmt.Errorf("use recovery code: %w", err)
			}
			n, _ := r.RowsAffected()
			ok = n == 1
		case MethodCode:
			r, err := tx.ExecContext(ctx, `UPDATE one_time_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = 'login_code'
				AND used_at IS NULL AND expires_at > $1`, tx.Now(), hashToken("login_code", fmt.Sprintf("%d:%s", l.ID, strings.TrimSpace(code))))
			if err != nil {
				return fmt.Errorf("use sign-in code: %w", err)
			}
			n, _ := r.RowsAffected()
			ok = n == 1
		}
		if !ok {
			wrong = true
			return s.secondFactorFailed(ctx, tx, ss, string(m), c)
		}
		iss, err = s.completeLogin(ctx, tx, l, ss.ID, c, remember, "password+"+string(m))
		return err
	})
	if err == nil && wrong {
		err = ErrInvalidCode
	}
	return iss, err
}

// secondFactorFailed counts a wrong code on the session and the login.
func (s *Service) secondFactorFailed(ctx context.Context, tx *db.Tx, ss *Session, method string, c Client) error {
	ss.data.Fails++
	if ss.data.Fails >= codeAttemptsMax {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = $1`, ss.ID); err != nil {
			return fmt.Errorf("end partial session: %w", err)
		}
	} else if err := s.saveSessionData(ctx, tx, ss.ID, ss.data); err != nil {
		return err
	}
	if err := s.countFailure(ctx, tx, ss.LoginID, c); err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Event{Actor: "anonymous", Action: "login.failure", Subject: loginSubject(ss.LoginID), IP: c.IP,
		Details: map[string]string{"reason": "wrong_" + method}})
}

// SendLoginCode sends a one-time sign-in code for the partial session of
// token, by email or (when the customer has a phone on file) SMS. At most
// loginCodesSentMax per partial session. Returns ErrNoSession or
// ErrThrottled.
func (s *Service) SendLoginCode(ctx context.Context, token string, bySMS bool, c Client) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		ss, err := s.sessionInTx(ctx, tx, token, LevelPartial)
		if err != nil {
			return err
		}
		var sent int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM one_time_tokens WHERE login_id = $1 AND purpose = 'login_code' AND created_at >= $2`,
			ss.LoginID, ss.CreatedAt).Scan(&sent); err != nil {
			return fmt.Errorf("count sign-in codes: %w", err)
		}
		if sent >= loginCodesSentMax {
			return ErrThrottled
		}
		if err := s.supersede(ctx, tx, "login_code", ss.LoginID, 0); err != nil {
			return err
		}
		code := randomDigits(loginCodeDigits)
		if err := s.insertTokenHash(ctx, tx, "login_code", ss.LoginID, 0, hashToken("login_code", fmt.Sprintf("%d:%s", ss.LoginID, code)), loginCodeTTL); err != nil {
			return err
		}
		if bySMS && ss.Login.Phone != "" {
			return s.sendSMS(ctx, tx, ss.Login.Phone, "login_code_sms", c.Lang, map[string]string{"Code": code})
		}
		return s.send(ctx, tx, ss.Login.Email, "login_code", c.Lang, map[string]string{"Code": code})
	})
}

// randomBase32 returns n random characters of the RFC 4648 base32 alphabet.
func randomBase32(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	for i := range b {
		b[i] = alphabet[b[i]&31] // 256 is a multiple of 32: no bias
	}
	return string(b)
}
