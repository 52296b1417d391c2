// Package quotes gives customers payoff quotes and lease-end quotes: it
// checks the contract is theirs, asks servicing for the figures, stores
// the quote under a number the customer can cite, and renders its letter
// (a PDF on the lender's letterhead with the payment instructions) into
// the customer's documents, in one transaction.
//
// A payoff quote is good through a business day at most 30 days ahead:
// principal, interest to that day, fees, the total, and the per diem to
// add for each day after it. A lease-end quote estimates both ways of
// ending a lease for an odometer reading the customer enters: buying the
// vehicle, or turning it in (disposition fee and excess mileage).
package quotes

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/documents"
	"carfin/money"
	"carfin/payments"
	"carfin/servicing"
)

// Errors callers branch on.
var (
	// ErrNotFound: no such contract or quote for this customer (another
	// customer's is not found either).
	ErrNotFound = errors.New("quote or contract not found")
	// ErrGoodThrough: the good-through date is not a business day from
	// today to GoodThroughDaysMax days ahead.
	ErrGoodThrough = errors.New("the good-through date must be a business day within the next 30 days")
	// ErrClosed: the contract is paid off or otherwise closed.
	ErrClosed = errors.New("the contract is closed")
	// ErrNotLease: a lease-end quote of a loan.
	ErrNotLease = errors.New("lease-end quotes are for leases")
	// ErrOdometer: a reading below the odometer at signing or beyond any car's.
	ErrOdometer = errors.New("the odometer reading is below the reading at signing or out of range")
)

// Limits.
const (
	// GoodThroughDaysMax: a payoff quote is good for at most 30 calendar
	// days; interest and fees beyond are too uncertain to promise.
	GoodThroughDaysMax = 30
	// OdometerMax bounds an entered reading (finance.QuoteLeaseEnd's bound).
	OdometerMax = 2_000_000
	listMax     = 100
)

// Kind is what a quote quotes.
type Kind string

const (
	KindPayoff   Kind = "payoff"
	KindLeaseEnd Kind = "lease_end"
)

// Quote is a stored quote.
type Quote struct {
	ID          int64
	Number      string
	CustomerID  int64
	ContractID  int64
	Kind        Kind
	QuotedOn    calendar.Date
	GoodThrough calendar.Date // payoff quotes
	// Payoff quotes.
	PrincipalCents money.Cents
	InterestCents  money.Cents // to the good-through date
	FeesCents      money.Cents
	BilledCents    money.Cents // leases: billed and unpaid (negative: credit)
	PerDiemCents   money.Cents // added for each day after GoodThrough
	TotalCents     money.Cents // payoff quotes: the payoff; lease-end: the purchase total
	// ScheduledCents (payoff quotes) sums the payments scheduled on the
	// account on or before GoodThrough when the quote was made. TotalCents
	// does not count them: once they are collected, LeftCents is left.
	ScheduledCents money.Cents
	// Lease-end quotes.
	Odometer            int64
	ExcessMiles         int64
	ExcessMileageCents  money.Cents
	PurchaseOptionCents money.Cents
	PurchaseFeeCents    money.Cents
	DispositionFeeCents money.Cents
	UnpaidCents         money.Cents
	PurchaseCents       money.Cents
	TurnInCents         money.Cents
	Lang                string
	DocumentID          int64 // the letter
	CreatedAt           time.Time
}

// Letterhead is how the lender heads its letters.
type Letterhead struct {
	Name    string
	Address []string // lines
	Phone   string
}

// Config is what the lender sets.
type Config struct {
	Letterhead Letterhead
	// Wire and Mail are the payoff instructions printed on letters and
	// shown with quotes, a line each: the bank, routing and account
	// number and beneficiary for wires; the payoff address for checks.
	// Without them a letter asks the customer to call for instructions.
	Wire []string
	Mail []string
}

// Service makes and keeps quotes.
type Service struct {
	db  *db.DB
	sv  *servicing.Service
	cfg Config
}

