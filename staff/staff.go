// Package staff holds the lender's staff accounts: who works in the
// console, in which role (roles.go: the one table of who may do what, and
// the money limits of each role), and whether the account is pending
// enrolment, active or disabled. Logins, passwords, second factors and
// sessions stay in identity (realm staff); this package adds the account
// around them.
//
// Rules:
//   - The first admin is added by the system (`carfin staff add`); after
//     that only an admin adds, disables, enables or changes the role of a
//     staff member, with a reason, and never disables or demotes itself
//     (an admin cannot lock the last door behind it).
//   - A new staff member enrols through a one-time link (72 hours) by
//     setting a password and an authenticator app together: no staff
//     account is active with one factor (AAL2, NIST SP 800-63B rev. 4).
//   - Every change is written to the audit log in the same transaction;
//     bad input writes nothing.
package staff

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"carfin/audit"
	"carfin/db"
	"carfin/identity"
)

// Limits, named so they are easy to find.
const (
	// EnrolmentTTL is how long an enrolment link works.
	EnrolmentTTL = 72 * time.Hour
	// enrolAttemptsMax wrong authenticator codes spend a link.
	enrolAttemptsMax = 5
	// reasonBytesMax and nameBytesMax bound what is stored and audited.
	reasonBytesMax = 500
	nameBytesMax   = 100
	// listMax bounds List.
	listMax = 1000
)

var (
	// ErrUnknownRole is a role that is not one of Roles.
	ErrUnknownRole = errors.New("unknown role")
	// ErrReasonRequired: every change needs a reason.
	ErrReasonRequired = errors.New("a reason is required")
	// ErrForbidden: the actor may not do this (not an active admin, or
	// not the system adding the first admin).
	ErrForbidden = errors.New("not allowed")
	// ErrSelf: an admin may not disable itself or change its own role.
	ErrSelf = errors.New("not allowed on your own account")
	// ErrNotFound: no such staff member.
	ErrNotFound = errors.New("staff member not found")
	// ErrExists: a staff member has that email already.
	ErrExists = errors.New("a staff member has that email already")
	// ErrTokenInvalid: an enrolment link that is unknown, used, expired
	// or spent by wrong codes (one answer for all, so a link tells nothing).
	ErrTokenInvalid = errors.New("enrolment link invalid or expired: ask an admin for a new one")
	// ErrNoChange: the member already has that role or status.
	ErrNoChange = errors.New("no change")
	// ErrLastAdmin: the change would leave no active admin.
	ErrLastAdmin = errors.New("the lender must keep at least one active admin")
)

// Status is where a staff account stands.
type Status string

const (
	Pending  Status = "pending"
	Active   Status = "active"
	Disabled Status = "disabled"
)

// Actor is who acts: the system (the command line) or a staff member.
type Actor struct {
	// LoginID is the staff member's login; 0 for the system.
	LoginID int64
	// IP is the client address, when the action came over HTTP.
	IP string
}

// System is the actor of `carfin staff add`.
var System = Actor{}

func (a Actor) String() string {
	if a.LoginID == 0 {
		return "system"
	}
	return fmt.Sprintf("staff:%d", a.LoginID)
}

// Member is one staff account.
type Member struct {
	LoginID   int64
	Email     string
	Name      string
	Role      Role
	Status    Status
	CreatedAt time.Time
	CreatedBy string
}

// Enrolment is a one-time link's token, to send to the new staff member.
type Enrolment struct {
	LoginID   int64
	Token     string
	ExpiresAt time.Time
}

// Service is the staff capability.
type Service struct {
	db *db.DB
	id *identity.Service
}

// New returns a Service over d, making logins through id.
func New(d *db.DB, id *identity.Service) *Service { return &Service{db: d, id: id} }

func loginSubject(id int64) string { return fmt.Sprintf("login:%d", id) }

// checkReason returns the reason trimmed, or ErrReasonRequired.
func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return "", ErrReasonRequired
	}
	if len(reason) > reasonBytesMax {
		return "", fmt.Errorf("reason longer than %d bytes", reasonBytesMax)
	}
	return reason, nil
}

