package finance

import (
	"fmt"

	"carfin/calendar"
	"carfin/money"
)

// Plan is how a borrower intends to pay a daily simple interest loan from
// now on: the regular payment on each due date, optionally more each
// month, and optionally a lump sum on a date.
type Plan struct {
	PrincipalCents money.Cents
	UnpaidInterest money.Cents // interest already owed
	APR            money.Rate
	DayCount       DayCount
	InterestFrom   calendar.Date // principal has earned interest since this date
	DueDates       []calendar.Date
	PaymentCents   money.Cents
	ExtraCents     money.Cents // added to every regular payment
	LumpCents      money.Cents
	LumpOn         calendar.Date
}

// Outcome is where a Plan ends.
type Outcome struct {
	PayoffDate    calendar.Date
	Payments      int
	InterestCents money.Cents // interest paid from now to payoff
	TotalCents    money.Cents // everything paid from now to payoff
}

// planPaymentsMax bounds a simulation: a plan whose payment does not even
// cover the interest would never end.
const planPaymentsMax = 1200

// ErrNeverPaid is returned for a plan whose payments never pay the loan.
var ErrNeverPaid = fmt.Errorf("the payments do not pay the loan off")

// Simulate runs a plan forward: each payment pays the interest accrued
// since the previous one (daily simple interest, rounded when paid), then
// principal; the lump sum is a payment of its own on its date; the last
// due date's payment settles the balance, as the contract's does.
func Simulate(p Plan) (Outcome, error) {
	if p.PrincipalCents < 0 || p.PaymentCents < 0 || p.ExtraCents < 0 || p.LumpCents < 0 || p.APR < 0 {
		return Outcome{}, fmt.Errorf("simulate: %w", ErrAmount)
	}
	for _, v := range []money.Cents{p.PrincipalCents, p.PaymentCents, p.ExtraCents, p.LumpCents} {
		if err := checkAmount("plan amount", v); err != nil {
			return Outcome{}, err
		}
	}
	var out Outcome
	balance, owed, from := p.PrincipalCents, p.UnpaidInterest, p.InterestFrom
	if balance == 0 && owed == 0 {
		out.PayoffDate = from
		return out, nil
	}
	pay := func(on calendar.Date, amount money.Cents) bool {
		if on < from {
			on = from
		}
		interest := owed + Interest(balance, p.APR, from, on, p.DayCount)
		due := balance + interest
		amount = min(amount, due)
		toInterest := min(amount, interest)
		owed = interest - toInterest
		balance -= amount - toInterest
		from = on
		out.InterestCents += toInterest
		out.TotalCents += amount
		out.Payments++
		if balance == 0 && owed == 0 {
			out.PayoffDate = on
			return true
		}
		return false
	}
	lumpDone := p.LumpCents == 0
	due := func(k int) calendar.Date {
		if k < len(p.DueDates) {
			return p.DueDates[k]
		}
		last := p.InterestFrom
		if n := len(p.DueDates); n > 0 {
			last = p.DueDates[n-1]
		}
		return last.AddMonths(k - len(p.DueDates) + 1)
	}
	for k := 0; k < planPaymentsMax; k++ {
		d := due(k)
		if !lumpDone && p.LumpOn <= d {
			lumpDone = true
			if pay(p.LumpOn, p.LumpCents) {
				return out, nil
			}
		}
		amount := p.PaymentCents + p.ExtraCents
		if k == len(p.DueDates)-1 {
			amount = AmountMax // the last scheduled payment settles the balance
		}
		if amount == 0 {
			continue
		}
		if pay(d, amount) {
			return out, nil
		}
	}
	return Outcome{}, ErrNeverPaid
}
