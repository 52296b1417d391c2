package payments

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"carfin/audit"
	"carfin/db"
	"carfin/money"
)

// What is owed back to a card (card_reversals.kind): a refund of money a
// payment collected beyond what the contract owed, or a void of an
// authorization that will not be captured.
const (
	reversalRefund = "refund"
	reversalVoid   = "void"
)

// Where a reversal stands (card_reversals.status).
const (
	reversalDue     = "due"     // owed: the next run tries again
	reversalDone    = "done"    // the processor confirmed it
	reversalDropped = "dropped" // a void with nothing left to release
)

const (
	// cardHoldDays: an authorization that is not captured lapses at the
	// issuer after about a week (seven days on most processors for online
	// payments), so a void still owed after that has nothing to release.
	cardHoldDays = 7
	// reversalsPerRunMax bounds the refunds and voids one run attempts;
	// the oldest go first and the rest wait for the next run.
	reversalsPerRunMax = 1000
	// reversalUnansweredMax: after this many attempts in a row that the
	// processor did not answer (a time-out, or a failure that is not a
	// refusal), a run leaves the rest for the next one instead of waiting
	// out every time-out ahead of the day's ACH file.
	reversalUnansweredMax = 3
	// reversalErrorLenMax bounds the processor's error kept on a reversal.
	reversalErrorLenMax = 500
)

// ReversalStats counts what a run did about the refunds and voids owed to
// customers' cards.
type ReversalStats struct {
	Refunded, Voided int
	// Dropped counts voids given up: the processor held nothing to
	// release, or the hold had lapsed.
	Dropped int
	// Failed counts reversals still owed after this run's attempt (the
	// processor refused or did not answer): the next run tries again.
	Failed int
	// Deferred counts reversals owed and not tried by this run: the
	// processor had stopped answering.
	Deferred int
}

// reversalResult is what one attempt at a reversal came to.
type reversalResult struct {
	kind, status string
	// cause is the processor's error when the reversal is still due.
	cause error
}

