// Package servicing keeps every contract's account right: it funds loans
// and leases, posts payments through the product's waterfall, reverses
// returned payments by replaying later activity, assesses late and NSF
// fees, waives fees, quotes and posts payoffs, bills leases, and closes
// each business day. Every operation is one database transaction that
// posts balanced entries through the ledger.
//
// The rules live in a pure fold (engine.go): a contract's state is the
// result of applying its events in date order. Posting today's payment
// applies one event to the cached state; a backdated change replays the
// whole history and corrects the ledger with reversals and new entries, so
// that balances are exactly those of a history in which the change had
// always been there.
package servicing

import (
	"errors"
	"fmt"
	"strings"

	"carfin/calendar"
	"carfin/finance"
	"carfin/money"
)

// Kind is a contract's kind: a retail installment loan or a lease.
type Kind string

const (
	KindLoan  Kind = "loan"
	KindLease Kind = "lease"
)

// Status is a contract's life-cycle state.
type Status string

const (
	StatusActive     Status = "active"
	StatusPaidOff    Status = "paid_off"
	StatusChargedOff Status = "charged_off"
	// StatusMatured: a loan past its maturity date with a balance still
	// owed, or a lease past its end date whose vehicle is not yet returned
	// or bought. Payments are still accepted.
	StatusMatured    Status = "matured"
	StatusTerminated Status = "terminated" // a lease ended by turning the vehicle in
)

// Open reports whether the contract still takes payments.
func (s Status) Open() bool { return s == StatusActive || s == StatusMatured }

// Bucket is one step of a payment waterfall.
type Bucket string

const (
	BucketInterest     Bucket = "interest"      // interest accrued and unpaid
	BucketPrincipalDue Bucket = "principal_due" // principal of installments due
	BucketFees         Bucket = "fees"          // late, NSF and other fees
	BucketPrincipal    Bucket = "principal"     // anything more reduces principal
	BucketBilled       Bucket = "billed"        // lease: billed payments unpaid
	BucketPrepaid      Bucket = "prepaid"       // lease: credit against future bills
)

// DefaultLoanWaterfall is DESIGN.md's default payment application: accrued
// interest, then principal due, then fees, then extra to principal. Fees
// come after the installment so that an unpaid fee never makes a full
// payment late (no pyramiding, 16 CFR 444.4).
var DefaultLoanWaterfall = []Bucket{BucketInterest, BucketPrincipalDue, BucketFees, BucketPrincipal}

// DefaultLeaseWaterfall applies lease payments to billed payments, then
// fees, then holds the rest as a credit against the next bills.
var DefaultLeaseWaterfall = []Bucket{BucketBilled, BucketFees, BucketPrepaid}

// ParseWaterfall reads a comma-separated bucket list and checks it is a
// complete order for the contract kind: each bucket of the kind exactly once.
func ParseWaterfall(kind Kind, s string) ([]Bucket, error) {
	want := DefaultLoanWaterfall
	if kind == KindLease {
		want = DefaultLeaseWaterfall
	}
	parts := strings.Split(s, ",")
	if len(parts) != len(want) {
		return nil, fmt.Errorf("waterfall %q: want an order of %v: %w", s, want, ErrInvalid)
	}
	seen := map[Bucket]bool{}
	out := make([]Bucket, len(parts))
	for i, p := range parts {
		b := Bucket(strings.TrimSpace(p))
		ok := false
		for _, w := range want {
			ok = ok || w == b
		}
		if !ok || seen[b] {
			return nil, fmt.Errorf("waterfall %q: want an order of %v: %w", s, want, ErrInvalid)
		}
		seen[b] = true
		out[i] = b
	}
	return out, nil
}

// FormatWaterfall writes a waterfall as stored: "interest,principal_due,fees,principal".
func FormatWaterfall(w []Bucket) string {
	parts := make([]string, len(w))
	for i, b := range w {
		parts[i] = string(b)
	}
	return strings.Join(parts, ",")
}

// PayAhead says what a payment beyond the amount due does to the schedule.
type PayAhead string

const (
	// PayAheadAdvance credits the excess to the next installments, so the
	// next due amount falls (the usual auto-finance "paid ahead").
	PayAheadAdvance PayAhead = "advance"
	// PayAheadPrincipal reduces principal only: the next installment is
	// still due in full, and the loan ends early.
	PayAheadPrincipal PayAhead = "principal"
)

