package identity

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// signInEventsMax bounds each list of events on the staff customer screen.
const signInEventsMax = 10

// signInLoginSQL reads a customer's login and its factors ($1 the
// customer, $2 now): logins_customer, then passkeys_login and the
// primary keys of recovery_codes and known_devices.
const signInLoginSQL = `SELECT l.id, l.email, l.created_at, l.locked_until, l.failed_count, l.factor_failures, l.totp_enabled,
	(SELECT count(*) FROM passkeys p WHERE p.login_id = l.id),
	(SELECT count(*) FROM recovery_codes r WHERE r.login_id = l.id AND r.used_at IS NULL),
	(SELECT count(*) FROM known_devices d WHERE d.login_id = l.id AND d.trusted_until > $2),
	COALESCE((SELECT c.phone FROM customers c WHERE c.id = l.customer_id), '')
	FROM logins l WHERE l.customer_id = $1 AND l.realm = 'customer'`

// notEnrolledSQL reads whether a customer exists and when their pending
// enrolment link expires ($1 the customer, $2 now), by the primary key
// and one_time_tokens_customer. (ORDER BY, not MAX: SQLite's aggregate
// would lose the column's type.)
const notEnrolledSQL = `SELECT (SELECT count(*) FROM customers WHERE id = $1),
	(SELECT t.expires_at FROM one_time_tokens t WHERE t.customer_id = $1 AND t.purpose = 'enrol' AND t.used_at IS NULL AND t.expires_at > $2
		ORDER BY t.expires_at DESC LIMIT 1)`

// signInEventsSQL reads the newest sign-ins (list 1), failures (2) and
// alerts (3) of a login ($1 its subject, $2 signInEventsMax, then the
// alertActions): range scans of audit_events_subject_action, each of at
// most signInEventsMax rows but the alerts', which reads the login's
// alerts (few) and sorts them. Their "+seq" keeps SQLite from walking
// audit_events_subject backwards through every sign-in of the login to
// save that sort.
var signInEventsSQL = func() string {
	in := make([]string, len(alertActions))
	for i := range alertActions {
		in[i] = fmt.Sprintf("$%d", i+3)
	}
	const cols = `seq, at, actor, action, ip, details FROM audit_events WHERE subject = $1 AND `
	return `SELECT * FROM (SELECT 1 AS list, ` + cols + `action = 'login.success' ORDER BY seq DESC LIMIT $2) a
		UNION ALL SELECT * FROM (SELECT 2 AS list, ` + cols + `action = 'login.failure' ORDER BY seq DESC LIMIT $2) b
		UNION ALL SELECT * FROM (SELECT 3 AS list, ` + cols + `action IN (` + strings.Join(in, ", ") + `) ORDER BY +seq DESC LIMIT $2) c`
}()

// alertActions are the audit actions whose event also emailed the owner
// a security alert (a new device or place, a changed factor, password,
// email or phone, a lock, blocked codes, a reset by support).
var alertActions = []string{"login.alert", "factor.change", "password.change", "password.reset", "contact.email_change",
	"contact.phone_change", "login.locked", "login.factor_blocked", "factor.staff_reset"}

// SignInState is what the staff customer screen shows of a customer's
// online access. Without a login (the customer never enrolled) only
// Enrolled, CustomerID and InvitePendingUntil are set.
type SignInState struct {
	CustomerID int64
	Enrolled   bool
	// InvitePendingUntil is when the newest unused enrolment link sent to
	// a customer without a login expires (zero when there is none).
	InvitePendingUntil time.Time

	LoginID   int64
	Email     string
	CreatedAt time.Time
	// LockedUntil is zero when sign-in is not locked.
	LockedUntil time.Time
	// FailedCount is the consecutive failures since the last sign-in.
	FailedCount int
	// FactorBlocked: too many wrong second-factor codes; codes are
	// refused until a password reset, a passkey sign-in or StaffUnlock.
	FactorBlocked bool

	TOTP              bool
	Passkeys          int
	RecoveryCodesLeft int
	// Phone is where SMS sign-in codes go ("" when none is on file).
	Phone string
	// RememberedDevices skip the second factor until their time runs out.
	RememberedDevices int

	// Sessions are the live sessions, newest first (at most 50).
	Sessions []SessionInfo
	// SignIns, FailedSignIns and Alerts are the newest 10 of each, newest
	// first, from the audit log.
	SignIns       []SignInEvent
	FailedSignIns []SignInEvent
	Alerts        []SignInEvent
}

