package servicing

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"carfin/calendar"
	"carfin/db"
	"carfin/money"
)

// Snapshot is a contract as it stood at the end of a date: its terms, its
// state replayed from the events dated on or before that date, the
// figures the dashboard showed that day, and its history through it. A
// statement is built from one, so that it says what the ledger, the
// dashboard and the history page said on its date, whatever was posted
// after (a payment on the next morning, a return days later).
type Snapshot struct {
	Terms   *Terms
	State   State
	Summary Summary
	// Items is the history through the date, newest first, as History
	// lists it on that date: a payment returned later still shows as paid,
	// with how it was applied.
	Items []Item
	// InterestPaidYTD is the interest the year's standing payments paid
	// through the date (the history's interest filter for the year).
	InterestPaidYTD money.Cents
	events          []Event
}

// StateOn returns the contract's state at the end of date on (on or
// before the snapshot's date): its events dated through on, replayed
// through on. A statement's opening balance is the state on the day
// before its period.
func (s *Snapshot) StateOn(on calendar.Date) (State, error) {
	var evs []Event
	for _, e := range s.events {
		if e.Date <= on {
			evs = append(evs, e)
		}
	}
	if len(evs) == 0 {
		return State{}, nil
	}
	st, _, err := Replay(s.Terms, evs, on)
	return st, err
}

// snapshotIDsMax bounds one snapshot read: a chunk of contracts with
// a few hundred events each.
const snapshotIDsMax = 2_000

// SnapshotsAsOf returns the snapshot on date d of each contract in ids,
// read in tx with a few queries whatever their number (the statement run
// reads a chunk at a time). Events dated after d are left out, as if not
// yet received; a reversal dated after d leaves its target standing. A
// contract without terms is absent from the result. It panics on more
// than snapshotIDsMax ids (a caller's bug).
func (sv *Service) SnapshotsAsOf(ctx context.Context, tx *db.Tx, ids []int64, d calendar.Date) (map[int64]*Snapshot, error) {
	if len(ids) > snapshotIDsMax {
		panic(fmt.Sprintf("servicing: %d snapshots in one read, at most %d", len(ids), snapshotIDsMax))
	}
	out := make(map[int64]*Snapshot, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	terms, err := loadTermsMany(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	where, args := db.InList(tx, "contract_id", ids)
	rows, err := tx.QueryContext(ctx, `SELECT contract_id, id, kind, effective_date, amount_cents, COALESCE(target_event_id, 0), odometer, memo
		FROM servicing_events WHERE `+where+` ORDER BY contract_id, effective_date, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("events of %d contracts: %w", len(ids), err)
	}
	events := map[int64][]histEvent{}
	for rows.Next() {
		var c int64
		var e histEvent
		var kind string
		if err := rows.Scan(&c, &e.ID, &kind, &e.Date, &e.AmountCents, &e.TargetID, &e.Odometer, &e.memo); err != nil {
			rows.Close()
			return nil, err
		}
		if e.Date > d {
			continue
		}
		e.Kind = EventKind(kind)
		events[c] = append(events[c], e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	refs, err := contractRefs(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		t := terms[id]
		if t == nil {
			continue
		}
		snap, err := snapshotOf(t, events[id], d)
		if err != nil {
			return nil, fmt.Errorf("contract %d as of %s: %w", id, d, err)
		}
		r := refs[id]
		snap.Summary.ContractRef, snap.Summary.CustomerID = r.ContractRef, r.customerID
		snap.Summary.Status = snap.State.Status
		snap.Summary.AmountFinancedCents, snap.Summary.APR, snap.Summary.TermMonths = t.AmountFinancedCents, t.APR, len(t.Installments)
		snap.Summary.PaymentCents, snap.Summary.ContractDate, snap.Summary.MileageAllowance = r.paymentCents, t.ContractDate, t.MileageAllowance
		snap.Summary.ClosedOn = snap.State.ClosedOn
		out[id] = snap
	}
	return out, nil
}

// snapshotOf replays a contract's events (all dated on or before d)
// through d.
func snapshotOf(t *Terms, evs []histEvent, d calendar.Date) (*Snapshot, error) {
	plain := make([]Event, len(evs))
	for i, e := range evs {
		plain[i] = e.Event
	}
	st, entries, err := Replay(t, plain, d)
	if err != nil {
		return nil, err
	}
	active := make(map[string]*activeEntry, len(entries))
	for _, e := range entries {
		if e.Ref == "" {
			continue
		}
		active[e.Ref] = &activeEntry{ref: e.Ref, kind: e.Kind, date: e.Date, postings: e.Postings}
	}
	s := &Snapshot{Terms: t, State: st, events: plain}
	s.Summary.ID, s.Summary.Kind, s.Summary.MaturityDate = t.ContractID, t.Kind, t.MaturityDate()
	summarize(&s.Summary, t, st, d)
	items := buildItems(evs, active, nil)
	slices.SortStableFunc(items, func(a, b Item) int {
		return cmp.Or(cmp.Compare(b.Date, a.Date), cmp.Compare(b.EventID, a.EventID), cmp.Compare(b.Installment, a.Installment))
	})
	// A payment reversed after d does not know it yet: buildItems saw no
	// reversal, since those events were left out.
	s.Items = items
	jan1 := calendar.New(d.Year(), 1, 1)
	for _, it := range items {
		if it.Date >= jan1 && !it.Returned && it.InterestCents > 0 {
			s.InterestPaidYTD += it.InterestCents
		}
	}
	return s, nil
}

type refRow struct {
	ContractRef
	customerID   int64
	paymentCents money.Cents
}

// contractRefs reads what identifies each contract: account, vehicle,
// customer.
func contractRefs(ctx context.Context, tx *db.Tx, ids []int64) (map[int64]refRow, error) {
	where, args := db.InList(tx, "c.id", ids)
	rows, err := tx.QueryContext(ctx, `SELECT c.id, c.account_number, c.kind, c.state, v.year, v.make, v.model, v.vin, c.customer_id, c.payment_cents
		FROM contracts c JOIN vehicles v ON v.id = c.vehicle_id WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("contracts: %w", err)
	}
	defer rows.Close()
	out := make(map[int64]refRow, len(ids))
	for rows.Next() {
		var r refRow
		var kind, status, vin string
		if err := rows.Scan(&r.ID, &r.AccountNumber, &kind, &status, &r.VehicleYear, &r.Make, &r.Model, &vin, &r.customerID, &r.paymentCents); err != nil {
			return nil, err
		}
		r.Kind, r.Status, r.VINLast6 = Kind(kind), Status(status), vin[len(vin)-6:]
		out[r.ID] = r
	}
	return out, rows.Err()
}
