package servicing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"

	"carfin/calendar"
	"carfin/db"
	"carfin/finance"
	"carfin/ledger"
	"carfin/money"
)

// DayCloseChunkSize is how many contract ids one day-close chunk covers.
// Each chunk is one transaction; chunks are independent, so several
// processes can close one day together.
const DayCloseChunkSize = 20_000

// Chunk is a range of contract ids [First, Last] closed together.
type Chunk struct{ First, Last int64 }

// DayCloseStats says what closing a day (or a chunk of it) did.
type DayCloseStats struct {
	Date         calendar.Date
	Chunks       int // chunks closed by this call
	Skipped      int // chunks already closed earlier
	Contracts    int // open contracts in the chunks closed
	Advanced     int // contracts whose time-driven effects ran (fees, billing, maturity)
	LateFees     int
	AccruedCents money.Cents // change of the general-ledger accrual
}

// DayCloseChunks returns the chunks covering every contract for a day
// close, as fixed id ranges so that a rerun splits the same way.
func (sv *Service) DayCloseChunks(ctx context.Context) ([]Chunk, error) {
	var lo, hi sql.NullInt64
	if err := sv.db.Read.QueryRowContext(ctx, `SELECT MIN(id), MAX(id) FROM contracts`).Scan(&lo, &hi); err != nil {
		return nil, fmt.Errorf("day close chunks: %w", err)
	}
	if !lo.Valid {
		return nil, nil
	}
	var out []Chunk
	size := sv.chunkSize
	for k := (lo.Int64 - 1) / size; k*size < hi.Int64; k++ {
		out = append(out, Chunk{k*size + 1, (k + 1) * size})
	}
	return out, nil
}

// DayClose closes business date d for every contract, chunk by chunk. It
// is idempotent (closed chunks are skipped) and restartable: a run killed
// half-way leaves whole chunks done or not done, and a rerun finishes the
// rest exactly once.
func (sv *Service) DayClose(ctx context.Context, d calendar.Date) (DayCloseStats, error) {
	chunks, err := sv.DayCloseChunks(ctx)
	if err != nil {
		return DayCloseStats{}, err
	}
	// Chunks are independent: PostgreSQL closes them side by side, one
	// per core; SQLite has one writer, so one at a time.
	workers := 1
	if sv.db.Engine == db.Postgres {
		workers = min(runtime.GOMAXPROCS(0), dayCloseWorkersMax)
	}
	total := DayCloseStats{Date: d}
	var mu sync.Mutex
	var firstErr error
	next := make(chan Chunk)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ch := range next {
				st, err := sv.DayCloseChunk(ctx, d, ch)
				mu.Lock()
				total.add(st)
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	for _, ch := range chunks {
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			break
		}
		next <- ch
	}
	close(next)
	wg.Wait()
	return total, firstErr
}

// dayCloseWorkersMax bounds the chunks one process closes at once.
const dayCloseWorkersMax = 8

func (s *DayCloseStats) add(o DayCloseStats) {
	s.Chunks += o.Chunks
	s.Skipped += o.Skipped
	s.Contracts += o.Contracts
	s.Advanced += o.Advanced
	s.LateFees += o.LateFees
	s.AccruedCents += o.AccruedCents
}

