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
	"carfin/finance"
	"carfin/money"
)

// ItemType is a kind of activity as customers understand it.
type ItemType string

const (
	ItemFunded          ItemType = "funded"
	ItemPayment         ItemType = "payment"
	ItemPayoff          ItemType = "payoff"
	ItemReturnedPayment ItemType = "returned_payment"
	ItemLateFee         ItemType = "late_fee"
	ItemNSFFee          ItemType = "nsf_fee"
	ItemFeeWaiver       ItemType = "fee_waiver"
	ItemAdjustment      ItemType = "adjustment"
	ItemLeaseCharge     ItemType = "lease_charge"
	ItemChargeOff       ItemType = "charge_off"
	ItemTurnIn          ItemType = "turn_in"
	ItemCorrection      ItemType = "correction" // a fee or waiver taken back

	// ItemInterest is a filter, never an item's type: the payments and
	// payoffs still standing whose application paid interest, each with
	// the interest it paid (Item.InterestCents). A simple-interest loan
	// charges interest as no line of its own: interest accrues daily on
	// the principal and is paid from each payment when it is received
	// (the daily accrual is a general-ledger entry across contracts, not
	// the customer's activity), so that is where a customer sees it, as
	// on a statement. A lease has none (its rent charge is part of each
	// billed payment).
	ItemInterest ItemType = "interest"
)

// ItemTypes lists the types a history can be filtered by, in the order a
// filter shows them.
var ItemTypes = []ItemType{ItemPayment, ItemInterest, ItemReturnedPayment, ItemLateFee, ItemNSFFee, ItemFeeWaiver, ItemAdjustment,
	ItemLeaseCharge, ItemPayoff, ItemFunded, ItemChargeOff, ItemTurnIn, ItemCorrection}

// Item is one line of a contract's history. AmountCents is signed from the
// customer's side: what they paid is positive, what they were charged is
// negative.
type Item struct {
	Date           calendar.Date
	Type           ItemType
	AmountCents    money.Cents
	InterestCents  money.Cents // payments: to interest
	PrincipalCents money.Cents // payments: to principal (leases: to billed payments)
	FeesCents      money.Cents // payments: to fees
	Installment    int         // late fees and lease charges: the installment
	Returned       bool        // a payment that came back
	// PendingUntil: a bank (ACH) payment still inside its return window,
	// final after this date unless the bank returns it (0 otherwise).
	PendingUntil calendar.Date
	Memo         string
	EventID      int64
}

// HistoryFilter selects items.
type HistoryFilter struct {
	From, To calendar.Date // inclusive; zero means open
	Types    []ItemType    // none means all; ItemInterest: payments that paid interest
}

// historyItemsMax bounds a contract's history (decades of monthly activity).
const historyItemsMax = 10_000

