package servicing

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"carfin/calendar"
	"carfin/finance"
	"carfin/money"
)

// Ledger accounts. Per-contract accounts carry the contract's id on each
// posting; the others are the lender's general-ledger accounts. A debit is
// a positive amount, a credit a negative one.
const (
	AccountPrincipal  = "principal"   // loan principal receivable
	AccountInterest   = "interest"    // interest earned and unpaid
	AccountFees       = "fees"        // fees receivable
	AccountBilled     = "billed"      // lease payments billed and unpaid (negative: prepaid)
	AccountLeaseAsset = "lease_asset" // net investment in the leased vehicle

	AccountFunding        = "funding"         // amounts paid out to dealers at funding
	AccountCash           = "cash"            // clearing for payments received
	AccountInterestIncome = "interest_income" // interest recognised on contracts
	AccountFeeIncome      = "fee_income"
	AccountFeeWaivers     = "fee_waivers" // contra-income: waived fees
	AccountLeaseIncome    = "lease_income"
	AccountTaxPayable     = "tax_payable" // sales tax billed on lease payments
	AccountAdjustments    = "adjustments"
	AccountChargeOffs     = "charge_offs"       // loss on written-off contracts
	AccountVehicles       = "vehicle_inventory" // returned lease vehicles at residual
	// Day close accrues interest earned but not yet recognised on each
	// contract, for the general ledger; recognising it on a contract
	// releases the accrual.
	AccountAccruedInterest = "accrued_interest_receivable"
	AccountAccruedIncome   = "accrued_interest_income"
)

// EventKind is the kind of an input event in a contract's history.
type EventKind string

const (
	EventFunding    EventKind = "funding"
	EventPayment    EventKind = "payment"
	EventPayoff     EventKind = "payoff"
	EventNSFFee     EventKind = "nsf_fee"
	EventFeeWaiver  EventKind = "fee_waiver"
	EventAdjustment EventKind = "adjustment" // principal adjustment, + or −
	EventWriteOff   EventKind = "write_off"
	EventTurnIn     EventKind = "turn_in" // lease vehicle returned; Odometer set
	EventReversal   EventKind = "reversal"
)

// Event is one input to a contract's history. Events are immutable; a
// reversal is another event naming its target.
type Event struct {
	ID          int64
	Kind        EventKind
	Date        calendar.Date
	AmountCents money.Cents
	TargetID    int64 // reversal: the reversed event
	Odometer    int64 // turn-in: the odometer reading
}

// Posting is one line of a ledger entry.
type Posting struct {
	Account     string
	AmountCents money.Cents
}

// Entry is a ledger transaction the fold derives. Ref identifies it across
// replays: "ev:ID" for an event's own entry, "late:N" for the late fee on
// installment N, "bill:N" for a lease billing.
type Entry struct {
	Ref      string
	Kind     string
	Date     calendar.Date
	EventID  int64
	Postings []Posting
}

// State is a contract's servicing state: what the fold carries from one
// event to the next, and what contract_balances caches.
type State struct {
	Status         Status
	PrincipalCents money.Cents // loan: principal; lease: net investment (book value)
	InterestCents  money.Cents // interest recognised and unpaid
	FeesCents      money.Cents
	BilledCents    money.Cents // lease: billed and unpaid; negative is a credit
	InterestFrom   calendar.Date
	CreditedCents  money.Cents // paid toward installments
	// LateCheckedThrough is the last installment whose late-fee date has
	// passed (fee assessed or not); BilledThrough the last lease
	// installment billed.
	LateCheckedThrough int
	BilledThrough      int
	// AdvancedThrough is the date through which time-driven effects (late
	// fees, lease billing) have been applied. An event dated before it is
	// backdated and needs a replay.
	AdvancedThrough   calendar.Date
	PaidInterestCents money.Cents // interest paid over the life of the contract
	ClosedOn          calendar.Date
}

// fold applies events to a state. emit receives each derived entry.
type fold struct {
	t    *Terms
	s    State
	emit func(Entry)
}

func ref(prefix string, n int64) string { return prefix + ":" + strconv.FormatInt(n, 10) }

