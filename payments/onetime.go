package payments

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"carfin/audit"
	"carfin/calendar"
	"carfin/db"
	"carfin/money"
	"carfin/servicing"
)

// AmountChoice is what the customer picked on the amount step.
type AmountChoice string

const (
	PayAmountDue AmountChoice = "due"      // past due plus the current installment, and fees
	PayPastDue   AmountChoice = "past_due" // only what is past due, and fees
	PayPayoff    AmountChoice = "payoff"   // everything, on the payment's date
	PayOther     AmountChoice = "other"    // an amount the customer types
)

// Options is what the one-time payment form offers for a contract.
type Options struct {
	ContractID      int64
	ContractAccount string
	// AmountDueCents, PastDueCents, FeesCents, NextDue and DaysPastDue are
	// what every page shows (servicing.Service.Owed, the dashboard's rule):
	// the amount due is what is past due, the next installment (due on
	// NextDue) and fees; past due counts installments whose due date has
	// passed (0: nothing is past due). PayoffCents: what pays the contract
	// off with a payment dated Earliest, less the payments already
	// scheduled on or before it (PayoffScheduledCents).
	AmountDueCents       money.Cents
	PastDueCents         money.Cents
	FeesCents            money.Cents
	DaysPastDue          int
	PayoffCents          money.Cents
	PayoffScheduledCents money.Cents
	InstallmentCents     money.Cents
	NextDue              calendar.Date
	// Earliest is the effective date of a payment made now (today, or the
	// next business day after the cut-off or on a non-business day);
	// Latest the last date a payment may be scheduled for (the next due
	// date + 30 days). Dates in between must be business days.
	Earliest calendar.Date
	Latest   calendar.Date
	// Cutoff is today's cut-off (zero on a non-business day).
	Cutoff time.Time
	// Methods are the customer's methods; Usable says which can pay now.
	Methods []Method
	// CardFeeCents is the convenience fee on a card payment.
	CardFeeCents money.Cents
	// Scheduled sums the payments already scheduled for this contract.
	ScheduledCents money.Cents
}

// DateAllowed reports whether a payment may be dated d.
func (o Options) DateAllowed(d calendar.Date) bool {
	return d == o.Earliest || d > o.Earliest && d <= o.Latest && calendar.IsBusinessDay(d)
}

// contractRow is what payments read about a contract.
type contractRow struct {
	id             int64
	account        string
	kind           string
	state          string
	paymentCents   money.Cents
	nextUnpaid     int
	nextUnpaidDue  calendar.Date
	installments   []installment
	scheduledCents money.Cents
}

type installment struct {
	number     int
	due        calendar.Date
	amount     money.Cents
	cumulative money.Cents
}