// LateFeeRule is how a product computes a late fee on an installment. State
// law caps late fees; the lender configures the rule per product.
type LateFeeRule struct {
	Kind       string      // none, fixed, percent, greater (the greater of fixed and percent)
	FixedCents money.Cents // fixed amount
	Rate       money.Rate  // percent of the installment
	CapCents   money.Cents // maximum fee; 0 means no cap
}

// Fee returns the late fee on an installment of the given amount.
func (r LateFeeRule) Fee(installment money.Cents) money.Cents {
	var fee money.Cents
	switch r.Kind {
	case "fixed":
		fee = r.FixedCents
	case "percent":
		fee = installment.Percent(r.Rate)
	case "greater":
		fee = max(r.FixedCents, installment.Percent(r.Rate))
	}
	if r.CapCents > 0 && fee > r.CapCents {
		fee = r.CapCents
	}
	return fee
}

// Validate reports a malformed rule.
func (r LateFeeRule) Validate() error {
	switch r.Kind {
	case "none", "fixed", "percent", "greater":
	default:
		return fmt.Errorf("late fee kind %q: want none, fixed, percent or greater: %w", r.Kind, ErrInvalid)
	}
	if r.FixedCents < 0 || r.Rate < 0 || r.CapCents < 0 || r.Rate > money.Rate(100*money.RateScale) {
		return fmt.Errorf("late fee amounts must not be negative: %w", ErrInvalid)
	}
	return nil
}

// Due is one installment of a contract's schedule as fixed at funding.
type Due struct {
	Number          int
	Date            calendar.Date
	AmountCents     money.Cents // the installment (lease: base payment + tax)
	CumulativeCents money.Cents // installments 1..Number
	// Lease only: how the installment splits for the ledger.
	DepreciationCents money.Cents
	RentCents         money.Cents
	TaxCents          money.Cents
}

// Terms are the rules a contract's servicing follows, read from the
// contract row and its schedule.
type Terms struct {
	ContractID          int64
	Kind                Kind
	APR                 money.Rate
	DayCount            finance.DayCount
	GraceDays           int
	LateFee             LateFeeRule
	NSFFeeCents         money.Cents
	Waterfall           []Bucket
	PayAhead            PayAhead
	ContractDate        calendar.Date
	AmountFinancedCents money.Cents
	Installments        []Due
	// Lease only.
	ResidualCents       money.Cents
	PurchaseOptionCents money.Cents
	PurchaseFeeCents    money.Cents
	DispositionFeeCents money.Cents
	MileageAllowance    int64
	ExcessMileRateCents money.Cents
	OdometerStart       int64
}

// MaturityDate is the due date of the last installment.
func (t *Terms) MaturityDate() calendar.Date {
	if len(t.Installments) == 0 {
		return t.ContractDate
	}
	return t.Installments[len(t.Installments)-1].Date
}

// cumulativeDue returns the sum of installments due on or before d.
func (t *Terms) cumulativeDue(d calendar.Date) money.Cents {
	var c money.Cents
	for _, in := range t.Installments {
		if in.Date > d {
			break
		}
		c = in.CumulativeCents
	}
	return c
}

// Errors servicing operations return for bad input; each is wrapped with
// the detail. Nothing is written when one is returned.
var (
	ErrInvalid             = errors.New("invalid input")
	ErrAmount              = errors.New("amount must be positive")
	ErrNotFound            = errors.New("contract not found")
	ErrClosed              = errors.New("contract is closed")
	ErrBeforeFunding       = errors.New("date is before the contract date")
	ErrOverpayment         = errors.New("payment exceeds the payoff amount")
	ErrPayoffAmount        = errors.New("amount is not the payoff amount")
	ErrIdempotencyConflict = errors.New("idempotency key was used with a different request")
	ErrNotReversible       = errors.New("event cannot be reversed")
	ErrAlreadyReversed     = errors.New("event is already reversed")
	ErrNoFees              = errors.New("waiver exceeds the fees owed")
	ErrWrongKind           = errors.New("operation does not apply to this kind of contract")
	ErrFutureDate          = errors.New("date is after the business date")
)
