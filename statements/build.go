package statements

import (
	"fmt"

	"carfin/calendar"
	"carfin/locale"
	"carfin/money"
	"carfin/notify"
	"carfin/payments"
	"carfin/servicing"
)

// delinquencyNoticeDays: from 30 days past due a statement carries the
// delinquency notice (as Reg Z §1026.41(d)(8) asks of mortgage
// statements at 45; auto lenders call at 30).
const delinquencyNoticeDays = 30

// build puts together the statement of one contract for the cycle due on
// c.cycleDue, made on date d, from its snapshot on d.
func build(sn *servicing.Snapshot, cust customerInfo, e *enrolment, c candidate, prev, d calendar.Date) Statement {
	s, t, state := sn.Summary, sn.Terms, sn.State
	x := Statement{
		ContractID: s.ID, CustomerID: s.CustomerID, Lang: cust.lang, Kind: t.Kind, Status: state.Status,
		Final: c.final || !state.Status.Open(), StatementDate: d, PeriodTo: d, CycleDue: c.cycleDue,
		AccountNumber: s.AccountNumber, Customer: Addressee{Name: cust.name, Address: cust.address},
		Vehicle:   Vehicle{Year: s.VehicleYear, Make: s.Make, Model: s.Model, VINLast6: s.VINLast6},
		Waterfall: t.Waterfall,
	}
	x.PeriodFrom = t.ContractDate
	if prev != 0 {
		x.PeriodFrom = prev + 1
	}
	// Activity in the period, oldest first as a statement reads.
	for i := len(sn.Items) - 1; i >= 0; i-- {
		it := sn.Items[i]
		if it.Date < x.PeriodFrom || it.Date > d {
			continue
		}
		x.Activity = append(x.Activity, Line{Date: it.Date, Type: LineType(it.Type), AmountCents: it.AmountCents,
			InterestCents: it.InterestCents, PrincipalCents: it.PrincipalCents, FeesCents: it.FeesCents, Installment: it.Installment})
	}
	x.YearToDate = yearToDate(sn.Items, d)
	x.ClosingBalanceCents = balanceOf(t.Kind, state)
	if opening, err := sn.StateOn(x.PeriodFrom - 1); err == nil {
		x.OpeningBalanceCents = balanceOf(t.Kind, opening)
	} else {
		// The history took every event through d, so it takes those
		// through an earlier day: a failure is a bug.
		panic(fmt.Sprintf("statements: contract %d on %s: %v", s.ID, x.PeriodFrom-1, err))
	}
	x.Account = Account{PaymentsLeft: s.RemainingPayments, MaturityDate: s.MaturityDate, PayoffCents: s.PayoffCents}
	if t.Kind == servicing.KindLoan {
		x.Account.PrincipalCents, x.Account.APR, x.Account.PerDiemCents = state.PrincipalCents, t.APR, s.PerDiemCents
	} else {
		x.Account.PurchaseOptionCents, x.Account.MileageAllowance, x.Account.DispositionFeeCents =
			t.PurchaseOptionCents, t.MileageAllowance, t.DispositionFeeCents
	}
	if x.Final {
		return x
	}
	x.Due = amountDue(s, t, state, c.cycleDue)
	if e != nil && x.Due.InstallmentCents > 0 {
		x.Autopay = autopayOf(e, t, x.Due, cust.lang, d)
	}
	if s.DaysPastDue >= delinquencyNoticeDays {
		x.Delinquency = &Delinquency{Since: d.AddDays(-s.DaysPastDue), DaysPastDue: s.DaysPastDue,
			ToCurrentCents: min(s.PastDueCents+s.FeesCents, s.PayoffCents)}
	}
	return x
}

// amountDue is what to pay by the cycle's due date: the dashboard's
// amount due on the statement date when the cycle's installment is the
// next one owed; only what is past due and the fees when it is paid
// already (paid ahead).
func amountDue(s servicing.Summary, t *servicing.Terms, st servicing.State, cycleDue calendar.Date) AmountDue {
	a := AmountDue{DueDate: cycleDue, PastDueCents: s.PastDueCents, FeesCents: s.FeesCents}
	in, ok := installmentOn(t, cycleDue)
	if !ok {
		return a
	}
	a.PaidAheadCents = max(0, st.CreditedCents-in.CumulativeCents)
	if s.NextDue == cycleDue {
		a.InstallmentCents, a.TotalCents = s.NextDueCents, s.AmountDueCents
	} else {
		a.TotalCents = s.PastDueCents + s.FeesCents
		if t.Kind == servicing.KindLease && s.BilledCents < 0 {
			a.TotalCents = max(0, a.TotalCents+s.BilledCents)
		}
		a.TotalCents = min(a.TotalCents, s.PayoffCents)
	}
	if a.InstallmentCents > 0 {
		// The engine's rule (lateCheck): the fee on the installment
		// alone, assessed the day after the grace period if it is still
		// not paid in full.
		if fee := t.LateFee.Fee(in.AmountCents); fee > 0 {
			a.LateFeeCents, a.LateFeeAfter = fee, cycleDue.AddDays(t.GraceDays)
		}
	}
	return a
}

// installmentOn is the installment due on d.
func installmentOn(t *servicing.Terms, d calendar.Date) (servicing.Due, bool) {
	for _, in := range t.Installments {
		if in.Date == d {
			return in, true
		}
	}
	return servicing.Due{}, false
}

// autopayOf is the debit that will pay the cycle: one already created
// for the installment, or the one the autopay run will create (the
// installment still owed plus the extra, on the enrolment's day).
func autopayOf(e *enrolment, t *servicing.Terms, due AmountDue, lang string, d calendar.Date) *Autopay {
	in, ok := installmentOn(t, due.DueDate)
	if !ok {
		return nil
	}
	a := &Autopay{Account: e.method.LabelIn(lang)}
	if debit, ok := e.scheduled[in.Number]; ok {
		a.AmountCents, a.Date = debit.AmountCents, debit.Date
	} else {
		a.AmountCents, a.Date = due.InstallmentCents+e.extra, payments.DebitDate(due.DueDate, e.daysBefore)
	}
	if a.Date < d {
		return nil
	}
	return a
}

// balanceOf is the balance a statement opens and closes with: a loan's
// principal; a lease's payments billed and unpaid (negative: a credit).
func balanceOf(k servicing.Kind, st servicing.State) money.Cents {
	if k == servicing.KindLoan {
		return st.PrincipalCents
	}
	return st.BilledCents
}

// yearToDate totals the payments standing, made from January 1 of d's
// year through d.
func yearToDate(items []servicing.Item, d calendar.Date) Totals {
	var y Totals
	jan1 := calendar.New(d.Year(), 1, 1)
	for _, it := range items {
		if it.Date < jan1 || it.Date > d || it.Returned {
			continue
		}
		if it.Type == servicing.ItemPayment || it.Type == servicing.ItemPayoff {
			y.PaidCents += it.AmountCents
			y.InterestCents += it.InterestCents
			y.PrincipalCents += it.PrincipalCents
			y.FeesCents += it.FeesCents
		}
	}
	return y
}

// Title is a statement's title in its language: "Statement, Nov 2026".
func Title(x Statement) string {
	return fmt.Sprintf("%s, %s", docTitle[notify.Lang(x.Lang)], locale.MonthYear(x.Lang, x.StatementDate))
}

// FileName is a statement's file name: statement-NW-100001-2026-11-30.pdf.
func FileName(x Statement) string {
	return "statement-" + x.AccountNumber + "-" + x.StatementDate.String() + ".pdf"
}