// DayCloseChunk closes date d for the contracts in one chunk, in one
// transaction: for each open contract it applies what the date brings
// (late fees after the grace period, lease billing, maturity), accrues
// interest for the general ledger, and updates days past due and the
// delinquency bucket; then it records the chunk as closed. It refuses a
// date after the business date (ErrFutureDate).
func (sv *Service) DayCloseChunk(ctx context.Context, d calendar.Date, ch Chunk) (DayCloseStats, error) {
	st := DayCloseStats{Date: d}
	err := sv.db.InTx(ctx, func(tx *db.Tx) error {
		st = DayCloseStats{Date: d}
		if today := sv.today(tx.Now()); d > today {
			return fmt.Errorf("day close of %s after %s: %w", d, today, ErrFutureDate)
		}
		var done int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM day_close_chunks WHERE business_date = $1 AND first_id = $2`, d, ch.First).Scan(&done); err != nil {
			return err
		}
		if done > 0 {
			st.Skipped = 1
			return nil
		}
		if sv.chunkChecked != nil {
			sv.chunkChecked(ch)
		}
		st.Chunks = 1
		if err := sv.advanceDue(ctx, tx, d, ch, &st); err != nil {
			return err
		}
		if err := sv.accrue(ctx, tx, d, ch, &st); err != nil {
			return err
		}
		if sv.crashPoint != nil {
			if err := sv.crashPoint(ch); err != nil {
				return err
			}
		}
		dpd := `CASE WHEN next_unpaid_due < $1 THEN ` + tx.DB().DaysBetween("next_unpaid_due", "$1") + ` ELSE 0 END`
		res, err := tx.ExecContext(ctx, `UPDATE contract_balances SET days_past_due = `+dpd+`,
			bucket = CASE WHEN `+dpd+` <= 0 THEN 'current' WHEN `+dpd+` < 30 THEN '1-29' WHEN `+dpd+` < 60 THEN '30-59'
				WHEN `+dpd+` < 90 THEN '60-89' ELSE '90+' END,
			advanced_through = $1, updated_at = $4
			WHERE contract_id BETWEEN $2 AND $3 AND advanced_through < $1
			AND (next_event_date IS NULL OR next_event_date > $1)
			AND contract_id IN (SELECT id FROM contracts WHERE id BETWEEN $2 AND $3 AND state IN ('active', 'matured'))`,
			d, ch.First, ch.Last, tx.Now())
		if err != nil {
			return fmt.Errorf("delinquency: %w", err)
		}
		n, _ := res.RowsAffected()
		st.Contracts = int(n) + st.Advanced
		_, err = tx.ExecContext(ctx, `INSERT INTO day_close_chunks (business_date, first_id, last_id, contracts, accrued_cents, late_fees, finished_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, d, ch.First, ch.Last, st.Contracts, st.AccruedCents, st.LateFees, tx.Now())
		return err
	})
	if err != nil && ctx.Err() == nil {
		// Another process closed the same chunk at the same moment: its
		// writes committed first, and ours failed on them — on a unique
		// key it waited for, or on a posting key the other used with the
		// amounts of the state it saw (ledger.ErrIdempotencyConflict) —
		// and rolled back whole. The chunk is done once, so this closer
		// skipped it. Any other failure leaves the chunk open and is
		// returned.
		var done int
		if qerr := sv.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM day_close_chunks WHERE business_date = $1 AND first_id = $2`, d, ch.First).Scan(&done); qerr == nil && done > 0 {
			return DayCloseStats{Date: d, Skipped: 1}, nil
		}
	}
	return st, err
}

// advanceDue runs the fold's time-driven effects for the contracts of a
// chunk that have one due by d (next_event_date ≤ d), in bulk: one read of
// their terms and states, the fold in memory, one write of entries and
// balances.
func (sv *Service) advanceDue(ctx context.Context, tx *db.Tx, d calendar.Date, ch Chunk, st *DayCloseStats) error {
	ids, err := db.QueryIDs(ctx, tx, `SELECT b.contract_id FROM contract_balances b JOIN contracts c ON c.id = b.contract_id
		WHERE b.contract_id BETWEEN $1 AND $2 AND c.state IN ('active', 'matured') AND b.next_event_date <= $3
		AND b.advanced_through < $3 ORDER BY b.contract_id`, ch.First, ch.Last, d)
	if err != nil {
		return fmt.Errorf("day close candidates: %w", err)
	}
	for start := 0; start < len(ids); start += paymentBatchMax {
		if err := sv.advanceMany(ctx, tx, ids[start:min(start+paymentBatchMax, len(ids))], d, st); err != nil {
			return err
		}
	}
	return nil
}

// advanceMany brings contracts to date d in bulk.
func (sv *Service) advanceMany(ctx context.Context, tx *db.Tx, ids []int64, d calendar.Date, st *DayCloseStats) error {
	terms, err := loadTermsMany(ctx, tx, ids)
	if err != nil {
		return err
	}
	states, err := lockStates(ctx, tx, ids)
	if err != nil {
		return err
	}
	var entries []*ledger.Transaction
	var rows []balanceRow
	var accrual money.Cents
	memo := "day close " + d.String()
	for _, id := range ids {
		t, ls := terms[id], states[id]
		if t == nil || ls == nil || d <= ls.s.AdvancedThrough {
			continue
		}
		next, es := AdvanceTo(t, ls.s, d)
		entries = append(entries, toLedger(id, es, &ls.k, memo)...)
		for _, e := range es {
			if e.Kind == "late_fee" {
				st.LateFees++
			}
		}
		ls.k.accruedThrough = max(ls.k.accruedThrough, d)
		row, delta := balanceRowOf(t, next, ls.k)
		rows = append(rows, row)
		accrual += delta
		if next.Status != ls.was {
			if err := saveStatus(ctx, tx, id, next); err != nil {
				return err
			}
		}
		st.Advanced++
	}
	if accrual != 0 {
		entries = append(entries, &ledger.Transaction{Kind: "accrual", EffectiveDate: d,
			IdempotencyKey: fmt.Sprintf("accrual-advance:%s:%d", d, ids[0]), Memo: memo,
			Postings: []ledger.Posting{{Account: AccountAccruedInterest, AmountCents: accrual}, {Account: AccountAccruedIncome, AmountCents: -accrual}}})
	}
	if err := ledger.PostMany(ctx, tx, entries); err != nil {
		return err
	}
	return updateBalances(ctx, tx, rows)
}

// advanceTx brings one contract to date d in tx and returns the number of
// late fees it assessed.
func (sv *Service) advanceTx(ctx context.Context, tx *db.Tx, id int64, d calendar.Date) (int, error) {
	t, err := loadTerms(ctx, tx, id)
	if err != nil {
		return 0, err
	}
	s, k, err := lockState(ctx, tx, id)
	if err != nil {
		return 0, err
	}
	if d <= s.AdvancedThrough {
		return 0, nil
	}
	next, entries := AdvanceTo(t, s, d)
	if err := ledger.PostMany(ctx, tx, toLedger(id, entries, &k, "day close "+d.String())); err != nil {
		return 0, err
	}
	late := 0
	for _, e := range entries {
		if e.Kind == "late_fee" {
			late++
		}
	}
	k.accruedThrough = max(k.accruedThrough, d)
	return late, sv.saveState(ctx, tx, t, next, k)
}

// AdvanceContract closes date d for one contract only: what the date
// brings (fees, billing, maturity), its accrual and its delinquency.
// Staff tools and tests use it; day close does the same for every contract.
func (sv *Service) AdvanceContract(ctx context.Context, id int64, d calendar.Date) error {
	return sv.db.InTx(ctx, func(tx *db.Tx) error {
		if today := sv.today(tx.Now()); d > today {
			return fmt.Errorf("advance to %s after %s: %w", d, today, ErrFutureDate)
		}
		_, err := sv.advanceTx(ctx, tx, id, d)
		return err
	})
}

// accrue books the day's interest accrual for the general ledger: each
// open loan's accrued_cents becomes the exact interest on its principal
// from its last recognition through d, floored to the cent, and the change
// over the chunk is posted as one general-ledger transaction. 365/365
// loans are updated by one SQL statement (integer arithmetic identical to
// finance.InterestFloor, cross-checked by tests and `carfin check`);
// actual/actual loans, rare, in Go.
func (sv *Service) accrue(ctx context.Context, tx *db.Tx, d calendar.Date, ch Chunk, st *DayCloseStats) error {
	var before, after int64
	sum := `SELECT COALESCE(SUM(accrued_cents), 0) FROM contract_balances WHERE contract_id BETWEEN $1 AND $2`
	if err := tx.QueryRowContext(ctx, sum, ch.First, ch.Last).Scan(&before); err != nil {
		return fmt.Errorf("accrual before: %w", err)
	}
	days := tx.DB().DaysBetween("interest_from", "$1")
	_, err := tx.ExecContext(ctx, `UPDATE contract_balances SET
		accrued_cents = CASE WHEN `+days+` > 0
			THEN principal_cents * (SELECT apr_rate FROM contracts WHERE id = contract_id) * `+days+` / `+strconv.FormatInt(finance.AccrualDenominator, 10)+`
			ELSE 0 END,
		accrued_through = $1
		WHERE contract_id BETWEEN $2 AND $3 AND accrued_through < $1
		AND contract_id IN (SELECT id FROM contracts WHERE id BETWEEN $2 AND $3 AND kind = 'loan' AND day_count = '365' AND state IN ('active', 'matured'))`,
		d, ch.First, ch.Last)
	if err != nil {
		return fmt.Errorf("accrue: %w", err)
	}
	if err := sv.accrueActual(ctx, tx, d, ch); err != nil {
		return err
	}
	if err := tx.QueryRowContext(ctx, sum, ch.First, ch.Last).Scan(&after); err != nil {
		return fmt.Errorf("accrual after: %w", err)
	}
	delta := money.Cents(after - before)
	st.AccruedCents = delta
	if delta == 0 {
		return nil
	}
	_, _, err = ledger.Post(ctx, tx, &ledger.Transaction{
		Kind: "accrual", EffectiveDate: d, IdempotencyKey: "accrual:" + d.String() + ":" + strconv.FormatInt(ch.First, 10),
		Memo: fmt.Sprintf("interest accrued for contracts %d–%d through %s", ch.First, ch.Last, d),
		Postings: []ledger.Posting{
			{Account: AccountAccruedInterest, AmountCents: delta},
			{Account: AccountAccruedIncome, AmountCents: -delta},
		},
	})
	return err
}

func (sv *Service) accrueActual(ctx context.Context, tx *db.Tx, d calendar.Date, ch Chunk) error {
	rows, err := tx.QueryContext(ctx, `SELECT b.contract_id, b.principal_cents, c.apr_rate, b.interest_from
		FROM contract_balances b JOIN contracts c ON c.id = b.contract_id
		WHERE b.contract_id BETWEEN $1 AND $2 AND b.accrued_through < $3 AND c.kind = 'loan' AND c.day_count = 'actual'
		AND c.state IN ('active', 'matured')`, ch.First, ch.Last, d)
	if err != nil {
		return fmt.Errorf("accrue actual/actual: %w", err)
	}
	type upd struct {
		id      int64
		accrued money.Cents
	}
	var ups []upd
	for rows.Next() {
		var id int64
		var p money.Cents
		var apr money.Rate
		var from calendar.Date
		if err := rows.Scan(&id, &p, &apr, &from); err != nil {
			rows.Close()
			return err
		}
		a := money.Cents(0)
		if d > from {
			a = finance.InterestFloor(p, apr, from, d, finance.BasisActual)
		}
		ups = append(ups, upd{id, a})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, u := range ups {
		if _, err := tx.ExecContext(ctx, `UPDATE contract_balances SET accrued_cents = $2, accrued_through = $3 WHERE contract_id = $1`, u.id, u.accrued, d); err != nil {
			return err
		}
	}
	return nil
}

// LastClosedDate returns the latest business date whose day close
// finished for every chunk, or the zero Date.
func (sv *Service) LastClosedDate(ctx context.Context) (calendar.Date, error) {
	chunks, err := sv.DayCloseChunks(ctx)
	if err != nil || len(chunks) == 0 {
		return 0, err
	}
	var last calendar.Date
	err = sv.db.Read.QueryRowContext(ctx, `SELECT business_date FROM day_close_chunks GROUP BY business_date
		HAVING count(*) >= $1 ORDER BY business_date DESC LIMIT 1`, len(chunks)).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return last, err
}
