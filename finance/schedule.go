package finance

import (
	"fmt"
	"math/big"
	"time"

	"carfin/calendar"
	"carfin/money"
)

// ScheduledPayment returns the level monthly payment that amortises amount
// over term months at apr: P·r / (1 − (1+r)^−n) with r = APR/1200, computed
// exactly and rounded half up to the cent. At 0 % it is P/n rounded half up
// (the last payment of a schedule settles the remainder).
func ScheduledPayment(amount money.Cents, apr money.Rate, term int) (money.Cents, error) {
	if amount <= 0 {
		return 0, fmt.Errorf("scheduled payment: %w", ErrAmount)
	}
	if term < 1 || term > termMax {
		return 0, fmt.Errorf("scheduled payment: %w", ErrTerm)
	}
	if err := checkAmount("amount", amount); err != nil {
		return 0, fmt.Errorf("scheduled payment: %w", err)
	}
	if apr < 0 {
		return 0, fmt.Errorf("scheduled payment: negative rate")
	}
	if apr == 0 {
		return money.Cents(money.DivRound(int64(amount), int64(term))), nil
	}
	// r = apr / (1200 × RateScale); with g = (1+r)^n the payment is
	// P·r·g / (g − 1).
	r := big.NewRat(int64(apr), 1200*money.RateScale)
	onePlusR := new(big.Rat).Add(big.NewRat(1, 1), r)
	g := ratPow(onePlusR, term)
	num := new(big.Rat).Mul(new(big.Rat).SetInt64(int64(amount)), r)
	num.Mul(num, g)
	den := new(big.Rat).Sub(g, big.NewRat(1, 1))
	p := new(big.Rat).Quo(num, den)
	return money.Cents(roundRat(p.Num(), p.Denom())), nil
}

// ratPow returns x^n for n ≥ 0 by repeated squaring.
func ratPow(x *big.Rat, n int) *big.Rat {
	result := big.NewRat(1, 1)
	base := new(big.Rat).Set(x)
	for n > 0 {
		if n&1 == 1 {
			result.Mul(result, base)
		}
		n >>= 1
		if n > 0 {
			base.Mul(base, base)
		}
	}
	return result
}

// LoanTerms are what a retail installment contract fixes: the amount
// financed, the APR, the number of monthly payments, the date interest
// starts (funding) and the first due date. Later payments fall due on the
// same day of each month, clamped to short months.
type LoanTerms struct {
	AmountCents  money.Cents
	APR          money.Rate
	Term         int
	Start        calendar.Date
	FirstDue     calendar.Date
	DueDay       int // day of month payments fall due; 0 means FirstDue's day
	DayCount     DayCount
	PaymentCents money.Cents // 0 means ScheduledPayment(Amount, APR, Term)
}

// Installment is one row of a projected schedule.
type Installment struct {
	Number         int
	Due            calendar.Date
	PaymentCents   money.Cents
	InterestCents  money.Cents
	PrincipalCents money.Cents
	BalanceCents   money.Cents // principal still owed after this payment
}

// Schedule is a projected repayment schedule with its Truth in Lending
// totals.
type Schedule struct {
	PaymentCents         money.Cents // the regular payment
	AmountFinancedCents  money.Cents
	FinanceChargeCents   money.Cents // sum of interest
	TotalOfPaymentsCents money.Cents // amount financed + finance charge
	Installments         []Installment
}

// firstPeriodDaysMax bounds the odd first period: a first payment more than
// a year after funding is a data-entry error, not a contract.
const firstPeriodDaysMax = 366

// Validate reports the first problem with the terms, or nil.
func (t LoanTerms) Validate() error {
	switch {
	case t.AmountCents <= 0:
		return ErrAmount
	case t.Term < 1 || t.Term > termMax:
		return ErrTerm
	case t.APR < 0:
		return fmt.Errorf("negative APR")
	case t.Start.IsZero() || t.FirstDue.IsZero():
		return fmt.Errorf("start and first due dates are required: %w", ErrDates)
	case t.FirstDue <= t.Start:
		return fmt.Errorf("first due date %s must be after the start date %s: %w", t.FirstDue, t.Start, ErrDates)
	case int(t.FirstDue-t.Start) > firstPeriodDaysMax:
		return fmt.Errorf("first due date %s is more than a year after %s: %w", t.FirstDue, t.Start, ErrDates)
	case t.DueDay < 0 || t.DueDay > 31:
		return fmt.Errorf("due day %d: want 1–31", t.DueDay)
	case t.PaymentCents < 0:
		return fmt.Errorf("payment must not be negative: %w", ErrAmount)
	}
	if err := checkAmount("amount", t.AmountCents); err != nil {
		return err
	}
	return checkAmount("payment", t.PaymentCents)
}

// DueDate returns the due date of installment number k (1-based).
func (t LoanTerms) DueDate(k int) calendar.Date {
	day := t.DueDay
	if day == 0 {
		day = t.FirstDue.Day()
	}
	return calendar.MonthlyOn(t.FirstDue.Year(), t.FirstDue.Month()+time.Month(k-1), day)
}

// ProjectSchedule projects the schedule assuming every payment is made on
// its due date: each payment pays the daily simple interest accrued since
// the previous due date (actual days) first, then principal; the last
// payment settles the balance. If a payment is smaller than the interest
// due, the unpaid interest is carried (never capitalised) and paid first
// from the next payment.
func ProjectSchedule(t LoanTerms) (Schedule, error) {
	if err := t.Validate(); err != nil {
		return Schedule{}, fmt.Errorf("schedule: %w", err)
	}
	payment := t.PaymentCents
	if payment == 0 {
		p, err := ScheduledPayment(t.AmountCents, t.APR, t.Term)
		if err != nil {
			return Schedule{}, err
		}
		payment = p
	}
	s := Schedule{
		PaymentCents:        payment,
		AmountFinancedCents: t.AmountCents,
		Installments:        make([]Installment, 0, t.Term),
	}
	balance := t.AmountCents
	var carried money.Cents
	prev := t.Start
	for k := 1; k <= t.Term; k++ {
		due := t.DueDate(k)
		interest := Interest(balance, t.APR, prev, due, t.DayCount)
		owedInterest := interest + carried
		pay := payment
		if k == t.Term || balance+owedInterest <= pay {
			pay = balance + owedInterest
		}
		inst := Installment{Number: k, Due: due, PaymentCents: pay}
		if pay < owedInterest {
			inst.InterestCents = pay
			carried = owedInterest - pay
		} else {
			inst.InterestCents = owedInterest
			inst.PrincipalCents = pay - owedInterest
			carried = 0
		}
		balance -= inst.PrincipalCents
		inst.BalanceCents = balance
		s.Installments = append(s.Installments, inst)
		s.FinanceChargeCents += inst.InterestCents
		s.TotalOfPaymentsCents += pay
		prev = due
		if balance == 0 && carried == 0 {
			break
		}
	}
	return s, nil
}
