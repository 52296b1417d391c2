package servicing

import (
	"fmt"
	"time"

	"carfin/calendar"
	"carfin/finance"
	"carfin/money"
)

// LoanInstallments returns the installment schedule fixed at funding for a
// retail installment contract: the projected schedule of finance (daily
// simple interest, every payment on its due date, the last one settling
// the balance).
func LoanInstallments(t finance.LoanTerms) ([]Due, error) {
	s, err := finance.ProjectSchedule(t)
	if err != nil {
		return nil, err
	}
	out := make([]Due, len(s.Installments))
	var cum money.Cents
	for i, in := range s.Installments {
		cum += in.PaymentCents
		out[i] = Due{Number: in.Number, Date: in.Due, AmountCents: in.PaymentCents, CumulativeCents: cum}
	}
	return out, nil
}

// LeaseInstallments returns a lease's monthly installments: base payment
// plus tax, due monthly from the first due date. Depreciation is the
// rounded monthly figure, with the last month taking the rounding so that
// the net investment ends exactly at the residual; rent is the rest of the
// base payment.
func LeaseInstallments(p finance.LeasePayment, residual money.Cents, term int, firstDue calendar.Date, dueDay int) ([]Due, error) {
	if term < 1 {
		return nil, fmt.Errorf("lease term: %w", ErrInvalid)
	}
	if dueDay == 0 {
		dueDay = firstDue.Day()
	}
	totalDep := p.AdjustedCapCostCents - residual
	out := make([]Due, term)
	var cum, depSoFar money.Cents
	for k := 1; k <= term; k++ {
		dep := p.DepreciationCents
		if k == term {
			dep = totalDep - depSoFar
		}
		depSoFar += dep
		rent := p.BasePaymentCents - dep
		if rent < 0 {
			return nil, fmt.Errorf("lease rounding leaves a negative rent charge: %w", ErrInvalid)
		}
		amount := p.BasePaymentCents + p.TaxCents
		cum += amount
		out[k-1] = Due{
			Number: k, Date: calendar.MonthlyOn(firstDue.Year(), firstDue.Month()+time.Month(k-1), dueDay),
			AmountCents: amount, CumulativeCents: cum,
			DepreciationCents: dep, RentCents: rent, TaxCents: p.TaxCents,
		}
	}
	return out, nil
}