// New returns the quotes service.
func New(d *db.DB, sv *servicing.Service, cfg Config) (*Service, error) {
	if strings.TrimSpace(cfg.Letterhead.Name) == "" {
		return nil, fmt.Errorf("quotes: the lender's name is required for the letterhead")
	}
	return &Service{db: d, sv: sv, cfg: cfg}, nil
}

// Config returns the lender's letterhead and instructions.
func (s *Service) Config() Config { return s.cfg }

// Today is the lender's business date.
func (s *Service) Today() calendar.Date { return s.sv.Today() }

// GoodThroughDates lists the dates a payoff quote made today may be good
// through: business days from today to GoodThroughDaysMax days ahead.
func GoodThroughDates(today calendar.Date) []calendar.Date {
	var out []calendar.Date
	for d := today; d <= today.AddDays(GoodThroughDaysMax); d++ {
		if calendar.IsBusinessDay(d) {
			out = append(out, d)
		}
	}
	return out
}

func validGoodThrough(today, d calendar.Date) bool {
	return d >= today && d <= today.AddDays(GoodThroughDaysMax) && calendar.IsBusinessDay(d)
}

// Payoff quotes paying one of the customer's contracts off through
// goodThrough, with the payments already scheduled by then (which the
// payoff does not count; the letter says what is left once they are
// collected), stores the quote and its letter (in lang, "en" or "es"),
// and returns it. Asking again for the same contract and date on the same
// day, with the same figures, returns the quote already made. It returns
// ErrNotFound for a contract not the customer's, ErrGoodThrough for a date
// that is not a business day within 30 days, and ErrClosed for a closed
// contract.
func (s *Service) Payoff(ctx context.Context, customerID, contractID int64, goodThrough calendar.Date, lang string) (Quote, error) {
	today := s.sv.Today()
	if !validGoodThrough(today, goodThrough) {
		return Quote{}, fmt.Errorf("payoff quote through %s: %w", goodThrough, ErrGoodThrough)
	}
	a, err := s.addressee(ctx, customerID, contractID)
	if err != nil {
		return Quote{}, err
	}
	if !a.Status.Open() {
		return Quote{}, fmt.Errorf("payoff quote of contract %d: %w (%s)", contractID, ErrClosed, a.Status)
	}
	// servicing.QuotePayoff is not scoped by customer: addressee checked it.
	sq, err := s.sv.QuotePayoff(ctx, contractID, goodThrough)
	if errors.Is(err, servicing.ErrClosed) {
		return Quote{}, fmt.Errorf("payoff quote of contract %d: %w", contractID, ErrClosed)
	}
	if err != nil {
		return Quote{}, fmt.Errorf("payoff quote of contract %d: %w", contractID, err)
	}
	scheduled, err := payments.ScheduledThrough(ctx, s.db.Read, contractID, goodThrough)
	if err != nil {
		return Quote{}, fmt.Errorf("payoff quote of contract %d: %w", contractID, err)
	}
	q := Quote{CustomerID: customerID, ContractID: contractID, Kind: KindPayoff, QuotedOn: today, GoodThrough: goodThrough,
		PrincipalCents: sq.PrincipalCents, InterestCents: sq.InterestCents, FeesCents: sq.FeesCents, BilledCents: sq.BilledCents,
		PerDiemCents: sq.PerDiemCents, TotalCents: sq.PayoffCents, ScheduledCents: scheduled, Lang: langOf(lang)}
	return s.store(ctx, a, q)
}