// advance applies the time-driven effects dated on or before d, in date
// order: lease billing on each due date, and the late-fee check of each
// installment the day after its grace period ends.
func (f *fold) advance(d calendar.Date) {
	if d <= f.s.AdvancedThrough {
		return
	}
	ins := f.t.Installments
	if f.s.Status == StatusActive && d > f.t.MaturityDate() && (f.t.Kind == KindLease || f.s.PrincipalCents > 0) {
		f.s.Status = StatusMatured
	}
	for f.s.Status.Open() {
		billDate, lateDate := calendar.Date(0), calendar.Date(0)
		if f.t.Kind == KindLease && f.s.BilledThrough < len(ins) {
			billDate = ins[f.s.BilledThrough].Date
		}
		if f.s.LateCheckedThrough < len(ins) {
			lateDate = ins[f.s.LateCheckedThrough].Date.AddDays(f.t.GraceDays + 1)
		}
		switch {
		case billDate != 0 && billDate <= d && (lateDate == 0 || billDate <= lateDate):
			f.bill(ins[f.s.BilledThrough])
		case lateDate != 0 && lateDate <= d:
			f.lateCheck(ins[f.s.LateCheckedThrough], lateDate)
		default:
			f.s.AdvancedThrough = d
			return
		}
	}
	f.s.AdvancedThrough = max(f.s.AdvancedThrough, d)
}

// bill posts a lease installment: the lessee owes it, the investment falls
// by its depreciation, rent is income and the tax is owed to the state.
func (f *fold) bill(in Due) {
	f.s.BilledThrough = in.Number
	f.s.BilledCents += in.AmountCents
	f.s.PrincipalCents -= in.DepreciationCents
	f.emit(Entry{Ref: ref("bill", int64(in.Number)), Kind: "lease_billing", Date: in.Date, Postings: compact(
		Posting{AccountBilled, in.AmountCents},
		Posting{AccountLeaseAsset, -in.DepreciationCents},
		Posting{AccountLeaseIncome, -in.RentCents},
		Posting{AccountTaxPayable, -in.TaxCents},
	)})
}

// lateCheck assesses the late fee on an installment still unpaid after its
// grace period: once per installment, computed on the installment alone
// (never on unpaid fees), so fees cannot pyramid (16 CFR 444.4).
func (f *fold) lateCheck(in Due, on calendar.Date) {
	f.s.LateCheckedThrough = in.Number
	if f.s.CreditedCents >= in.CumulativeCents {
		return
	}
	fee := f.t.LateFee.Fee(in.AmountCents)
	if fee <= 0 {
		return
	}
	f.s.FeesCents += fee
	f.emit(Entry{Ref: ref("late", int64(in.Number)), Kind: "late_fee", Date: on, Postings: compact(
		Posting{AccountFees, fee},
		Posting{AccountFeeIncome, -fee},
	)})
}

// recognizeInterest brings the interest owed up to date d: the daily
// simple interest on principal since InterestFrom becomes owed.
func (f *fold) recognizeInterest(d calendar.Date) money.Cents {
	if f.t.Kind != KindLoan || d <= f.s.InterestFrom {
		return 0
	}
	r := finance.Interest(f.s.PrincipalCents, f.t.APR, f.s.InterestFrom, d, f.t.DayCount)
	f.s.InterestCents += r
	f.s.InterestFrom = d
	return r
}

// PayoffCents returns what pays the contract off on the date of the state
// (loans: principal + interest to d + fees; leases: net investment +
// billed + fees), without changing the state.
func (s State) payoffAt(t *Terms, d calendar.Date) money.Cents {
	if t.Kind == KindLease {
		return s.PrincipalCents + s.BilledCents + s.FeesCents
	}
	r := money.Cents(0)
	if d > s.InterestFrom {
		r = finance.Interest(s.PrincipalCents, t.APR, s.InterestFrom, d, t.DayCount)
	}
	return s.PrincipalCents + s.InterestCents + r + s.FeesCents
}

// owed is what a closed contract may still collect: fees and billed
// amounts left after a turn-in or a charge-off are still owed.
func (s State) owed() money.Cents {
	return s.PrincipalCents + s.InterestCents + s.FeesCents + max(0, s.BilledCents)
}

