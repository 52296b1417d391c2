package identity

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base32"
	"encoding/base64"
	"errors"
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

// totpAAD binds an authenticator seed's ciphertext to its login, so a
// ciphertext copied onto another login's row does not decrypt.
func totpAAD(loginID int64) string { return fmt.Sprintf("carfin/totp/login:%d", loginID) }

// pendingAAD binds a seed awaiting confirmation to its session too.
func pendingAAD(loginID, sessionID int64) string {
	return fmt.Sprintf("carfin/totp_pending/login:%d/session:%d", loginID, sessionID)
}

// totpSeed returns the login's authenticator seed: decrypted, or a seed
// stored before seeds were encrypted (EncryptSeeds moves those).
func (s *Service) totpSeed(l *Login) (string, error) {
	if l.totpCipher == nil {
		return l.totpSecret, nil
	}
	if s.keys == nil {
		return "", fmt.Errorf("authenticator seed of login %d: %w", l.ID, ErrNoKeys)
	}
	seed, err := s.keys.Open(l.totpKeyID, l.totpCipher, totpAAD(l.ID))
	if err != nil {
		return "", fmt.Errorf("authenticator seed of login %d: %w", l.ID, err)
	}
	return seed, nil
}

// sealPending encrypts a seed awaiting confirmation for the session data:
// "keyID:base64".
func (s *Service) sealPending(seed string, loginID, sessionID int64) string {
	id, sealed := s.keys.Seal(seed, pendingAAD(loginID, sessionID))
	return id + ":" + base64.RawStdEncoding.EncodeToString(sealed)
}

// openPending decrypts sealPending's value ("" when it does not open:
// a key rotated away, or an older plain value).
func (s *Service) openPending(v string, loginID, sessionID int64) string {
	id, b64, ok := strings.Cut(v, ":")
	if !ok || s.keys == nil {
		return ""
	}
	sealed, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil {
		return ""
	}
	seed, err := s.keys.Open(id, sealed, pendingAAD(loginID, sessionID))
	if err != nil {
		return ""
	}
	return seed
}

