package payments

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"carfin/audit"
	"carfin/calendar"
	"carfin/db"
	"carfin/ledger"
	"carfin/money"
	"carfin/servicing"
)

// Ledger accounts of card payments outside any contract.
const (
	// AccountConvenienceFees is the lender's income from card convenience
	// fees (they are not part of any contract's balance).
	AccountConvenienceFees = "convenience_fee_income"
)

// Reasons recorded on card payments (the portal words them from these).
const (
	reasonProcessorTimeout = "the card processor did not answer"
	// reasonContractPaid: a card payment captured after the contract was
	// paid off; its charge is owed back to the card.
	reasonContractPaid = "the contract is already paid"
	// reasonRefunded replaces reasonContractPaid once the processor has
	// refunded the charge.
	reasonRefunded = "the contract was already paid; the charge was refunded"
)

// cardPayment is what charging a card needs.
type cardPayment struct {
	id, customerID, contractID int64
	status                     Status
	amount, fee                money.Cents
	date                       calendar.Date
	token                      string
	authID, captureID          string
	account                    string
	contractState              string
}

func loadCardPayment(ctx context.Context, q db.Querier, id int64) (cardPayment, error) {
	var p cardPayment
	var status string
	err := q.QueryRowContext(ctx, `SELECT p.id, p.customer_id, p.contract_id, p.status, p.amount_cents, p.fee_cents, p.scheduled_date,
		COALESCE(m.card_token, ''), COALESCE(p.card_auth_id, ''), COALESCE(p.card_capture_id, ''), c.account_number, c.state
		FROM payments p JOIN payment_methods m ON m.id = p.method_id JOIN contracts c ON c.id = p.contract_id
		WHERE p.id = $1 AND p.rail = 'card'`, id).Scan(&p.id, &p.customerID, &p.contractID, &status, &p.amount, &p.fee, &p.date,
		&p.token, &p.authID, &p.captureID, &p.account, &p.contractState)
	p.status = Status(status)
	return p, err
}