// errBackdated tells the store that an event precedes the state's
// AdvancedThrough date and needs a replay.
var errBackdated = errors.New("event is backdated")

// apply applies one event. It returns a typed error, and leaves the fold
// unchanged, for an event the contract cannot take.
func (f *fold) apply(ev Event) error {
	if ev.Kind == EventFunding {
		return f.fund(ev)
	}
	if ev.Date < f.t.ContractDate {
		return fmt.Errorf("%s on %s: %w (%s)", ev.Kind, ev.Date, ErrBeforeFunding, f.t.ContractDate)
	}
	if ev.Date < f.s.AdvancedThrough {
		return fmt.Errorf("%s on %s before %s: %w", ev.Kind, ev.Date, f.s.AdvancedThrough, errBackdated)
	}
	collectable := ev.Kind == EventPayment && f.s.owed() > 0
	if !f.s.Status.Open() && !collectable {
		return fmt.Errorf("%s on %s: %w (%s)", ev.Kind, ev.Date, ErrClosed, f.s.Status)
	}
	saved := f.s
	f.advance(ev.Date)
	var err error
	switch ev.Kind {
	case EventPayment:
		err = f.pay(ev, false)
	case EventPayoff:
		err = f.pay(ev, true)
	case EventNSFFee:
		err = f.fee(ev)
	case EventFeeWaiver:
		err = f.waive(ev)
	case EventAdjustment:
		err = f.adjust(ev)
	case EventWriteOff:
		err = f.writeOff(ev)
	case EventTurnIn:
		err = f.turnIn(ev)
	default:
		err = fmt.Errorf("event kind %q: %w", ev.Kind, ErrInvalid)
	}
	if err != nil {
		f.s = saved
	}
	return err
}

func (f *fold) fund(ev Event) error {
	if f.s.Status != "" {
		return fmt.Errorf("contract is already funded: %w", ErrInvalid)
	}
	if ev.AmountCents <= 0 {
		return fmt.Errorf("funding: %w", ErrAmount)
	}
	account := AccountPrincipal
	if f.t.Kind == KindLease {
		account = AccountLeaseAsset
	}
	f.s = State{Status: StatusActive, PrincipalCents: ev.AmountCents, InterestFrom: ev.Date, AdvancedThrough: ev.Date}
	f.emit(Entry{Ref: ref("ev", ev.ID), Kind: "funding", Date: ev.Date, EventID: ev.ID, Postings: compact(
		Posting{account, ev.AmountCents},
		Posting{AccountFunding, -ev.AmountCents},
	)})
	return nil
}

// pay applies a payment through the waterfall. A payoff must equal the
// payoff amount exactly and closes the contract.
func (f *fold) pay(ev Event, payoff bool) error {
	if ev.AmountCents <= 0 {
		return fmt.Errorf("payment: %w", ErrAmount)
	}
	if f.t.Kind == KindLease {
		return f.payLease(ev, payoff)
	}
	due := f.t.cumulativeDue(ev.Date) - f.s.CreditedCents
	r := f.recognizeInterest(ev.Date)
	total := f.s.PrincipalCents + f.s.InterestCents + f.s.FeesCents
	if payoff && ev.AmountCents != total {
		return fmt.Errorf("payoff on %s is %s, not %s: %w", ev.Date, total, ev.AmountCents, ErrPayoffAmount)
	}
	if ev.AmountCents > total {
		return fmt.Errorf("payment of %s on %s exceeds the payoff of %s: %w", ev.AmountCents, ev.Date, total, ErrOverpayment)
	}
	left := ev.AmountCents
	var toInterest, toPrincipalDue, toFees, toExtra money.Cents
	for _, b := range f.t.Waterfall {
		switch b {
		case BucketInterest:
			toInterest = min(left, f.s.InterestCents)
			left -= toInterest
		case BucketPrincipalDue:
			toPrincipalDue = min(left, f.s.PrincipalCents, max(0, due-toInterest))
			left -= toPrincipalDue
		case BucketFees:
			toFees = min(left, f.s.FeesCents)
			left -= toFees
		case BucketPrincipal:
			toExtra = min(left, f.s.PrincipalCents-toPrincipalDue)
			left -= toExtra
		}
	}
	if left != 0 {
		panic(fmt.Sprintf("servicing: waterfall left %s of a payment within the payoff", left))
	}
	f.s.InterestCents -= toInterest
	f.s.PrincipalCents -= toPrincipalDue + toExtra
	f.s.FeesCents -= toFees
	f.s.PaidInterestCents += toInterest
	f.s.CreditedCents += toInterest + toPrincipalDue
	if f.t.PayAhead == PayAheadAdvance {
		f.s.CreditedCents += toExtra
	}
	kind := "payment"
	if f.s.PrincipalCents == 0 && f.s.InterestCents == 0 && f.s.FeesCents == 0 {
		f.s.Status, f.s.ClosedOn = StatusPaidOff, ev.Date
		kind = "payoff"
	}
	f.emit(Entry{Ref: ref("ev", ev.ID), Kind: kind, Date: ev.Date, EventID: ev.ID, Postings: compact(
		Posting{AccountCash, ev.AmountCents},
		Posting{AccountInterestIncome, -r},
		Posting{AccountInterest, r - toInterest},
		Posting{AccountPrincipal, -(toPrincipalDue + toExtra)},
		Posting{AccountFees, -toFees},
	)})
	return nil
}

