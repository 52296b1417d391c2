package payments

import (
	"context"
	"fmt"

	"carfin/audit"
	"carfin/calendar"
	"carfin/db"
)

// Edit changes a scheduled payment: its amount, date or method (the same
// fields as the one-time form; the contract stays).
type Edit struct {
	MethodID int64
	Choice   AmountChoice
	Other    string
	Date     calendar.Date
	IP       string
}

// lockScheduled loads a customer's one-time scheduled payment for a
// change, refusing one past its deadline: the cut-off of the business day
// before it goes out (ErrLocked), and autopay debits, which change through
// the enrolment (ErrLocked).
func (s *Service) lockScheduled(ctx context.Context, tx *db.Tx, customerID, paymentID int64) (Payment, error) {
	var status, kind string
	err := tx.QueryRowContext(ctx, `SELECT status, kind FROM payments WHERE id = $1 AND customer_id = $2`+s.db.ForUpdate(), paymentID, customerID).Scan(&status, &kind)
	if err != nil {
		return Payment{}, fmt.Errorf("payment %d: %w", paymentID, ErrNotFound)
	}
	p, err := s.paymentTx(ctx, tx, customerID, paymentID)
	if err != nil {
		return Payment{}, err
	}
	if Status(status) != StatusScheduled || PaymentKind(kind) != OneTimePayment {
		return Payment{}, fmt.Errorf("payment %s is %s: %w", p.Confirmation, p.StatusText(), ErrLocked)
	}
	if !p.Editable(tx.Now()) {
		return Payment{}, fmt.Errorf("payment %s goes out on %s; changes closed at %s: %w", p.Confirmation, p.Date,
			s.changeDeadline(p.Date).In(s.cfg.Cutoff.Location).Format("2006-01-02 15:04 MST"), ErrLocked)
	}
	return p, nil
}

// EditPayment changes one of the customer's scheduled one-time payments,
// until the cut-off of the business day before it goes out. The new
// amount and date are validated as for a new payment (Quote's errors);
// it returns ErrLocked after the deadline and ErrNotFound for another
// customer's payment. The receipt is rendered again and the customer is
// emailed.
func (s *Service) EditPayment(ctx context.Context, customerID, paymentID int64, e Edit) (Payment, error) {
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		p, err := s.lockScheduled(ctx, tx, customerID, paymentID)
		if err != nil {
			return err
		}
		qt, err := s.quote(ctx, tx, customerID, OneTime{ContractID: p.ContractID, MethodID: e.MethodID, Choice: e.Choice, Other: e.Other, Date: e.Date},
			tx.Now(), paymentID)
		if err != nil {
			return err
		}
		if qt.ChangeDeadline.IsZero() {
			// Moving a payment to a date too close to change again: allowed
			// for ACH (it is a new instruction the customer confirms now),
			// but a card payment dated the earliest date is charged at once
			// by Pay, so it must be made as a new payment.
			if qt.Rail == RailCard {
				return fmt.Errorf("a card payment for %s must be made as a new payment: %w", qt.Date, ErrDate)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE payments SET method_id = $1, rail = $2, amount_cents = $3, fee_cents = $4, scheduled_date = $5,
			updated_at = $6 WHERE id = $7`, e.MethodID, string(qt.Rail), int64(qt.AmountCents), int64(qt.FeeCents), qt.Date, tx.Now(), paymentID); err != nil {
			return fmt.Errorf("update payment: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM payment_receipts WHERE payment_id = $1`, paymentID); err != nil {
			return err
		}
		np, err := s.paymentTx(ctx, tx, customerID, paymentID)
		if err != nil {
			return err
		}
		pdf, err := s.storeReceipt(ctx, tx, np)
		if err != nil {
			return err
		}
		c, err := contactOf(ctx, tx, customerID)
		if err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, c, withReceipt(msgChanged(s.cfg, c, np), np, pdf)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Actor: actorOf(customerID), Action: "payment.edit", Subject: fmt.Sprintf("payment:%d", paymentID), IP: e.IP,
			Details: map[string]string{"amount": qt.AmountCents.String(), "date": qt.Date.String(), "was_amount": p.AmountCents.String(), "was_date": p.Date.String()}})
	})
	if err != nil {
		return Payment{}, fmt.Errorf("edit payment %d: %w", paymentID, err)
	}
	return s.Payment(ctx, customerID, paymentID)
}

// CancelPayment cancels one of the customer's scheduled one-time
// payments, until the cut-off of the business day before it goes out
// (ErrLocked after). The customer is emailed.
func (s *Service) CancelPayment(ctx context.Context, customerID, paymentID int64, ip string) (Payment, error) {
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		p, err := s.lockScheduled(ctx, tx, customerID, paymentID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE payments SET status = 'cancelled', status_reason = 'cancelled by you', updated_at = $1 WHERE id = $2`,
			tx.Now(), paymentID); err != nil {
			return err
		}
		c, err := contactOf(ctx, tx, customerID)
		if err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, c, msgCancelled(s.cfg, c, p)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Actor: actorOf(customerID), Action: "payment.cancel", Subject: fmt.Sprintf("payment:%d", paymentID), IP: ip})
	})
	if err != nil {
		return Payment{}, fmt.Errorf("cancel payment %d: %w", paymentID, err)
	}
	return s.Payment(ctx, customerID, paymentID)
}
