package identity

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"carfin/audit"
	"carfin/calendar"
	"carfin/db"
)

// Enrolment activates online access for an existing finance account:
// account number + last four of the SSN + date of birth or ZIP code, then
// a link to the email on file, then a password. A failed match, a match
// that already has access and a match all get the same answer ("if the
// details match, we sent an email"), and attempts are throttled per
// account number and per IP before any database work.

// Enrolment throttles: per account number and per IP, in enrolWindow.
const (
	enrolAttemptsPerAccount = 5
	enrolAttemptsPerIP      = 20
	enrolWindow             = time.Hour
	enrolFieldBytesMax      = 64
)

// EnrolRequest is what the enrolment form asks.
type EnrolRequest struct {
	AccountNumber string
	SSNLast4      string
	// BirthDate (YYYY-MM-DD) or ZIP: the one given is checked.
	BirthDate string
	ZIP       string
}

// StartEnrolment checks the facts and, on a match, emails the customer a
// verification link (or, when online access exists, a note saying so).
// Returns ErrThrottled when over the limits, and otherwise nil whatever
// the outcome, so that the answer reveals nothing.
func (s *Service) StartEnrolment(ctx context.Context, r EnrolRequest, c Client) error {
	acct := strings.ToUpper(strings.TrimSpace(r.AccountNumber))
	now := s.now()
	if err := s.enrolLimits.allow(ctx, "ip:"+ipKey(c.IP), enrolAttemptsPerIP, now); err != nil {
		return err
	}
	if err := s.enrolLimits.allow(ctx, "acct:"+hashToken("enrol-account", acct)[:32], enrolAttemptsPerAccount, now); err != nil {
		return err
	}
	if len(acct) > enrolFieldBytesMax || len(r.SSNLast4) > enrolFieldBytesMax || len(r.BirthDate) > enrolFieldBytesMax || len(r.ZIP) > enrolFieldBytesMax {
		return nil
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		var custID int64
		var email, first, ssn, zip string
		var birth calendar.Date
		err := tx.QueryRowContext(ctx, `SELECT c.id, c.email, c.first_name, c.ssn_last4, c.zip, c.birth_date
			FROM contracts k JOIN customers c ON c.id = k.customer_id WHERE upper(k.account_number) = $1`, acct).
			Scan(&custID, &email, &first, &ssn, &zip, &birth)
		if errors.Is(err, sql.ErrNoRows) {
			return s.enrolAudit(ctx, tx, "email:", "no_account", c)
		}
		if err != nil {
			return fmt.Errorf("enrolment lookup: %w", err)
		}
		match := subtle.ConstantTimeCompare([]byte(strings.TrimSpace(r.SSNLast4)), []byte(ssn)) == 1
		switch {
		case strings.TrimSpace(r.BirthDate) != "":
			d, err := calendar.Parse(strings.TrimSpace(r.BirthDate))
			match = match && err == nil && d == birth
		case strings.TrimSpace(r.ZIP) != "":
			z := strings.TrimSpace(r.ZIP)
			match = match && len(zip) >= 5 && len(z) >= 5 && z[:5] == zip[:5]
		default:
			match = false
		}
		subject := fmt.Sprintf("customer:%d", custID)
		if !match {
			return s.enrolAudit(ctx, tx, subject, "mismatch", c)
		}
		var existing int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM logins WHERE customer_id = $1`, custID).Scan(&existing); err != nil {
			return fmt.Errorf("enrolment lookup: %w", err)
		}
		if existing > 0 {
			if err := s.enrolAudit(ctx, tx, subject, "already_enrolled", c); err != nil {
				return err
			}
			return s.send(ctx, tx, email, "enrol_existing", c.Lang, map[string]string{"Name": first, "Login": s.link("/login", nil), "Forgot": s.link("/forgot", nil)})
		}
		token, err := s.newToken(ctx, tx, "enrol", 0, custID, enrolTokenTTL, true)
		if err != nil {
			return err
		}
		if err := s.enrolAudit(ctx, tx, subject, "sent", c); err != nil {
			return err
		}
		return s.send(ctx, tx, email, "enrol", c.Lang, map[string]string{"Name": first, "Link": s.link("/enrol/verify", map[string][]string{"token": {token}})})
	})
}

func (s *Service) enrolAudit(ctx context.Context, tx *db.Tx, subject, result string, c Client) error {
	return audit.Record(ctx, tx, audit.Event{Actor: "anonymous", Action: "enrol.request", Subject: subject, IP: c.IP, Details: map[string]string{"result": result}})
}

// EnrolmentEmail returns the username (email on file) an enrolment link
// is for, to show on the password form. Returns ErrInvalidToken.
func (s *Service) EnrolmentEmail(ctx context.Context, token string) (string, error) {
	if err := s.CheckToken(ctx, "enrol", token); err != nil {
		return "", err
	}
	var email string
	err := s.db.Read.QueryRowContext(ctx, `SELECT c.email FROM one_time_tokens t JOIN customers c ON c.id = t.customer_id WHERE t.token_hash = $1`,
		hashToken("enrol", token)).Scan(&email)
	if err != nil {
		return "", ErrInvalidToken
	}
	return NormalizeEmail(email), nil
}

// CompleteEnrolment creates the login with the chosen password (the email
// on file is the username; the link proved it), and signs in. The device
// becomes the login's first known device. Returns ErrInvalidToken, a
// password policy error (the link stays usable), or ErrExists.
func (s *Service) CompleteEnrolment(ctx context.Context, token, password string, c Client) (Issued, error) {
	var iss Issued
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var custID int64
		var email, first, last string
		err := tx.QueryRowContext(ctx, `SELECT c.id, c.email, c.first_name, c.last_name FROM one_time_tokens t JOIN customers c ON c.id = t.customer_id
			WHERE t.token_hash = $1 AND t.purpose = 'enrol' AND t.used_at IS NULL AND t.expires_at > $2`, hashToken("enrol", token), tx.Now()).
			Scan(&custID, &email, &first, &last)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrInvalidToken
		}
		if err != nil {
			return fmt.Errorf("read enrolment: %w", err)
		}
		if err := CheckPassword(password, false, email, first, last); err != nil {
			return err
		}
		if _, _, err := s.useToken(ctx, tx, "enrol", token); err != nil {
			return err
		}
		id, err := s.insertLogin(ctx, tx, Customer, custID, NormalizeEmail(email), first, password, "", c.IP)
		if err != nil {
			return err
		}
		l, err := loginByID(ctx, tx, id)
		if err != nil {
			return err
		}
		iss, err = s.completeLogin(ctx, tx, l, 0, c, false, "enrolment")
		return err
	})
	return iss, err
}
