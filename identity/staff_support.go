package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"carfin/audit"
	"carfin/db"
)

// Support's actions on a customer's sign-in. Each is asked by a staff
// login (ErrNotStaff otherwise) about a customer's login or customer
// (ErrNotFound for anything else, staff logins included, so the console
// cannot act on a colleague's access this way), with a reason the staff
// member typed (ErrReason without one), and is done in one transaction
// with its chained audit event (Actor "staff:ID", the reason in its
// details): refused, it writes nothing.

// Limits of support's actions.
const (
	// staffReasonCharsMax bounds the reason typed in the console.
	staffReasonCharsMax = 500
	// staffReasonBytesMax: the audit log keeps 512 bytes of a detail, and
	// a reason must be kept whole (500 characters of Spanish may be more).
	staffReasonBytesMax = 512
	// enrolInviteTTL: an invitation support sends is read later than a
	// link the customer asked for a minute ago (enrolTokenTTL).
	enrolInviteTTL = 72 * time.Hour
)

var (
	// ErrReason: a support action needs a reason, of at most 500
	// characters.
	ErrReason = errors.New("a reason is required (at most 500 characters)")
	// ErrAlreadyEnrolled: the customer already has online access, so
	// there is nothing to invite them to (it is an ErrExists).
	ErrAlreadyEnrolled = fmt.Errorf("customer already enrolled: %w", ErrExists)
)

// checkReason trims a support reason and checks its length.
func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > staffReasonCharsMax || len(reason) > staffReasonBytesMax {
		return "", ErrReason
	}
	return reason, nil
}

