package servicing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"carfin/db"
	"carfin/finance"
	"carfin/money"
)

// This file holds the in-transaction forms of the operations that staff
// request under a second approver (package approvals): the approval and
// the posting commit together or not at all.

// WaiveFeeTx is WaiveFee inside the caller's transaction. A refused
// waiver (ErrNoFees, ErrAmount, ErrClosed…) leaves tx as it was.
func (sv *Service) WaiveFeeTx(ctx context.Context, tx *db.Tx, r Request, amount money.Cents) (Result, error) {
	return sv.recordIn(ctx, tx, r, Event{Kind: EventFeeWaiver, Date: r.Date, AmountCents: amount})
}

// AdjustTx is Adjust inside the caller's transaction: a signed, non-zero
// change of a loan's principal. It returns ErrInvalid for a zero amount or
// one that would take the principal below zero, ErrWrongKind for a lease;
// a refused adjustment leaves tx as it was.
func (sv *Service) AdjustTx(ctx context.Context, tx *db.Tx, r Request, amount money.Cents) (Result, error) {
	if err := r.validate(); err != nil {
		return Result{}, err
	}
	if amount == 0 || amount > finance.AmountMax || amount < -finance.AmountMax {
		return Result{}, fmt.Errorf("adjustment of %s: %w", amount, ErrInvalid)
	}
	ev := Event{Kind: EventAdjustment, Date: r.Date, AmountCents: amount}
	var res Result
	err := tx.Savepoint(ctx, "servicing_record", func() error {
		var err error
		res, err = sv.recordTx(ctx, tx, eventRequest{ContractID: r.ContractID, Event: ev, Key: r.IdempotencyKey, Actor: r.Actor, Memo: r.Memo})
		return err
	})
	return res, err
}

// EventOf returns the kind, contract and amount of a recorded event, for
// a caller that validates a reversal before asking for it. It returns
// ErrNotFound for an unknown event.
func EventOf(ctx context.Context, q db.Querier, eventID int64) (kind EventKind, contractID int64, amount money.Cents, err error) {
	var k string
	err = q.QueryRowContext(ctx, `SELECT kind, contract_id, amount_cents FROM servicing_events WHERE id = $1`, eventID).Scan(&k, &contractID, &amount)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, 0, fmt.Errorf("event %d: %w", eventID, ErrNotFound)
	}
	if err != nil {
		return "", 0, 0, fmt.Errorf("event %d: %w", eventID, err)
	}
	return EventKind(k), contractID, amount, nil
}

// Reversed reports whether an event has been reversed.
func Reversed(ctx context.Context, q db.Querier, eventID int64) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM servicing_events WHERE kind = 'reversal' AND target_event_id = $1`, eventID).Scan(&n)
	return n > 0, err
}
