// Package finance is carfin's loan and lease mathematics: scheduled
// payments, daily simple interest, payoff, APR by Regulation Z Appendix J,
// lease payments and the Rule of 78. It is pure: no I/O, no clock, no
// database, and no floating point. Amounts are money.Cents, rates money.Rate.
package finance

import (
	"errors"
	"fmt"
	"math/big"

	"carfin/calendar"
	"carfin/money"
)

// DayCount is how daily simple interest divides a year.
type DayCount int

const (
	// Basis365 divides every year into 365 days, leap years too ("365/365"),
	// the usual wording of US retail installment contracts.
	Basis365 DayCount = iota
	// BasisActual divides each day's interest by the length of its own year
	// (365 or 366), "actual/actual".
	BasisActual
)

// ParseDayCount reads "365" or "actual".
func ParseDayCount(s string) (DayCount, error) {
	switch s {
	case "365", "365/365", "":
		return Basis365, nil
	case "actual", "actual/actual":
		return BasisActual, nil
	}
	return 0, fmt.Errorf("day count %q: want 365 or actual", s)
}

// String returns "365" or "actual".
func (b DayCount) String() string {
	if b == BasisActual {
		return "actual"
	}
	return "365"
}

// Errors for bad input; each is wrapped with the detail that failed.
var (
	ErrAmount = errors.New("amount must be positive")
	ErrTerm   = errors.New("term must be between 1 and 600 payments")
	ErrDates  = errors.New("dates out of order")
)

// AmountMax bounds every amount the maths accepts ($10 billion): far beyond
// any vehicle contract, and small enough that amount × rate × days can
// never overflow the 128-bit intermediate.
const AmountMax = money.Cents(10_000_000_000_00)

// ErrTooLarge is returned for amounts above AmountMax.
var ErrTooLarge = errors.New("amount above 10,000,000,000.00")

func checkAmount(name string, v money.Cents) error {
	if v > AmountMax || v < -AmountMax {
		return fmt.Errorf("%s %s: %w", name, v, ErrTooLarge)
	}
	return nil
}

// termMax bounds schedules; 600 monthly payments is 50 years, beyond any
// vehicle contract, and keeps every loop and allocation bounded.
const termMax = 600

// rateDenominator turns balance × Rate × days into cents: Rate is in
// 1/10,000 of a percent, so interest = balance × rate × days / (100 × 10,000 × 365).
const rateDenominator = 100 * money.RateScale

// interestExact returns the exact interest on balance for the days from a
// to b as the fraction num/den (before rounding).
func interestExact(balance money.Cents, apr money.Rate, a, b calendar.Date, basis DayCount) (num, den *big.Int) {
	days := int64(b - a)
	if basis == Basis365 {
		num = big.NewInt(int64(balance))
		num.Mul(num, big.NewInt(int64(apr)*days))
		return num, big.NewInt(rateDenominator * 365)
	}
	// actual/actual: split the span at each 1 January and weigh each part
	// by 1/365 or 1/366; the common denominator is 365 × 366.
	var weighted int64
	for d := a; d < b; {
		y := d.Year()
		next := calendar.New(y+1, 1, 1)
		if next > b {
			next = b
		}
		n := int64(next - d)
		if calendar.IsLeap(y) {
			weighted += n * 365
		} else {
			weighted += n * 366
		}
		d = next
	}
	num = big.NewInt(int64(balance))
	num.Mul(num, big.NewInt(int64(apr)*weighted))
	return num, big.NewInt(rateDenominator * 365 * 366)
}

// Interest returns the daily simple interest on balance from date a to
// date b (b − a days), computed exactly and rounded half up to the cent.
// It panics if b is before a or the rate is negative: callers validate
// dates, and a negative rate is a broken invariant.
func Interest(balance money.Cents, apr money.Rate, a, b calendar.Date, basis DayCount) money.Cents {
	if b < a || apr < 0 {
		panic(fmt.Sprintf("finance: Interest over %s..%s at %s", a, b, apr))
	}
	if basis == Basis365 {
		// Fast path: balance × rate × days fits in 128 bits.
		return money.Cents(money.MulDivRound(int64(balance), int64(apr)*int64(b-a), rateDenominator*365))
	}
	num, den := interestExact(balance, apr, a, b, basis)
	return money.Cents(roundRat(num, den))
}

// InterestFloor is Interest rounded down to the cent instead of half up:
// the general ledger's accrual books the floor, and recognition on the
// contract trues it up.
func InterestFloor(balance money.Cents, apr money.Rate, a, b calendar.Date, basis DayCount) money.Cents {
	if b < a || apr < 0 || balance < 0 {
		panic(fmt.Sprintf("finance: InterestFloor over %s..%s at %s on %s", a, b, apr, balance))
	}
	num, den := interestExact(balance, apr, a, b, basis)
	return money.Cents(new(big.Int).Quo(num, den).Int64())
}

// PerDiem returns one day's interest on balance, rounded half up to the
// cent, as a payoff quote states it. (Payoff itself multiplies the
// unrounded per diem by the days and rounds once.)
func PerDiem(balance money.Cents, apr money.Rate) money.Cents {
	return money.Cents(money.MulDivRound(int64(balance), int64(apr), rateDenominator*365))
}

// roundRat rounds num/den half away from zero.
func roundRat(num, den *big.Int) int64 {
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	r.Abs(r).Lsh(r, 1)
	if r.Cmp(new(big.Int).Abs(den)) >= 0 {
		if (num.Sign() < 0) != (den.Sign() < 0) {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q.Int64()
}

// Accrual is one contract's running daily-interest state, kept exactly:
// AccruedCents whole cents plus Remainder parts of a cent (in units of
// 1/AccrualDenominator). Day close keeps millions of these in memory or
// in a table.
type Accrual struct {
	PrincipalCents money.Cents
	APR            money.Rate
	AccruedCents   money.Cents
	Remainder      int64
}

// AccrualDenominator is the unit of Accrual.Remainder: one cent is
// AccrualDenominator units (365/365 basis).
const AccrualDenominator = rateDenominator * 365

// AccrueDays adds days of 365/365 daily interest to every accrual, carrying
// the sub-cent remainder so that the sum over any split of days equals the
// interest over the whole span. It does no allocation.
func AccrueDays(accruals []Accrual, days int) {
	d := int64(days)
	for i := range accruals {
		a := &accruals[i]
		// balance ≤ 1e15 cents and rate × days ≤ 1e7 × 366: use the
		// 128-bit path only when the product could overflow.
		p, r := int64(a.PrincipalCents), int64(a.APR)*d
		if p < 1<<31 && r < 1<<31 {
			num := p*r + a.Remainder
			a.AccruedCents += money.Cents(num / AccrualDenominator)
			a.Remainder = num % AccrualDenominator
			continue
		}
		q, rem := money.MulDivFloor(p, r, AccrualDenominator)
		rem += a.Remainder
		a.AccruedCents += money.Cents(q + rem/AccrualDenominator)
		a.Remainder = rem % AccrualDenominator
	}
}

// Rounded returns the accrued interest rounded half up to the cent, the
// amount a payment posted now would apply to interest.
func (a Accrual) Rounded() money.Cents {
	if 2*a.Remainder >= AccrualDenominator {
		return a.AccruedCents + 1
	}
	return a.AccruedCents
}