// History returns a contract's activity, newest first, as customers
// understand it: payments with how each was applied, returned payments,
// fees and waivers, lease charges. It is built from the contract's events
// and its live ledger entries, so internal corrections (a later payment
// re-applied after a backdated one) show as their current result, not as
// reversals. The filter's ItemInterest selects the payments that paid
// interest. ErrNotFound if the contract is not the customer's.
func (sv *Service) History(ctx context.Context, customerID, contractID int64, f HistoryFilter) ([]Item, error) {
	q := sv.db.Read
	if err := owns(ctx, q, customerID, contractID); err != nil {
		return nil, err
	}
	active, err := loadActive(ctx, q, contractID)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT id, kind, effective_date, amount_cents, COALESCE(target_event_id, 0), memo
		FROM servicing_events WHERE contract_id = $1 ORDER BY effective_date, id`, contractID)
	if err != nil {
		return nil, fmt.Errorf("history of %d: %w", contractID, err)
	}
	type ev struct {
		id, target int64
		kind       EventKind
		date       calendar.Date
		amount     money.Cents
		memo       string
	}
	var events []ev
	byID := map[int64]*ev{}
	for rows.Next() {
		var e ev
		var kind string
		if err := rows.Scan(&e.id, &kind, &e.date, &e.amount, &e.target, &e.memo); err != nil {
			rows.Close()
			return nil, err
		}
		e.kind = EventKind(kind)
		events = append(events, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	pending, err := pendingPayments(ctx, q, contractID)
	if err != nil {
		return nil, err
	}
	reversed := map[int64]bool{}
	for i := range events {
		byID[events[i].id] = &events[i]
		if events[i].kind == EventReversal {
			reversed[events[i].target] = true
		}
	}
	var items []Item
	for _, e := range events {
		it := Item{Date: e.date, EventID: e.id, Memo: e.memo}
		switch e.kind {
		case EventFunding:
			it.Type, it.AmountCents = ItemFunded, -e.amount
		case EventPayment, EventPayoff:
			it.Type, it.AmountCents, it.Returned = ItemPayment, e.amount, reversed[e.id]
			if !it.Returned {
				it.PendingUntil = pending[e.id]
			}
			if e.kind == EventPayoff {
				it.Type = ItemPayoff
			}
			if a, ok := active[ref("ev", e.id)]; ok {
				app := applicationOf([]Entry{{EventID: e.id, Kind: a.kind, Postings: a.postings}}, e.id)
				it.InterestCents, it.PrincipalCents, it.FeesCents = app.InterestCents, app.PrincipalCents+app.BilledCents, app.FeesCents
				if a.kind == "payoff" {
					it.Type = ItemPayoff
				}
			}
		case EventNSFFee:
			it.Type, it.AmountCents = ItemNSFFee, -e.amount
		case EventFeeWaiver:
			it.Type, it.AmountCents = ItemFeeWaiver, e.amount
		case EventAdjustment:
			it.Type, it.AmountCents = ItemAdjustment, -e.amount
		case EventWriteOff:
			it.Type = ItemChargeOff
		case EventTurnIn:
			it.Type = ItemTurnIn
			if a, ok := active[ref("ev", e.id)]; ok {
				for _, p := range a.postings {
					if p.Account == AccountFees {
						it.AmountCents = -p.AmountCents
					}
				}
			}
		case EventReversal:
			target := byID[e.target]
			if target == nil {
				continue
			}
			switch target.kind {
			case EventPayment, EventPayoff:
				it.Type, it.AmountCents = ItemReturnedPayment, -target.amount
			case EventNSFFee:
				it.Type, it.AmountCents = ItemCorrection, target.amount
			case EventFeeWaiver:
				it.Type, it.AmountCents = ItemCorrection, -target.amount
			default:
				it.Type = ItemCorrection
			}
		}
		items = append(items, it)
	}
	for r, a := range active {
		kind, num, ok := strings.Cut(r, ":")
		n, _ := strconv.Atoi(num)
		if !ok {
			continue
		}
		switch kind {
		case "late":
			items = append(items, Item{Date: a.date, Type: ItemLateFee, AmountCents: -sumAccount(a.postings, AccountFees), Installment: n})
		case "bill":
			items = append(items, Item{Date: a.date, Type: ItemLeaseCharge, AmountCents: -sumAccount(a.postings, AccountBilled), Installment: n})
		}
	}
	slices.SortStableFunc(items, func(a, b Item) int {
		return cmp.Or(cmp.Compare(b.Date, a.Date), cmp.Compare(b.EventID, a.EventID), cmp.Compare(b.Installment, a.Installment))
	})
	out := items[:0]
	for _, it := range items {
		if f.match(it) {
			out = append(out, it)
		}
	}
	return out[:min(len(out), historyItemsMax)], nil
}

func (f HistoryFilter) match(it Item) bool {
	if (f.From != 0 && it.Date < f.From) || (f.To != 0 && it.Date > f.To) {
		return false
	}
	if len(f.Types) == 0 {
		return true
	}
	for _, t := range f.Types {
		if t == it.Type || (t == ItemInterest && it.InterestCents > 0 && !it.Returned) {
			return true
		}
	}
	return false
}

func sumAccount(ps []Posting, account string) money.Cents {
	var s money.Cents
	for _, p := range ps {
		if p.Account == account {
			s += p.AmountCents
		}
	}
	return s
}

// owns returns ErrNotFound unless the contract is the customer's.
func owns(ctx context.Context, q db.Querier, customerID, contractID int64) error {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM contracts WHERE id = $1 AND customer_id = $2`, contractID, customerID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("contract %d of customer %d: %w", contractID, customerID, ErrNotFound)
	}
	return nil
}

