package identity

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"carfin/db"
)

// Passkeys (WebAuthn Level 3, via go-webauthn): a passkey is a
// discoverable credential with user verification, so it is a complete
// sign-in on its own (something you have, unlocked by something you know
// or are) and also serves as the second factor after a password.

const (
	// flowsPerIP passwordless ceremonies may start from one IP in
	// flowWindow: each writes a session row until it expires.
	flowsPerIP        = 60
	flowWindow        = 10 * time.Minute
	passkeysMax       = 20
	passkeyNameMax    = 60
	ceremonyBodyMax   = 64 << 10
	defaultPasskeyTag = "Passkey"
)

// webauthnUser adapts a Login for go-webauthn.
type webauthnUser struct {
	l     *Login
	creds []webauthn.Credential
}

func (u *webauthnUser) WebAuthnID() []byte                         { return u.l.webauthnHandle }
func (u *webauthnUser) WebAuthnName() string                       { return u.l.Email }
func (u *webauthnUser) WebAuthnDisplayName() string                { return u.l.DisplayName }
func (u *webauthnUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func (s *Service) webauthnUser(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, l *Login) (*webauthnUser, error) {
	rows, err := q.QueryContext(ctx, `SELECT credential FROM passkeys WHERE login_id = $1 ORDER BY id`, l.ID)
	if err != nil {
		return nil, fmt.Errorf("read passkeys: %w", err)
	}
	defer rows.Close()
	u := &webauthnUser{l: l}
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("read passkeys: %w", err)
		}
		var c webauthn.Credential
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			return nil, fmt.Errorf("passkey record: %w", err)
		}
		u.creds = append(u.creds, c)
	}
	return u, rows.Err()
}

// Passkey describes a registered passkey on the security page.
type Passkey struct {
	ID         int64
	Name       string
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// Passkeys lists a login's passkeys, oldest first.
func (s *Service) Passkeys(ctx context.Context, loginID int64) ([]Passkey, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, name, created_at, last_used_at FROM passkeys WHERE login_id = $1 ORDER BY id`, loginID)
	if err != nil {
		return nil, fmt.Errorf("list passkeys: %w", err)
	}
	defer rows.Close()
	var out []Passkey
	for rows.Next() {
		var p Passkey
		var used sql.NullTime
		if err := rows.Scan(&p.ID, &p.Name, &p.CreatedAt, &used); err != nil {
			return nil, fmt.Errorf("list passkeys: %w", err)
		}
		p.LastUsedAt = used.Time
		out = append(out, p)
	}
	return out, rows.Err()
}

func marshalCeremony(sd *webauthn.SessionData) (json.RawMessage, error) {
	b, err := json.Marshal(sd)
	if err != nil {
		return nil, fmt.Errorf("save ceremony: %w", err)
	}
	return b, nil
}

func ceremony(data sessionData) (webauthn.SessionData, error) {
	var sd webauthn.SessionData
	if len(data.WebAuthn) == 0 {
		return sd, ErrInvalidCode
	}
	if err := json.Unmarshal(data.WebAuthn, &sd); err != nil {
		return sd, ErrInvalidCode
	}
	return sd, nil
}

// BeginPasskeyRegistration starts adding a passkey to the signed-in login
// and returns the options for navigator.credentials.create (JSON). Needs
// a recent authentication (ErrReauth).
func (s *Service) BeginPasskeyRegistration(ctx context.Context, token string) ([]byte, error) {
	var out []byte
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		ss, err := s.requireRecent(ctx, tx, token)
		if err != nil {
			return err
		}
		if ss.Login.Passkeys >= passkeysMax {
			return fmt.Errorf("at most %d passkeys: %w", passkeysMax, ErrThrottled)
		}
		u, err := s.webauthnUser(ctx, tx, ss.Login)
		if err != nil {
			return err
		}
		excl := make([]protocol.CredentialDescriptor, len(u.creds))
		for i := range u.creds {
			excl[i] = u.creds[i].Descriptor()
		}
		creation, sd, err := s.wa.BeginRegistration(u,
			webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired),
			webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
				ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: protocol.ResidentKeyRequired(),
				UserVerification: protocol.VerificationRequired,
			}),
			webauthn.WithExclusions(excl))
		if err != nil {
			return fmt.Errorf("begin passkey registration: %w", err)
		}
		if ss.data.WebAuthn, err = marshalCeremony(sd); err != nil {
			return err
		}
		if out, err = json.Marshal(creation); err != nil {
			return fmt.Errorf("registration options: %w", err)
		}
		return s.saveSessionData(ctx, tx, ss.ID, ss.data)
	})
	return out, err
}

// FinishPasskeyRegistration verifies the authenticator's response (the
// JSON of the PublicKeyCredential) and stores the passkey under name. The
// first second factor also makes recovery codes, returned once. The
// session gets a new token. Returns ErrInvalidCode for a response that
// does not verify, or ErrReauth.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, token, name string, body []byte, c Client) ([]string, Issued, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = defaultPasskeyTag
	}
	if r := []rune(name); len(r) > passkeyNameMax {
		name = string(r[:passkeyNameMax])
	}
	if len(body) > ceremonyBodyMax {
		return nil, Issued{}, ErrInvalidCode
	}
	var codes []string
	var iss Issued
	fresh := s.recoveryCodesFor(ctx, token)
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		codes = nil
		ss, err := s.requireRecent(ctx, tx, token)
		if err != nil {
			return err
		}
		sd, err := ceremony(ss.data)
		if err != nil {
			return err
		}
		u, err := s.webauthnUser(ctx, tx, ss.Login)
		if err != nil {
			return err
		}
		parsed, err := protocol.ParseCredentialCreationResponseBytes(body)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidCode, err)
		}
		cred, err := s.wa.CreateCredential(u, sd, parsed)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidCode, err)
		}
		raw, err := json.Marshal(cred)
		if err != nil {
			return fmt.Errorf("passkey record: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO passkeys (login_id, credential_id, name, credential, created_at) VALUES ($1, $2, $3, $4, $5)`,
			ss.LoginID, cred.ID, name, string(raw), tx.Now()); err != nil {
			if db.IsUniqueViolation(err) {
				return fmt.Errorf("%w: passkey already registered", ErrInvalidCode)
			}
			return fmt.Errorf("store passkey: %w", err)
		}
		ss.data.WebAuthn = nil
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
		return s.factorChanged(ctx, tx, ss.Login, "passkey_on", c)
	})
	return codes, iss, err
}