// randomToken returns 256 random bits, base64url without padding.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is the stored form of an enrolment token: SHA-256, hex. The
// token carries 256 random bits, so a fast hash is enough.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte("staff_enrolment\x00" + token))
	return hex.EncodeToString(sum[:])
}

const memberColumns = `m.login_id, l.email, l.display_name, m.role, m.status, m.created_at, m.created_by`

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func scanMember(r interface{ Scan(...any) error }) (Member, error) {
	var m Member
	var role, status string
	err := r.Scan(&m.LoginID, &m.Email, &m.Name, &role, &status, &m.CreatedAt, &m.CreatedBy)
	m.Role, m.Status = Role(role), Status(status)
	m.CreatedAt = m.CreatedAt.UTC()
	return m, err
}

func member(ctx context.Context, q querier, loginID int64) (Member, error) {
	m, err := scanMember(q.QueryRowContext(ctx, `SELECT `+memberColumns+` FROM staff_members m JOIN logins l ON l.id = m.login_id
		WHERE m.login_id = $1`, loginID))
	if errors.Is(err, sql.ErrNoRows) {
		return Member{}, ErrNotFound
	}
	if err != nil {
		return Member{}, fmt.Errorf("read staff member %d: %w", loginID, err)
	}
	return m, nil
}

// Member returns the staff account of a login, for the console to
// authorize with (Can(m.Role, action), and only when m.Status is Active).
// Returns ErrNotFound.
func (s *Service) Member(ctx context.Context, loginID int64) (Member, error) {
	return member(ctx, s.db.Read, loginID)
}

// MemberByEmail returns the staff account of an email. Returns
// ErrNotFound.
func (s *Service) MemberByEmail(ctx context.Context, email string) (Member, error) {
	var id int64
	err := s.db.Read.QueryRowContext(ctx, `SELECT m.login_id FROM staff_members m JOIN logins l ON l.id = m.login_id
		WHERE l.realm = 'staff' AND l.email = $1`, identity.NormalizeEmail(email)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Member{}, ErrNotFound
	}
	if err != nil {
		return Member{}, fmt.Errorf("read staff member %s: %w", email, err)
	}
	return s.Member(ctx, id)
}

// May reports whether the member may take action now: active (enrolled,
// not disabled) and granted it by their role. The console asks this on
// every request, reading the member afresh, so a disabled account or a
// changed role takes effect at once.
func (m Member) May(a Action) bool { return m.Status == Active && Can(m.Role, a) }