// pendingPayments maps the servicing events of a contract's bank payments
// still inside their return window to the date they become final. The
// payments package keeps that state on its payments; servicing reads it
// here so that the history says which payments may still come back.
func pendingPayments(ctx context.Context, q db.Querier, contractID int64) (map[int64]calendar.Date, error) {
	rows, err := q.QueryContext(ctx, `SELECT servicing_event_id, settles_on FROM payments
		WHERE contract_id = $1 AND status = 'pending' AND servicing_event_id IS NOT NULL AND settles_on IS NOT NULL`, contractID)
	if err != nil {
		return nil, fmt.Errorf("pending payments of %d: %w", contractID, err)
	}
	defer rows.Close()
	out := map[int64]calendar.Date{}
	for rows.Next() {
		var id int64
		var d calendar.Date
		if err := rows.Scan(&id, &d); err != nil {
			return nil, err
		}
		out[id] = d
	}
	return out, rows.Err()
}

// InterestPaid returns the interest a customer paid on a contract in each
// calendar year, from payments still standing (returned ones excluded):
// the payments the history's ItemInterest filter lists.
func (sv *Service) InterestPaid(ctx context.Context, customerID, contractID int64) (map[int]money.Cents, error) {
	items, err := sv.History(ctx, customerID, contractID, HistoryFilter{Types: []ItemType{ItemInterest}})
	if err != nil {
		return nil, err
	}
	out := map[int]money.Cents{}
	for _, it := range items {
		out[it.Date.Year()] += it.InterestCents
	}
	return out, nil
}

// InstallmentStatus is where an installment stands.
type InstallmentStatus string

const (
	InstallmentPaid     InstallmentStatus = "paid"
	InstallmentPartial  InstallmentStatus = "partial"
	InstallmentPastDue  InstallmentStatus = "past_due"
	InstallmentDue      InstallmentStatus = "due"      // the next one, not yet due
	InstallmentUpcoming InstallmentStatus = "upcoming" // later ones
)

// Row is one installment of the schedule page: what was due, what was
// paid toward it, the payments made in its period with how they were
// applied, and for future installments the projected split.
type Row struct {
	Number      int
	Due         calendar.Date
	AmountCents money.Cents
	PaidCents   money.Cents // credited toward this installment
	Status      InstallmentStatus
	Payments    []Item // payments dated in this installment's period
	// Projected for open installments (loans): interest and principal if
	// paid on the due date, and the balance after.
	InterestCents  money.Cents
	PrincipalCents money.Cents
	BalanceCents   money.Cents
	Projected      bool
	// Leases: how the installment splits, as the lease disclosed it
	// (depreciation and rent charge make the base payment; tax on top).
	DepreciationCents, RentCents, TaxCents money.Cents
}