// payLease applies a lease payment: billed payments, fees, then a credit
// against future bills, never more than the payments still to be billed.
// A lease payoff (purchase before the end) pays the net investment too and
// closes the lease.
func (f *fold) payLease(ev Event, payoff bool) error {
	total := f.s.payoffAt(f.t, ev.Date)
	if payoff {
		if ev.AmountCents != total {
			return fmt.Errorf("lease payoff on %s is %s, not %s: %w", ev.Date, total, ev.AmountCents, ErrPayoffAmount)
		}
		f.emit(Entry{Ref: ref("ev", ev.ID), Kind: "payoff", Date: ev.Date, EventID: ev.ID, Postings: compact(
			Posting{AccountCash, ev.AmountCents},
			Posting{AccountLeaseAsset, -f.s.PrincipalCents},
			Posting{AccountBilled, -f.s.BilledCents},
			Posting{AccountFees, -f.s.FeesCents},
		)})
		f.s.CreditedCents += f.s.BilledCents
		f.s.PrincipalCents, f.s.BilledCents, f.s.FeesCents = 0, 0, 0
		f.s.Status, f.s.ClosedOn = StatusPaidOff, ev.Date
		return nil
	}
	var unbilled money.Cents
	for _, in := range f.t.Installments[f.s.BilledThrough:] {
		unbilled += in.AmountCents
	}
	most := f.s.BilledCents + f.s.FeesCents + unbilled
	if ev.AmountCents > most {
		return fmt.Errorf("payment of %s on %s exceeds the %s still owed: %w", ev.AmountCents, ev.Date, most, ErrOverpayment)
	}
	left := ev.AmountCents
	var toBilled, toFees, toPrepaid money.Cents
	for _, b := range f.t.Waterfall {
		switch b {
		case BucketBilled:
			toBilled = min(left, max(0, f.s.BilledCents))
			left -= toBilled
		case BucketFees:
			toFees = min(left, f.s.FeesCents)
			left -= toFees
		case BucketPrepaid:
			toPrepaid = left
			left = 0
		}
	}
	f.s.BilledCents -= toBilled + toPrepaid
	f.s.FeesCents -= toFees
	f.s.CreditedCents += toBilled + toPrepaid
	f.emit(Entry{Ref: ref("ev", ev.ID), Kind: "payment", Date: ev.Date, EventID: ev.ID, Postings: compact(
		Posting{AccountCash, ev.AmountCents},
		Posting{AccountBilled, -(toBilled + toPrepaid)},
		Posting{AccountFees, -toFees},
	)})
	return nil
}

func (f *fold) fee(ev Event) error {
	if ev.AmountCents <= 0 {
		return fmt.Errorf("fee: %w", ErrAmount)
	}
	f.s.FeesCents += ev.AmountCents
	f.emit(Entry{Ref: ref("ev", ev.ID), Kind: "nsf_fee", Date: ev.Date, EventID: ev.ID, Postings: compact(
		Posting{AccountFees, ev.AmountCents},
		Posting{AccountFeeIncome, -ev.AmountCents},
	)})
	return nil
}

