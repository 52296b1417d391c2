package servicing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"carfin/calendar"
	"carfin/db"
	"carfin/money"
)

// Owed returns what a contract owes and when on date today, by the one
// rule every page shows (the dashboard's, see summarize): the amount due,
// what is past due and since when, the next due date and installment,
// fees, and the payoff on today. Only those figures, the id, kind and
// status are set. It reads with q, so that a transaction sees what it has
// posted. It is not scoped by customer: the caller has checked the
// contract is the customer's. It returns ErrNotFound.
func (sv *Service) Owed(ctx context.Context, q db.Querier, contractID int64, today calendar.Date) (Summary, error) {
	t, st, err := loadTermsState(ctx, q, contractID)
	if err != nil {
		return Summary{}, err
	}
	s := Summary{ContractRef: ContractRef{ID: contractID, Kind: t.Kind, Status: st.Status}, MaturityDate: t.MaturityDate()}
	summarize(&s, t, st, today)
	return s, nil
}

// Planned is a payment expected on a date that servicing has not posted
// yet (a scheduled payment).
type Planned struct {
	Date        calendar.Date
	AmountCents money.Cents
}

// LateNotice is what the late fees of a payment's date would be: the fees
// the engine assesses after today and on or before the payment's date,
// which a payment on that date comes too late to prevent. A zero FeeCents
// means the date brings no late fee.
type LateNotice struct {
	FeeCents money.Cents
	// Due is the installment whose grace period ends first among those,
	// and GraceEnds its last day of grace: a payment dated on or before
	// it is in time (the fee is assessed the day after).
	Due       Due
	GraceEnds calendar.Date
}

// LateFeesBy returns the late fees that a payment dated on would not
// prevent, as the engine itself would assess them (the same fold, the
// product's fee rule and grace days): the contract is advanced to today
// (fees already due are owed, not news), the planned payments dated
// before on are applied on their dates (one that the contract cannot take
// is left out), and the contract is advanced to on. It reads with q; it
// returns ErrNotFound. A closed contract has no late fees.
func (sv *Service) LateFeesBy(ctx context.Context, q db.Querier, contractID int64, today, on calendar.Date, planned []Planned) (LateNotice, error) {
	t, s, err := loadTermsState(ctx, q, contractID)
	if err != nil {
		return LateNotice{}, err
	}
	if !s.Status.Open() || on <= today {
		return LateNotice{}, nil
	}
	s, _ = AdvanceTo(t, s, max(today, s.AdvancedThrough))
	var fees []Entry
	collect := func(entries []Entry) {
		for _, e := range entries {
			if e.Kind == "late_fee" && e.Date > today && e.Date <= on {
				fees = append(fees, e)
			}
		}
	}
	planned = slices.Clone(planned)
	slices.SortStableFunc(planned, func(a, b Planned) int { return cmp.Compare(a.Date, b.Date) })
	for _, p := range planned {
		if p.Date < s.AdvancedThrough || p.Date >= on || p.AmountCents <= 0 {
			continue
		}
		next, entries, err := Apply(t, s, Event{Kind: EventPayment, Date: p.Date, AmountCents: p.AmountCents})
		if err != nil {
			continue // the run would skip or cut it; it pays nothing here
		}
		s = next
		collect(entries)
	}
	_, entries := AdvanceTo(t, s, on)
	collect(entries)
	if len(fees) == 0 {
		return LateNotice{}, nil
	}
	var n LateNotice
	for _, e := range fees {
		for _, p := range e.Postings {
			if p.Account == AccountFees {
				n.FeeCents += p.AmountCents
			}
		}
	}
	first := slices.MinFunc(fees, func(a, b Entry) int { return cmp.Compare(a.Date, b.Date) })
	number, err := strconv.Atoi(strings.TrimPrefix(first.Ref, "late:"))
	if err != nil || number < 1 || number > len(t.Installments) {
		panic(fmt.Sprintf("servicing: late fee entry %q names no installment of contract %d", first.Ref, contractID))
	}
	n.Due = t.Installments[number-1]
	n.GraceEnds = n.Due.Date.AddDays(t.GraceDays)
	return n, nil
}
