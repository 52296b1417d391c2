package approvals

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"carfin/audit"
	"carfin/db"
	"carfin/money"
	"carfin/payments"
	"carfin/servicing"
)

// Request records a request by by to post kind on contract contractID,
// waiting for a second approver, and returns its id. reason is required
// (1–500 characters). The target is checked against the contract as it
// stands: a waiver must be positive and at most the fees owed today, an
// adjustment non-zero and on an open loan whose principal it keeps at or
// above zero, a reversal must name a payment event of the contract not
// reversed yet and not made through carfin's payments (see
// payments.PaymentOfEvent), a review a return of a payment of the contract awaiting
// review, with a decision. It returns ErrForbidden or ErrLimit (by's role,
// see Policies), ErrInvalid (wrapped with what is wrong), ErrDuplicate (a
// request for the same event or return is pending, checked first and
// enforced by the database, so two agents at once make one); on any error
// nothing is written. A pending request for the same target older than
// Lifetime is marked expired (and audited) first, in the same transaction.
func (s *Service) Request(ctx context.Context, by Staff, kind Kind, contractID int64, target Target, reason string) (int64, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case by.LoginID == "" || len(by.LoginID) > loginIDLenMax:
		return 0, fmt.Errorf("staff login id: %w", ErrInvalid)
	case reason == "":
		return 0, fmt.Errorf("a reason is required: %w", ErrInvalid)
	case utf8.RuneCountInString(reason) > reasonLenMax || !utf8.ValidString(reason):
		return 0, fmt.Errorf("the reason must be at most %d characters: %w", reasonLenMax, ErrInvalid)
	case contractID <= 0:
		return 0, fmt.Errorf("contract id: %w", ErrInvalid)
	}
	if _, ok := Policies[by.Role]; !ok {
		return 0, fmt.Errorf("role %q: %w", by.Role, ErrForbidden)
	}
	// The amount a waiver or adjustment names is checked against the role
	// first; a reversal's or review's amount is the payment's, checked
	// once it is read.
	if err := mayRequest(by.Role, kind, target.AmountCents); err != nil {
		return 0, err
	}
	r := Request{Kind: kind, ContractID: contractID, Reason: reason, RequestedBy: by.LoginID, RequesterRole: by.Role, Status: StatusPending}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if r.AmountCents, err = s.check(ctx, tx, kind, contractID, target); err != nil {
			return err
		}
		if err := mayRequest(by.Role, kind, r.AmountCents); err != nil {
			return err
		}
		r.EventID, r.ReturnID, r.Decision = target.EventID, target.ReturnID, target.Decision
		if r.EventID != 0 || r.ReturnID != 0 {
			// A request past its lifetime that ExpireStale has not marked yet
			// still holds its target's unique index: mark it here.
			if err := s.expireTarget(ctx, tx, r.EventID, r.ReturnID); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM approval_requests WHERE status = 'pending'
				AND (event_id = $1 OR return_id = $2)`, r.EventID, r.ReturnID).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return ErrDuplicate
			}
		}
		r.RequestedAt = tx.Now()
		r.ExpiresAt = r.RequestedAt.Add(Lifetime)
		if err := tx.QueryRowContext(ctx, `INSERT INTO approval_requests (kind, contract_id, amount_cents, event_id, return_id, decision, reason,
			requested_by, requester_role, requested_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			string(kind), contractID, r.AmountCents, nullID(r.EventID), nullID(r.ReturnID), string(r.Decision), reason,
			by.LoginID, by.Role, r.RequestedAt, r.ExpiresAt).Scan(&r.ID); err != nil {
			if db.IsUniqueViolation(err) {
				// Another request for the target committed after the count:
				// the partial unique indexes of pending requests hold.
				return ErrDuplicate
			}
			return fmt.Errorf("record request: %w", err)
		}
		return audit.Record(ctx, tx, audit.Event{Actor: by.actor(), Action: "approval.request", Subject: subject(contractID),
			Details: r.details("role", by.Role)})
	})
	if err != nil {
		return 0, fmt.Errorf("request %s on contract %d: %w", kind, contractID, err)
	}
	return r.ID, nil
}

