package servicing

import (
	"cmp"
	"context"
	"fmt"
	"math"
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
	return db.Snapshot(ctx, sv.db, func(q db.Querier) ([]Item, error) { return sv.history(ctx, q, customerID, contractID, f) })
}

// history is History on q, which reads one snapshot: a
// payment or day close committing meanwhile shows whole or not at all.
func (sv *Service) history(ctx context.Context, q db.Querier, customerID, contractID int64, f HistoryFilter) ([]Item, error) {
	if err := owns(ctx, q, customerID, contractID); err != nil {
		return nil, err
	}
	active, err := loadActive(ctx, q, contractID)
	if err != nil {
		return nil, err
	}
	events, err := loadHistoryEvents(ctx, q, contractID)
	if err != nil {
		return nil, err
	}
	pending, err := pendingPayments(ctx, q, contractID)
	if err != nil {
		return nil, err
	}
	items := buildItems(events, active, pending)
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

// histEvent is a servicing event as the history reads it.
type histEvent struct {
	Event
	memo string
}

// loadHistoryEvents reads a contract's events in date order, with memos.
func loadHistoryEvents(ctx context.Context, q db.Querier, contractID int64) ([]histEvent, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, kind, effective_date, amount_cents, COALESCE(target_event_id, 0), odometer, memo
		FROM servicing_events WHERE contract_id = $1 ORDER BY effective_date, id`, contractID)
	if err != nil {
		return nil, fmt.Errorf("history of %d: %w", contractID, err)
	}
	defer rows.Close()
	var events []histEvent
	for rows.Next() {
		var e histEvent
		var kind string
		if err := rows.Scan(&e.ID, &kind, &e.Date, &e.AmountCents, &e.TargetID, &e.Odometer, &e.memo); err != nil {
			return nil, err
		}
		e.Kind = EventKind(kind)
		events = append(events, e)
	}
	return events, rows.Err()
}

// buildItems turns a contract's events and its live fold entries (by ref)
// into history items, unsorted: payments with how each was applied,
// returned payments, fees and waivers, lease charges.
func buildItems(events []histEvent, active map[string]*activeEntry, pending map[int64]calendar.Date) []Item {
	byID := map[int64]*histEvent{}
	reversed := map[int64]bool{}
	for i := range events {
		byID[events[i].ID] = &events[i]
		if events[i].Kind == EventReversal {
			reversed[events[i].TargetID] = true
		}
	}
	var items []Item
	for _, e := range events {
		it := Item{Date: e.Date, EventID: e.ID, Memo: e.memo}
		switch e.Kind {
		case EventFunding:
			it.Type, it.AmountCents = ItemFunded, -e.AmountCents
		case EventPayment, EventPayoff:
			it.Type, it.AmountCents, it.Returned = ItemPayment, e.AmountCents, reversed[e.ID]
			if !it.Returned {
				it.PendingUntil = pending[e.ID]
			}
			if e.Kind == EventPayoff {
				it.Type = ItemPayoff
			}
			if a, ok := active[ref("ev", e.ID)]; ok {
				app := applicationOf([]Entry{{EventID: e.ID, Kind: a.kind, Postings: a.postings}}, e.ID)
				it.InterestCents, it.PrincipalCents, it.FeesCents = app.InterestCents, app.PrincipalCents+app.BilledCents, app.FeesCents
				if a.kind == "payoff" {
					it.Type = ItemPayoff
				}
			}
		case EventNSFFee:
			it.Type, it.AmountCents = ItemNSFFee, -e.AmountCents
		case EventFeeWaiver:
			it.Type, it.AmountCents = ItemFeeWaiver, e.AmountCents
		case EventAdjustment:
			it.Type, it.AmountCents = ItemAdjustment, -e.AmountCents
		case EventWriteOff:
			it.Type = ItemChargeOff
		case EventTurnIn:
			it.Type = ItemTurnIn
			if a, ok := active[ref("ev", e.ID)]; ok {
				for _, p := range a.postings {
					if p.Account == AccountFees {
						it.AmountCents = -p.AmountCents
					}
				}
			}
		case EventReversal:
			target := byID[e.TargetID]
			if target == nil {
				continue
			}
			switch target.Kind {
			case EventPayment, EventPayoff:
				it.Type, it.AmountCents = ItemReturnedPayment, -target.AmountCents
			case EventNSFFee:
				it.Type, it.AmountCents = ItemCorrection, target.AmountCents
			case EventFeeWaiver:
				it.Type, it.AmountCents = ItemCorrection, -target.AmountCents
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
	return items
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

// Split is how money divides between interest, principal and fees.
// Leases put what paid billed payments under principal.
type Split struct {
	InterestCents  money.Cents
	PrincipalCents money.Cents
	FeesCents      money.Cents
}

func (s *Split) add(o Split) {
	s.InterestCents += o.InterestCents
	s.PrincipalCents += o.PrincipalCents
	s.FeesCents += o.FeesCents
}

// Row is one installment of the schedule page: what was due, what was
// credited toward it, and what happened and is projected to happen in
// its period. An installment's period runs from the day after the one
// before it fell due through its own due date (the first from the
// contract's date; the last also holds everything after it), so that
// every payment is in exactly one row, the row of its date.
type Row struct {
	Number      int
	Due         calendar.Date
	AmountCents money.Cents
	PaidCents   money.Cents // credited toward this installment (oldest first)
	Status      InstallmentStatus
	Payments    []Item // payments dated in the period, returned ones marked
	// Posted is what the payments still standing in the period paid, as
	// the ledger holds their application today (a returned payment paid
	// nothing).
	Posted Split
	// Projection is what the payments still to come would pay in the
	// period (loans that are open): see [Service.ScheduleOf]. Projected
	// says the row holds any.
	Projection Split
	Projected  bool
	// PastDueCents is the part of the projected payments in the period
	// that pays earlier installments, past due and projected as paid
	// today.
	PastDueCents money.Cents
	// BalanceCents is a loan's principal after the period: the ledger's
	// up to the due date, less the principal projected up to it.
	BalanceCents money.Cents
	// Leases: how the installment splits, as the lease disclosed it
	// (depreciation and rent charge make the base payment; tax on top).
	DepreciationCents, RentCents, TaxCents money.Cents
}

// Schedule is a contract's schedule page: its rows, and their totals.
// Paid is what every payment still standing paid, the figures of the
// history (InterestPaid over all years, and each payment's split added
// up); Projected is what the payments still to come are projected to pay.
type Schedule struct {
	Rows      []Row
	Paid      Split
	Projected Split
}

// ScheduleOf returns a contract's installment schedule as of the business
// date. What was paid comes from the ledger: each row holds the payments
// dated in its period and what those still standing paid. What is still
// to come is projected for an open loan from its real state, the
// principal and the interest owed and accruing since the last posting:
// what is left of each installment is paid on its due date, or today if
// it is past due, and the last one settles the balance. A projected
// payment falls in the row of its date, as a posted one does, so what is
// past due shows in the period of today, with what is due in it. A row
// can hold both what was paid and what is projected (a partial payment in
// the current period). ErrNotFound if the contract is not the customer's.
func (sv *Service) ScheduleOf(ctx context.Context, customerID, contractID int64) (Schedule, error) {
	return db.Snapshot(ctx, sv.db, func(q db.Querier) (Schedule, error) { return sv.scheduleOf(ctx, q, customerID, contractID) })
}

// scheduleOf is ScheduleOf on q, which reads one snapshot: a
// payment or day close committing meanwhile shows whole or not at all.
func (sv *Service) scheduleOf(ctx context.Context, q db.Querier, customerID, contractID int64) (Schedule, error) {
	if err := owns(ctx, q, customerID, contractID); err != nil {
		return Schedule{}, err
	}
	t, err := loadTerms(ctx, q, contractID)
	if err != nil {
		return Schedule{}, err
	}
	st, _, err := scanState(q.QueryRowContext(ctx, `SELECT `+stateColumns+`
		FROM contract_balances b JOIN contracts c ON c.id = b.contract_id WHERE b.contract_id = $1`, contractID))
	if err != nil {
		return Schedule{}, err
	}
	payments, err := sv.History(ctx, customerID, contractID, HistoryFilter{Types: []ItemType{ItemPayment, ItemPayoff}})
	if err != nil {
		return Schedule{}, err
	}
	slices.Reverse(payments) // oldest first
	today := sv.Today()
	ins := t.Installments
	if len(ins) == 0 {
		return Schedule{}, nil
	}
	// rowOf is the row whose period holds date d.
	rowOf := func(d calendar.Date) int {
		i, _ := slices.BinarySearchFunc(ins, d, func(in Due, d calendar.Date) int { return cmp.Compare(in.Date, d) })
		return min(i, len(ins)-1)
	}
	var sc Schedule
	sc.Rows = make([]Row, len(ins))
	rows := sc.Rows
	nextSeen := false
	for i, in := range ins {
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
		rows[i] = r
	}
	for _, p := range payments {
		r := &rows[rowOf(p.Date)]
		r.Payments = append(r.Payments, p)
		if !p.Returned {
			paid := Split{InterestCents: p.InterestCents, PrincipalCents: p.PrincipalCents, FeesCents: p.FeesCents}
			r.Posted.add(paid)
			sc.Paid.add(paid)
		}
	}
	if t.Kind != KindLoan {
		return sc, nil
	}
	if st.Status.Open() {
		balance, owed, from := st.PrincipalCents, st.InterestCents, st.InterestFrom
		for i, in := range ins {
			last := i == len(ins)-1
			pay := in.AmountCents - rows[i].PaidCents
			if balance <= 0 || (pay <= 0 && !last) {
				continue
			}
			on := max(in.Date, today, from)
			interest := owed + finance.Interest(balance, t.APR, from, on, t.DayCount)
			if last {
				pay = balance + interest
			}
			p := Split{InterestCents: min(pay, interest)}
			p.PrincipalCents = min(balance, pay-p.InterestCents)
			owed, balance, from = interest-p.InterestCents, balance-p.PrincipalCents, on
			k := rowOf(on)
			r := &rows[k]
			r.Projection.add(p)
			r.Projected = true
			if k != i {
				r.PastDueCents += p.InterestCents + p.PrincipalCents
			}
			sc.Projected.add(p)
		}
	}
	// Balances: the ledger's principal through each due date (everything,
	// for the last row), less what is projected through it.
	through, err := principalThrough(ctx, q, contractID)
	if err != nil {
		return Schedule{}, err
	}
	var projected money.Cents
	for i := range rows {
		r := &rows[i]
		projected += r.Projection.PrincipalCents
		on := r.Due
		if i == len(rows)-1 {
			on = calendar.Date(math.MaxInt32)
		}
		r.BalanceCents = through(on) - projected
	}
	return sc, nil
}

// principalThrough reads a loan's principal postings and returns the
// principal they leave through a date. Corrections are dated as what
// they correct (a returned payment's reversal on the payment's date), so
// this is the principal of the history as it stands.
func principalThrough(ctx context.Context, q db.Querier, contractID int64) (func(calendar.Date) money.Cents, error) {
	rows, err := q.QueryContext(ctx, `SELECT t.effective_date, SUM(p.amount_cents)
		FROM ledger_transactions t JOIN ledger_postings p ON p.transaction_id = t.id
		WHERE t.contract_id = $1 AND p.account = $2
		GROUP BY t.effective_date ORDER BY t.effective_date`, contractID, AccountPrincipal)
	if err != nil {
		return nil, fmt.Errorf("principal of contract %d: %w", contractID, err)
	}
	defer rows.Close()
	var dates []calendar.Date
	var cum []money.Cents
	var total money.Cents
	for rows.Next() {
		var d calendar.Date
		var c int64
		if err := rows.Scan(&d, &c); err != nil {
			return nil, fmt.Errorf("principal of contract %d: %w", contractID, err)
		}
		total += money.Cents(c)
		dates, cum = append(dates, d), append(cum, total)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("principal of contract %d: %w", contractID, err)
	}
	return func(d calendar.Date) money.Cents {
		i, found := slices.BinarySearch(dates, d)
		if found {
			i++
		}
		if i == 0 {
			return 0
		}
		return cum[i-1]
	}, nil
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
