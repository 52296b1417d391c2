package finance

import (
	"errors"
	"fmt"
	"math/big"

	"carfin/money"
)

// LeaseTerms are the figures of a closed-end vehicle lease (Regulation M).
type LeaseTerms struct {
	GrossCapCostCents     money.Cents // agreed value plus fees and add-ons
	CapCostReductionCents money.Cents // cash down, net trade-in, rebates
	ResidualCents         money.Cents // value at lease end
	MoneyFactor           money.MoneyFactor
	Term                  int        // months
	TaxRate               money.Rate // sales tax on the monthly payment, percent
}

// LeasePayment is the monthly payment of a lease and how it is made up.
type LeasePayment struct {
	AdjustedCapCostCents money.Cents
	DepreciationCents    money.Cents // (adjusted cap cost − residual) / term, rounded
	RentChargeCents      money.Cents // (adjusted cap cost + residual) × money factor, rounded
	BasePaymentCents     money.Cents // depreciation + rent charge, exact, rounded once
	TaxCents             money.Cents // tax on the base payment
	PaymentCents         money.Cents // base payment + tax
}

// ErrLease is returned for lease figures that cannot make a lease.
var ErrLease = errors.New("invalid lease terms")

// LeaseMonthly computes a lease payment the way the Federal Reserve's
// "Keys to Vehicle Leasing" does: adjusted cap cost = gross cap cost − cap
// cost reduction; depreciation = (adjusted cap cost − residual) / term; rent
// charge = (adjusted cap cost + residual) × money factor; base payment =
// depreciation + rent charge rounded to the cent; tax on the base payment.
func LeaseMonthly(t LeaseTerms) (LeasePayment, error) {
	switch {
	case t.GrossCapCostCents <= 0:
		return LeasePayment{}, fmt.Errorf("gross capitalized cost must be positive: %w", ErrLease)
	case t.CapCostReductionCents < 0:
		return LeasePayment{}, fmt.Errorf("cap cost reduction must not be negative: %w", ErrLease)
	case t.CapCostReductionCents >= t.GrossCapCostCents:
		return LeasePayment{}, fmt.Errorf("cap cost reduction must be below the gross cap cost: %w", ErrLease)
	case t.ResidualCents < 0:
		return LeasePayment{}, fmt.Errorf("residual must not be negative: %w", ErrLease)
	case t.Term < 1 || t.Term > 120:
		return LeasePayment{}, fmt.Errorf("lease term must be 1–120 months: %w", ErrLease)
	case t.MoneyFactor < 0 || t.TaxRate < 0:
		return LeasePayment{}, fmt.Errorf("money factor and tax rate must not be negative: %w", ErrLease)
	}
	for _, a := range []money.Cents{t.GrossCapCostCents, t.ResidualCents} {
		if err := checkAmount("lease amount", a); err != nil {
			return LeasePayment{}, err
		}
	}
	adjusted := t.GrossCapCostCents - t.CapCostReductionCents
	if t.ResidualCents > adjusted {
		return LeasePayment{}, fmt.Errorf("residual %s exceeds the adjusted cap cost %s: %w", t.ResidualCents, adjusted, ErrLease)
	}
	// Exact values as fractions over term × MoneyFactorScale.
	depr := big.NewRat(int64(adjusted-t.ResidualCents), int64(t.Term))
	rent := big.NewRat(int64(adjusted+t.ResidualCents), 1)
	rent.Mul(rent, big.NewRat(int64(t.MoneyFactor), money.MoneyFactorScale))
	base := new(big.Rat).Add(depr, rent)
	p := LeasePayment{
		AdjustedCapCostCents: adjusted,
		DepreciationCents:    money.Cents(roundRat(depr.Num(), depr.Denom())),
		RentChargeCents:      money.Cents(roundRat(rent.Num(), rent.Denom())),
		BasePaymentCents:     money.Cents(roundRat(base.Num(), base.Denom())),
	}
	p.TaxCents = p.BasePaymentCents.Percent(t.TaxRate)
	p.PaymentCents = p.BasePaymentCents + p.TaxCents
	return p, nil
}

// LeaseEnd is what a lessee owes at the end of a lease, either to buy the
// vehicle or to turn it in.
type LeaseEnd struct {
	PurchaseCents      money.Cents // purchase option price + purchase fee + unpaid amounts
	ExcessMiles        int64
	ExcessMileageCents money.Cents
	TurnInCents        money.Cents // disposition fee + excess mileage charge + unpaid amounts
}

// LeaseEndTerms are the lease-end figures of a lease contract.
type LeaseEndTerms struct {
	PurchaseOptionCents money.Cents
	PurchaseFeeCents    money.Cents
	DispositionFeeCents money.Cents
	MileageAllowance    int64 // miles allowed over the whole lease
	ExcessMileRateCents money.Cents
	UnpaidCents         money.Cents // past-due payments and fees still owed
	OdometerAtSigning   int64
	OdometerAtEnd       int64
}

// QuoteLeaseEnd returns the purchase and turn-in amounts: purchase = option
// price + purchase fee + unpaid amounts; turn-in = disposition fee + miles
// beyond the allowance × the excess-mileage rate + unpaid amounts.
func QuoteLeaseEnd(t LeaseEndTerms) (LeaseEnd, error) {
	if t.PurchaseOptionCents < 0 || t.PurchaseFeeCents < 0 || t.DispositionFeeCents < 0 ||
		t.ExcessMileRateCents < 0 || t.UnpaidCents < 0 || t.MileageAllowance < 0 {
		return LeaseEnd{}, fmt.Errorf("lease-end amounts must not be negative: %w", ErrLease)
	}
	if t.OdometerAtEnd < t.OdometerAtSigning || t.OdometerAtSigning < 0 || t.OdometerAtEnd > 2_000_000 {
		return LeaseEnd{}, fmt.Errorf("odometer reading %d is below the %d at signing or out of range: %w",
			t.OdometerAtEnd, t.OdometerAtSigning, ErrLease)
	}
	for _, a := range []money.Cents{t.PurchaseOptionCents, t.PurchaseFeeCents, t.DispositionFeeCents, t.UnpaidCents} {
		if err := checkAmount("lease-end amount", a); err != nil {
			return LeaseEnd{}, err
		}
	}
	if t.ExcessMileRateCents > 100_00 {
		return LeaseEnd{}, fmt.Errorf("excess-mileage rate %s is above 100.00 a mile: %w", t.ExcessMileRateCents, ErrLease)
	}
	driven := t.OdometerAtEnd - t.OdometerAtSigning
	excess := max(driven-t.MileageAllowance, 0)
	e := LeaseEnd{
		PurchaseCents:      t.PurchaseOptionCents + t.PurchaseFeeCents + t.UnpaidCents,
		ExcessMiles:        excess,
		ExcessMileageCents: money.Cents(excess) * t.ExcessMileRateCents,
	}
	e.TurnInCents = t.DispositionFeeCents + e.ExcessMileageCents + t.UnpaidCents
	return e, nil
}
