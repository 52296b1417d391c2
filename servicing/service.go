package servicing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/finance"
	"carfin/ledger"
	"carfin/money"
)

// Service runs servicing operations against a database.
type Service struct {
	db *db.DB
	// today returns the lender's business date for an instant (its time
	// zone); operations refuse effective dates after it.
	today func(time.Time) calendar.Date
	// chunkSize is the number of contract ids per day-close chunk.
	chunkSize int64
	// crashPoint, set only by tests, fails a day-close chunk half-way, as
	// a killed process would.
	crashPoint func(Chunk) error
	// chunkChecked, set only by tests, runs when a chunk was found not yet
	// closed, before any write: where another closer can overtake.
	chunkChecked func(Chunk)
	// plainDashboard is Dashboard's query, keyed by the customer's id.
	plainDashboard *DashboardQuery
}

// New returns a Service. today maps an instant to the lender's date, e.g.
// a calendar.Cutoff's Today.
func New(d *db.DB, today func(time.Time) calendar.Date) *Service {
	sv := &Service{db: d, today: today, chunkSize: DayCloseChunkSize}
	sv.plainDashboard = sv.DashboardQuery("$1")
	return sv
}

// SetDayCloseChunkSize changes how many contract ids a day-close chunk
// covers (tests and benchmarks use small or large chunks).
func (sv *Service) SetDayCloseChunkSize(n int64) {
	if n < 1 {
		panic("servicing: chunk size must be positive")
	}
	sv.chunkSize = n
}

// DB returns the service's database.
func (sv *Service) DB() *db.DB { return sv.db }

// Result is what an operation did.
type Result struct {
	EventID   int64
	Duplicate bool // the idempotency key was seen before; nothing was written
	// Applied is how a payment was applied (zero for other events).
	Applied Application
	// Reversed and Posted count ledger transactions a replay corrected.
	Reversed, Posted int
	Status           Status
}

// Application splits a payment by what it paid.
type Application struct {
	InterestCents  money.Cents
	PrincipalCents money.Cents
	FeesCents      money.Cents
	BilledCents    money.Cents // leases: billed payments and credit
}

// Request is the common part of every operation: the contract, the
// effective date, the client's idempotency key, who asked, and a note.
type Request struct {
	ContractID     int64
	Date           calendar.Date
	IdempotencyKey string
	Actor          string
	Memo           string
}

func (r Request) validate() error {
	switch {
	case r.ContractID <= 0:
		return fmt.Errorf("contract id: %w", ErrInvalid)
	case r.Date.IsZero():
		return fmt.Errorf("effective date is required: %w", ErrInvalid)
	case r.IdempotencyKey == "" || len(r.IdempotencyKey) > keyLenMax:
		return fmt.Errorf("idempotency key must be 1–%d characters: %w", keyLenMax, ErrInvalid)
	case len(r.Memo) > 500 || len(r.Actor) > 200:
		return fmt.Errorf("memo or actor too long: %w", ErrInvalid)
	}
	return nil
}

// PostPayment posts a payment received on r.Date: interest accrued to
// that date first, then the product's waterfall. A payment dated before
// later activity is replayed into the history. It returns ErrAmount,
// ErrOverpayment (more than the payoff), ErrClosed, ErrBeforeFunding,
// ErrFutureDate, ErrNotFound or ErrIdempotencyConflict, writing nothing.
func (sv *Service) PostPayment(ctx context.Context, r Request, amount money.Cents) (Result, error) {
	return sv.record(ctx, r, Event{Kind: EventPayment, Date: r.Date, AmountCents: amount})
}

// Payoff posts the payoff of a contract on r.Date. amount must equal the
// payoff quote for that date (ErrPayoffAmount otherwise); it closes the
// contract as paid off.
func (sv *Service) Payoff(ctx context.Context, r Request, amount money.Cents) (Result, error) {
	return sv.record(ctx, r, Event{Kind: EventPayoff, Date: r.Date, AmountCents: amount})
}

