package payments

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"carfin/db"
	"carfin/money"
	"carfin/payments/ach"
	"carfin/servicing"
)

// The staff review of a flagged return (ReturnsForReview) ends in a
// decision, taken under a second approver (package approvals):
//
//   - uphold: the return of the payment stands, so the payment did not
//     happen. A payment the return left as it was (a dishonored or
//     contested dishonored return, R61–R77, which changes nothing on
//     import) is reversed now as a return reverses it: in servicing as of
//     today, out of ACH transit if it had not settled, marked returned, and
//     the customer told. A payment already reversed (an unauthorized
//     debit, R05, R07, R10, R11, R29, R51) stays reversed.
//   - dismiss: the payment stands; nothing is posted.
//
// Either way the return leaves the review queue, with the decision in its
// action text.

// ErrNotForReview is returned for a return that is not awaiting review
// (reviewed already, never flagged, a notification of change or a
// refused debit, which are not returns of a payment).
var ErrNotForReview = errors.New("the return is not awaiting review")

// ReviewItem is a flagged return as the approval of its review needs it.
type ReviewItem struct {
	ID         int64
	PaymentID  int64
	ContractID int64
	Code       string
	Title      string
	// AmountCents is the returned payment's amount.
	AmountCents money.Cents
	// Reversed: the payment is already reversed (status returned).
	Reversed bool
}

// ReturnForReview returns the flagged return id, reading with q. It
// returns ErrNotForReview for a return that is not a payment's return
// awaiting review.
func (s *Service) ReturnForReview(ctx context.Context, q db.Querier, id int64) (ReviewItem, error) {
	it := ReviewItem{ID: id}
	var status string
	err := q.QueryRowContext(ctx, `SELECT p.id, p.contract_id, r.code, r.title, p.amount_cents, p.status FROM ach_returns r JOIN payments p ON p.id = r.payment_id
		WHERE r.id = $1 AND r.kind = 'return' AND r.review_required = 1`, id).Scan(&it.PaymentID, &it.ContractID, &it.Code, &it.Title, &it.AmountCents, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return ReviewItem{}, fmt.Errorf("return %d: %w", id, ErrNotForReview)
	}
	if err != nil {
		return ReviewItem{}, fmt.Errorf("return %d: %w", id, err)
	}
	it.Reversed = Status(status) == StatusReturned
	return it, nil
}

// ResolveReturnTx records the decision of a flagged return's review in the
// caller's transaction: uphold reverses a payment not yet reversed (under
// idempotency key key, by actor), dismiss posts nothing. It returns the
// servicing event of the reversal it posted (0 if none), ErrNotForReview if
// the return is not awaiting review (a second decision changes nothing).
func (s *Service) ResolveReturnTx(ctx context.Context, tx *db.Tx, id int64, uphold bool, key, actor, memo string) (int64, error) {
	it, err := s.ReturnForReview(ctx, tx, id)
	if err != nil {
		return 0, err
	}
	what := " Reviewed: the payment stands."
	if uphold {
		what = " Reviewed: the return stands."
	}
	res, err := tx.ExecContext(ctx, `UPDATE ach_returns SET review_required = 0, action = action || $1 WHERE id = $2 AND review_required = 1`, what, id)
	if err != nil {
		return 0, fmt.Errorf("review return %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return 0, fmt.Errorf("return %d: %w", id, ErrNotForReview)
	}
	if !uphold || it.Reversed {
		return 0, nil
	}
	var p sentPayment
	var status string
	if err := tx.QueryRowContext(ctx, `SELECT customer_id, contract_id, COALESCE(servicing_event_id, 0), status, amount_cents FROM payments WHERE id = $1`,
		it.PaymentID).Scan(&p.customerID, &p.contractID, &p.eventID, &status, &p.amount); err != nil {
		return 0, fmt.Errorf("payment %d: %w", it.PaymentID, err)
	}
	p.id, p.status = it.PaymentID, Status(status)
	today := s.today(tx)
	reason := ach.Reason(it.Code)
	var eventID int64
	if p.eventID != 0 {
		r, err := s.sv.ReverseTx(ctx, tx, servicing.Request{ContractID: p.contractID, Date: today, IdempotencyKey: key,
			Actor: actor, Memo: clipText(it.Code+" "+reason.Title+" "+Confirmation(p.id)+": "+memo, 500)}, p.eventID)
		if err != nil && !errors.Is(err, servicing.ErrAlreadyReversed) {
			return 0, fmt.Errorf("reverse payment %d: %w", p.id, err)
		}
		eventID = r.EventID
		if p.status == StatusPending {
			if err := postTransit(ctx, tx, "ach-returned:"+strconv.FormatInt(p.id, 10), today, p.amount, false,
				it.Code+" return of "+Confirmation(p.id)+" upheld"); err != nil {
				return 0, err
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE payments SET status = 'returned', return_code = $1, status_reason = $2, updated_at = $3 WHERE id = $4`,
		it.Code, reason.Title, tx.Now(), p.id); err != nil {
		return 0, err
	}
	c, err := contactOf(ctx, tx, p.customerID)
	if err != nil {
		return 0, err
	}
	pay, err := s.paymentTx(ctx, tx, p.customerID, p.id)
	if err != nil {
		return 0, err
	}
	if err := s.enqueue(ctx, tx, c, msgReturned(s.cfg, c, pay, reason, []phrase{{key: "action.pay_again"}})); err != nil {
		return 0, err
	}
	return eventID, nil
}

// clipText cuts s to at most n bytes, never inside a character.
func clipText(s string, n int) string {
	if len(s) > n {
		return strings.ToValidUTF8(s[:n], "")
	}
	return s
}

// PaymentOfEvent returns the payment (of contract contractID) whose
// posting is servicing event eventID, or 0 when the event is not a
// payment made through carfin's payments (a check posted by staff, an
// imported payment). Reversing such an event in servicing alone would
// leave the payment, its ACH transit and its card settlement as they
// were: its reversal is a return or a refund, not a bare reversal.
func PaymentOfEvent(ctx context.Context, q db.Querier, contractID, eventID int64) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM payments WHERE contract_id = $1 AND servicing_event_id = $2`, contractID, eventID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("payment of event %d: %w", eventID, err)
	}
	return id, nil
}