// loadContract reads a customer's contract, or ErrNotFound.
func loadContract(ctx context.Context, q db.Querier, customerID, contractID int64) (*contractRow, error) {
	c := &contractRow{id: contractID}
	var nextDue sql.Null[calendar.Date]
	// The payments already scheduled come in the same round trip.
	err := q.QueryRowContext(ctx, `SELECT c.account_number, c.kind, c.state, c.payment_cents, b.next_unpaid_number, b.next_unpaid_due,
		(SELECT COALESCE(SUM(p.amount_cents), 0) FROM payments p WHERE p.contract_id = c.id AND p.status IN ('scheduled', 'authorized'))
		FROM contracts c JOIN contract_balances b ON b.contract_id = c.id WHERE c.id = $1 AND c.customer_id = $2`, contractID, customerID).
		Scan(&c.account, &c.kind, &c.state, &c.paymentCents, &c.nextUnpaid, &nextDue, &c.scheduledCents)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("contract %d: %w", contractID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("contract %d: %w", contractID, err)
	}
	c.nextUnpaidDue = nextDue.V
	rows, err := q.QueryContext(ctx, `SELECT number, due_date, amount_cents, cumulative_cents FROM installments WHERE contract_id = $1 ORDER BY number`, contractID)
	if err != nil {
		return nil, fmt.Errorf("installments of contract %d: %w", contractID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var in installment
		if err := rows.Scan(&in.number, &in.due, &in.amount, &in.cumulative); err != nil {
			return nil, err
		}
		c.installments = append(c.installments, in)
	}
	return c, rows.Err()
}

func (c *contractRow) open() bool { return c.state == "active" || c.state == "matured" }

// Options returns what the payment form offers for one of the customer's
// contracts. It returns ErrNotFound or ErrContractClosed.
func (s *Service) Options(ctx context.Context, customerID, contractID int64) (Options, error) {
	c, err := loadContract(ctx, s.db.Read, customerID, contractID)
	if err != nil {
		return Options{}, err
	}
	return s.optionsOf(ctx, customerID, c, s.db.Now())
}

func (s *Service) optionsOf(ctx context.Context, customerID int64, c *contractRow, now time.Time) (Options, error) {
	if !c.open() {
		return Options{}, fmt.Errorf("contract %s is %s: %w", c.account, c.state, ErrContractClosed)
	}
	today := s.cfg.Cutoff.Today(now)
	o := Options{ContractID: c.id, ContractAccount: c.account, InstallmentCents: c.paymentCents,
		Earliest: s.cfg.Cutoff.EffectiveDate(now), CardFeeCents: s.cfg.ConvenienceFeeCents, ScheduledCents: c.scheduledCents}
	if calendar.IsBusinessDay(today) {
		o.Cutoff = s.cfg.Cutoff.Deadline(today).UTC()
	}
	owed, err := s.sv.Owed(ctx, s.db.Read, c.id, today)
	if err != nil {
		return Options{}, fmt.Errorf("amounts of %s: %w", c.account, mapServicingErr(err))
	}
	o.AmountDueCents, o.PastDueCents, o.FeesCents, o.DaysPastDue, o.NextDue = owed.AmountDueCents, owed.PastDueCents, owed.FeesCents,
		owed.DaysPastDue, owed.NextDue
	if o.PayoffCents, o.PayoffScheduledCents, _, err = s.payoffLeft(ctx, s.db.Read, c.id, o.Earliest, 0); err != nil {
		return Options{}, fmt.Errorf("payoff of %s: %w", c.account, mapServicingErr(err))
	}
	o.Latest = latestDate(c, today, o.Earliest)
	methods, err := s.methodsOf(ctx, s.db.Read, customerID)
	if err != nil {
		return Options{}, err
	}
	o.Methods = methods
	return o, nil
}

// latestDate is the last date a one-time payment may take: the next
// unpaid due date (or today, if that has passed) plus
// scheduleDaysAfterDue.
func latestDate(c *contractRow, today, earliest calendar.Date) calendar.Date {
	anchor := c.nextUnpaidDue
	if anchor.IsZero() || anchor < today {
		anchor = today
	}
	return max(anchor+scheduleDaysAfterDue, earliest)
}

// payoffLeft is what pays a contract off with a payment dated d: the
// payoff on d less the payments already scheduled on or before d, which
// go out first; it also returns their sum and the whole payoff on d.
// Payments scheduled after d are not counted: by their date the contract
// is paid off, and the run skips them. exclude is a scheduled payment
// being changed. left is 0, not negative, when the scheduled payments
// cover the payoff.
func (s *Service) payoffLeft(ctx context.Context, q db.Querier, contractID int64, d calendar.Date, exclude int64) (left, scheduled, payoff money.Cents, err error) {
	var qt servicing.Quote
	if tx, ok := q.(*db.Tx); ok {
		qt, err = s.sv.QuotePayoffTx(ctx, tx, contractID, d)
	} else {
		qt, err = s.sv.QuotePayoff(ctx, contractID, d)
	}
	if err != nil {
		return 0, 0, 0, err
	}
	if scheduled, err = scheduledThrough(ctx, q, contractID, d, exclude); err != nil {
		return 0, 0, 0, err
	}
	return max(0, qt.PayoffCents-scheduled), scheduled, qt.PayoffCents, nil
}

// ScheduledThrough sums the payments of a contract scheduled (or
// authorized, for cards) and not yet gone out, dated on or before
// through: what a payoff on that date need not collect again. Payoff
// quotes state it, and the payment form's payoff amount leaves it out.
func ScheduledThrough(ctx context.Context, q db.Querier, contractID int64, through calendar.Date) (money.Cents, error) {
	return scheduledThrough(ctx, q, contractID, through, 0)
}

func scheduledThrough(ctx context.Context, q db.Querier, contractID int64, through calendar.Date, exclude int64) (money.Cents, error) {
	var sum money.Cents
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(amount_cents), 0) FROM payments
		WHERE contract_id = $1 AND status IN ('scheduled', 'authorized') AND scheduled_date <= $2 AND id <> $3`,
		contractID, through, exclude).Scan(&sum); err != nil {
		return 0, fmt.Errorf("payments scheduled by %s: %w", through, err)
	}
	return sum, nil
}

// mapServicingErr turns servicing's refusals into payments' errors.
func mapServicingErr(err error) error {
	switch {
	case errors.Is(err, servicing.ErrClosed):
		return fmt.Errorf("%w: %w", ErrContractClosed, err)
	case errors.Is(err, servicing.ErrNotFound):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case errors.Is(err, servicing.ErrOverpayment):
		return fmt.Errorf("%w: %w", ErrOverPayoff, err)
	}
	return err
}

// OneTime is the one-time payment form.
type OneTime struct {
	ContractID int64
	MethodID   int64
	Choice     AmountChoice
	// Other is the typed amount when Choice is PayOther ("250.00").
	Other string
	// Date is the payment date; zero means the earliest (today, or the
	// next business day after the cut-off).
	Date calendar.Date
	// IdempotencyKey comes from the form (a random value rendered into
	// it): submitting the same form twice makes one payment.
	IdempotencyKey string
	IP             string
	// Again confirms a second payment identical to one made in the last
	// DuplicateWindow (Quote.Recent); without it Pay refuses it with
	// ErrDuplicatePayment.
	Again bool
}

// Quote is the review step: what Pay would do.
type Quote struct {
	ContractID      int64
	ContractAccount string
	Method          Method
	Rail            Rail
	AmountCents     money.Cents
	FeeCents        money.Cents
	TotalCents      money.Cents
	// Date is the effective date; Today whether it goes out today.
	Date  calendar.Date
	Today bool
	// ChangeDeadline: until when the payment can be changed or cancelled
	// (zero: it cannot be, it goes out too soon).
	ChangeDeadline time.Time
	PayoffCents    money.Cents
	// Late is the late fee the payment's date brings (zero FeeCents: none).
	Late LateWarning
	// Recent is a payment identical to this one (contract, method, amount,
	// date) made in the last DuplicateWindow, or nil.
	Recent *Payment
}

// LateWarning says that a payment dated after an installment's grace
// period comes too late to spare its late fee: FeeCents is what the
// servicing engine will charge by the payment's date (its own fee rule,
// with the payments already scheduled counted), for the installment due
// on DueDate whose grace ends on GraceEnds. PayBy is the last date this
// payment can take that avoids it (the last day of grace, or the business
// day before it; zero when no such date is left).
type LateWarning struct {
	FeeCents  money.Cents
	DueDate   calendar.Date
	GraceEnds calendar.Date
	PayBy     calendar.Date
}

// Quote validates a one-time payment and says what it would be, without
// recording anything: with the late fee its date brings (Late) and an
// identical payment made minutes ago (Recent). It returns ErrNotFound
// (contract or method), ErrContractClosed, ErrAmount (≤ 0, more than two
// decimals, malformed, or nothing left to pay off), ErrOverPayoff (more
// than the payoff on that date, less what is already scheduled by then),
// ErrDate (not today, not a business day, after the next due date + 30
// days), ErrNotValidated or ErrMethodUnusable, ErrCardExpired,
// ErrCardsUnavailable.
func (s *Service) Quote(ctx context.Context, customerID int64, f OneTime) (Quote, error) {
	return s.quote(ctx, s.db.Read, customerID, f, s.db.Now(), 0)
}

// quote validates f at instant now; exclude is a scheduled payment being
// edited (its amount does not count as already scheduled).
func (s *Service) quote(ctx context.Context, q db.Querier, customerID int64, f OneTime, now time.Time, exclude int64) (Quote, error) {
	c, err := loadContract(ctx, q, customerID, f.ContractID)
	if err != nil {
		return Quote{}, err
	}
	if !c.open() {
		return Quote{}, fmt.Errorf("contract %s is %s: %w", c.account, c.state, ErrContractClosed)
	}
	m, err := s.methodTx(ctx, q, customerID, f.MethodID)
	if err != nil {
		return Quote{}, err
	}
	today := s.cfg.Cutoff.Today(now)
	if err := m.Usable(today); err != nil {
		return Quote{}, err
	}
	if m.Kind == KindCard && s.cfg.Processor == nil {
		return Quote{}, ErrCardsUnavailable
	}
	earliest := s.cfg.Cutoff.EffectiveDate(now)
	date := f.Date
	if date.IsZero() {
		date = earliest
	}
	latest := latestDate(c, today, earliest)
	switch {
	case date < earliest:
		return Quote{}, fmt.Errorf("%s is before the earliest date %s: %w", date, earliest, ErrDate)
	case date > latest:
		return Quote{}, fmt.Errorf("%s is after the latest date %s: %w", date, latest, ErrDate)
	case date != earliest && !calendar.IsBusinessDay(date):
		return Quote{}, fmt.Errorf("%s is not a business day: %w", date, ErrDate)
	}
	room, scheduled, payoff, err := s.payoffLeft(ctx, q, c.id, date, exclude)
	if err != nil {
		return Quote{}, fmt.Errorf("payoff: %w", mapServicingErr(err))
	}
	owed, err := s.sv.Owed(ctx, q, c.id, today)
	if err != nil {
		return Quote{}, fmt.Errorf("amounts: %w", mapServicingErr(err))
	}
	var amount money.Cents
	switch f.Choice {
	case PayAmountDue:
		amount = min(owed.AmountDueCents, room)
	case PayPastDue:
		amount = min(owed.PastDueCents, room)
	case PayPayoff:
		amount = room
	case PayOther:
		amount, err = money.Parse(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(f.Other), "$")))
		if err != nil {
			return Quote{}, fmt.Errorf("amount %q: %w: %w", f.Other, ErrAmount, err)
		}
	default:
		return Quote{}, fmt.Errorf("amount choice %q: %w", f.Choice, ErrAmount)
	}
	if amount <= 0 {
		return Quote{}, fmt.Errorf("amount %s: %w", amount, ErrAmount)
	}
	if amount > room {
		return Quote{}, fmt.Errorf("%s is more than the payoff on %s less %s already scheduled by then: %w",
			amount.Dollars(), date, scheduled.Dollars(), ErrOverPayoff)
	}
	qt := Quote{ContractID: c.id, ContractAccount: c.account, Method: m, Rail: RailACH, AmountCents: amount, Date: date,
		Today: date == today, PayoffCents: payoff}
	if m.Kind == KindCard {
		qt.Rail = RailCard
		qt.FeeCents = s.cfg.ConvenienceFeeCents
	}
	qt.TotalCents = qt.AmountCents + qt.FeeCents
	if deadline := s.changeDeadline(date); now.Before(deadline) {
		qt.ChangeDeadline = deadline
	}
	if qt.Late, err = s.lateWarning(ctx, q, c.id, today, earliest, latest, date, exclude); err != nil {
		return Quote{}, err
	}
	if qt.Recent, err = s.recentTwin(ctx, q, customerID, qt, now, exclude); err != nil {
		return Quote{}, err
	}
	return qt, nil
}

// lateWarning is the late fee a payment dated date brings, from the
// servicing engine with the contract's other scheduled payments counted,
// and the last date in [earliest, latest] a payment can take to avoid it.
func (s *Service) lateWarning(ctx context.Context, q db.Querier, contractID int64, today, earliest, latest, date calendar.Date, exclude int64) (LateWarning, error) {
	rows, err := q.QueryContext(ctx, `SELECT scheduled_date, amount_cents FROM payments
		WHERE contract_id = $1 AND status IN ('scheduled', 'authorized') AND scheduled_date < $2 AND id <> $3
		ORDER BY scheduled_date, id LIMIT `+strconv.Itoa(lateScheduledMax), contractID, date, exclude)
	if err != nil {
		return LateWarning{}, fmt.Errorf("scheduled payments: %w", err)
	}
	var planned []servicing.Planned
	for rows.Next() {
		var p servicing.Planned
		if err := rows.Scan(&p.Date, &p.AmountCents); err != nil {
			rows.Close()
			return LateWarning{}, err
		}
		planned = append(planned, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return LateWarning{}, err
	}
	n, err := s.sv.LateFeesBy(ctx, q, contractID, today, date, planned)
	if err != nil || n.FeeCents == 0 {
		return LateWarning{}, mapServicingErr(err)
	}
	w := LateWarning{FeeCents: n.FeeCents, DueDate: n.Due.Date, GraceEnds: n.GraceEnds}
	for d := min(n.GraceEnds, latest); d >= earliest; d-- {
		if d == earliest || calendar.IsBusinessDay(d) {
			w.PayBy = d
			break
		}
	}
	return w, nil
}

// recentTwin returns the customer's one-time payment identical to qt
// (contract, method, amount and date) made since DuplicateWindow before
// now and still standing, or nil. exclude is a payment being changed.
func (s *Service) recentTwin(ctx context.Context, q db.Querier, customerID int64, qt Quote, now time.Time, exclude int64) (*Payment, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM payments WHERE contract_id = $1 AND scheduled_date = $2 AND customer_id = $3
		AND method_id = $4 AND amount_cents = $5 AND kind = 'one_time' AND created_at >= $6 AND id <> $7
		AND status IN ('scheduled', 'authorized', 'pending', 'settled')
		ORDER BY id DESC LIMIT 1`, qt.ContractID, qt.Date, customerID, qt.Method.ID, int64(qt.AmountCents), now.Add(-DuplicateWindow).UTC(), exclude).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("recent payments: %w", err)
	}
	p, err := s.paymentTx(ctx, q, customerID, id)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// requestHash identifies a one-time payment form, for idempotency: the