// AssessNSFFee charges the contract's returned-payment fee on r.Date (the
// product's NSF fee; ErrInvalid if the product has none).
func (sv *Service) AssessNSFFee(ctx context.Context, r Request) (Result, error) {
	t, err := loadTerms(ctx, sv.db.Read, r.ContractID)
	if err != nil {
		return Result{}, err
	}
	if t.NSFFeeCents <= 0 {
		return Result{}, fmt.Errorf("contract %d has no returned-payment fee: %w", r.ContractID, ErrInvalid)
	}
	return sv.record(ctx, r, Event{Kind: EventNSFFee, Date: r.Date, AmountCents: t.NSFFeeCents})
}

// WaiveFee waives amount of the fees owed (ErrNoFees if more than owed).
func (sv *Service) WaiveFee(ctx context.Context, r Request, amount money.Cents) (Result, error) {
	return sv.record(ctx, r, Event{Kind: EventFeeWaiver, Date: r.Date, AmountCents: amount})
}

// Adjust changes a loan's principal by a signed amount (a correction).
func (sv *Service) Adjust(ctx context.Context, r Request, amount money.Cents) (Result, error) {
	return sv.record(ctx, r, Event{Kind: EventAdjustment, Date: r.Date, AmountCents: amount})
}

// WriteOff charges the contract off on r.Date.
func (sv *Service) WriteOff(ctx context.Context, r Request) (Result, error) {
	return sv.record(ctx, r, Event{Kind: EventWriteOff, Date: r.Date})
}

// TurnIn ends a lease with the vehicle's return at the given odometer
// reading, charging the disposition fee and excess mileage.
func (sv *Service) TurnIn(ctx context.Context, r Request, odometer int64) (Result, error) {
	return sv.record(ctx, r, Event{Kind: EventTurnIn, Date: r.Date, Odometer: odometer})
}

// Reverse reverses an earlier event (a returned payment, a fee charged in
// error) as of its own date: the event drops out of the history, every
// later event is replayed, and the ledger is corrected so that balances
// are those of a history without it. It returns ErrNotReversible for
// funding and reversals, ErrAlreadyReversed for an event reversed before.
func (sv *Service) Reverse(ctx context.Context, r Request, eventID int64) (Result, error) {
	return sv.record(ctx, r, Event{Kind: EventReversal, Date: r.Date, TargetID: eventID})
}

// PostPaymentTx is PostPayment inside the caller's transaction, for
// capabilities that record their own rows (a payment, its receipt, its
// notification) atomically with the posting. A refused payment leaves tx
// as it was (the event is written under a savepoint).
func (sv *Service) PostPaymentTx(ctx context.Context, tx *db.Tx, r Request, amount money.Cents) (Result, error) {
	return sv.recordIn(ctx, tx, r, Event{Kind: EventPayment, Date: r.Date, AmountCents: amount})
}

// ReverseTx is Reverse inside the caller's transaction.
func (sv *Service) ReverseTx(ctx context.Context, tx *db.Tx, r Request, eventID int64) (Result, error) {
	return sv.recordIn(ctx, tx, r, Event{Kind: EventReversal, Date: r.Date, TargetID: eventID})
}

// AssessNSFFeeTx is AssessNSFFee inside the caller's transaction. It
// returns a zero Result and no error when the product charges no NSF fee.
func (sv *Service) AssessNSFFeeTx(ctx context.Context, tx *db.Tx, r Request) (Result, error) {
	t, err := loadTerms(ctx, tx, r.ContractID)
	if err != nil {
		return Result{}, err
	}
	if t.NSFFeeCents <= 0 {
		return Result{}, nil
	}
	return sv.recordIn(ctx, tx, r, Event{Kind: EventNSFFee, Date: r.Date, AmountCents: t.NSFFeeCents})
}

func (sv *Service) recordIn(ctx context.Context, tx *db.Tx, r Request, ev Event) (Result, error) {
	if err := r.validate(); err != nil {
		return Result{}, err
	}
	if ev.Kind != EventReversal && ev.AmountCents <= 0 {
		return Result{}, fmt.Errorf("%s of %s: %w", ev.Kind, ev.AmountCents, ErrAmount)
	}
	if ev.AmountCents > finance.AmountMax {
		return Result{}, fmt.Errorf("%s of %s: %w", ev.Kind, ev.AmountCents, ErrInvalid)
	}
	var res Result
	err := tx.Savepoint(ctx, "servicing_record", func() error {
		var err error
		res, err = sv.recordTx(ctx, tx, eventRequest{ContractID: r.ContractID, Event: ev, Key: r.IdempotencyKey, Actor: r.Actor, Memo: r.Memo})
		return err
	})
	return res, err
}

