package servicing

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/ledger"
	"carfin/money"
)

// balanceRow is a contract_balances row computed from a fold state.
type balanceRow struct {
	id      int64
	s       State
	k       cached
	dv      derived
	accrued money.Cents
}

// balanceRowOf computes the row for state s; delta is the change of the
// general-ledger accrual the new state implies.
func balanceRowOf(t *Terms, s State, k cached) (row balanceRow, delta money.Cents) {
	row = balanceRow{id: t.ContractID, s: s, k: k, dv: derive(t, s), accrued: accrualFor(t, s, k.accruedThrough)}
	return row, row.accrued - k.accruedCents
}

// balanceColumns are written in this order by values.
var balanceColumns = []string{"contract_id", "principal_cents", "interest_cents", "fees_cents", "billed_cents", "interest_from",
	"credited_cents", "late_checked_through", "billed_through", "advanced_through", "paid_interest_cents",
	"next_unpaid_number", "next_unpaid_due", "next_event_date", "accrued_cents", "accrued_through",
	"days_past_due", "bucket", "posting_seq", "updated_at"}

func (r balanceRow) values(now time.Time) []any {
	s := r.s
	return []any{r.id, int64(s.PrincipalCents), int64(s.InterestCents), int64(s.FeesCents), int64(s.BilledCents), s.InterestFrom,
		int64(s.CreditedCents), s.LateCheckedThrough, s.BilledThrough, s.AdvancedThrough, int64(s.PaidInterestCents),
		r.dv.nextUnpaidNumber, r.dv.nextUnpaidDue, r.dv.nextEventDate, int64(r.accrued), r.k.accruedThrough,
		r.dv.daysPastDue, r.dv.bucket, r.k.postingSeq, now}
}

// insertBalances writes new contract_balances rows in bulk.
func insertBalances(ctx context.Context, tx *db.Tx, rows []balanceRow) error {
	vals := make([][]any, len(rows))
	for i, r := range rows {
		vals[i] = r.values(tx.Now())
	}
	return tx.CopyFrom(ctx, "contract_balances", balanceColumns, vals)
}

// updateBalances rewrites existing contract_balances rows: one UPDATE
// joined to arrays on PostgreSQL, a prepared UPDATE per row on SQLite
// (in-process, so a statement costs microseconds).
func updateBalances(ctx context.Context, tx *db.Tx, rows []balanceRow) error {
	if len(rows) == 0 {
		return nil
	}
	cols := balanceColumns[1:]
	if tx.Engine() == db.Postgres {
		return updateBalancesPG(ctx, tx, rows)
	}
	var b strings.Builder
	b.WriteString("UPDATE contract_balances SET ")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c + " = $" + strconv.Itoa(i+2))
	}
	b.WriteString(" WHERE contract_id = $1")
	stmt, err := tx.PrepareContext(ctx, b.String())
	if err != nil {
		return fmt.Errorf("prepare balance update: %w", err)
	}
	defer stmt.Close()
	for _, r := range rows {
		if _, err := stmt.ExecContext(ctx, r.values(tx.Now())...); err != nil {
			return fmt.Errorf("save state of contract %d: %w", r.id, err)
		}
	}
	return nil
}

