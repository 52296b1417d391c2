package finance

import (
	"errors"
	"fmt"

	"carfin/calendar"
	"carfin/money"
)

// Paid is a payment received on a date.
type Paid struct {
	On          calendar.Date
	AmountCents money.Cents
}

// Applied is how one payment was applied: interest first, then principal.
type Applied struct {
	Paid
	InterestCents  money.Cents
	PrincipalCents money.Cents
	BalanceCents   money.Cents // principal after the payment
	UnpaidInterest money.Cents // interest still owed after the payment
}

// PayoffQuote is the amount that pays a loan off on a date.
type PayoffQuote struct {
	On             calendar.Date
	PrincipalCents money.Cents
	InterestCents  money.Cents // accrued since the last payment plus any unpaid interest
	PerDiemCents   money.Cents // one more day's interest, rounded to the cent
	PayoffCents    money.Cents
}

// ErrOverpayment is returned when a payment exceeds what the loan owes on
// its date.
var ErrOverpayment = errors.New("payment exceeds the payoff amount")

// PayoffAfter replays payments on a daily simple interest loan of amount at
// apr from start, and quotes the payoff on date on. Each payment pays the
// interest accrued since the previous payment (rounded half up when posted)
// and any interest left unpaid before, then principal; a payment smaller
// than the interest pays interest only and the rest stays owed, never
// capitalised. The payoff is principal + unpaid interest + interest accrued
// from the last payment to on (the unrounded per diem × days, rounded once).
//
// It returns ErrDates if a payment precedes start or the one before it, or
// on precedes the last payment; ErrAmount for a non-positive payment; and
// ErrOverpayment for a payment beyond the payoff on its date.
func PayoffAfter(amount money.Cents, apr money.Rate, start calendar.Date, payments []Paid, on calendar.Date, basis DayCount) (PayoffQuote, []Applied, error) {
	if amount <= 0 {
		return PayoffQuote{}, nil, fmt.Errorf("payoff: %w", ErrAmount)
	}
	if apr < 0 {
		return PayoffQuote{}, nil, fmt.Errorf("payoff: negative APR")
	}
	if err := checkAmount("amount", amount); err != nil {
		return PayoffQuote{}, nil, fmt.Errorf("payoff: %w", err)
	}
	balance, unpaid, last := amount, money.Cents(0), start
	applied := make([]Applied, 0, len(payments))
	for i, p := range payments {
		if p.On < last {
			return PayoffQuote{}, nil, fmt.Errorf("payoff: payment %d on %s is before %s: %w", i+1, p.On, last, ErrDates)
		}
		if p.AmountCents <= 0 {
			return PayoffQuote{}, nil, fmt.Errorf("payoff: payment %d: %w", i+1, ErrAmount)
		}
		if err := checkAmount("payment", p.AmountCents); err != nil {
			return PayoffQuote{}, nil, fmt.Errorf("payoff: payment %d: %w", i+1, err)
		}
		interest := Interest(balance, apr, last, p.On, basis) + unpaid
		if p.AmountCents > balance+interest {
			return PayoffQuote{}, nil, fmt.Errorf("payoff: payment %d of %s on %s exceeds %s: %w",
				i+1, p.AmountCents, p.On, balance+interest, ErrOverpayment)
		}
		a := Applied{Paid: p}
		if p.AmountCents <= interest {
			a.InterestCents = p.AmountCents
			unpaid = interest - p.AmountCents
		} else {
			a.InterestCents = interest
			a.PrincipalCents = p.AmountCents - interest
			unpaid = 0
		}
		balance -= a.PrincipalCents
		a.BalanceCents, a.UnpaidInterest = balance, unpaid
		applied = append(applied, a)
		last = p.On
	}
	if on < last {
		return PayoffQuote{}, nil, fmt.Errorf("payoff: date %s is before %s: %w", on, last, ErrDates)
	}
	q := QuotePayoff(balance, unpaid, apr, last, on, basis)
	return q, applied, nil
}

// QuotePayoff quotes the payoff on date on of a loan whose principal and
// unpaid interest are as given after its last posting on date from.
func QuotePayoff(principal, unpaidInterest money.Cents, apr money.Rate, from, on calendar.Date, basis DayCount) PayoffQuote {
	interest := Interest(principal, apr, from, on, basis) + unpaidInterest
	return PayoffQuote{
		On:             on,
		PrincipalCents: principal,
		InterestCents:  interest,
		PerDiemCents:   PerDiem(principal, apr),
		PayoffCents:    principal + interest,
	}
}