// record runs one event in its own transaction, retrying once if a
// concurrent request with the same idempotency key won the race.
func (sv *Service) record(ctx context.Context, r Request, ev Event) (Result, error) {
	if err := r.validate(); err != nil {
		return Result{}, err
	}
	if ev.Kind != EventReversal && ev.Kind != EventWriteOff && ev.Kind != EventTurnIn && ev.Kind != EventAdjustment && ev.AmountCents <= 0 {
		return Result{}, fmt.Errorf("%s of %s: %w", ev.Kind, ev.AmountCents, ErrAmount)
	}
	if ev.AmountCents > finance.AmountMax || ev.AmountCents < -finance.AmountMax {
		return Result{}, fmt.Errorf("%s of %s: %w", ev.Kind, ev.AmountCents, ErrInvalid)
	}
	req := eventRequest{ContractID: r.ContractID, Event: ev, Key: r.IdempotencyKey, Actor: r.Actor, Memo: r.Memo}
	var res Result
	var err error
	for range 2 {
		err = sv.db.InTx(ctx, func(tx *db.Tx) error {
			var e error
			res, e = sv.recordTx(ctx, tx, req)
			return e
		})
		if err == nil || !db.IsUniqueViolation(err) {
			break
		}
	}
	return res, err
}

func (sv *Service) recordTx(ctx context.Context, tx *db.Tx, req eventRequest) (Result, error) {
	ev := req.Event
	if today := sv.today(tx.Now()); ev.Date > today {
		return Result{}, fmt.Errorf("%s dated %s after %s: %w", ev.Kind, ev.Date, today, ErrFutureDate)
	}
	if ev.Kind == EventReversal {
		if prev, err := findEvent(ctx, tx, req); err != nil || prev != 0 {
			if err != nil {
				return Result{}, err
			}
			return sv.resultOf(ctx, tx, prev)
		}
		if err := checkReversible(ctx, tx, req.ContractID, ev.TargetID); err != nil {
			return Result{}, err
		}
	}
	// Record the event first: a key seen before makes the insert a no-op,
	// and then this is a repeated request. Any refusal below rolls the
	// insert back with the rest of the transaction.
	id, err := insertEvent(ctx, tx, req)
	if err != nil {
		return Result{}, err
	}
	if id == 0 {
		prev, err := findEvent(ctx, tx, req)
		if err != nil {
			return Result{}, err
		}
		return sv.resultOf(ctx, tx, prev)
	}
	ev.ID = id
	t, s, k, err := loadForUpdate(ctx, tx, req.ContractID)
	if err != nil {
		return Result{}, err
	}
	if ev.Date < t.ContractDate {
		return Result{}, fmt.Errorf("%s on %s: %w (%s)", ev.Kind, ev.Date, ErrBeforeFunding, t.ContractDate)
	}
	was := s.Status
	res := Result{EventID: id}
	var batch []*ledger.Transaction
	if ev.Kind != EventReversal && ev.Date >= s.AdvancedThrough {
		next, entries, err := Apply(t, s, ev)
		if err != nil {
			return Result{}, err
		}
		batch = toLedger(t.ContractID, entries, &k, req.Memo)
		s = next
		res.Posted = len(entries)
		res.Applied = applicationOf(entries, id)
	} else {
		events, err := loadEvents(ctx, tx, req.ContractID)
		if err != nil {
			return Result{}, err
		}
		next, entries, err := Replay(t, events, max(s.AdvancedThrough, ev.Date))
		if err != nil {
			return Result{}, err
		}
		memo := req.Memo
		if memo == "" {
			memo = fmt.Sprintf("replay after %s %d", ev.Kind, id)
		}
		res.Reversed, res.Posted, err = reconcile(ctx, tx, t.ContractID, entries, &k, memo)
		if err != nil {
			return Result{}, err
		}
		s = next
		res.Applied = applicationOf(entries, id)
	}
	if err := sv.commitState(ctx, tx, t, s, k, was, batch); err != nil {
		return Result{}, err
	}
	res.Status = s.Status
	return res, nil
}