func (f *fold) waive(ev Event) error {
	if ev.AmountCents <= 0 {
		return fmt.Errorf("waiver: %w", ErrAmount)
	}
	if ev.AmountCents > f.s.FeesCents {
		return fmt.Errorf("waiver of %s with %s of fees owed on %s: %w", ev.AmountCents, f.s.FeesCents, ev.Date, ErrNoFees)
	}
	f.s.FeesCents -= ev.AmountCents
	if f.t.Kind == KindLoan && f.s.Status.Open() && f.s.owed() == 0 {
		// Waiving the last fee of a loan whose principal and interest
		// are paid settles it.
		f.s.Status, f.s.ClosedOn = StatusPaidOff, ev.Date
	}
	f.emit(Entry{Ref: ref("ev", ev.ID), Kind: "fee_waiver", Date: ev.Date, EventID: ev.ID, Postings: compact(
		Posting{AccountFeeWaivers, ev.AmountCents},
		Posting{AccountFees, -ev.AmountCents},
	)})
	return nil
}

// adjust changes a loan's principal by the (signed) amount, after bringing
// interest up to date so that the old principal earns interest until the
// adjustment's date.
func (f *fold) adjust(ev Event) error {
	if f.t.Kind != KindLoan {
		return fmt.Errorf("adjustment: %w", ErrWrongKind)
	}
	if ev.AmountCents == 0 || f.s.PrincipalCents+ev.AmountCents < 0 {
		return fmt.Errorf("adjustment of %s to a principal of %s: %w", ev.AmountCents, f.s.PrincipalCents, ErrInvalid)
	}
	r := f.recognizeInterest(ev.Date)
	f.s.PrincipalCents += ev.AmountCents
	f.emit(Entry{Ref: ref("ev", ev.ID), Kind: "adjustment", Date: ev.Date, EventID: ev.ID, Postings: compact(
		Posting{AccountInterest, r},
		Posting{AccountInterestIncome, -r},
		Posting{AccountPrincipal, ev.AmountCents},
		Posting{AccountAdjustments, -ev.AmountCents},
	)})
	return nil
}

// writeOff charges the contract off: everything owed becomes a loss.
func (f *fold) writeOff(ev Event) error {
	r := f.recognizeInterest(ev.Date)
	owed := f.s.PrincipalCents + f.s.InterestCents + f.s.FeesCents + max(0, f.s.BilledCents)
	principalAccount := AccountPrincipal
	if f.t.Kind == KindLease {
		principalAccount = AccountLeaseAsset
	}
	f.emit(Entry{Ref: ref("ev", ev.ID), Kind: "write_off", Date: ev.Date, EventID: ev.ID, Postings: compact(
		Posting{AccountInterest, r},
		Posting{AccountInterestIncome, -r},
		Posting{AccountChargeOffs, owed},
		Posting{principalAccount, -f.s.PrincipalCents},
		Posting{AccountInterest, -f.s.InterestCents},
		Posting{AccountFees, -f.s.FeesCents},
		Posting{AccountBilled, -max(0, f.s.BilledCents)},
	)})
	f.s.PrincipalCents, f.s.InterestCents, f.s.FeesCents = 0, 0, 0
	f.s.BilledCents = min(0, f.s.BilledCents)
	f.s.Status, f.s.ClosedOn = StatusChargedOff, ev.Date
	return nil
}

// turnIn ends a lease with the vehicle's return: the vehicle goes to
// inventory at its book value, and the lessee owes the disposition fee and
// the excess-mileage charge (finance.QuoteLeaseEnd) on top of anything
// billed and unpaid.
func (f *fold) turnIn(ev Event) error {
	if f.t.Kind != KindLease {
		return fmt.Errorf("turn-in: %w", ErrWrongKind)
	}
	if f.s.BilledThrough < len(f.t.Installments) {
		return fmt.Errorf("turn-in on %s before the last payment is billed (%s): early termination is quoted by staff: %w",
			ev.Date, f.t.MaturityDate(), ErrInvalid)
	}
	end, err := finance.QuoteLeaseEnd(f.t.leaseEndTerms(ev.Odometer, 0))
	if err != nil {
		return fmt.Errorf("turn-in: %w", err)
	}
	charges := f.t.DispositionFeeCents + end.ExcessMileageCents
	f.emit(Entry{Ref: ref("ev", ev.ID), Kind: "turn_in", Date: ev.Date, EventID: ev.ID, Postings: compact(
		Posting{AccountVehicles, f.s.PrincipalCents},
		Posting{AccountLeaseAsset, -f.s.PrincipalCents},
		Posting{AccountFees, charges},
		Posting{AccountFeeIncome, -charges},
	)})
	f.s.FeesCents += charges
	f.s.PrincipalCents = 0
	f.s.Status, f.s.ClosedOn = StatusTerminated, ev.Date
	return nil
}