// check validates target for kind against the contract as tx sees it and
// returns the amount the request is about (for a reversal, the payment's;
// for a review, the returned payment's).
func (s *Service) check(ctx context.Context, tx *db.Tx, kind Kind, contractID int64, target Target) (money.Cents, error) {
	today := s.today(tx.Now())
	owed, err := s.sv.Owed(ctx, tx, contractID, today)
	if errors.Is(err, servicing.ErrNotFound) {
		return 0, fmt.Errorf("contract %d: %w", contractID, errors.Join(ErrInvalid, err))
	}
	if err != nil {
		return 0, err
	}
	if !owed.Status.Open() {
		return 0, fmt.Errorf("contract %d is %s: %w", contractID, owed.Status, ErrInvalid)
	}
	onlyAmount := target.EventID == 0 && target.ReturnID == 0 && target.Decision == ""
	switch kind {
	case FeeWaiver:
		switch {
		case !onlyAmount:
			return 0, fmt.Errorf("a fee waiver takes an amount only: %w", ErrInvalid)
		case target.AmountCents <= 0:
			return 0, fmt.Errorf("a fee waiver must be positive, not %s: %w", target.AmountCents, ErrInvalid)
		case target.AmountCents > owed.FeesCents:
			return 0, fmt.Errorf("a waiver of %s is more than the %s of fees owed: %w", target.AmountCents, owed.FeesCents, ErrInvalid)
		}
		return target.AmountCents, nil
	case BalanceAdjustment:
		switch {
		case !onlyAmount:
			return 0, fmt.Errorf("an adjustment takes an amount only: %w", ErrInvalid)
		case target.AmountCents == 0:
			return 0, fmt.Errorf("an adjustment must not be zero: %w", ErrInvalid)
		case owed.Kind != servicing.KindLoan:
			return 0, fmt.Errorf("only a loan's principal is adjusted, not a %s's: %w", owed.Kind, ErrInvalid)
		case owed.PrincipalCents+target.AmountCents < 0:
			return 0, fmt.Errorf("an adjustment of %s would take the principal of %s below zero: %w", target.AmountCents, owed.PrincipalCents, ErrInvalid)
		}
		return target.AmountCents, nil
	case PaymentReversal:
		if target.EventID <= 0 || target.AmountCents != 0 || target.ReturnID != 0 || target.Decision != "" {
			return 0, fmt.Errorf("a reversal takes a payment event only: %w", ErrInvalid)
		}
		ek, owner, amount, err := servicing.EventOf(ctx, tx, target.EventID)
		if err != nil || owner != contractID || ek != servicing.EventPayment {
			return 0, fmt.Errorf("event %d is not a payment of contract %d: %w", target.EventID, contractID, ErrInvalid)
		}
		if pid, err := payments.PaymentOfEvent(ctx, tx, contractID, target.EventID); err != nil || pid != 0 {
			if err != nil {
				return 0, err
			}
			return 0, fmt.Errorf("event %d is payment %s made through carfin: it is undone by its return or a refund, not a reversal: %w",
				target.EventID, payments.Confirmation(pid), ErrInvalid)
		}
		if rev, err := servicing.Reversed(ctx, tx, target.EventID); err != nil || rev {
			if err != nil {
				return 0, err
			}
			return 0, fmt.Errorf("payment event %d is reversed already: %w", target.EventID, ErrInvalid)
		}
		return amount, nil
	case ReturnReview:
		if target.ReturnID <= 0 || target.AmountCents != 0 || target.EventID != 0 {
			return 0, fmt.Errorf("a return review takes a return only: %w", ErrInvalid)
		}
		if target.Decision != Uphold && target.Decision != Dismiss {
			return 0, fmt.Errorf("a return review's decision is %q or %q: %w", Uphold, Dismiss, ErrInvalid)
		}
		if s.pay == nil {
			return 0, fmt.Errorf("return reviews are not configured: %w", ErrInvalid)
		}
		it, err := s.pay.ReturnForReview(ctx, tx, target.ReturnID)
		if errors.Is(err, payments.ErrNotForReview) || (err == nil && it.ContractID != contractID) {
			return 0, fmt.Errorf("return %d is not a return of contract %d awaiting review: %w", target.ReturnID, contractID, ErrInvalid)
		}
		if err != nil {
			return 0, err
		}
		return it.AmountCents, nil
	}
	return 0, fmt.Errorf("kind %q: %w", kind, ErrInvalid)
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// expireTarget marks expired, in tx, the pending requests for event eventID
// or return returnID (0: none) that are older than Lifetime.
func (s *Service) expireTarget(ctx context.Context, tx *db.Tx, eventID, returnID int64) error {
	_, err := s.expireSelected(ctx, tx, `SELECT `+requestColumns+` FROM approval_requests WHERE status = 'pending' AND expires_at <= $1
		AND (event_id = $2 OR return_id = $3) ORDER BY id`+tx.DB().ForUpdate(), tx.Now(), eventID, returnID)
	return err
}