// LeaseEnd quotes ending one of the customer's leases both ways for an
// odometer reading: buying the vehicle, or turning it in. It stores the
// quote and its letter like Payoff. ErrNotFound, ErrNotLease, ErrClosed
// or ErrOdometer.
func (s *Service) LeaseEnd(ctx context.Context, customerID, contractID, odometer int64, lang string) (Quote, error) {
	a, err := s.addressee(ctx, customerID, contractID)
	if err != nil {
		return Quote{}, err
	}
	if a.Kind != servicing.KindLease {
		return Quote{}, fmt.Errorf("lease-end quote of contract %d: %w", contractID, ErrNotLease)
	}
	if !a.Status.Open() {
		return Quote{}, fmt.Errorf("lease-end quote of contract %d: %w (%s)", contractID, ErrClosed, a.Status)
	}
	if odometer < a.OdometerStart || odometer > OdometerMax {
		return Quote{}, fmt.Errorf("lease-end quote at %d miles (%d at signing): %w", odometer, a.OdometerStart, ErrOdometer)
	}
	le, err := s.sv.QuoteLeaseEnd(ctx, contractID, odometer)
	if err != nil {
		return Quote{}, fmt.Errorf("lease-end quote of contract %d: %w", contractID, err)
	}
	q := Quote{CustomerID: customerID, ContractID: contractID, Kind: KindLeaseEnd, QuotedOn: s.sv.Today(),
		Odometer: odometer, ExcessMiles: le.ExcessMiles, ExcessMileageCents: le.ExcessMileageCents,
		PurchaseOptionCents: le.PurchaseOptionCents, PurchaseFeeCents: le.PurchaseCents - le.PurchaseOptionCents - le.UnpaidCents,
		DispositionFeeCents: le.DispositionFeeCents, UnpaidCents: le.UnpaidCents, PurchaseCents: le.PurchaseCents,
		TurnInCents: le.TurnInCents, TotalCents: le.PurchaseCents, Lang: langOf(lang)}
	return s.store(ctx, a, q)
}

func langOf(lang string) string {
	if lang == "es" {
		return "es"
	}
	return "en"
}

func (s *Service) addressee(ctx context.Context, customerID, contractID int64) (servicing.Addressee, error) {
	a, err := s.sv.AddresseeOf(ctx, customerID, contractID)
	if errors.Is(err, servicing.ErrNotFound) {
		return a, fmt.Errorf("contract %d of customer %d: %w", contractID, customerID, ErrNotFound)
	}
	return a, err
}

const quoteColumns = `id, number, customer_id, contract_id, kind, quoted_on, good_through, principal_cents, interest_cents,
	fees_cents, billed_cents, per_diem_cents, total_cents, odometer, excess_miles, excess_mileage_cents, purchase_option_cents,
	purchase_fee_cents, disposition_fee_cents, unpaid_cents, purchase_cents, turn_in_cents, scheduled_cents, lang, document_id, created_at`

func scanQuote(sc interface{ Scan(...any) error }) (Quote, error) {
	var q Quote
	var kind string
	err := sc.Scan(&q.ID, &q.Number, &q.CustomerID, &q.ContractID, &kind, &q.QuotedOn, &q.GoodThrough, &q.PrincipalCents,
		&q.InterestCents, &q.FeesCents, &q.BilledCents, &q.PerDiemCents, &q.TotalCents, &q.Odometer, &q.ExcessMiles,
		&q.ExcessMileageCents, &q.PurchaseOptionCents, &q.PurchaseFeeCents, &q.DispositionFeeCents, &q.UnpaidCents,
		&q.PurchaseCents, &q.TurnInCents, &q.ScheduledCents, &q.Lang, &q.DocumentID, &q.CreatedAt)
	q.Kind = Kind(kind)
	return q, err
}

// LeftCents is what a payoff quote leaves to pay once the payments
// scheduled by its good-through date are collected: the payoff less them
// (at most: collected earlier, they also save a little interest, and a
// payment never collects more than is owed). 0 if they cover it.
func (q Quote) LeftCents() money.Cents { return max(0, q.TotalCents-q.ScheduledCents) }

// numberOf is a quote's number: PQ- or LQ- and its id.
func numberOf(k Kind, id int64) string {
	if k == KindLeaseEnd {
		return fmt.Sprintf("LQ-%08d", id)
	}
	return fmt.Sprintf("PQ-%08d", id)
}

