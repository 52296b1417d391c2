package identity

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"time"

	"carfin/audit"
	"carfin/db"
)

// sendReset supersedes earlier reset links and codes of the login and
// emails a new link, valid resetTokenTTL.
func (s *Service) sendReset(ctx context.Context, tx *db.Tx, l *Login, c Client) error {
	if err := s.supersede(ctx, tx, "reset_code", l.ID, 0); err != nil {
		return err
	}
	token, err := s.newToken(ctx, tx, "reset", l.ID, 0, resetTokenTTL, true)
	if err != nil {
		return err
	}
	return s.send(ctx, tx, l.Email, "reset", c.Lang, map[string]string{"Name": l.DisplayName, "Link": s.link("/reset", map[string][]string{"token": {token}})})
}

// RequestPasswordReset emails a reset link if a customer login has this
// email, and does nothing visible otherwise: the caller shows the same
// answer either way, and both paths write one audit event so they cost
// about the same. Returns ErrThrottled past the per-IP or per-address
// request limits, otherwise an error only if the database fails.
func (s *Service) RequestPasswordReset(ctx context.Context, email string, c Client) error {
	email = NormalizeEmail(email)
	if len(email) > emailBytesMax {
		return nil
	}
	if err := s.allowRecovery(ctx, email, c); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		l, err := loginByEmail(ctx, tx, Customer, email)
		if errors.Is(err, ErrNotFound) {
			return audit.Record(ctx, tx, audit.Event{Actor: "anonymous", Action: "password.reset_request", Subject: "email:" + email, IP: c.IP,
				Details: map[string]string{"result": "unknown"}})
		}
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Event{Actor: "anonymous", Action: "password.reset_request", Subject: loginSubject(l.ID), IP: c.IP,
			Details: map[string]string{"result": "sent", "channel": "email"}}); err != nil {
			return err
		}
		return s.sendReset(ctx, tx, l, c)
	})
}

// Reset request throttles, per IP and per email address (known or not,
// so that the limit tells nothing about which addresses have an
// account), in recoveryWindow: a reset sends an email or a paid text to
// someone, and nobody needs more than a few an hour.
const (
	recoveryRequestsPerEmail = 5
	recoveryRequestsPerIP    = 20
	recoveryWindow           = time.Hour
)

// allowRecovery counts one reset request. Returns ErrThrottled once a
// limit is spent, ErrUnavailable when it cannot be counted.
func (s *Service) allowRecovery(ctx context.Context, email string, c Client) error {
	now := s.now()
	err := s.recoveryLimits.allow(ctx, "ip:"+ipKey(c.IP), recoveryRequestsPerIP, now)
	if err == nil {
		err = s.recoveryLimits.allow(ctx, "email:"+hashToken("reset-email", email)[:32], recoveryRequestsPerEmail, now)
	}
	if errors.Is(err, ErrThrottled) {
		s.log.Warn("password reset requests throttled", "ip", c.IP)
	}
	return err
}

// resetCodeDigits: the SMS reset code has 8 digits; with codeAttemptsMax
// tries per code, guessing succeeds with probability 5·10⁻⁸.
const resetCodeDigits = 8

func randomDigits(n int) string {
	max := big.NewInt(1)
	for range n {
		max.Mul(max, big.NewInt(10))
	}
	v, _ := rand.Int(rand.Reader, max)
	return fmt.Sprintf("%0*d", n, v)
}

// RequestResetCode texts a reset code to the phone on file of the login
// with this email, if there is one; the caller shows the same answer
// either way. Returns ErrThrottled past the request limits (as
// RequestPasswordReset), otherwise an error only if the database fails.
func (s *Service) RequestResetCode(ctx context.Context, email string, c Client) error {
	email = NormalizeEmail(email)
	if len(email) > emailBytesMax {
		return nil
	}
	if err := s.allowRecovery(ctx, email, c); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		l, err := loginByEmail(ctx, tx, Customer, email)
		if errors.Is(err, ErrNotFound) || (err == nil && l.Phone == "") {
			return audit.Record(ctx, tx, audit.Event{Actor: "anonymous", Action: "password.reset_request", Subject: "email:" + email, IP: c.IP,
				Details: map[string]string{"result": "no_phone_or_unknown", "channel": "sms"}})
		}
		if err != nil {
			return err
		}
		if err := s.supersede(ctx, tx, "reset", l.ID, 0); err != nil {
			return err
		}
		if err := s.supersede(ctx, tx, "reset_code", l.ID, 0); err != nil {
			return err
		}
		code := randomDigits(resetCodeDigits)
		if err := s.insertTokenHash(ctx, tx, "reset_code", l.ID, 0, hashToken("reset_code", fmt.Sprintf("%d:%s", l.ID, code)), resetTokenTTL); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Event{Actor: "anonymous", Action: "password.reset_request", Subject: loginSubject(l.ID), IP: c.IP,
			Details: map[string]string{"result": "sent", "channel": "sms"}}); err != nil {
			return err
		}
		return s.sendSMS(ctx, tx, l.Phone, "reset_code", c.Lang, map[string]string{"Code": code})
	})
}

// ResetPassword sets a new password with an emailed link's token. The
// token is spent; every other reset link and code, every session and
// every remembered device of the login stop working, and a lockout ends.
// It does not sign in: the user signs in next, with their second factor
// if they have one. Returns ErrInvalidToken, or a password policy error
// (the token is then not spent).
func (s *Service) ResetPassword(ctx context.Context, token, password string, c Client) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		loginID, _, err := s.useToken(ctx, tx, "reset", token)
		if err != nil {
			return err
		}
		return s.setPassword(ctx, tx, loginID, password, "reset_link", c)
	})
}

