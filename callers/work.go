package callers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"carfin/audit"
	"carfin/db"
)

// Purposes of opening an account without a call (OpenForWork).
var Purposes = []struct{ Value, Label string }{
	{"message", "Answering the customer's secure message"},
	{"complaint", "Working the customer's complaint"},
	{"return", "Reviewing a returned payment"},
	{"request", "Deciding a waiver, reversal or adjustment request"},
	{"other", "Other back-office work (say what)"},
}

// reasonRunesMax bounds the reason typed for an opening.
const reasonRunesMax = 500

// ErrReason is an opening without a reason, or with an unknown purpose.
var ErrReason = errors.New("say why you are opening the account (at most 500 characters)")

// Access is what lets a staff member see a customer's account now: a
// verified call, or an opening for back-office work.
type Access struct {
	// Method is MethodQuestions or MethodCode for a call, "work" for an
	// opening.
	Method    string
	Purpose   string
	ExpiresAt time.Time
}

// OpenForWork records that the staff login by opens customerID's account
// with no caller on the line, for purpose (one of Purposes) and reason,
// and audits it; the account stays open to by until callTTL passes.
// Returns ErrReason, ErrNotStaff or ErrNotFound (no such customer);
// nothing is written on error.
func (s *Service) OpenForWork(ctx context.Context, by, customerID int64, purpose, reason string) (Access, error) {
	reason = strings.TrimSpace(reason)
	ok := slices.ContainsFunc(Purposes, func(p struct{ Value, Label string }) bool { return p.Value == purpose })
	if !ok || (purpose == "other" && reason == "") || utf8.RuneCountInString(reason) > reasonRunesMax || !utf8.ValidString(reason) {
		return Access{}, ErrReason
	}
	var a Access
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := requireStaff(ctx, tx, by); err != nil {
			return err
		}
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM customers WHERE id = $1`, customerID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("read customer %d: %w", customerID, err)
		}
		a = Access{Method: "work", Purpose: purpose, ExpiresAt: tx.Now().Add(callTTL)}
		var openingID int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO account_openings (staff_login_id, customer_id, purpose, reason, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, by, customerID, purpose, reason, tx.Now(), a.ExpiresAt).Scan(&openingID); err != nil {
			return fmt.Errorf("record opening: %w", err)
		}
		return audit.Record(ctx, tx, audit.Event{Actor: "staff:" + strconv.FormatInt(by, 10), Action: "customer.open",
			Subject: "customer:" + strconv.FormatInt(customerID, 10),
			Details: map[string]string{"purpose": purpose, "reason": reason, "opening": strconv.FormatInt(openingID, 10)}})
	})
	if err != nil {
		return Access{}, err
	}
	return a, nil
}

// AccessOf returns what lets the staff login see customerID's account
// now, a verified call first, then an opening for work, and whether
// anything does. It returns an error only if the database fails.
func (s *Service) AccessOf(ctx context.Context, staffLoginID, customerID int64) (Access, bool, error) {
	v, ok, err := s.Active(ctx, staffLoginID, customerID)
	if err != nil || ok {
		return Access{Method: v.Method, ExpiresAt: v.ExpiresAt}, ok, err
	}
	var a Access
	err = s.db.Read.QueryRowContext(ctx, `SELECT purpose, expires_at FROM account_openings
		WHERE staff_login_id = $1 AND customer_id = $2 AND expires_at > $3 ORDER BY expires_at DESC LIMIT 1`,
		staffLoginID, customerID, s.db.Now()).Scan(&a.Purpose, &a.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Access{}, false, nil
	}
	if err != nil {
		return Access{}, false, fmt.Errorf("opening of customer %d: %w", customerID, err)
	}
	a.Method, a.ExpiresAt = "work", a.ExpiresAt.UTC()
	return a, true, nil
}