// same key with another form is a conflict, not a repeat.
func (f OneTime) requestHash() string {
	h := sha256.Sum256(fmt.Appendf(nil, "%d|%d|%s|%s|%s", f.ContractID, f.MethodID, f.Choice, strings.TrimSpace(f.Other), f.Date))
	return hex.EncodeToString(h[:])
}

// Pay confirms a one-time payment. A bank payment is recorded as
// scheduled for its date and goes out in that day's NACHA file; a card
// payment dated the earliest date is authorized now (and captured and
// posted now if that is today), a later one on its date. The receipt
// PDF is stored, and the customer is emailed. Submitting the same
// IdempotencyKey again returns the first payment (Duplicate set) without
// paying twice; with a different form it returns ErrIdempotencyConflict.
// A payment identical to one made in the last DuplicateWindow (Quote.Recent:
// the browser's Back button and a second confirmation) is refused with
// ErrDuplicatePayment unless f.Again confirms it.
// It returns Quote's errors, and for cards ErrCardDeclined (a *Decline
// says why) or ErrProcessorTimeout, with nothing posted.
func (s *Service) Pay(ctx context.Context, customerID int64, f OneTime) (Payment, error) {
	if f.IdempotencyKey == "" || len(f.IdempotencyKey) > keyLenMax {
		return Payment{}, fmt.Errorf("pay: idempotency key must be 1–%d characters: %w", keyLenMax, ErrIdempotencyConflict)
	}
	if p, ok, err := s.repeated(ctx, customerID, f.IdempotencyKey, f.requestHash()); err != nil || ok {
		if err == nil {
			return s.finishCard(ctx, customerID, p)
		}
		return p, err
	}
	var id int64
	var qt Quote
	var cardNow bool
	var made Payment
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		qt, err = s.quote(ctx, tx, customerID, f, tx.Now(), 0)
		if err != nil {
			return err
		}
		if qt.Recent != nil && !f.Again {
			// The same form submitted twice at once (a double click) made
			// it: that is a repeat, answered with the first payment.
			var same int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM payments WHERE customer_id = $1 AND idempotency_key = $2`,
				customerID, f.IdempotencyKey).Scan(&same); err != nil {
				return err
			}
			if same > 0 {
				return errRepeated
			}
			return fmt.Errorf("%s on %s like %s: %w", qt.AmountCents.Dollars(), qt.Date, qt.Recent.Confirmation, ErrDuplicatePayment)
		}
		now := tx.Now()
		err = tx.QueryRowContext(ctx, `INSERT INTO payments (customer_id, contract_id, method_id, kind, rail, status, amount_cents, fee_cents,
			scheduled_date, sec_code, idempotency_key, request_hash, created_at, updated_at)
			VALUES ($1, $2, $3, 'one_time', $4, 'scheduled', $5, $6, $7, 'WEB', $8, $9, $10, $10) RETURNING id`,
			customerID, f.ContractID, f.MethodID, string(qt.Rail), int64(qt.AmountCents), int64(qt.FeeCents), qt.Date,
			f.IdempotencyKey, f.requestHash(), now).Scan(&id)
		if db.IsUniqueViolation(err) {
			return errRepeated
		}
		if err != nil {
			return fmt.Errorf("insert payment: %w", err)
		}
		// The card is authorized first; the customer hears once it is.
		if cardNow = qt.Rail == RailCard && qt.Date == s.cfg.Cutoff.EffectiveDate(now); !cardNow {
			made = s.recorded(id, customerID, qt, now)
			if err := s.announcePayment(ctx, tx, customerID, made); err != nil {
				return err
			}
		}
		// Last: the audit log's head row is held until the commit.
		return audit.Record(ctx, tx, audit.Event{Actor: actorOf(customerID), Action: "payment.create", Subject: fmt.Sprintf("payment:%d", id), IP: f.IP,
			Details: map[string]string{"amount": qt.AmountCents.String(), "date": qt.Date.String(), "rail": string(qt.Rail), "contract": qt.ContractAccount}})
	})
	if errors.Is(err, errRepeated) {
		p, _, err := s.repeated(ctx, customerID, f.IdempotencyKey, f.requestHash())
		if err == nil {
			return s.finishCard(ctx, customerID, p)
		}
		return p, err
	}
	if err != nil {
		return Payment{}, fmt.Errorf("pay: %w", err)
	}
	if !cardNow {
		return made, nil
	}
	if err := s.chargeCard(ctx, id, true); err != nil {
		p, _ := s.Payment(ctx, customerID, id)
		return p, fmt.Errorf("pay: %w", err)
	}
	return s.Payment(ctx, customerID, id)
}

// finishCard completes a repeated Pay whose first request recorded a card
// payment due now but never authorized it (its process died between the
// two, or it is still at the processor): the repeat authorizes it, with
// the same processor idempotency key, so the customer who sends the form
// again is charged once and told once. Any other payment is returned as
// it is.
func (s *Service) finishCard(ctx context.Context, customerID int64, p Payment) (Payment, error) {
	if p.Rail != RailCard || p.Status != StatusScheduled || p.Date > s.cfg.Cutoff.EffectiveDate(s.db.Now()) {
		return p, nil
	}
	err := s.chargeCard(ctx, p.ID, true)
	q, qerr := s.Payment(ctx, customerID, p.ID)
	if qerr != nil {
		return p, qerr
	}
	q.Duplicate = true
	if err != nil {
		return q, fmt.Errorf("pay: %w", err)
	}
	return q, nil
}

// recorded is the payment Pay just inserted (scheduled, one-time), as
// paymentTx would read it back: the quote already holds the contract and
// the method, so the payment path saves the round trips.
func (s *Service) recorded(id, customerID int64, qt Quote, now time.Time) Payment {
	m := qt.Method
	return Payment{ID: id, Confirmation: Confirmation(id), CustomerID: customerID, ContractID: qt.ContractID, ContractAccount: qt.ContractAccount,
		MethodID: m.ID, MethodLabel: m.Label(), PaidFrom: m, Rail: qt.Rail, Kind: OneTimePayment, Status: StatusScheduled,
		AmountCents: qt.AmountCents, FeeCents: qt.FeeCents, Date: qt.Date, Presentment: 1, CreatedAt: now.UTC(),
		ChangeDeadline: s.changeDeadline(qt.Date)}
}

// errRepeated: a concurrent request with the same key won the race.
var errRepeated = errors.New("repeated request")

// repeated returns the payment an idempotency key already made, if any:
// ok with the payment (Duplicate set) for the same request, or
// ErrIdempotencyConflict for another. A repeated card payment that was
// declined returns its decline again.
func (s *Service) repeated(ctx context.Context, customerID int64, key, hash string) (Payment, bool, error) {
	var id int64
	var prevHash, status, reason string
	err := s.db.Read.QueryRowContext(ctx, `SELECT id, request_hash, status, status_reason FROM payments WHERE customer_id = $1 AND idempotency_key = $2`,
		customerID, key).Scan(&id, &prevHash, &status, &reason)
	if errors.Is(err, sql.ErrNoRows) {
		return Payment{}, false, nil
	}
	if err != nil {
		return Payment{}, false, err
	}
	if prevHash != hash {
		return Payment{}, false, fmt.Errorf("pay: %w", ErrIdempotencyConflict)
	}
	p, err := s.Payment(ctx, customerID, id)
	if err != nil {
		return Payment{}, false, err
	}
	p.Duplicate = true
	switch Status(status) {
	case StatusDeclined:
		return p, true, fmt.Errorf("pay: %w", &Decline{Code: reason, Message: declineText(reason)})
	case StatusFailed:
		if reason == reasonProcessorTimeout {
			return p, true, fmt.Errorf("pay: %w", ErrProcessorTimeout)
		}
	}
	return p, true, nil
}

// announce renders and stores the receipt and emails the customer that
// the payment is scheduled (or received), with the receipt attached, in
// tx.
func (s *Service) announce(ctx context.Context, tx *db.Tx, customerID, paymentID int64) error {
	p, err := s.paymentTx(ctx, tx, customerID, paymentID)
	if err != nil {
		return err
	}
	return s.announcePayment(ctx, tx, customerID, p)
}

// announcePayment is announce for a payment already read.
func (s *Service) announcePayment(ctx context.Context, tx *db.Tx, customerID int64, p Payment) error {
	pdf, err := s.storeReceipt(ctx, tx, p)
	if err != nil {
		return err
	}
	c, err := contactOf(ctx, tx, customerID)
	if err != nil {
		return err
	}
	return s.enqueue(ctx, tx, c, withReceipt(msgScheduled(s.cfg, c, p), p, pdf))
}