func updateBalancesPG(ctx context.Context, tx *db.Tx, rows []balanceRow) error {
	n := len(rows)
	ints := make([][]int64, 0, 14)
	newInts := func() []int64 { s := make([]int64, n); ints = append(ints, s); return s }
	id, principal, interest, fees, billed, credited := newInts(), newInts(), newInts(), newInts(), newInts(), newInts()
	lateThrough, billedThrough, paidInterest, nextNumber, accrued, dpd, seq := newInts(), newInts(), newInts(), newInts(), newInts(), newInts(), newInts()
	dates := make([][]string, 5)
	for i := range dates {
		dates[i] = make([]string, n)
	}
	bucket := make([]string, n)
	for i, r := range rows {
		s := r.s
		id[i], principal[i], interest[i], fees[i], billed[i], credited[i] = r.id, int64(s.PrincipalCents), int64(s.InterestCents),
			int64(s.FeesCents), int64(s.BilledCents), int64(s.CreditedCents)
		lateThrough[i], billedThrough[i], paidInterest[i], nextNumber[i] = int64(s.LateCheckedThrough), int64(s.BilledThrough),
			int64(s.PaidInterestCents), int64(r.dv.nextUnpaidNumber)
		accrued[i], dpd[i], seq[i] = int64(r.accrued), int64(r.dv.daysPastDue), r.k.postingSeq
		for j, d := range []calendar.Date{s.InterestFrom, s.AdvancedThrough, r.dv.nextUnpaidDue, r.dv.nextEventDate, r.k.accruedThrough} {
			dates[j][i] = d.String()
		}
		bucket[i] = r.dv.bucket
	}
	_, err := tx.ExecContext(ctx, `UPDATE contract_balances AS b SET principal_cents = v.principal, interest_cents = v.interest,
		fees_cents = v.fees, billed_cents = v.billed, credited_cents = v.credited, late_checked_through = v.late_through,
		billed_through = v.billed_through, paid_interest_cents = v.paid_interest, next_unpaid_number = v.next_number,
		accrued_cents = v.accrued, days_past_due = v.dpd, posting_seq = v.seq,
		interest_from = CAST(v.interest_from AS date), advanced_through = CAST(v.advanced_through AS date),
		next_unpaid_due = CAST(NULLIF(v.next_due, '') AS date), next_event_date = CAST(NULLIF(v.next_event, '') AS date),
		accrued_through = CAST(v.accrued_through AS date), bucket = v.bucket, updated_at = $20
		FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[],
			$8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[],
			$14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[])
		AS v(contract_id, principal, interest, fees, billed, credited, late_through, billed_through, paid_interest,
			next_number, accrued, dpd, seq, interest_from, advanced_through, next_due, next_event, accrued_through, bucket)
		WHERE b.contract_id = v.contract_id`,
		id, principal, interest, fees, billed, credited, lateThrough, billedThrough, paidInterest, nextNumber, accrued, dpd, seq,
		dates[0], dates[1], dates[2], dates[3], dates[4], bucket, tx.Now())
	if err != nil {
		return fmt.Errorf("save state of %d contracts: %w", n, err)
	}
	return nil
}

// saveState writes a contract's new state after an operation with no
// other entries to post; see commitState.
func (sv *Service) saveState(ctx context.Context, tx *db.Tx, t *Terms, s State, k cached) error {
	return sv.commitState(ctx, tx, t, s, k, "", nil)
}

// commitState posts an operation's ledger entries together with the
// general-ledger accrual adjustment its new state implies (keeping the
// accrual account equal to the sum of the contracts' accruals), and
// writes the new state, and the status if it differs from was.
func (sv *Service) commitState(ctx context.Context, tx *db.Tx, t *Terms, s State, k cached, was Status, entries []*ledger.Transaction) error {
	row, delta := balanceRowOf(t, s, k)
	if delta != 0 {
		row.k.postingSeq++
		entries = append(entries, &ledger.Transaction{
			ContractID: t.ContractID, Kind: "accrual", EffectiveDate: max(k.accruedThrough, s.AdvancedThrough),
			IdempotencyKey: entryKey(t.ContractID, row.k.postingSeq),
			Postings: []ledger.Posting{{Account: AccountAccruedInterest, AmountCents: delta},
				{Account: AccountAccruedIncome, AmountCents: -delta}},
		})
	}
	if err := ledger.PostMany(ctx, tx, entries); err != nil {
		return fmt.Errorf("post for contract %d: %w", t.ContractID, err)
	}
	if err := updateBalances(ctx, tx, []balanceRow{row}); err != nil {
		return err
	}
	if s.Status == was {
		return nil
	}
	return saveStatus(ctx, tx, t.ContractID, s)
}

func saveStatus(ctx context.Context, tx *db.Tx, id int64, s State) error {
	if _, err := tx.ExecContext(ctx, `UPDATE contracts SET state = $2, closed_on = $3 WHERE id = $1 AND (state <> $2 OR closed_on IS DISTINCT FROM $3)`,
		id, string(s.Status), s.ClosedOn); err != nil {
		return fmt.Errorf("save status of contract %d: %w", id, err)
	}
	return nil
}
