package servicing

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"carfin/calendar"
	"carfin/db"
	"carfin/finance"
	"carfin/ledger"
	"carfin/money"
)

// cached is what contract_balances holds beyond the fold's State.
type cached struct {
	accruedCents   money.Cents
	accruedThrough calendar.Date
	postingSeq     int64
}

const termsColumns = `c.id, c.kind, c.apr_rate, c.day_count, c.grace_days, c.late_fee_kind, c.late_fee_cents, c.late_fee_rate,
	c.late_fee_cap_cents, c.nsf_fee_cents, c.waterfall, c.pay_ahead, c.contract_date, c.amount_financed_cents,
	COALESCE(l.residual_cents, 0), COALESCE(l.purchase_option_cents, 0), COALESCE(l.purchase_fee_cents, 0),
	COALESCE(l.disposition_fee_cents, 0), COALESCE(l.mileage_allowance, 0), COALESCE(l.excess_mile_cents, 0),
	COALESCE(l.odometer_start, 0), c.schedule`

// termsScan receives the termsColumns of a row.
type termsScan struct {
	t                                   Terms
	kind, dayCount, waterfall, payAhead string
	packed                              []byte
}

func (ts *termsScan) dest() []any {
	t := &ts.t
	return []any{&t.ContractID, &ts.kind, &t.APR, &ts.dayCount, &t.GraceDays, &t.LateFee.Kind, &t.LateFee.FixedCents, &t.LateFee.Rate,
		&t.LateFee.CapCents, &t.NSFFeeCents, &ts.waterfall, &ts.payAhead, &t.ContractDate, &t.AmountFinancedCents,
		&t.ResidualCents, &t.PurchaseOptionCents, &t.PurchaseFeeCents, &t.DispositionFeeCents, &t.MileageAllowance,
		&t.ExcessMileRateCents, &t.OdometerStart, &ts.packed}
}

func (ts *termsScan) finish() (*Terms, error) {
	t := ts.t
	var err error
	t.Kind, t.PayAhead = Kind(ts.kind), PayAhead(ts.payAhead)
	if t.DayCount, err = finance.ParseDayCount(ts.dayCount); err != nil {
		return nil, err
	}
	if t.Waterfall, err = ParseWaterfall(t.Kind, ts.waterfall); err != nil {
		return nil, err
	}
	if t.Installments, err = unpackSchedule(t.ContractDate, ts.packed); err != nil {
		return nil, fmt.Errorf("schedule of contract %d: %w", t.ContractID, err)
	}
	return &t, nil
}

func scanTerms(sc interface{ Scan(...any) error }) (*Terms, error) {
	var ts termsScan
	if err := sc.Scan(ts.dest()...); err != nil {
		return nil, err
	}
	return ts.finish()
}