// ResetPasswordWithCode is ResetPassword with the texted code: the email
// names the login, the code proves the phone. Wrong codes count against
// the code (codeAttemptsMax). Returns ErrInvalidCode or a policy error.
func (s *Service) ResetPasswordWithCode(ctx context.Context, email, code, password string, c Client) error {
	email = NormalizeEmail(email)
	wrong := false
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		wrong = false
		l, err := loginByEmail(ctx, tx, Customer, email)
		if errors.Is(err, ErrNotFound) {
			return ErrInvalidCode
		}
		if err != nil {
			return err
		}
		// The code first: the password rules depend on the account (8 or
		// 15 characters, its name and email), so checking them before the
		// code would tell a stranger which emails have an account.
		r, err := tx.ExecContext(ctx, `UPDATE one_time_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = 'reset_code'
			AND used_at IS NULL AND expires_at > $1 AND attempts < $3`, tx.Now(), hashToken("reset_code", fmt.Sprintf("%d:%s", l.ID, code)), codeAttemptsMax)
		if err != nil {
			return fmt.Errorf("use reset code: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 1 {
			// A password the rules refuse rolls this back: the code
			// stays usable with a better one.
			return s.setPassword(ctx, tx, l.ID, password, "reset_code", c)
		}
		// A wrong code spends one attempt of the login's live codes.
		if _, err := tx.ExecContext(ctx, `UPDATE one_time_tokens SET attempts = attempts + 1 WHERE login_id = $1 AND purpose = 'reset_code' AND used_at IS NULL`, l.ID); err != nil {
			return fmt.Errorf("count reset code attempt: %w", err)
		}
		wrong = true // commit the attempt, then report the wrong code
		return nil
	})
	switch {
	case err != nil:
		return err
	case wrong:
		return ErrInvalidCode
	}
	return nil
}

// setPassword replaces a login's password after a reset and ends every
// session and remembered device.
func (s *Service) setPassword(ctx context.Context, tx *db.Tx, loginID int64, password, how string, c Client) error {
	l, err := loginByID(ctx, tx, loginID)
	if err != nil {
		return err
	}
	if err := CheckPassword(password, l.HasSecondFactor(), l.Email, l.DisplayName); err != nil {
		return err
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE logins SET password_hash = $1, password_long = $2, password_changed_at = $3,
		failed_count = 0, last_failed_at = NULL, locked_until = NULL, factor_failures = 0 WHERE id = $4`,
		hash, boolInt(runeLen(password) >= PasswordMinSingleFactor), tx.Now(), loginID); err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	for _, p := range []string{"reset", "reset_code", "unlock"} {
		if err := s.supersede(ctx, tx, p, loginID, 0); err != nil {
			return err
		}
	}
	if err := revokeSessions(ctx, tx, loginID, 0, EndPassword); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE known_devices SET trusted_until = NULL WHERE login_id = $1`, loginID); err != nil {
		return fmt.Errorf("forget devices: %w", err)
	}
	if err := audit.Record(ctx, tx, audit.Event{Actor: loginSubject(loginID), Action: "password.reset", Subject: loginSubject(loginID), IP: c.IP,
		Details: map[string]string{"how": how}}); err != nil {
		return err
	}
	return s.alert(ctx, tx, l, "security_change", c, map[string]string{"Change": changeNames[msgLang(c.Lang)]["password"]})
}

// ChangePassword replaces the password of a signed-in user, who must give
// the current one. Other sessions end; this one gets a new token.
// Returns ErrInvalidCredentials for a wrong current password, a policy
// error for the new one, or ErrThrottled.
func (s *Service) ChangePassword(ctx context.Context, token, current, next string, c Client) (Issued, error) {
	ss, err := s.Session(ctx, token)
	if err != nil {
		return Issued{}, err
	}
	l := ss.Login
	if err := CheckPassword(next, l.HasSecondFactor(), l.Email, l.DisplayName); err != nil {
		return Issued{}, err
	}
	if ok, why := s.thr.allow(c.IP, s.now(), true); !ok {
		return Issued{}, refusal(why)
	}
	var ok bool
	var hash string
	if err := s.hashes.do(ctx, func() {
		if ok, _ = s.realHash(current, l.passwordHash); ok {
			hash = HashPassword(next, s.params)
		}
	}); err != nil {
		return Issued{}, err
	}
	if !ok {
		return Issued{}, s.loginFailed(ctx, l, l.Email, "wrong_password", c)
	}
	s.thr.refund(s.now())
	var iss Issued
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		cur, err := s.sessionInTx(ctx, tx, token, LevelFull)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE logins SET password_hash = $1, password_long = $2, password_changed_at = $3 WHERE id = $4`,
			hash, boolInt(runeLen(next) >= PasswordMinSingleFactor), tx.Now(), l.ID); err != nil {
			return fmt.Errorf("change password: %w", err)
		}
		for _, p := range []string{"reset", "reset_code"} {
			if err := s.supersede(ctx, tx, p, l.ID, 0); err != nil {
				return err
			}
		}
		if err := revokeSessions(ctx, tx, l.ID, cur.ID, EndPassword); err != nil {
			return err
		}
		if iss, err = s.rotate(ctx, tx, cur, true); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Event{Actor: loginSubject(l.ID), Action: "password.change", Subject: loginSubject(l.ID), IP: c.IP}); err != nil {
			return err
		}
		return s.alert(ctx, tx, l, "security_change", c, map[string]string{"Change": changeNames[msgLang(c.Lang)]["password"]})
	})
	return iss, err
}