// RemovePasskey removes one of the login's passkeys. Needs a recent
// authentication (ErrReauth); ErrNotFound if not theirs; ErrLastFactor
// when it is the last second factor and the password is too short to
// stand alone, or the login is staff's.
func (s *Service) RemovePasskey(ctx context.Context, token string, id int64, c Client) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		ss, err := s.requireRecent(ctx, tx, token)
		if err != nil {
			return err
		}
		l := ss.Login
		if l.Passkeys == 1 && !l.TOTPEnabled && !l.passwordAlone() {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM passkeys WHERE id = $1 AND login_id = $2`, id, l.ID).Scan(&n); err != nil {
				return fmt.Errorf("read passkey: %w", err)
			}
			if n == 1 {
				return ErrLastFactor
			}
		}
		r, err := tx.ExecContext(ctx, `DELETE FROM passkeys WHERE id = $1 AND login_id = $2`, id, l.ID)
		if err != nil {
			return fmt.Errorf("remove passkey: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if l.Passkeys == 1 && !l.TOTPEnabled {
			if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE login_id = $1`, l.ID); err != nil {
				return fmt.Errorf("remove recovery codes: %w", err)
			}
		}
		return s.factorChanged(ctx, tx, l, "passkey_off", c)
	})
}

// BeginPasskeyLogin starts a passwordless sign-in: it ends the session of
// prevToken, creates a flow session holding the challenge, and returns
// the options for navigator.credentials.get (JSON) and the flow session.
// Returns ErrThrottled when the client is over its failure budget.
func (s *Service) BeginPasskeyLogin(ctx context.Context, prevToken string, c Client) ([]byte, Issued, error) {
	if ok, why := s.thr.allow(c.IP, s.now(), false); !ok {
		return nil, Issued{}, refusal(why)
	}
	if err := s.flowLimits.allow(ctx, ipKey(c.IP), flowsPerIP, s.now()); err != nil {
		return nil, Issued{}, err
	}
	assertion, sd, err := s.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, Issued{}, fmt.Errorf("begin passkey sign-in: %w", err)
	}
	raw, err := marshalCeremony(sd)
	if err != nil {
		return nil, Issued{}, err
	}
	out, err := json.Marshal(assertion)
	if err != nil {
		return nil, Issued{}, fmt.Errorf("sign-in options: %w", err)
	}
	var iss Issued
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hashToken("session", prevToken)); err != nil {
			return fmt.Errorf("end previous session: %w", err)
		}
		iss, _, err = s.createSession(ctx, tx, 0, "", LevelFlow, c, sessionData{WebAuthn: raw})
		return err
	})
	return out, iss, err
}