// staffActor checks in tx that staffLoginID is a staff login and returns
// its audit actor ("staff:ID"). Returns ErrNotStaff.
func staffActor(ctx context.Context, tx *db.Tx, staffLoginID int64) (string, error) {
	var staff int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM logins WHERE id = $1 AND realm = 'staff'`, staffLoginID).Scan(&staff); err != nil {
		return "", fmt.Errorf("read staff login %d: %w", staffLoginID, err)
	}
	if staff == 0 {
		return "", fmt.Errorf("login %d is not staff: %w", staffLoginID, ErrNotStaff)
	}
	return fmt.Sprintf("staff:%d", staffLoginID), nil
}

// staffTarget checks a support action on a customer's login in tx: the
// staff login, the reason, and the target (a customer's login). It
// returns the actor, the trimmed reason and the login. Returns
// ErrNotStaff, ErrReason or ErrNotFound.
func staffTarget(ctx context.Context, tx *db.Tx, staffLoginID, loginID int64, reason string) (string, string, *Login, error) {
	actor, err := staffActor(ctx, tx, staffLoginID)
	if err != nil {
		return "", "", nil, err
	}
	if reason, err = checkReason(reason); err != nil {
		return "", "", nil, err
	}
	l, err := loginByID(ctx, tx, loginID)
	if err != nil {
		return "", "", nil, err
	}
	if l.Realm != Customer {
		return "", "", nil, fmt.Errorf("login %d is not a customer's: %w", loginID, ErrNotFound)
	}
	return actor, reason, l, nil
}

// customerLang is the language a customer reads messages in (English
// when they never chose): support's own browser language is not theirs.
func customerLang(ctx context.Context, q querier, customerID int64) (string, error) {
	var lang string
	if err := q.QueryRowContext(ctx, `SELECT COALESCE((SELECT p.lang FROM notification_preferences p WHERE p.customer_id = $1), 'en')`,
		customerID).Scan(&lang); err != nil {
		return "", fmt.Errorf("language of customer %d: %w", customerID, err)
	}
	return msgLang(lang), nil
}

// StaffResetSecondFactor resets a customer's two-step verification, after
// support verified the caller (lost phone, new phone without a backup):
// the authenticator app, passkeys, recovery codes and remembered devices
// go, every session ends (EndStaffReset), and the customer is emailed,
// in their language, with a "this wasn't me" link in case they did not
// ask. c is the staff member's request (its IP is audited). Returns
// ErrNotStaff, ErrReason or ErrNotFound.
func (s *Service) StaffResetSecondFactor(ctx context.Context, staffLoginID, loginID int64, reason string, c Client) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		actor, reason, l, err := staffTarget(ctx, tx, staffLoginID, loginID, reason)
		if err != nil {
			return err
		}
		details := map[string]string{"reason": reason, "totp_removed": strconv.FormatBool(l.TOTPEnabled)}
		for _, q := range []struct{ name, sql string }{
			{"", `UPDATE logins SET totp_secret = '', totp_key_id = '', totp_cipher = NULL, totp_enabled = 0, totp_enabled_at = NULL,
				factor_failures = 0 WHERE id = $1`},
			{"passkeys_removed", `DELETE FROM passkeys WHERE login_id = $1`},
			{"recovery_codes_removed", `DELETE FROM recovery_codes WHERE login_id = $1`},
			{"devices_forgotten", `UPDATE known_devices SET trusted_until = NULL WHERE login_id = $1 AND trusted_until IS NOT NULL`},
		} {
			r, err := tx.ExecContext(ctx, q.sql, l.ID)
			if err != nil {
				return fmt.Errorf("staff reset of second factor of login %d: %w", l.ID, err)
			}
			if q.name != "" {
				n, _ := r.RowsAffected()
				details[q.name] = strconv.FormatInt(n, 10)
			}
		}
		n, err := endSessions(ctx, tx, EndStaffReset, `id <> $2`, l.ID, int64(0))
		if err != nil {
			return err
		}
		details["sessions_ended"] = strconv.FormatInt(n, 10)
		if err := audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "factor.staff_reset", Subject: loginSubject(l.ID), IP: c.IP,
			Details: details}); err != nil {
			return err
		}
		lang, err := customerLang(ctx, tx, l.CustomerID)
		if err != nil {
			return err
		}
		return s.alert(ctx, tx, l, "staff_factor_reset", Client{IP: c.IP, Lang: lang}, nil)
	})
}

// StaffEndSessions signs a customer out of every device (EndStaffSignedOut)
// and returns how many sessions ended. Returns ErrNotStaff, ErrReason or
// ErrNotFound.
func (s *Service) StaffEndSessions(ctx context.Context, staffLoginID, loginID int64, reason string) (int64, error) {
	var n int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		actor, reason, l, err := staffTarget(ctx, tx, staffLoginID, loginID, reason)
		if err != nil {
			return err
		}
		if n, err = endSessions(ctx, tx, EndStaffSignedOut, `id <> $2`, l.ID, int64(0)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "session.staff_revoke_all", Subject: loginSubject(l.ID),
			Details: map[string]string{"reason": reason, "sessions_ended": strconv.FormatInt(n, 10)}})
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// StaffSendEnrolmentInvite emails a customer without online access an
// invitation to set it up, to the email on their customer record, in
// their language: the enrolment link StartEnrolment sends (the same
// /enrol/verify page finishes it), valid for enrolInviteTTL. A link sent
// before stops working (only hashes are kept, so it cannot be sent
// again: a new one replaces it). Returns ErrNotStaff, ErrReason,
// ErrNotFound (no such customer), ErrAlreadyEnrolled (the customer has
// a login) or ErrInvalidEmail (no usable email on file).
func (s *Service) StaffSendEnrolmentInvite(ctx context.Context, staffLoginID, customerID int64, reason string) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		actor, err := staffActor(ctx, tx, staffLoginID)
		if err != nil {
			return err
		}
		if reason, err = checkReason(reason); err != nil {
			return err
		}
		var email, first string
		var logins int
		err = tx.QueryRowContext(ctx, `SELECT c.email, c.first_name, (SELECT count(*) FROM logins l WHERE l.customer_id = c.id)
			FROM customers c WHERE c.id = $1`, customerID).Scan(&email, &first, &logins)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("customer %d: %w", customerID, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("read customer %d: %w", customerID, err)
		}
		if logins > 0 {
			return ErrAlreadyEnrolled
		}
		if email, err = NormalizeContactEmail(email); err != nil {
			return err
		}
		token, err := s.newToken(ctx, tx, "enrol", 0, customerID, enrolInviteTTL, true)
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "enrol.staff_invite", Subject: fmt.Sprintf("customer:%d", customerID),
			Details: map[string]string{"reason": reason, "to": email}}); err != nil {
			return err
		}
		lang, err := customerLang(ctx, tx, customerID)
		if err != nil {
			return err
		}
		return s.send(ctx, tx, email, "enrol_invite", lang, map[string]string{"Name": first,
			"Link": s.link("/enrol/verify", map[string][]string{"token": {token}}), "Hours": strconv.Itoa(int(enrolInviteTTL.Hours()))})
	})
}
