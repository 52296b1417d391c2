package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"carfin/db"
	"carfin/identity"
	"carfin/keyring"
	"carfin/staff"
)

// StaffMembers are the demo's staff accounts, one per role, by address:
// the admin first, since only the first admin may be added by the system
// and an admin adds the others.
var StaffMembers = []struct {
	Role  staff.Role
	Email string
	Name  string
}{
	{staff.Admin, "admin@northwind.example", "Dana Whitcomb"},
	{staff.Agent, "agent@northwind.example", "Jordan Ellery"},
	{staff.Supervisor, "supervisor@northwind.example", "Morgan Achebe"},
	{staff.Auditor, "auditor@northwind.example", "Casey Lindgren"},
}

// StaffLogin is a demo staff member ready to sign in: their password is
// the one Staff was given, and Secret the base32 key of their
// authenticator app, to type into one (or to compute codes from).
type StaffLogin struct {
	Role    staff.Role
	Email   string
	LoginID int64
	Secret  string
}

// staffTOTP are the parameters of identity's authenticator codes (its
// totpOpts): 30-second steps, six digits, SHA-1.
var staffTOTP = totp.ValidateOpts{Period: 30, Skew: 1, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// StaffCode returns the authenticator code of secret at t.
func StaffCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, staffTOTP)
}

// demoClient is who enrols the demo staff.
var demoClient = identity.Client{IP: "127.0.0.1", UserAgent: "carfin demo", Lang: "en"}

// Staff makes the demo's staff members (StaffMembers) active, through the
// staff capability as a person would: added (the admin by the system,
// the others by the admin), then enrolled with password and an
// authenticator app whose code is computed at d's time. A member who is
// active already (a reused --data directory) is left as it is and its
// authenticator key read back with keys, the key ring it was sealed
// under. id must have keys as its key ring.
func Staff(ctx context.Context, d *db.DB, id *identity.Service, keys *keyring.Keyring, password string) ([]StaffLogin, error) {
	st := staff.New(d, id)
	var out []StaffLogin
	admin := staff.System
	for _, sm := range StaffMembers {
		l := StaffLogin{Role: sm.Role, Email: sm.Email}
		m, err := st.MemberByEmail(ctx, sm.Email)
		var e staff.Enrolment
		switch {
		case errors.Is(err, staff.ErrNotFound):
			if e, err = st.Add(ctx, admin, sm.Email, sm.Name, sm.Role, "demo staff"); err != nil {
				return nil, fmt.Errorf("demo staff %s: %w", sm.Email, err)
			}
			l.LoginID = e.LoginID
		case err != nil:
			return nil, fmt.Errorf("demo staff %s: %w", sm.Email, err)
		case m.Status == staff.Pending: // an earlier run stopped before enrolling
			l.LoginID = m.LoginID
			if e, err = st.ResendEnrolment(ctx, admin, m.LoginID, "demo staff: enrol again"); err != nil {
				return nil, fmt.Errorf("demo staff %s: %w", sm.Email, err)
			}
		default:
			l.LoginID = m.LoginID
		}
		if e.Token != "" {
			setup, err := st.EnrolmentTOTP(ctx, e.Token)
			if err != nil {
				return nil, fmt.Errorf("demo staff %s: authenticator: %w", sm.Email, err)
			}
			code, err := StaffCode(setup.Secret, d.Now())
			if err != nil {
				return nil, fmt.Errorf("demo staff %s: authenticator code: %w", sm.Email, err)
			}
			if _, err := st.Enrol(ctx, e.Token, password, code, demoClient); err != nil {
				return nil, fmt.Errorf("demo staff %s: enrol: %w", sm.Email, err)
			}
			l.Secret = setup.Secret
		} else if l.Secret, err = staffSecret(ctx, d, keys, l.LoginID); err != nil {
			return nil, fmt.Errorf("demo staff %s: %w", sm.Email, err)
		}
		if sm.Role == staff.Admin {
			admin = staff.Actor{LoginID: l.LoginID, IP: demoClient.IP}
		}
		out = append(out, l)
	}
	return out, nil
}

// staffSecret reads back the authenticator key of an enrolled demo staff
// member, sealed under keys with identity's associated data (totpAAD:
// the seed is bound to its login). Only the demo does this: its key ring
// and its people are its own.
func staffSecret(ctx context.Context, d *db.DB, keys *keyring.Keyring, loginID int64) (string, error) {
	var keyID sql.NullString
	var sealed []byte
	if err := d.Read.QueryRowContext(ctx, `SELECT totp_key_id, totp_cipher FROM logins WHERE id = $1`, loginID).Scan(&keyID, &sealed); err != nil {
		return "", fmt.Errorf("read authenticator key: %w", err)
	}
	if keys == nil || len(sealed) == 0 {
		return "", errors.New("authenticator key not readable")
	}
	secret, err := keys.Open(keyID.String, sealed, fmt.Sprintf("carfin/totp/login:%d", loginID))
	if err != nil {
		return "", fmt.Errorf("open authenticator key: %w", err)
	}
	return secret, nil
}