// List returns the staff accounts by email.
func (s *Service) List(ctx context.Context) ([]Member, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+memberColumns+` FROM staff_members m JOIN logins l ON l.id = m.login_id
		ORDER BY l.email LIMIT $1`, listMax)
	if err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, fmt.Errorf("list staff: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// authorize checks, in tx, that by may manage staff: an active admin, or
// the system adding (or sending a new link to) an admin while no admin
// is active: the first admin, from the command line, whose link may
// expire before they enrol. Whoever runs the command holds the database
// anyway; once an admin is active, every change is a person's, audited.
// Returns ErrForbidden.
func authorize(ctx context.Context, tx *db.Tx, by Actor, role Role) error {
	if by.LoginID == 0 {
		var admins int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM staff_members WHERE role = 'admin' AND status = 'active'`).Scan(&admins); err != nil {
			return fmt.Errorf("count admins: %w", err)
		}
		if admins == 0 && role == Admin {
			return nil
		}
		if admins == 0 {
			return fmt.Errorf("%w: the first staff member must be an admin", ErrForbidden)
		}
		return fmt.Errorf("%w: an admin is active; staff are managed by an admin", ErrForbidden)
	}
	m, err := member(ctx, tx, by.LoginID)
	if errors.Is(err, ErrNotFound) {
		return ErrForbidden
	}
	if err != nil {
		return err
	}
	if m.Status != Active || !Can(m.Role, ManageStaff) {
		return ErrForbidden
	}
	return nil
}

// Add creates a staff member with role, who cannot sign in until they
// enrol with the returned token (Enrol). Returns ErrUnknownRole,
// ErrReasonRequired, identity.ErrInvalidEmail, ErrExists or ErrForbidden,
// and writes nothing then.
func (s *Service) Add(ctx context.Context, by Actor, email, name string, role Role, reason string) (Enrolment, error) {
	var e Enrolment
	if _, err := ParseRole(string(role)); err != nil {
		return e, err
	}
	reason, err := checkReason(reason)
	if err != nil {
		return e, err
	}
	email, err = identity.NormalizeContactEmail(email)
	if err != nil {
		return e, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	if len(name) > nameBytesMax {
		return e, fmt.Errorf("name longer than %d bytes", nameBytesMax)
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := authorize(ctx, tx, by, role); err != nil {
			return err
		}
		id, err := s.id.CreatePendingStaff(ctx, tx, email, name, by.String())
		if errors.Is(err, identity.ErrExists) {
			return ErrExists
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO staff_members (login_id, role, status, created_at, created_by, updated_at)
			VALUES ($1, $2, 'pending', $3, $4, $3)`, id, string(role), tx.Now(), by.String()); err != nil {
			return fmt.Errorf("add staff member: %w", err)
		}
		if e, err = newEnrolment(ctx, tx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Actor: by.String(), Action: "staff.add", Subject: loginSubject(id), IP: by.IP,
			Details: map[string]string{"role": string(role), "reason": reason, "email": email}})
	})
	if err != nil {
		return Enrolment{}, fmt.Errorf("add staff %s: %w", email, err)
	}
	return e, nil
}