// ScheduleOf returns a contract's installment schedule with payments and
// projections as of the business date. ErrNotFound if not the customer's.
func (sv *Service) ScheduleOf(ctx context.Context, customerID, contractID int64) ([]Row, error) {
	q := sv.db.Read
	if err := owns(ctx, q, customerID, contractID); err != nil {
		return nil, err
	}
	t, err := loadTerms(ctx, q, contractID)
	if err != nil {
		return nil, err
	}
	st, _, err := scanState(q.QueryRowContext(ctx, `SELECT `+stateColumns+`
		FROM contract_balances b JOIN contracts c ON c.id = b.contract_id WHERE b.contract_id = $1`, contractID))
	if err != nil {
		return nil, err
	}
	payments, err := sv.History(ctx, customerID, contractID, HistoryFilter{Types: []ItemType{ItemPayment, ItemPayoff}})
	if err != nil {
		return nil, err
	}
	slices.Reverse(payments) // oldest first
	today := sv.Today()
	rows := make([]Row, len(t.Installments))
	prev := t.ContractDate
	balance, owed, from := st.PrincipalCents, st.InterestCents, st.InterestFrom
	nextSeen := false
	for i, in := range t.Installments {
		r := Row{Number: in.Number, Due: in.Date, AmountCents: in.AmountCents,
			DepreciationCents: in.DepreciationCents, RentCents: in.RentCents, TaxCents: in.TaxCents}
		r.PaidCents = max(0, min(in.AmountCents, st.CreditedCents-(in.CumulativeCents-in.AmountCents)))
		switch {
		case r.PaidCents == in.AmountCents:
			r.Status = InstallmentPaid
		case in.Date < today:
			r.Status = InstallmentPastDue
		case !nextSeen:
			r.Status, nextSeen = InstallmentDue, true
		default:
			r.Status = InstallmentUpcoming
		}
		if r.Status == InstallmentPastDue && r.PaidCents > 0 {
			r.Status = InstallmentPartial
		}
		for _, p := range payments {
			if p.Date > prev && p.Date <= in.Date || (i == len(t.Installments)-1 && p.Date > in.Date) {
				r.Payments = append(r.Payments, p)
			}
		}
		if r.Status != InstallmentPaid && st.Status.Open() && t.Kind == KindLoan && balance > 0 {
			// Project paying what is left of this installment on its due
			// date (or today, if it is past due).
			on := max(in.Date, today, from)
			interest := owed + finance.Interest(balance, t.APR, from, on, t.DayCount)
			pay := in.AmountCents - r.PaidCents
			if i == len(t.Installments)-1 {
				pay = balance + interest
			}
			r.InterestCents = min(pay, interest)
			r.PrincipalCents = min(balance, pay-r.InterestCents)
			owed = interest - r.InterestCents
			balance -= r.PrincipalCents
			from = on
			r.BalanceCents, r.Projected = balance, true
		}
		rows[i] = r
		prev = in.Date
	}
	return rows, nil
}

// WhatIf projects paying a contract's remaining schedule with an extra
// amount each month and/or a lump sum on a date, against paying it as
// scheduled: the payoff date and interest of each. Loans only.
func (sv *Service) WhatIf(ctx context.Context, customerID, contractID int64, extraMonthly, lump money.Cents, lumpOn calendar.Date) (base, plan finance.Outcome, err error) {
	q := sv.db.Read
	if err := owns(ctx, q, customerID, contractID); err != nil {
		return base, plan, err
	}
	t, err := loadTerms(ctx, q, contractID)
	if err != nil {
		return base, plan, err
	}
	if t.Kind != KindLoan {
		return base, plan, fmt.Errorf("what-if: %w", ErrWrongKind)
	}
	st, _, err := scanState(q.QueryRowContext(ctx, `SELECT `+stateColumns+`
		FROM contract_balances b JOIN contracts c ON c.id = b.contract_id WHERE b.contract_id = $1`, contractID))
	if err != nil {
		return base, plan, err
	}
	if !st.Status.Open() {
		return base, plan, fmt.Errorf("what-if: %w", ErrClosed)
	}
	today := sv.Today()
	if extraMonthly < 0 || lump < 0 || (lump > 0 && (lumpOn < today || lumpOn > today.AddMonths(len(t.Installments)))) {
		return base, plan, fmt.Errorf("what-if: extra and lump sum must not be negative, and the lump sum's date must be from today: %w", ErrInvalid)
	}
	p := finance.Plan{PrincipalCents: st.PrincipalCents, UnpaidInterest: st.InterestCents, APR: t.APR, DayCount: t.DayCount,
		InterestFrom: st.InterestFrom}
	var payment money.Cents
	for _, in := range t.Installments {
		if in.CumulativeCents > st.CreditedCents {
			p.DueDates = append(p.DueDates, max(in.Date, today))
			if payment == 0 {
				payment = in.AmountCents
			}
		}
	}
	if len(t.Installments) > 0 {
		payment = max(payment, t.Installments[0].AmountCents)
	}
	p.PaymentCents = payment
	if base, err = finance.Simulate(p); err != nil {
		return base, plan, err
	}
	p.ExtraCents, p.LumpCents, p.LumpOn = extraMonthly, lump, lumpOn
	plan, err = finance.Simulate(p)
	return base, plan, err
}