// owe records a refund or void owed back to a payment's card, in the
// transaction that decides it, so that neither a processor failure nor a
// crash after the commit can lose it. Its idempotency key is the
// payment's (cardKey), and every attempt sends it. It returns the
// reversal's id, or 0 when it was already recorded.
func owe(ctx context.Context, tx *db.Tx, paymentID int64, kind string, amount money.Cents) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO card_reversals (payment_id, kind, amount_cents, idempotency_key, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 'due', $5, $5) ON CONFLICT DO NOTHING RETURNING id`,
		paymentID, kind, int64(amount), cardKey(paymentID, kind), tx.Now()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("record %s owed on payment %d: %w", kind, paymentID, err)
	}
	return id, nil
}

// reversal is a refund or void owed, with its payment.
type reversal struct {
	id        int64
	kind      string
	status    string
	amount    money.Cents
	key       string
	createdAt time.Time
	payment   cardPayment
}

func loadReversal(ctx context.Context, q db.Querier, id int64) (reversal, error) {
	var r reversal
	var paymentID int64
	err := q.QueryRowContext(ctx, `SELECT id, payment_id, kind, status, amount_cents, idempotency_key, created_at FROM card_reversals WHERE id = $1`, id).
		Scan(&r.id, &paymentID, &r.kind, &r.status, &r.amount, &r.key, &r.createdAt)
	if err != nil {
		return r, err
	}
	r.payment, err = loadCardPayment(ctx, q, paymentID)
	return r, err
}

// ReverseCards carries out the refunds and voids owed to customers' cards,
// oldest first, at most reversalsPerRunMax. A processor failure is logged
// and counted, and the reversal stays owed for the next run: each attempt
// sends the same idempotency key, so the processor refunds or voids once
// however often it is asked. It returns only the database's errors.
func (s *Service) ReverseCards(ctx context.Context) (ReversalStats, error) {
	var st ReversalStats
	if s.cfg.Processor == nil {
		return st, nil
	}
	ids, err := db.QueryIDs(ctx, s.db.Read, fmt.Sprintf(`SELECT id FROM card_reversals WHERE status = 'due' ORDER BY id LIMIT %d`, reversalsPerRunMax))
	if err != nil {
		return st, fmt.Errorf("card reversals owed: %w", err)
	}
	unanswered := 0
	for i, id := range ids {
		if unanswered == reversalUnansweredMax {
			st.Deferred = len(ids) - i
			s.log.Warn("card processor not answering; card refunds and voids left for the next run", "left", st.Deferred)
			break
		}
		res, err := s.reverse(ctx, id)
		if err != nil {
			return st, err
		}
		switch {
		case res.status == reversalDue:
			st.Failed++
		case res.status == reversalDropped:
			st.Dropped++
		case res.kind == reversalRefund:
			st.Refunded++
		default:
			st.Voided++
		}
		// A refusal is an answer: only silence counts towards giving up.
		if res.status == reversalDue && !errors.Is(res.cause, ErrProcessorBadRequest) && !errors.Is(res.cause, ErrCardDeclined) {
			unanswered++
		} else {
			unanswered = 0
		}
	}
	return st, nil
}

// reverse asks the processor for one reversal owed and records the
// answer. The result's status is due when the processor refused or did
// not answer (logged; the next run tries again). Its error is the
// database's.
func (s *Service) reverse(ctx context.Context, id int64) (reversalResult, error) {
	r, err := loadReversal(ctx, s.db.Read, id)
	if err != nil {
		return reversalResult{}, fmt.Errorf("card reversal %d: %w", id, err)
	}
	if r.status != reversalDue {
		return reversalResult{kind: r.kind, status: r.status}, nil
	}
	proc := s.cfg.Processor
	switch r.kind {
	case reversalRefund:
		rctx, cancel := context.WithTimeout(ctx, s.processorTimeout())
		refundID, err := proc.Refund(rctx, r.payment.captureID, r.amount, r.key)
		cancel()
		if err != nil {
			return s.reversalFailed(ctx, r, err)
		}
		return s.reversalSettled(ctx, r, reversalDone, refundID, "")
	case reversalVoid:
		if s.db.Now().Sub(r.createdAt) > cardHoldDays*24*time.Hour {
			return s.reversalSettled(ctx, r, reversalDropped, r.payment.authID, "the hold lapsed before it was voided")
		}
		authID := r.payment.authID
		if authID == "" {
			// The authorization's answer was lost. The same request under
			// the same key returns the processor's first answer (or, if
			// the first never arrived, answers it now), and whatever hold
			// it names is voided below.
			actx, cancel := context.WithTimeout(ctx, s.processorTimeout())
			auth, err := proc.Authorize(actx, s.authRequest(r.payment))
			cancel()
			switch {
			case errors.Is(err, ErrCardDeclined), errors.Is(err, ErrProcessorBadRequest):
				return s.reversalSettled(ctx, r, reversalDropped, "", "the authorization was not approved, so nothing is held")
			case err != nil:
				return s.reversalFailed(ctx, r, err)
			}
			authID = auth.ID
		}
		vctx, cancel := context.WithTimeout(ctx, s.processorTimeout())
		err := proc.Void(vctx, authID, r.key)
		cancel()
		switch {
		case errors.Is(err, ErrProcessorBadRequest):
			// The processor holds no such authorization (released or
			// lapsed already): nothing is left to release.
			return s.reversalSettled(ctx, r, reversalDropped, authID, errorText(err))
		case err != nil:
			return s.reversalFailed(ctx, r, err)
		}
		return s.reversalSettled(ctx, r, reversalDone, authID, "")
	}
	panic(fmt.Sprintf("card reversal %d: unknown kind %q", r.id, r.kind))
}

// reversalSettled records the processor's final answer to a reversal: a
// refund marks the payment refunded and tells the customer, in the same
// transaction, so the email exists exactly when the refund does. A
// reversal another run settled first is left as it is.
func (s *Service) reversalSettled(ctx context.Context, r reversal, status, processorID, note string) (reversalResult, error) {
	p := r.payment
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE card_reversals SET status = $1, processor_id = $2, last_error = $3, attempts = attempts + 1,
			updated_at = $4, done_at = $4 WHERE id = $5 AND status = 'due'`, status, processorID, note, tx.Now(), r.id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		action := "payment.card_void_dropped"
		if status == reversalDone {
			action = "payment.card_voided"
		}
		if r.kind == reversalRefund {
			action = "payment.card_refunded"
			if _, err := tx.ExecContext(ctx, `UPDATE payments SET refunded_cents = refunded_cents + $1,
				status_reason = CASE WHEN status_reason = $2 THEN $3 ELSE status_reason END, updated_at = $4 WHERE id = $5`,
				int64(r.amount), reasonContractPaid, reasonRefunded, tx.Now(), p.id); err != nil {
				return err
			}
			c, err := contactOf(ctx, tx, p.customerID)
			if err != nil {
				return err
			}
			pay, err := s.paymentTx(ctx, tx, p.customerID, p.id)
			if err != nil {
				return err
			}
			if err := s.enqueue(ctx, tx, c, msgRefunded(s.cfg, c, pay, r.amount)); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Event{Actor: "system", Action: action, Subject: fmt.Sprintf("payment:%d", p.id),
			Details: map[string]string{"amount": r.amount.String(), "processor_id": processorID, "note": note}})
	})
	if err != nil {
		return reversalResult{kind: r.kind, status: reversalDue}, fmt.Errorf("record %s of payment %d: %w", r.kind, p.id, err)
	}
	return reversalResult{kind: r.kind, status: status}, nil
}

// reversalFailed records a failed attempt at a reversal, which stays owed.
func (s *Service) reversalFailed(ctx context.Context, r reversal, cause error) (reversalResult, error) {
	log := s.log.Warn
	if r.kind == reversalRefund {
		// Money the customer is owed: someone should look if it persists.
		log = s.log.Error
	}
	log("card "+r.kind+" failed; the next run retries", "payment", r.payment.id, "amount", r.amount.String(), "err", cause)
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE card_reversals SET attempts = attempts + 1, last_error = $1, updated_at = $2 WHERE id = $3 AND status = 'due'`,
			errorText(cause), tx.Now(), r.id)
		return err
	})
	res := reversalResult{kind: r.kind, status: reversalDue, cause: cause}
	if err != nil {
		return res, fmt.Errorf("record failed %s of payment %d: %w", r.kind, r.payment.id, err)
	}
	return res, nil
}

// errorText is err's message, at most reversalErrorLenMax bytes (cut on a
// character boundary: PostgreSQL refuses invalid UTF-8).
func errorText(err error) string {
	s := err.Error()
	if len(s) > reversalErrorLenMax {
		s = strings.ToValidUTF8(s[:reversalErrorLenMax], "")
	}
	return s
}