// SignInEvent is one audited sign-in, failed sign-in or alert.
type SignInEvent struct {
	At time.Time
	// Action is the audit action: "login.success", "login.failure", or
	// one of the alerts ("login.alert", "factor.change", …).
	Action string
	Actor  string
	IP     string
	// Details: "method" of a sign-in, "reason" of a failure, "why" and
	// "place" of a new-device alert, "change" of a factor change.
	Details map[string]string
}

// SignInState returns a customer's online access for the staff customer
// screen, in three indexed queries: the login with its factors
// (logins_customer), its live sessions (sessions_login), and its newest
// sign-ins, failures and alerts (audit_events_subject_action). Returns
// ErrNotFound for an unknown customer.
func (s *Service) SignInState(ctx context.Context, customerID int64) (SignInState, error) {
	st := SignInState{CustomerID: customerID}
	now := s.now()
	var locked sql.NullTime
	var totp, factorFailures int
	err := s.db.Read.QueryRowContext(ctx, signInLoginSQL, customerID, now).
		Scan(&st.LoginID, &st.Email, &st.CreatedAt, &locked, &st.FailedCount, &factorFailures, &totp,
			&st.Passkeys, &st.RecoveryCodesLeft, &st.RememberedDevices, &st.Phone)
	if errors.Is(err, sql.ErrNoRows) {
		return s.notEnrolled(ctx, st, now)
	}
	if err != nil {
		return st, fmt.Errorf("sign-in state of customer %d: %w", customerID, err)
	}
	st.Enrolled, st.TOTP, st.FactorBlocked = true, totp == 1, factorFailures >= factorFailuresMax
	if locked.Valid && now.Before(locked.Time) {
		st.LockedUntil = locked.Time
	}
	if st.Sessions, err = s.liveSessions(ctx, st.LoginID, IdleFor(Customer), 0); err != nil {
		return st, fmt.Errorf("sign-in state of customer %d: %w", customerID, err)
	}
	if err := s.signInEvents(ctx, &st); err != nil {
		return st, fmt.Errorf("sign-in state of customer %d: %w", customerID, err)
	}
	return st, nil
}

// notEnrolled completes the state of a customer without a login: whether
// an enrolment link is pending (one_time_tokens_customer), or
// ErrNotFound when there is no such customer.
func (s *Service) notEnrolled(ctx context.Context, st SignInState, now time.Time) (SignInState, error) {
	var exists int
	var pending sql.NullTime
	err := s.db.Read.QueryRowContext(ctx, notEnrolledSQL, st.CustomerID, now).Scan(&exists, &pending)
	if err != nil {
		return st, fmt.Errorf("sign-in state of customer %d: %w", st.CustomerID, err)
	}
	if exists == 0 {
		return st, fmt.Errorf("customer %d: %w", st.CustomerID, ErrNotFound)
	}
	st.InvitePendingUntil = pending.Time
	return st, nil
}

// signInEvents reads the newest sign-ins, failures and alerts of st's
// login in one statement: three backward range scans of
// audit_events_subject_action, each stopped at signInEventsMax rows.
func (s *Service) signInEvents(ctx context.Context, st *SignInState) error {
	args := []any{loginSubject(st.LoginID), signInEventsMax}
	for _, a := range alertActions {
		args = append(args, a)
	}
	rows, err := s.db.Read.QueryContext(ctx, signInEventsSQL, args...)
	if err != nil {
		return fmt.Errorf("sign-in events: %w", err)
	}
	defer rows.Close()
	type seqEvent struct {
		seq int64
		SignInEvent
	}
	var lists [4][]seqEvent
	for rows.Next() {
		var list int
		var e seqEvent
		var details string
		if err := rows.Scan(&list, &e.seq, &e.At, &e.Actor, &e.Action, &e.IP, &details); err != nil {
			return fmt.Errorf("sign-in events: %w", err)
		}
		if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
			return fmt.Errorf("audit event %d details: %w", e.seq, err)
		}
		lists[list] = append(lists[list], e)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sign-in events: %w", err)
	}
	out := func(l []seqEvent) []SignInEvent {
		slices.SortFunc(l, func(a, b seqEvent) int { return cmp.Compare(b.seq, a.seq) })
		r := make([]SignInEvent, len(l))
		for i, e := range l {
			r[i] = e.SignInEvent
		}
		return r
	}
	st.SignIns, st.FailedSignIns, st.Alerts = out(lists[1]), out(lists[2]), out(lists[3])
	return nil
}