// EncryptSeeds encrypts the authenticator seeds stored in plain text
// before seeds were encrypted, and re-encrypts those under a key that is
// no longer the current one (after a rotation), and returns how many it
// moved. `serve` runs it at start; it is safe to run again. Returns
// ErrNoKeys without keys.
func (s *Service) EncryptSeeds(ctx context.Context) (int, error) {
	if s.keys == nil {
		return 0, ErrNoKeys
	}
	n := 0
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		n = 0
		rows, err := tx.QueryContext(ctx, `SELECT id, totp_secret, totp_key_id, totp_cipher FROM logins
			WHERE totp_secret <> '' OR (totp_cipher IS NOT NULL AND totp_key_id <> $1)`, s.keys.Current())
		if err != nil {
			return fmt.Errorf("encrypt seeds: %w", err)
		}
		type seed struct {
			id           int64
			plain, keyID string
			sealed       []byte
		}
		var todo []seed
		for rows.Next() {
			var p seed
			if err := rows.Scan(&p.id, &p.plain, &p.keyID, &p.sealed); err != nil {
				rows.Close()
				return err
			}
			todo = append(todo, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, p := range todo {
			plain := p.plain
			if plain == "" {
				if plain, err = s.keys.Open(p.keyID, p.sealed, totpAAD(p.id)); err != nil {
					return fmt.Errorf("re-encrypt seed of login %d: %w", p.id, err)
				}
			}
			id, sealed := s.keys.Seal(plain, totpAAD(p.id))
			if _, err := tx.ExecContext(ctx, `UPDATE logins SET totp_secret = '', totp_key_id = $1, totp_cipher = $2 WHERE id = $3`, id, sealed, p.id); err != nil {
				return fmt.Errorf("encrypt seed of login %d: %w", p.id, err)
			}
		}
		n = len(todo)
		return nil
	})
	return n, err
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

// BeginTOTP starts adding an authenticator app: a new secret is kept,
// encrypted and bound to the session, in the session until ConfirmTOTP.
// Needs a recent authentication (ErrReauth) and a key ring (ErrNoKeys).
func (s *Service) BeginTOTP(ctx context.Context, token string) (TOTPSetup, error) {
	var setup TOTPSetup
	if s.keys == nil {
		return setup, ErrNoKeys
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		ss, err := s.requireRecent(ctx, tx, token)
		if err != nil {
			return err
		}
		// A page reload shows the same pending secret, so a code from an
		// app that already scanned it still confirms.
		var secret []byte
		if pending := s.openPending(ss.data.TOTPPending, ss.LoginID, ss.ID); pending != "" {
			if secret, err = base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(pending); err != nil {
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
		ss.data.TOTPPending = s.sealPending(key.Secret(), ss.LoginID, ss.ID)
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
	if s.keys == nil {
		return nil, iss, ErrNoKeys
	}
	fresh := s.recoveryCodesFor(ctx, token)
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		codes, wrong = nil, false
		ss, err := s.requireRecent(ctx, tx, token)
		if err != nil {
			return err
		}
		pending := s.openPending(ss.data.TOTPPending, ss.LoginID, ss.ID)
		if pending == "" {
			return ErrNotFound
		}
		step, ok := totpMatch(pending, code, tx.Now(), 0)
		if !ok {
			wrong = true
			return nil
		}
		keyID, sealed := s.keys.Seal(pending, totpAAD(ss.LoginID))
		if _, err := tx.ExecContext(ctx, `UPDATE logins SET totp_secret = '', totp_key_id = $1, totp_cipher = $2, totp_enabled = 1,
			totp_last_step = $3, totp_enabled_at = $4 WHERE id = $5`, keyID, sealed, step, tx.Now(), ss.LoginID); err != nil {
			return fmt.Errorf("enable TOTP: %w", err)
		}
		ss.data.TOTPPending = ""
		if err := s.saveSessionData(ctx, tx, ss.ID, ss.data); err != nil {
			return err
		}
		if !ss.Login.HasSecondFactor() {
			if fresh == nil {
				return errRetry // a factor was removed meanwhile
			}
			if codes, err = storeRecoveryCodes(ctx, tx, ss.LoginID, fresh); err != nil {
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
// remain and the password is shorter than PasswordMinSingleFactor, or the
// login is staff's.
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
		if l.Passkeys == 0 && !l.passwordAlone() {
			return ErrLastFactor
		}
		if _, err := tx.ExecContext(ctx, `UPDATE logins SET totp_secret = '', totp_key_id = '', totp_cipher = NULL, totp_enabled = 0, totp_enabled_at = NULL
			WHERE id = $1`, l.ID); err != nil {
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

// Recovery codes: ten, each a 2-character selector and 10 secret
// characters (50 random bits), shown as "ab-cdefg-hijkl". Below 112 bits
// a lookup secret is stored as a password hash (ASVS 6.5.2): argon2id,
// found by its selector, which is public, so that checking a code costs
// one hash.
const (
	recoverySelectorChars = 2
	recoverySecretChars   = 10
)

// recoveryParams: argon2id costs for recovery codes, at most the
// password's. 50 random bits need no more to resist offline search.
func (s *Service) recoveryParams() Params {
	return Params{MemoryKiB: min(s.params.MemoryKiB, 8*1024), Time: 1, Threads: 1}
}

// recoveryCode is a new code and its hash.
type recoveryCode struct{ shown, selector, hash string }

// makeRecoveryCodes makes ten codes with distinct selectors and hashes
// them (outside any transaction: hashes are slow).
func (s *Service) makeRecoveryCodes() []recoveryCode {
	out := make([]recoveryCode, 0, recoveryCodesCount)
	seen := map[string]bool{}
	for len(out) < recoveryCodesCount {
		raw := strings.ToLower(randomBase32(recoverySelectorChars + recoverySecretChars))
		sel, secret := raw[:recoverySelectorChars], raw[recoverySelectorChars:]
		if seen[sel] {
			continue
		}
		seen[sel] = true
		out = append(out, recoveryCode{shown: sel + "-" + secret[:5] + "-" + secret[5:], selector: sel, hash: HashPassword(secret, s.recoveryParams())})
	}
	return out
}

// recoveryCodesFor makes new recovery codes when the login of token has
// no second factor yet (its first one brings them), before the
// transaction that stores them; nil otherwise.
func (s *Service) recoveryCodesFor(ctx context.Context, token string) []recoveryCode {
	ss, err := s.Session(ctx, token)
	if err != nil || ss.Login.HasSecondFactor() {
		return nil
	}
	return s.makeRecoveryCodes()
}

// errRetry: the state read before a transaction changed; the caller may
// try again.
var errRetry = errors.New("changed meanwhile: try again")

// storeRecoveryCodes replaces a login's recovery codes with codes and
// returns them as shown.
func storeRecoveryCodes(ctx context.Context, tx *db.Tx, loginID int64, codes []recoveryCode) ([]string, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE login_id = $1`, loginID); err != nil {
		return nil, fmt.Errorf("replace recovery codes: %w", err)
	}
	shown := make([]string, len(codes))
	for i, c := range codes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (login_id, code_hash, selector, created_at) VALUES ($1, $2, $3, $4)`,
			loginID, c.hash, c.selector, tx.Now()); err != nil {
			return nil, fmt.Errorf("store recovery code: %w", err)
		}
		shown[i] = c.shown
	}
	return shown, nil
}

// checkRecoveryCode finds the unused recovery code of a login that code
// matches, and returns its hash (the row's key) or "". Codes from before
// hashing with argon2id (no selector) match by their SHA-256. Runs
// outside transactions: the hash is slow.
func (s *Service) checkRecoveryCode(ctx context.Context, loginID int64, code string) (string, error) {
	code = normalizeRecoveryCode(code)
	if len(code) == recoverySelectorChars+recoverySecretChars {
		var hash string
		err := s.db.Read.QueryRowContext(ctx, `SELECT code_hash FROM recovery_codes WHERE login_id = $1 AND selector = $2 AND used_at IS NULL`,
			loginID, code[:recoverySelectorChars]).Scan(&hash)
		if errors.Is(err, sql.ErrNoRows) {
			// Hash anyway, so a wrong selector costs what a wrong secret does.
			_ = s.hashes.do(ctx, func() { VerifyPassword(code, s.dummy, s.recoveryParams()) })
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("find recovery code: %w", err)
		}
		ok := false
		if err := s.hashes.do(ctx, func() { ok, _ = VerifyPassword(code[recoverySelectorChars:], hash, s.recoveryParams()) }); err != nil {
			return "", err
		}
		if ok {
			return hash, nil
		}
		return "", nil
	}
	legacy := hashToken("recovery", fmt.Sprintf("%d:%s", loginID, code))
	var n int
	if err := s.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM recovery_codes WHERE login_id = $1 AND code_hash = $2 AND selector = '' AND used_at IS NULL`,
		loginID, legacy).Scan(&n); err != nil {
		return "", fmt.Errorf("find recovery code: %w", err)
	}
	if n == 1 {
		return legacy, nil
	}
	return "", nil
}

// RegenerateRecoveryCodes replaces the recovery codes. Needs a recent
// authentication (ErrReauth) and a second factor (ErrNotFound).
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, token string, c Client) ([]string, error) {
	var codes []string
	fresh := s.makeRecoveryCodes() // hashed before the transaction
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		ss, err := s.requireRecent(ctx, tx, token)
		if err != nil {
			return err
		}
		if !ss.Login.HasSecondFactor() {
			return ErrNotFound
		}
		if codes, err = storeRecoveryCodes(ctx, tx, ss.LoginID, fresh); err != nil {
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
// one-time code sent to this partial session. With remember, this device
// skips the second factor for RememberDevice (never a staff login's).
//
// Wrong codes count as failed sign-ins do: the IP, network and global
// throttles see them, each adds to the login's consecutive failures
// (the same growing delay, the same lock and the same alert to the
// owner as wrong passwords), and after codeAttemptsMax the partial
// session ends, and with it any code sent to it. A lock holds against
// the right code too. Across partial sessions and locks, no more than
// factorFailuresMax wrong codes are tried between completed sign-ins.
//
// Returns ErrInvalidCode, ErrNoSession (also while locked), ErrThrottled
// (throttles, or inside the delay after failures) or ErrFactorBlocked.
func (s *Service) SecondFactor(ctx context.Context, token string, m Method, code string, remember bool, c Client) (Issued, error) {
	if ok, why := s.thr.allow(c.IP, s.now(), true); !ok {
		s.logThrottled(why, c.IP)
		return Issued{}, refusal(why)
	}
	// A recovery code is checked against its hash before the transaction,
	// which must not wait for a hash.
	recoveryHash := ""
	if m == MethodRecovery {
		ss, err := s.PartialSession(ctx, token)
		if err != nil {
			return Issued{}, err
		}
		if !s.factorRefusal(ss.Login, s.now()) {
			if recoveryHash, err = s.checkRecoveryCode(ctx, ss.LoginID, code); err != nil {
				return Issued{}, err
			}
		}
	}
	var iss Issued
	var loginID int64
	wrong := false
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		wrong = false
		ss, err := s.sessionInTx(ctx, tx, token, LevelPartial)
		if err != nil {
			return err
		}
		l := ss.Login
		loginID = l.ID
		switch {
		case tx.Now().Before(l.LockedUntil):
			return ErrNoSession
		case l.FactorFailures >= factorFailuresMax:
			return ErrFactorBlocked
		case !l.LastFailedAt.IsZero() && tx.Now().Before(l.LastFailedAt.Add(s.limits.delay(l.FailedCount))):
			return ErrThrottled
		}
		ok := false
		switch m {
		case MethodTOTP:
			if l.TOTPEnabled {
				seed, err := s.totpSeed(l)
				if err != nil {
					return err
				}
				if ok, err = useTOTP(ctx, tx, l, seed, code); err != nil {
					return err
				}
			}
		case MethodRecovery:
			if recoveryHash != "" {
				r, err := tx.ExecContext(ctx, `UPDATE recovery_codes SET used_at = $1 WHERE login_id = $2 AND code_hash = $3 AND used_at IS NULL`,
					tx.Now(), l.ID, recoveryHash)
				if err != nil {
					return fmt.Errorf("use recovery code: %w", err)
				}
				n, _ := r.RowsAffected()
				ok = n == 1
			}
		case MethodCode:
			if l.Realm == Staff {
				break // never sent to staff (SendLoginCode): wrong, as any code
			}
			r, err := tx.ExecContext(ctx, `UPDATE one_time_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = 'login_code'
				AND used_at IS NULL AND expires_at > $1`, tx.Now(), loginCodeHash(l.ID, ss.data.CodeKey, code))
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
		if s.thr.fail(c.IP, loginSubject(loginID), s.now()) {
			s.log.Warn("sign-in failures from many accounts on one network: throttle raised", "ip", c.IP, "network", networkOf(parseIP(c.IP)).String())
		}
		return Issued{}, ErrInvalidCode
	}
	if err == nil {
		s.thr.refund(s.now())
	}
	return iss, err
}

// factorRefusal reports whether a login's second step refuses every code
// now (locked, blocked, or inside the delay after failures).
func (s *Service) factorRefusal(l *Login, now time.Time) bool {
	return now.Before(l.LockedUntil) || l.FactorFailures >= factorFailuresMax ||
		(!l.LastFailedAt.IsZero() && now.Before(l.LastFailedAt.Add(s.limits.delay(l.FailedCount))))
}

// loginCodeHash is how a sign-in code is stored: bound to its login and
// to the partial session it was sent to (its CodeKey), so that it works
// in no other. A session without a key matches no code.
func loginCodeHash(loginID int64, codeKey, code string) string {
	if codeKey == "" {
		codeKey = randomToken() // no code was sent to this session
	}
	return hashToken("login_code", fmt.Sprintf("%d:%s:%s", loginID, codeKey, strings.TrimSpace(code)))
}

// secondFactorFailed counts a wrong code on the partial session (ending
// it, and the codes sent to it, at codeAttemptsMax), on the login's
// consecutive failures (lock) and on its factor failures (block).
func (s *Service) secondFactorFailed(ctx context.Context, tx *db.Tx, ss *Session, method string, c Client) error {
	ss.data.Fails++
	if ss.data.Fails >= codeAttemptsMax {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = $1`, ss.ID); err != nil {
			return fmt.Errorf("end partial session: %w", err)
		}
	} else if err := s.saveSessionData(ctx, tx, ss.ID, ss.data); err != nil {
		return err
	}
	var blocked int
	if err := tx.QueryRowContext(ctx, `UPDATE logins SET factor_failures = factor_failures + 1 WHERE id = $1 RETURNING factor_failures`,
		ss.LoginID).Scan(&blocked); err != nil {
		return fmt.Errorf("count factor failure: %w", err)
	}
	if err := audit.Record(ctx, tx, audit.Event{Actor: "anonymous", Action: "login.failure", Subject: loginSubject(ss.LoginID), IP: c.IP,
		Details: map[string]string{"reason": "wrong_" + method}}); err != nil {
		return err
	}
	if blocked == factorFailuresMax {
		if err := audit.Record(ctx, tx, audit.Event{Actor: "system", Action: "login.factor_blocked", Subject: loginSubject(ss.LoginID), IP: c.IP,
			Details: map[string]string{"failures": fmt.Sprint(blocked)}}); err != nil {
			return err
		}
		return s.sendFactorAlert(ctx, tx, ss.Login, "factor_blocked", c)
	}
	return s.countFailure(ctx, tx, ss.LoginID, c, true)
}

// sendFactorAlert tells the owner that someone who knows the password is
// guessing second-factor codes, with a link to choose a new password.
func (s *Service) sendFactorAlert(ctx context.Context, tx *db.Tx, l *Login, kind string, c Client) error {
	token, err := s.newToken(ctx, tx, "reset", l.ID, 0, resetTokenTTL, true)
	if err != nil {
		return err
	}
	return s.send(ctx, tx, l.Email, kind, c.Lang, map[string]string{
		"Name": l.DisplayName, "Link": s.link("/reset", map[string][]string{"token": {token}}),
		"Minutes": fmt.Sprint(int(s.limits.LockoutDuration.Minutes())),
	})
}

// SendLoginCode sends a one-time sign-in code for the partial session of
// token, by email or (when the customer has a phone on file) SMS. The
// code works in this partial session only. At most loginCodesSentMax per
// partial session, and none while the second step refuses codes. None
// is sent to staff (ErrNotFound): an email proves no device of theirs
// (NIST SP 800-63B: email is not an out-of-band authenticator), and staff
// sign in at AAL2 with their authenticator app or a passkey. Returns ErrNoSession or ErrThrottled.
func (s *Service) SendLoginCode(ctx context.Context, token string, bySMS bool, c Client) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		ss, err := s.sessionInTx(ctx, tx, token, LevelPartial)
		if err != nil {
			return err
		}
		if ss.Login.Realm == Staff {
			return ErrNotFound
		}
		if s.factorRefusal(ss.Login, tx.Now()) {
			return ErrThrottled
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
		if ss.data.CodeKey == "" {
			ss.data.CodeKey = randomToken()
			if err := s.saveSessionData(ctx, tx, ss.ID, ss.data); err != nil {
				return err
			}
		}
		code := randomDigits(loginCodeDigits)
		if err := s.insertTokenHash(ctx, tx, "login_code", ss.LoginID, 0, loginCodeHash(ss.LoginID, ss.data.CodeKey, code), loginCodeTTL); err != nil {
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