// loadTerms reads a contract's terms and installment schedule. It returns
// ErrNotFound for an unknown contract.
func loadTerms(ctx context.Context, q db.Querier, id int64) (*Terms, error) {
	t, err := scanTerms(q.QueryRowContext(ctx, `SELECT `+termsColumns+`
		FROM contracts c LEFT JOIN lease_terms l ON l.contract_id = c.id WHERE c.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("contract %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("contract %d: %w", id, err)
	}
	return t, nil
}

// loadInstallmentRows reads the installments table of a contract (the SQL
// copy of the packed schedule).
func loadInstallmentRows(ctx context.Context, q db.Querier, id int64) ([]Due, error) {
	rows, err := q.QueryContext(ctx, `SELECT number, due_date, amount_cents, cumulative_cents,
		depreciation_cents, rent_cents, tax_cents FROM installments WHERE contract_id = $1 ORDER BY number`, id)
	if err != nil {
		return nil, fmt.Errorf("installments of %d: %w", id, err)
	}
	defer rows.Close()
	var out []Due
	for rows.Next() {
		var in Due
		if err := rows.Scan(&in.Number, &in.Date, &in.AmountCents, &in.CumulativeCents, &in.DepreciationCents, &in.RentCents, &in.TaxCents); err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

const stateColumns = `c.state, b.principal_cents, b.interest_cents, b.fees_cents, b.billed_cents, b.interest_from,
	b.credited_cents, b.late_checked_through, b.billed_through, b.advanced_through, b.paid_interest_cents,
	c.closed_on, b.accrued_cents, b.accrued_through, b.posting_seq`

// stateScan receives the stateColumns of a row.
type stateScan struct {
	s      State
	k      cached
	status string
}

func (ss *stateScan) dest() []any {
	s, k := &ss.s, &ss.k
	return []any{&ss.status, &s.PrincipalCents, &s.InterestCents, &s.FeesCents, &s.BilledCents, &s.InterestFrom,
		&s.CreditedCents, &s.LateCheckedThrough, &s.BilledThrough, &s.AdvancedThrough, &s.PaidInterestCents,
		&s.ClosedOn, &k.accruedCents, &k.accruedThrough, &k.postingSeq}
}

func (ss *stateScan) finish() (State, cached) {
	ss.s.Status = Status(ss.status)
	return ss.s, ss.k
}

func scanState(sc interface{ Scan(...any) error }, extra ...any) (State, cached, error) {
	var ss stateScan
	if err := sc.Scan(append(ss.dest(), extra...)...); err != nil {
		return State{}, cached{}, err
	}
	s, k := ss.finish()
	return s, k, nil
}

// lockState reads a contract's cached state in tx, locking the row on
// PostgreSQL so that postings to one contract queue while postings to
// different contracts run side by side.
func lockState(ctx context.Context, tx *db.Tx, id int64) (State, cached, error) {
	s, k, err := scanState(tx.QueryRowContext(ctx, `SELECT `+stateColumns+`
		FROM contract_balances b JOIN contracts c ON c.id = b.contract_id WHERE b.contract_id = $1`+lockBalance(tx), id))
	if errors.Is(err, sql.ErrNoRows) {
		return State{}, cached{}, fmt.Errorf("contract %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return State{}, cached{}, fmt.Errorf("state of contract %d: %w", id, err)
	}
	return s, k, nil
}

// derived are the columns computed from a state for queries: the oldest
// unpaid installment, the next date on which time changes the state, and
// delinquency.
type derived struct {
	nextUnpaidNumber int
	nextUnpaidDue    calendar.Date
	nextEventDate    calendar.Date
	daysPastDue      int
	bucket           string
}

// DelinquencyBucket names the delinquency bucket of a number of days past
// due: current, 1-29, 30-59, 60-89, 90+.
func DelinquencyBucket(dpd int) string {
	switch {
	case dpd <= 0:
		return "current"
	case dpd < 30:
		return "1-29"
	case dpd < 60:
		return "30-59"
	case dpd < 90:
		return "60-89"
	}
	return "90+"
}

func derive(t *Terms, s State) derived {
	var dv derived
	dv.nextUnpaidNumber = len(t.Installments) + 1
	for _, in := range t.Installments {
		if in.CumulativeCents > s.CreditedCents {
			dv.nextUnpaidNumber, dv.nextUnpaidDue = in.Number, in.Date
			break
		}
	}
	if !s.Status.Open() {
		dv.nextUnpaidNumber, dv.nextUnpaidDue = len(t.Installments)+1, 0
	}
	if dv.nextUnpaidDue != 0 && dv.nextUnpaidDue < s.AdvancedThrough {
		dv.daysPastDue = int(s.AdvancedThrough - dv.nextUnpaidDue)
	}
	dv.bucket = DelinquencyBucket(dv.daysPastDue)
	if s.Status.Open() {
		next := calendar.Date(0)
		consider := func(d calendar.Date) {
			if d != 0 && (next == 0 || d < next) {
				next = d
			}
		}
		if t.Kind == KindLease && s.BilledThrough < len(t.Installments) {
			consider(t.Installments[s.BilledThrough].Date)
		}
		if s.LateCheckedThrough < len(t.Installments) {
			consider(t.Installments[s.LateCheckedThrough].Date.AddDays(t.GraceDays + 1))
		}
		if s.Status == StatusActive {
			consider(t.MaturityDate().AddDays(1))
		}
		dv.nextEventDate = next
	}
	return dv
}

// accrualFor returns the general-ledger accrual of a state through a
// date: the interest earned on principal since the last recognition,
// floored to the cent (day close books the floor; recognition trues up).
func accrualFor(t *Terms, s State, through calendar.Date) money.Cents {
	if t.Kind != KindLoan || !s.Status.Open() || through <= s.InterestFrom || s.PrincipalCents == 0 {
		return 0
	}
	return accruedFloor(s.PrincipalCents, t.APR, s.InterestFrom, through, t.DayCount)
}

// accruedFloor is finance's exact interest floored to the cent. Day
// close computes the same in SQL for 365/365 contracts.
func accruedFloor(principal money.Cents, apr money.Rate, from, through calendar.Date, basis finance.DayCount) money.Cents {
	return finance.InterestFloor(principal, apr, from, through, basis)
}

func entryKey(contractID, seq int64) string {
	return "c" + strconv.FormatInt(contractID, 10) + "/" + strconv.FormatInt(seq, 10)
}

// toLedger turns fold entries into ledger transactions with the contract's
// next posting sequence numbers as keys.
func toLedger(contractID int64, entries []Entry, k *cached, memo string) []*ledger.Transaction {
	out := make([]*ledger.Transaction, len(entries))
	for i, e := range entries {
		k.postingSeq++
		ps := make([]ledger.Posting, len(e.Postings))
		for j, p := range e.Postings {
			ps[j] = ledger.Posting{Account: p.Account, AmountCents: p.AmountCents}
		}
		out[i] = &ledger.Transaction{ContractID: contractID, Kind: e.Kind, EffectiveDate: e.Date,
			IdempotencyKey: entryKey(contractID, k.postingSeq), Ref: e.Ref, Memo: memo, Postings: ps}
	}
	return out
}

// eventRequest is an event as a client asked for it, for idempotency.
type eventRequest struct {
	ContractID int64
	Event      Event
	Key        string
	Actor      string
	Memo       string
}

func (r eventRequest) hash() string {
	h := sha256.New()
	fmt.Fprintf(h, "%d|%s|%s|%d|%d|%d|%s", r.ContractID, r.Event.Kind, r.Event.Date, r.Event.AmountCents,
		r.Event.TargetID, r.Event.Odometer, r.Memo)
	return hex.EncodeToString(h.Sum(nil))
}

// keyLenMax bounds client idempotency keys.
const keyLenMax = 200

// findEvent returns the id of the event recorded under the request's key:
// 0 if none, ErrIdempotencyConflict if the key was used for another request.
func findEvent(ctx context.Context, q db.Querier, r eventRequest) (int64, error) {
	var id int64
	var hash string
	err := q.QueryRowContext(ctx, `SELECT id, request_hash FROM servicing_events WHERE idempotency_key = $1`, r.Key).Scan(&id, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("look up key: %w", err)
	}
	if hash != r.hash() {
		return 0, fmt.Errorf("key %q: %w", r.Key, ErrIdempotencyConflict)
	}
	return id, nil
}

// insertEvent records an event and returns its id, or 0 if its
// idempotency key is already taken (the caller then looks the key up). It
// returns ErrNotFound for an unknown contract.
func insertEvent(ctx context.Context, tx *db.Tx, r eventRequest) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO servicing_events (contract_id, kind, effective_date, amount_cents, target_event_id,
		odometer, idempotency_key, request_hash, actor, memo, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
		r.ContractID, string(r.Event.Kind), r.Event.Date, int64(r.Event.AmountCents), nullID(r.Event.TargetID), r.Event.Odometer,
		r.Key, r.hash(), r.Actor, r.Memo, tx.Now()).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil
	case db.IsForeignKeyViolation(err):
		return 0, fmt.Errorf("contract %d: %w", r.ContractID, ErrNotFound)
	case err != nil:
		return 0, fmt.Errorf("record %s: %w", r.Event.Kind, err)
	}
	return id, nil
}

// lockBalance locks only the balance row (PostgreSQL): the contract row
// is read, not written, by postings.
func lockBalance(tx *db.Tx) string {
	if tx.Engine() == db.Postgres {
		return " FOR UPDATE OF b"
	}
	return ""
}

// loadForUpdate reads a contract's terms and state with one query,
// locking its balance row on PostgreSQL so that postings to one contract
// queue while postings to different contracts run side by side.
func loadForUpdate(ctx context.Context, tx *db.Tx, id int64) (*Terms, State, cached, error) {
	lock := lockBalance(tx)
	var ts termsScan
	var ss stateScan
	err := tx.QueryRowContext(ctx, `SELECT `+termsColumns+`, `+stateColumns+`
		FROM contracts c LEFT JOIN lease_terms l ON l.contract_id = c.id JOIN contract_balances b ON b.contract_id = c.id
		WHERE c.id = $1`+lock, id).Scan(append(ts.dest(), ss.dest()...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, State{}, cached{}, fmt.Errorf("contract %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, State{}, cached{}, fmt.Errorf("contract %d: %w", id, err)
	}
	t, err := ts.finish()
	if err != nil {
		return nil, State{}, cached{}, err
	}
	s, k := ss.finish()
	return t, s, k, nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// loadEvents reads a contract's whole history.
func loadEvents(ctx context.Context, q db.Querier, contractID int64) ([]Event, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, kind, effective_date, amount_cents, COALESCE(target_event_id, 0), odometer
		FROM servicing_events WHERE contract_id = $1 ORDER BY effective_date, id`, contractID)
	if err != nil {
		return nil, fmt.Errorf("events of %d: %w", contractID, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var kind string
		if err := rows.Scan(&e.ID, &kind, &e.Date, &e.AmountCents, &e.TargetID, &e.Odometer); err != nil {
			return nil, err
		}
		e.Kind = EventKind(kind)
		out = append(out, e)
	}
	return out, rows.Err()
}

// activeEntry is a ledger transaction of a contract that the fold produced
// and that is not reversed.
type activeEntry struct {
	id       int64
	ref      string
	kind     string
	date     calendar.Date
	postings []Posting
}

// loadActive reads a contract's live fold entries: those with a ref, not
// reversals, not reversed.
func loadActive(ctx context.Context, q db.Querier, contractID int64) (map[string]*activeEntry, error) {
	rows, err := q.QueryContext(ctx, `SELECT t.id, t.ref, t.kind, t.effective_date, p.account, p.amount_cents
		FROM ledger_transactions t JOIN ledger_postings p ON p.transaction_id = t.id
		WHERE t.contract_id = $1 AND t.ref <> '' AND t.kind <> 'reversal'
		AND NOT EXISTS (SELECT 1 FROM ledger_transactions r WHERE r.reverses_id = t.id)
		ORDER BY t.id, p.line`, contractID)
	if err != nil {
		return nil, fmt.Errorf("ledger of contract %d: %w", contractID, err)
	}
	defer rows.Close()
	out := map[string]*activeEntry{}
	for rows.Next() {
		var id int64
		var r, kind, account string
		var date calendar.Date
		var amount money.Cents
		if err := rows.Scan(&id, &r, &kind, &date, &account, &amount); err != nil {
			return nil, err
		}
		a := out[r]
		if a == nil {
			a = &activeEntry{id: id, ref: r, kind: kind, date: date}
			out[r] = a
		} else if a.id != id {
			return nil, fmt.Errorf("contract %d has two live ledger entries for %s (%d, %d)", contractID, r, a.id, id)
		}
		a.postings = append(a.postings, Posting{account, amount})
	}
	return out, rows.Err()
}

// samePostings compares postings as multisets.
func samePostings(a, b []Posting) bool {
	if len(a) != len(b) {
		return false
	}
	sortPostings := func(ps []Posting) []Posting {
		out := slices.Clone(ps)
		slices.SortFunc(out, func(x, y Posting) int {
			return cmp.Or(strings.Compare(x.Account, y.Account), cmp.Compare(x.AmountCents, y.AmountCents))
		})
		return out
	}
	return slices.Equal(sortPostings(a), sortPostings(b))
}

// reconcile makes the ledger match a replayed history: live entries that
// the replay no longer produces, or produces differently, are reversed (on
// their own effective dates, so that balances as of any date are those of
// the corrected history), and the replay's new or changed entries are
// posted. It returns how many transactions it reversed and posted.
func reconcile(ctx context.Context, tx *db.Tx, contractID int64, replayed []Entry, k *cached, memo string) (reversed, posted int, err error) {
	active, err := loadActive(ctx, tx, contractID)
	if err != nil {
		return 0, 0, err
	}
	var toPost []Entry
	var toReverse []*activeEntry
	for _, e := range replayed {
		a, ok := active[e.Ref]
		if ok {
			delete(active, e.Ref)
			if a.kind == e.Kind && a.date == e.Date && samePostings(a.postings, e.Postings) {
				continue
			}
			toReverse = append(toReverse, a)
		}
		toPost = append(toPost, e)
	}
	for _, a := range active {
		toReverse = append(toReverse, a)
	}
	slices.SortFunc(toReverse, func(x, y *activeEntry) int { return cmp.Compare(x.id, y.id) })
	var batch []*ledger.Transaction
	for _, a := range toReverse {
		k.postingSeq++
		orig := &ledger.Transaction{ID: a.id, ContractID: contractID, Ref: a.ref}
		for _, p := range a.postings {
			orig.Postings = append(orig.Postings, ledger.Posting{Account: p.Account, AmountCents: p.AmountCents})
		}
		batch = append(batch, ledger.Reversal(orig, entryKey(contractID, k.postingSeq), a.date, memo))
	}
	batch = append(batch, toLedger(contractID, toPost, k, memo)...)
	if err := ledger.PostMany(ctx, tx, batch); err != nil {
		return 0, 0, err
	}
	return len(toReverse), len(toPost), nil
}