// newEnrolment makes a one-time link for a pending member, ending any
// earlier one.
func newEnrolment(ctx context.Context, tx *db.Tx, loginID int64) (Enrolment, error) {
	if _, err := tx.ExecContext(ctx, `UPDATE staff_enrolments SET used_at = $1 WHERE login_id = $2 AND used_at IS NULL`, tx.Now(), loginID); err != nil {
		return Enrolment{}, fmt.Errorf("end earlier enrolment links: %w", err)
	}
	e := Enrolment{LoginID: loginID, Token: randomToken(), ExpiresAt: tx.Now().Add(EnrolmentTTL).UTC()}
	if _, err := tx.ExecContext(ctx, `INSERT INTO staff_enrolments (login_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		loginID, hashToken(e.Token), tx.Now(), e.ExpiresAt); err != nil {
		return Enrolment{}, fmt.Errorf("store enrolment link: %w", err)
	}
	return e, nil
}

// ResendEnrolment makes a new enrolment link for a member who has not
// enrolled yet (the old link stops working). An admin, or the system for
// an admin while no admin is active (authorize). Returns
// ErrForbidden, ErrNotFound, ErrReasonRequired, or ErrNoChange when the
// member is not pending.
func (s *Service) ResendEnrolment(ctx context.Context, by Actor, loginID int64, reason string) (Enrolment, error) {
	var e Enrolment
	reason, err := checkReason(reason)
	if err != nil {
		return e, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		m, err := member(ctx, tx, loginID)
		if err != nil {
			return err
		}
		if err := authorize(ctx, tx, by, m.Role); err != nil {
			return err
		}
		if m.Status != Pending {
			return ErrNoChange
		}
		if e, err = newEnrolment(ctx, tx, loginID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Actor: by.String(), Action: "staff.enrolment_resend", Subject: loginSubject(loginID), IP: by.IP,
			Details: map[string]string{"role": string(m.Role), "reason": reason}})
	})
	return e, err
}

// enrolmentOf returns the login of an enrolment token that is unused,
// unexpired and not spent, locking its row. Returns ErrTokenInvalid.
func enrolmentOf(ctx context.Context, tx *db.Tx, token string) (id, loginID int64, err error) {
	err = tx.QueryRowContext(ctx, `SELECT e.id, e.login_id FROM staff_enrolments e JOIN staff_members m ON m.login_id = e.login_id
		WHERE e.token_hash = $1 AND e.used_at IS NULL AND e.expires_at > $2 AND e.attempts < $3 AND m.status = 'pending'`+tx.DB().ForUpdate(),
		hashToken(token), tx.Now(), enrolAttemptsMax).Scan(&id, &loginID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, ErrTokenInvalid
	}
	if err != nil {
		return 0, 0, fmt.Errorf("read enrolment link: %w", err)
	}
	return id, loginID, nil
}

// EnrolmentTOTP returns the authenticator app to set up for the link's
// staff member (the same one on every call until Enrol). Returns
// ErrTokenInvalid or identity.ErrNoKeys.
func (s *Service) EnrolmentTOTP(ctx context.Context, token string) (identity.TOTPSetup, error) {
	var setup identity.TOTPSetup
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		_, loginID, err := enrolmentOf(ctx, tx, token)
		if err != nil {
			return err
		}
		setup, err = s.id.BeginStaffTOTP(ctx, tx, loginID)
		return err
	})
	return setup, err
}

// Enrol completes a staff member's enrolment: sets the password and turns
// on the authenticator app of EnrolmentTOTP when code is one of its
// current codes, spends the link and makes the account active, and
// returns the recovery codes to show once. Returns ErrTokenInvalid, a
// password policy error (nothing written), or identity.ErrInvalidCode
// (counted: enrolAttemptsMax wrong codes spend the link).
func (s *Service) Enrol(ctx context.Context, token, password, code string, c identity.Client) ([]string, error) {
	var codes []string
	wrong := false
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		codes, wrong = nil, false
		eid, loginID, err := enrolmentOf(ctx, tx, token)
		if err != nil {
			return err
		}
		codes, err = s.id.CompleteStaffEnrolment(ctx, tx, loginID, password, code, c)
		if errors.Is(err, identity.ErrInvalidCode) {
			wrong = true
			if _, err := tx.ExecContext(ctx, `UPDATE staff_enrolments SET attempts = attempts + 1 WHERE id = $1`, eid); err != nil {
				return fmt.Errorf("count enrolment attempt: %w", err)
			}
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE staff_enrolments SET used_at = $1 WHERE id = $2`, tx.Now(), eid); err != nil {
			return fmt.Errorf("spend enrolment link: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE staff_members SET status = 'active', updated_at = $1 WHERE login_id = $2`, tx.Now(), loginID); err != nil {
			return fmt.Errorf("activate staff member: %w", err)
		}
		return audit.Record(ctx, tx, audit.Event{Actor: fmt.Sprintf("staff:%d", loginID), Action: "staff.enrol", Subject: loginSubject(loginID), IP: c.IP,
			Details: map[string]string{"factor": "totp"}})
	})
	if err == nil && wrong {
		err = identity.ErrInvalidCode
	}
	return codes, err
}