// store saves q with its letter, unless the same quote was made today.
func (s *Service) store(ctx context.Context, a servicing.Addressee, q Quote) (Quote, error) {
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		same, err := scanQuote(tx.QueryRowContext(ctx, `SELECT `+quoteColumns+` FROM payoff_quotes
			WHERE contract_id = $1 AND customer_id = $2 AND kind = $3 AND quoted_on = $4 AND COALESCE(good_through, quoted_on) = $5
			AND total_cents = $6 AND turn_in_cents = $7 AND odometer = $8 AND lang = $9 AND scheduled_cents = $10 ORDER BY id LIMIT 1`,
			q.ContractID, q.CustomerID, string(q.Kind), q.QuotedOn, cmp.Or(q.GoodThrough, q.QuotedOn), q.TotalCents, q.TurnInCents, q.Odometer, q.Lang,
			q.ScheduledCents))
		if err == nil {
			q = same
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		ids, err := tx.NextIDs(ctx, "payoff_quotes", 1)
		if err != nil {
			return err
		}
		q.ID, q.Number, q.CreatedAt = ids[0], numberOf(q.Kind, ids[0]), tx.Now()
		pdf, err := RenderLetter(s.cfg, a, q)
		if err != nil {
			return err
		}
		title := letterText(q.Lang, "title."+string(q.Kind)) + " " + q.Number
		name := map[Kind]string{KindPayoff: "payoff-letter-", KindLeaseEnd: "lease-end-quote-"}[q.Kind] + q.Number + ".pdf"
		kind := documents.KindPayoffLetter
		if q.Kind == KindLeaseEnd {
			kind = documents.KindLeaseEnd
		}
		if q.DocumentID, err = documents.Save(ctx, tx, documents.Document{CustomerID: q.CustomerID, ContractID: q.ContractID,
			Kind: kind, Title: title, FileName: name, ContentType: "application/pdf", Content: pdf, Ref: "quote:" + q.Number}); err != nil {
			return err
		}
		var good any
		if q.GoodThrough != 0 {
			good = q.GoodThrough
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO payoff_quotes (id, number, customer_id, contract_id, kind, quoted_on, good_through,
			principal_cents, interest_cents, fees_cents, billed_cents, per_diem_cents, total_cents, odometer, excess_miles,
			excess_mileage_cents, purchase_option_cents, purchase_fee_cents, disposition_fee_cents, unpaid_cents, purchase_cents,
			turn_in_cents, scheduled_cents, lang, document_id, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)`,
			q.ID, q.Number, q.CustomerID, q.ContractID, string(q.Kind), q.QuotedOn, good, q.PrincipalCents, q.InterestCents,
			q.FeesCents, q.BilledCents, q.PerDiemCents, q.TotalCents, q.Odometer, q.ExcessMiles, q.ExcessMileageCents,
			q.PurchaseOptionCents, q.PurchaseFeeCents, q.DispositionFeeCents, q.UnpaidCents, q.PurchaseCents, q.TurnInCents,
			q.ScheduledCents, q.Lang, q.DocumentID, tx.Now())
		return err
	})
	if err != nil {
		return Quote{}, fmt.Errorf("store %s quote of contract %d: %w", q.Kind, q.ContractID, err)
	}
	return q, nil
}

// List returns the customer's quotes of a contract, newest first.
func (s *Service) List(ctx context.Context, customerID, contractID int64) ([]Quote, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+quoteColumns+` FROM payoff_quotes WHERE contract_id = $1 AND customer_id = $2
		ORDER BY created_at DESC, id DESC LIMIT `+fmt.Sprint(listMax), contractID, customerID)
	if err != nil {
		return nil, fmt.Errorf("quotes of contract %d: %w", contractID, err)
	}
	defer rows.Close()
	var out []Quote
	for rows.Next() {
		q, err := scanQuote(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// Get returns one of the customer's quotes of a contract by its number,
// or ErrNotFound.
func (s *Service) Get(ctx context.Context, customerID, contractID int64, number string) (Quote, error) {
	q, err := scanQuote(s.db.Read.QueryRowContext(ctx, `SELECT `+quoteColumns+` FROM payoff_quotes
		WHERE number = $1 AND contract_id = $2 AND customer_id = $3`, number, contractID, customerID))
	if errors.Is(err, sql.ErrNoRows) {
		return Quote{}, fmt.Errorf("quote %q: %w", number, ErrNotFound)
	}
	if err != nil {
		return Quote{}, fmt.Errorf("quote %q: %w", number, err)
	}
	return q, nil
}