// checkReversible refuses reversing funding, a reversal, an event of
// another contract, or an event already reversed.
func checkReversible(ctx context.Context, tx *db.Tx, contractID, target int64) error {
	var kind string
	var owner int64
	err := tx.QueryRowContext(ctx, `SELECT kind, contract_id FROM servicing_events WHERE id = $1`, target).Scan(&kind, &owner)
	if err != nil || owner != contractID {
		return fmt.Errorf("event %d of contract %d: %w", target, contractID, ErrNotReversible)
	}
	if EventKind(kind) == EventFunding || EventKind(kind) == EventReversal {
		return fmt.Errorf("a %s cannot be reversed: %w", kind, ErrNotReversible)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM servicing_events WHERE kind = 'reversal' AND target_event_id = $1`, target).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("event %d: %w", target, ErrAlreadyReversed)
	}
	return nil
}

// applicationOf reads a payment's split from its entry. The entry
// recognises the interest accrued to its date (a credit to interest
// income) and takes what it paid off the interest owed, so what it paid
// to interest is their sum: the credit to income less the change in the
// interest owed (no posting when they are equal).
func applicationOf(entries []Entry, eventID int64) Application {
	var a Application
	for _, e := range entries {
		if e.EventID != eventID || (e.Kind != "payment" && e.Kind != "payoff") {
			continue
		}
		for _, p := range e.Postings {
			switch p.Account {
			case AccountInterestIncome, AccountInterest:
				a.InterestCents -= p.AmountCents
			case AccountPrincipal, AccountLeaseAsset:
				a.PrincipalCents -= p.AmountCents
			case AccountFees:
				a.FeesCents -= p.AmountCents
			case AccountBilled:
				a.BilledCents -= p.AmountCents
			}
		}
	}
	return a
}

// resultOf rebuilds the result of an event recorded earlier, for a
// repeated request.
func (sv *Service) resultOf(ctx context.Context, q db.Querier, eventID int64) (Result, error) {
	res := Result{EventID: eventID, Duplicate: true}
	var status string
	if err := q.QueryRowContext(ctx, `SELECT c.state FROM servicing_events e JOIN contracts c ON c.id = e.contract_id WHERE e.id = $1`, eventID).Scan(&status); err != nil {
		return Result{}, err
	}
	res.Status = Status(status)
	rows, err := q.QueryContext(ctx, `SELECT t.kind, p.account, p.amount_cents FROM servicing_events e
		JOIN ledger_transactions t ON t.contract_id = e.contract_id
		JOIN ledger_postings p ON p.transaction_id = t.id
		WHERE e.id = $1 AND t.ref = $2 AND t.kind IN ('payment', 'payoff')
		ORDER BY t.id, p.line`, eventID, ref("ev", eventID))
	if err != nil {
		return Result{}, err
	}
	defer rows.Close()
	e := Entry{EventID: eventID}
	for rows.Next() {
		var p Posting
		if err := rows.Scan(&e.Kind, &p.Account, &p.AmountCents); err != nil {
			return Result{}, err
		}
		e.Postings = append(e.Postings, p)
	}
	res.Applied = applicationOf([]Entry{e}, eventID)
	return res, rows.Err()
}

// Quote is a payoff quote.
type Quote struct {
	ContractID     int64
	On             calendar.Date // good through
	PrincipalCents money.Cents
	InterestCents  money.Cents
	FeesCents      money.Cents
	BilledCents    money.Cents // leases: billed and unpaid (negative: credit)
	PerDiemCents   money.Cents
	PayoffCents    money.Cents
}

// QuotePayoff quotes the payoff on date on (on or after the contract's
// last activity): principal, interest to that date, fees, and the per
// diem. Late fees that would fall due by then are included. It reads
// committed state: inside a transaction use [Service.QuotePayoffTx].
// It returns ErrNotFound, ErrClosed or ErrInvalid (a date before the last
// activity).
func (sv *Service) QuotePayoff(ctx context.Context, contractID int64, on calendar.Date) (Quote, error) {
	return quotePayoff(ctx, sv.db.Read, contractID, on)
}

// QuotePayoffTx is QuotePayoff inside the caller's transaction: it sees
// what tx has posted so far (a run that posts two debits of one contract
// in one transaction quotes the second after the first).
func (sv *Service) QuotePayoffTx(ctx context.Context, tx *db.Tx, contractID int64, on calendar.Date) (Quote, error) {
	return quotePayoff(ctx, tx, contractID, on)
}

func quotePayoff(ctx context.Context, q db.Querier, contractID int64, on calendar.Date) (Quote, error) {
	t, s, err := loadTermsState(ctx, q, contractID)
	if err != nil {
		return Quote{}, err
	}
	if !s.Status.Open() {
		return Quote{}, fmt.Errorf("contract %d: %w (%s)", contractID, ErrClosed, s.Status)
	}
	if on < s.AdvancedThrough {
		return Quote{}, fmt.Errorf("quote date %s is before the last activity on %s: %w", on, s.AdvancedThrough, ErrInvalid)
	}
	s, _ = AdvanceTo(t, s, on)
	qt := Quote{ContractID: contractID, On: on, PrincipalCents: s.PrincipalCents, FeesCents: s.FeesCents, BilledCents: s.BilledCents}
	if t.Kind == KindLoan {
		qt.InterestCents = s.InterestCents + finance.Interest(s.PrincipalCents, t.APR, s.InterestFrom, on, t.DayCount)
		qt.PerDiemCents = finance.PerDiem(s.PrincipalCents, t.APR)
	}
	qt.PayoffCents = s.payoffAt(t, on)
	return qt, nil
}

// loadTermsState reads a contract's terms and its cached state with q.
func loadTermsState(ctx context.Context, q db.Querier, contractID int64) (*Terms, State, error) {
	t, err := loadTerms(ctx, q, contractID)
	if err != nil {
		return nil, State{}, err
	}
	s, _, err := scanState(q.QueryRowContext(ctx, `SELECT `+stateColumns+`
		FROM contract_balances b JOIN contracts c ON c.id = b.contract_id WHERE b.contract_id = $1`, contractID))
	if err != nil {
		return nil, State{}, fmt.Errorf("state of contract %d: %w", contractID, err)
	}
	return t, s, nil
}

// LeaseEndQuote is what ending a lease costs either way.
type LeaseEndQuote struct {
	finance.LeaseEnd
	OdometerStart       int64
	MileageAllowance    int64
	PurchaseOptionCents money.Cents
	DispositionFeeCents money.Cents
	UnpaidCents         money.Cents
}

// QuoteLeaseEnd quotes buying the vehicle at lease end (purchase option
// price + purchase fee + anything unpaid) or turning it in (disposition fee
// + excess miles × rate + anything unpaid) for an odometer reading.
func (sv *Service) QuoteLeaseEnd(ctx context.Context, contractID int64, odometer int64) (LeaseEndQuote, error) {
	q := sv.db.Read
	t, err := loadTerms(ctx, q, contractID)
	if err != nil {
		return LeaseEndQuote{}, err
	}
	if t.Kind != KindLease {
		return LeaseEndQuote{}, fmt.Errorf("contract %d: %w", contractID, ErrWrongKind)
	}
	s, _, err := scanState(q.QueryRowContext(ctx, `SELECT `+stateColumns+`
		FROM contract_balances b JOIN contracts c ON c.id = b.contract_id WHERE b.contract_id = $1`, contractID))
	if err != nil {
		return LeaseEndQuote{}, err
	}
	unpaid := max(0, s.BilledCents) + s.FeesCents
	e, err := finance.QuoteLeaseEnd(t.leaseEndTerms(odometer, unpaid))
	if err != nil {
		return LeaseEndQuote{}, fmt.Errorf("lease-end quote: %w", errors.Join(ErrInvalid, err))
	}
	return LeaseEndQuote{LeaseEnd: e, OdometerStart: t.OdometerStart, MileageAllowance: t.MileageAllowance,
		PurchaseOptionCents: t.PurchaseOptionCents, DispositionFeeCents: t.DispositionFeeCents, UnpaidCents: unpaid}, nil
}