// change applies an admin's change to another member in one transaction:
// check by, read the member, let apply decide and write, audit. Returns
// ErrReasonRequired, ErrForbidden, ErrSelf, ErrNotFound, ErrLastAdmin or
// apply's error.
func (s *Service) change(ctx context.Context, by Actor, loginID int64, reason, action string, apply func(tx *db.Tx, m Member) (map[string]string, error)) error {
	reason, err := checkReason(reason)
	if err != nil {
		return err
	}
	if by.LoginID == 0 {
		return ErrForbidden // only an admin changes an account
	}
	if by.LoginID == loginID {
		return ErrSelf
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		// Admin changes run one at a time (the admins' rows locked first,
		// on PostgreSQL; SQLite has one writer): two admins disabling or
		// demoting each other at once would otherwise each see the other
		// still active and leave the lender with none. The second now
		// finds its actor no longer an admin.
		if _, err := tx.ExecContext(ctx, `SELECT login_id FROM staff_members WHERE role = 'admin' ORDER BY login_id`+tx.DB().ForUpdate()); err != nil {
			return fmt.Errorf("lock admins: %w", err)
		}
		if err := authorize(ctx, tx, by, ""); err != nil {
			return err
		}
		m, err := member(ctx, tx, loginID)
		if err != nil {
			return err
		}
		details, err := apply(tx, m)
		if err != nil {
			return err
		}
		var admins int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM staff_members WHERE role = 'admin' AND status = 'active'`).Scan(&admins); err != nil {
			return fmt.Errorf("count admins: %w", err)
		}
		if admins == 0 {
			return ErrLastAdmin
		}
		details["reason"] = reason
		return audit.Record(ctx, tx, audit.Event{Actor: by.String(), Action: action, Subject: loginSubject(loginID), IP: by.IP, Details: details})
	})
}

// Disable stops a staff member from signing in and ends their sessions.
// Admin only, never on oneself. Returns ErrReasonRequired, ErrForbidden,
// ErrSelf, ErrNotFound or ErrNoChange (already disabled).
func (s *Service) Disable(ctx context.Context, by Actor, loginID int64, reason string) error {
	return s.change(ctx, by, loginID, reason, "staff.disable", func(tx *db.Tx, m Member) (map[string]string, error) {
		if m.Status == Disabled {
			return nil, ErrNoChange
		}
		if _, err := tx.ExecContext(ctx, `UPDATE staff_members SET status = 'disabled', updated_at = $1 WHERE login_id = $2`, tx.Now(), loginID); err != nil {
			return nil, fmt.Errorf("disable staff member %d: %w", loginID, err)
		}
		if err := s.id.EndStaffSessions(ctx, tx, loginID); err != nil {
			return nil, err
		}
		return map[string]string{"role": string(m.Role), "from": string(m.Status)}, nil
	})
}

// Enable lets a disabled staff member sign in again (pending again when
// they never enrolled). Admin only. Returns ErrReasonRequired,
// ErrForbidden, ErrSelf, ErrNotFound or ErrNoChange (not disabled).
func (s *Service) Enable(ctx context.Context, by Actor, loginID int64, reason string) error {
	return s.change(ctx, by, loginID, reason, "staff.enable", func(tx *db.Tx, m Member) (map[string]string, error) {
		if m.Status != Disabled {
			return nil, ErrNoChange
		}
		to := Active
		var enrolled int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM logins WHERE id = $1 AND password_hash <> '' AND totp_enabled = 1`, loginID).Scan(&enrolled); err != nil {
			return nil, fmt.Errorf("read staff login %d: %w", loginID, err)
		}
		if enrolled == 0 {
			to = Pending
		}
		if _, err := tx.ExecContext(ctx, `UPDATE staff_members SET status = $1, updated_at = $2 WHERE login_id = $3`, string(to), tx.Now(), loginID); err != nil {
			return nil, fmt.Errorf("enable staff member %d: %w", loginID, err)
		}
		return map[string]string{"role": string(m.Role), "to": string(to)}, nil
	})
}

// SetRole changes a staff member's role and ends their sessions, so the
// new role applies from their next sign-in. Admin only, never on oneself.
// Returns ErrUnknownRole, ErrReasonRequired, ErrForbidden, ErrSelf,
// ErrNotFound or ErrNoChange.
func (s *Service) SetRole(ctx context.Context, by Actor, loginID int64, role Role, reason string) error {
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	return s.change(ctx, by, loginID, reason, "staff.role", func(tx *db.Tx, m Member) (map[string]string, error) {
		if m.Role == role {
			return nil, ErrNoChange
		}
		if _, err := tx.ExecContext(ctx, `UPDATE staff_members SET role = $1, updated_at = $2 WHERE login_id = $3`, string(role), tx.Now(), loginID); err != nil {
			return nil, fmt.Errorf("set role of staff member %d: %w", loginID, err)
		}
		if err := s.id.EndStaffSessions(ctx, tx, loginID); err != nil {
			return nil, err
		}
		return map[string]string{"role": string(role), "from": string(m.Role)}, nil
	})
}