func (t *Terms) leaseEndTerms(odometer int64, unpaid money.Cents) finance.LeaseEndTerms {
	return finance.LeaseEndTerms{
		PurchaseOptionCents: t.PurchaseOptionCents,
		PurchaseFeeCents:    t.PurchaseFeeCents,
		DispositionFeeCents: t.DispositionFeeCents,
		MileageAllowance:    t.MileageAllowance,
		ExcessMileRateCents: t.ExcessMileRateCents,
		UnpaidCents:         unpaid,
		OdometerAtSigning:   t.OdometerStart,
		OdometerAtEnd:       odometer,
	}
}

// compact drops zero postings (the ledger refuses them) and checks that
// the entry balances: an unbalanced entry is a bug in the rules.
func compact(ps ...Posting) []Posting {
	out := ps[:0]
	var sum money.Cents
	for _, p := range ps {
		if p.AmountCents != 0 {
			out = append(out, p)
			sum += p.AmountCents
		}
	}
	if sum != 0 {
		panic(fmt.Sprintf("servicing: entry does not balance (%s): %v", sum, ps))
	}
	return out
}

// Apply applies one event to a state and returns the new state and the
// entries to post. It does not change s.
func Apply(t *Terms, s State, ev Event) (State, []Entry, error) {
	var entries []Entry
	f := fold{t: t, s: s, emit: func(e Entry) { entries = append(entries, e) }}
	if err := f.apply(ev); err != nil {
		return s, nil, err
	}
	return f.s, entries, nil
}

// AdvanceTo applies the time-driven effects through date d (late fees,
// lease billing) and returns the new state and the entries to post.
func AdvanceTo(t *Terms, s State, d calendar.Date) (State, []Entry) {
	var entries []Entry
	f := fold{t: t, s: s, emit: func(e Entry) { entries = append(entries, e) }}
	f.advance(d)
	return f.s, entries
}

// Replay folds a contract's whole history: events in date order (a
// reversed event and its reversal drop out, as if the reversed event had
// never happened), then time-driven effects through date through. It
// returns the final state and every entry the history implies. An event
// the history can no longer take (a payment that now exceeds the payoff)
// is returned as an error naming it.
func Replay(t *Terms, events []Event, through calendar.Date) (State, []Entry, error) {
	reversed := map[int64]bool{}
	for _, ev := range events {
		if ev.Kind == EventReversal {
			reversed[ev.TargetID] = true
		}
	}
	live := make([]Event, 0, len(events))
	for _, ev := range events {
		if ev.Kind != EventReversal && !reversed[ev.ID] {
			live = append(live, ev)
		}
	}
	slices.SortStableFunc(live, func(a, b Event) int {
		if a.Kind == EventFunding || b.Kind == EventFunding {
			return boolCmp(a.Kind != EventFunding, b.Kind != EventFunding)
		}
		return cmp.Or(cmp.Compare(a.Date, b.Date), cmp.Compare(a.ID, b.ID))
	})
	var entries []Entry
	f := fold{t: t, emit: func(e Entry) { entries = append(entries, e) }}
	for _, ev := range live {
		if err := f.apply(ev); err != nil {
			return State{}, nil, fmt.Errorf("replay event %d (%s on %s): %w", ev.ID, ev.Kind, ev.Date, err)
		}
	}
	if f.s.Status.Open() {
		f.advance(through)
	}
	f.s.AdvancedThrough = max(f.s.AdvancedThrough, through)
	return f.s, entries, nil
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}