// FinishPasskeyLogin verifies a passwordless sign-in for the flow session
// of token and returns the full session that replaces it. A response that
// does not verify counts against the client's IP. Returns
// ErrInvalidCredentials (also for a locked login) or ErrNoSession.
func (s *Service) FinishPasskeyLogin(ctx context.Context, token string, body []byte, c Client) (Issued, error) {
	if len(body) > ceremonyBodyMax {
		return Issued{}, ErrInvalidCredentials
	}
	var iss Issued
	var failed *Login
	failReason := ""
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		failed, failReason = nil, ""
		ss, err := s.sessionInTx(ctx, tx, token, LevelFlow)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = $1`, ss.ID); err != nil {
			return fmt.Errorf("end flow session: %w", err)
		}
		sd, err := ceremony(ss.data)
		if err != nil {
			failReason = "no_ceremony"
			return nil
		}
		parsed, err := protocol.ParseCredentialRequestResponseBytes(body)
		if err != nil {
			failReason = "bad_response"
			return nil
		}
		var found *Login
		handler := func(_, userHandle []byte) (webauthn.User, error) {
			var id int64
			if err := tx.QueryRowContext(ctx, `SELECT id FROM logins WHERE webauthn_handle = $1`, userHandle).Scan(&id); err != nil {
				return nil, fmt.Errorf("unknown user handle: %w", err)
			}
			l, err := loginByID(ctx, tx, id)
			if err != nil {
				return nil, err
			}
			found = l
			return s.webauthnUser(ctx, tx, l)
		}
		_, cred, err := s.wa.ValidatePasskeyLogin(handler, sd, parsed)
		if err != nil {
			failed, failReason = found, "passkey_invalid"
			return nil
		}
		if found.Realm != Customer || tx.Now().Before(found.LockedUntil) {
			failed, failReason = found, "locked_or_realm"
			return nil
		}
		if found.passwordHash == "" {
			// "This wasn't me" invalidated the password: no factor signs
			// in until the owner resets it from the email.
			failed, failReason = found, "reset_required"
			return nil
		}
		if err := updateCredential(ctx, tx, found.ID, cred); err != nil {
			return err
		}
		iss, err = s.completeLogin(ctx, tx, found, 0, c, false, "passkey")
		return err
	})
	if err != nil {
		return Issued{}, err
	}
	if failReason != "" {
		email := ""
		if failed != nil {
			email = failed.Email
		}
		return Issued{}, s.loginFailed(ctx, failed, email, failReason, c)
	}
	return iss, nil
}

func updateCredential(ctx context.Context, tx *db.Tx, loginID int64, cred *webauthn.Credential) error {
	raw, err := json.Marshal(cred)
	if err != nil {
		return fmt.Errorf("passkey record: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE passkeys SET credential = $1, last_used_at = $2 WHERE credential_id = $3 AND login_id = $4`,
		string(raw), tx.Now(), cred.ID, loginID); err != nil {
		return fmt.Errorf("update passkey: %w", err)
	}
	return nil
}

// BeginPasskeySecondFactor returns the options for using a passkey as the
// second factor of the partial session of token.
func (s *Service) BeginPasskeySecondFactor(ctx context.Context, token string) ([]byte, error) {
	var out []byte
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		ss, err := s.sessionInTx(ctx, tx, token, LevelPartial)
		if err != nil {
			return err
		}
		u, err := s.webauthnUser(ctx, tx, ss.Login)
		if err != nil {
			return err
		}
		if len(u.creds) == 0 {
			return ErrNotFound
		}
		assertion, sd, err := s.wa.BeginLogin(u)
		if err != nil {
			return fmt.Errorf("begin passkey check: %w", err)
		}
		if ss.data.WebAuthn, err = marshalCeremony(sd); err != nil {
			return err
		}
		if out, err = json.Marshal(assertion); err != nil {
			return fmt.Errorf("passkey options: %w", err)
		}
		return s.saveSessionData(ctx, tx, ss.ID, ss.data)
	})
	return out, err
}

// FinishPasskeySecondFactor completes the partial session of token with a
// passkey. Returns ErrInvalidCode (counted like a wrong code) or
// ErrNoSession.
func (s *Service) FinishPasskeySecondFactor(ctx context.Context, token string, body []byte, remember bool, c Client) (Issued, error) {
	var iss Issued
	wrong := false
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		wrong = false
		ss, err := s.sessionInTx(ctx, tx, token, LevelPartial)
		if err != nil {
			return err
		}
		if tx.Now().Before(ss.Login.LockedUntil) {
			return ErrNoSession
		}
		sd, err := ceremony(ss.data)
		var cred *webauthn.Credential
		if err == nil && len(body) <= ceremonyBodyMax {
			var u *webauthnUser
			if u, err = s.webauthnUser(ctx, tx, ss.Login); err != nil {
				return err
			}
			var parsed *protocol.ParsedCredentialAssertionData
			if parsed, err = protocol.ParseCredentialRequestResponseBytes(body); err == nil {
				cred, err = s.wa.ValidateLogin(u, sd, parsed)
			}
		}
		if err != nil || cred == nil {
			wrong = true
			return s.secondFactorFailed(ctx, tx, ss, "passkey", c)
		}
		if err := updateCredential(ctx, tx, ss.LoginID, cred); err != nil {
			return err
		}
		iss, err = s.completeLogin(ctx, tx, ss.Login, ss.ID, c, remember, "password+passkey")
		return err
	})
	if err == nil && wrong {
		err = ErrInvalidCode
	}
	return iss, err
}