// chargeCard moves a card payment forward: a scheduled one is authorized,
// and an authorized one dated today or earlier is captured and posted to
// servicing (card payments are captured on the day they take effect). A
// capture the processor did not answer is retried by the next run. A
// payment that would overpay the contract posts the payoff and the rest
// is owed back to the card: recorded with the posting, refunded right
// after it, and retried by ReverseCards if that fails. A scheduled one
// whose contract was paid off or closed meanwhile is skipped before the
// card is touched, as the NACHA run skips a bank payment. interactive says
// the customer is waiting (Pay): then a decline is returned, not emailed.
func (s *Service) chargeCard(ctx context.Context, id int64, interactive bool) error {
	proc := s.cfg.Processor
	if proc == nil {
		return ErrCardsUnavailable
	}
	p, err := loadCardPayment(ctx, s.db.Read, id)
	if err != nil {
		return fmt.Errorf("card payment %d: %w", id, err)
	}
	if p.status == StatusScheduled && p.contractState != "active" && p.contractState != "matured" {
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE payments SET status = 'skipped', status_reason = $1, updated_at = $2 WHERE id = $3 AND status = 'scheduled'`,
				reasonContractPaid, tx.Now(), id)
			return err
		})
		if err != nil {
			return fmt.Errorf("skip card payment %d: %w", id, err)
		}
		return errCardSkipped
	}
	if p.status == StatusScheduled {
		actx, cancel := context.WithTimeout(ctx, s.processorTimeout())
		auth, err := proc.Authorize(actx, s.authRequest(p))
		cancel()
		if err != nil {
			return s.cardRefused(ctx, p, err, interactive)
		}
		p.authID = auth.ID
		p.status = StatusAuthorized
		err = s.db.InTx(ctx, func(tx *db.Tx) error {
			r, err := tx.ExecContext(ctx, `UPDATE payments SET status = 'authorized', card_auth_id = $1, updated_at = $2 WHERE id = $3 AND status = 'scheduled'`,
				auth.ID, tx.Now(), id)
			if err != nil {
				return err
			}
			// Another request or the nightly run authorized it meanwhile
			// (the processor's idempotency key made it the same
			// authorization): that one told the customer.
			if n, err := r.RowsAffected(); err != nil || n != 1 {
				return err
			}
			if interactive {
				return s.announce(ctx, tx, p.customerID, id)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("record authorization of payment %d: %w", id, err)
		}
	}
	if p.status != StatusAuthorized || p.date > s.cfg.Cutoff.Today(s.db.Now()) {
		return nil
	}
	if p.captureID == "" {
		cctx, cancel := context.WithTimeout(ctx, s.processorTimeout())
		p.captureID, err = proc.Capture(cctx, p.authID, p.amount+p.fee, cardKey(id, "capture"))
		cancel()
		if errors.Is(err, ErrProcessorTimeout) {
			s.log.Warn("card capture timed out; the next run retries", "payment", id)
			return nil
		}
		if err != nil {
			return s.cardRefused(ctx, p, err, interactive)
		}
	}
	var refund money.Cents
	var refundID int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		refund, refundID = 0, 0
		req := servicing.Request{ContractID: p.contractID, Date: p.date, IdempotencyKey: postingKey(id), Actor: actorOf(p.customerID),
			Memo: "card payment " + Confirmation(id)}
		res, err := s.sv.PostPaymentTx(ctx, tx, req, p.amount)
		posted := p.amount
		if errors.Is(err, servicing.ErrOverpayment) || errors.Is(err, servicing.ErrClosed) {
			// More than the contract owes now (another payment came first):
			// post what it owes and give the rest back.
			posted = 0
			if q, qerr := s.sv.QuotePayoffTx(ctx, tx, p.contractID, p.date); qerr == nil && q.PayoffCents > 0 && q.PayoffCents < p.amount {
				posted = q.PayoffCents
				res, err = s.sv.PostPaymentTx(ctx, tx, req, posted)
			} else {
				err = nil
			}
			refund = p.amount - posted
			if posted == 0 {
				refund += p.fee // nothing was paid: the fee goes back too
			}
		}
		if err != nil {
			return fmt.Errorf("post card payment %d: %w", id, err)
		}
		status, reason := StatusSettled, ""
		if posted == 0 {
			// Not "refunded" yet: that is said once the processor has
			// refunded it (reasonRefunded).
			status, reason = StatusFailed, reasonContractPaid
		}
		r, err := tx.ExecContext(ctx, `UPDATE payments SET status = $1, status_reason = $2, card_capture_id = $3, servicing_event_id = $4,
			updated_at = $5 WHERE id = $6 AND status = 'authorized'`, string(status), reason, p.captureID, nullIfZero(res.EventID), tx.Now(), id)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			// Another run (the customer's confirmation and the day's run
			// at once) recorded this capture first: nothing more to do.
			return errCapturedElsewhere
		}
		if refund > 0 {
			// The refund is owed from the moment it is decided: recorded
			// here, it survives a processor failure or a crash after the
			// commit, and ReverseCards retries it until the processor
			// confirms it.
			if refundID, err = owe(ctx, tx, id, reversalRefund, refund); err != nil {
				return err
			}
		}
		fee := p.fee
		if posted == 0 {
			fee = 0
		}
		if fee > 0 {
			if _, _, err := ledger.Post(ctx, tx, &ledger.Transaction{Kind: "convenience_fee", EffectiveDate: p.date,
				IdempotencyKey: "convenience-fee:" + strconv.FormatInt(id, 10), Memo: "card convenience fee " + Confirmation(id),
				Postings: []ledger.Posting{{Account: servicing.AccountCash, AmountCents: fee}, {Account: AccountConvenienceFees, AmountCents: -fee}}}); err != nil {
				return err
			}
		}
		c, err := contactOf(ctx, tx, p.customerID)
		if err != nil {
			return err
		}
		pay, err := s.paymentTx(ctx, tx, p.customerID, id)
		if err != nil {
			return err
		}
		// The customer is told the refund is coming; msgRefunded says it
		// was made once the processor has made it.
		if posted > 0 {
			if err := s.notifyProcessed(ctx, tx, c, processedMessage(s.cfg, c.name, p.account, pay.Confirmation, posted, p.date, pay.MethodLabel, refund),
				processedSMS(s.cfg, "", p.account, pay.Confirmation, posted, p.date)); err != nil {
				return err
			}
		} else if err := s.enqueue(ctx, tx, c, msgFailed(s.cfg, c, pay,
			"the contract was already paid, so the "+refund.Dollars()+" charged will be refunded to your card")); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Actor: "system", Action: "payment.card_captured", Subject: fmt.Sprintf("payment:%d", id),
			Details: map[string]string{"posted": posted.String(), "refund": refund.String()}})
	})
	if errors.Is(err, errCapturedElsewhere) {
		return nil
	}
	if err != nil {
		return err
	}
	if refundID != 0 {
		// A failure leaves the refund owed for the next run: the payment
		// itself is done, so it is not this call's error.
		if _, err := s.reverse(ctx, refundID); err != nil {
			s.log.Error("card refund owed; the next run retries", "payment", id, "err", err)
		}
	}
	return nil
}

// errCardSkipped: a scheduled card payment whose contract was paid off or
// closed before its date; it is skipped, the card never touched.
var errCardSkipped = fmt.Errorf("card payment skipped: %w", ErrContractClosed)

// errCapturedElsewhere rolls back a capture's recording that another run
// made first.
var errCapturedElsewhere = errors.New("capture already recorded")

// cardKey is the idempotency key of a payment's call to the processor (op
// is "authorize", "capture", "void" or "refund"): the same call repeated,
// by a retry or another run, is one call to the processor.
func cardKey(paymentID int64, op string) string {
	return "payment-" + strconv.FormatInt(paymentID, 10) + "-" + op
}

// authRequest is a card payment's authorization. ReverseCards replays it
// to learn an answer that was lost, so it must be the same request every
// time.
func (s *Service) authRequest(p cardPayment) AuthRequest {
	return AuthRequest{Token: p.token, AmountCents: p.amount + p.fee, IdempotencyKey: cardKey(p.id, "authorize"), Description: s.cfg.Origin.CompanyName}
}

func (s *Service) processorTimeout() time.Duration {
	if s.cfg.ProcessorTimeout > 0 {
		return s.cfg.ProcessorTimeout
	}
	return processorTimeout
}

// cardRefused records a declined or failed authorization or capture: the
// payment is declined (or failed when the processor did not answer) and
// nothing is posted. The customer is emailed unless waiting for the answer.
//
// A hold that will not be captured is released: after a refused capture
// the authorization is voided at once; after an authorization whose answer
// was lost (a time-out, or an error that is neither a decline nor a
// refused request) the processor may hold one carfin never heard of, so a
// void is owed too, and the run's ReverseCards replays the authorization
// to find it (not while the customer waits). A failed void stays owed.
// It returns cause.
func (s *Service) cardRefused(ctx context.Context, p cardPayment, cause error, interactive bool) error {
	status, reason := StatusFailed, reasonProcessorTimeout
	switch {
	case errors.Is(cause, ErrCardDeclined):
		status, reason = StatusDeclined, DeclineCode(cause)
	case errors.Is(cause, ErrProcessorTimeout):
	default:
		reason = "the card processor refused the payment"
	}
	owesVoid := p.authID != "" || !errors.Is(cause, ErrCardDeclined) && !errors.Is(cause, ErrProcessorBadRequest)
	var voidID int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		voidID = 0
		// Only from the status this attempt saw: a repeat of the form (or
		// the nightly run) that authorized or posted the payment meanwhile
		// is not undone by this attempt's lost answer.
		r, err := tx.ExecContext(ctx, `UPDATE payments SET status = $1, status_reason = $2, updated_at = $3 WHERE id = $4 AND status = $5`,
			string(status), reason, tx.Now(), p.id, string(p.status))
		if err != nil {
			return err
		}
		if n, err := r.RowsAffected(); err != nil || n != 1 {
			owesVoid = false
			return err
		}
		if owesVoid {
			var err error
			if voidID, err = owe(ctx, tx, p.id, reversalVoid, 0); err != nil {
				return err
			}
		}
		if err := audit.Record(ctx, tx, audit.Event{Actor: "system", Action: "payment.card_" + string(status), Subject: fmt.Sprintf("payment:%d", p.id),
			Details: map[string]string{"reason": reason}}); err != nil {
			return err
		}
		if interactive {
			return nil
		}
		c, err := contactOf(ctx, tx, p.customerID)
		if err != nil {
			return err
		}
		pay, err := s.paymentTx(ctx, tx, p.customerID, p.id)
		if err != nil {
			return err
		}
		code := DeclineCode(cause)
		if status == StatusFailed {
			code = ""
		}
		return s.enqueue(ctx, tx, c, msgDeclined(s.cfg, c, pay, code))
	})
	if err != nil {
		return fmt.Errorf("record refused card payment %d: %w", p.id, err)
	}
	if voidID != 0 && p.authID != "" {
		if _, err := s.reverse(ctx, voidID); err != nil {
			s.log.Error("card void owed; the next run retries", "payment", p.id, "err", err)
		}
	}
	return cause
}

// postingKey is the servicing idempotency key of a payment's posting: a
// payment is posted once however often a run repeats.
func postingKey(paymentID int64) string { return "payment:" + strconv.FormatInt(paymentID, 10) }

func nullIfZero(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
