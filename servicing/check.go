package servicing

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"

	"carfin/db"
	"carfin/ledger"
	"carfin/money"
)

// Finding is one problem Check found.
type Finding = ledger.Finding

// checkChunk is how many contracts Check reads at a time.
const checkChunk = 500

// Check verifies every contract on a second path: it replays the
// contract's events from scratch and compares the result with the cached
// state (contract_balances and the contract's status), with the live
// ledger entries (same entries, same postings), and with the contract's
// account balances summed from the ledger. It also checks the general
// ledger accrual against the contracts' accruals. It returns the problems
// found, at most findingsMax.
func Check(ctx context.Context, d *db.DB) ([]Finding, error) {
	var out []Finding
	add := func(format string, args ...any) {
		if len(out) < findingsMax {
			out = append(out, Finding{What: fmt.Sprintf(format, args...)})
		}
	}
	// Each chunk is read in one snapshot: Check runs beside live instances
	// (day close, payments), and a contract's state, events and ledger
	// read at different instants can disagree without anything being wrong.
	var last int64
	for {
		n := 0
		err := d.ReadSnapshot(ctx, func(q db.Querier) error {
			ids, err := db.QueryIDs(ctx, q, `SELECT id FROM contracts WHERE id > $1 ORDER BY id LIMIT `+fmt.Sprint(checkChunk), last)
			if err != nil {
				return err
			}
			n = len(ids)
			for _, id := range ids {
				if err := checkContract(ctx, q, id, add); err != nil {
					return err
				}
				last = id
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if n == 0 {
			break
		}
		if len(out) >= findingsMax {
			return out, nil
		}
	}
	// The general-ledger accrual equals the sum of the contracts' accruals,
	// both read in one snapshot.
	err := d.ReadSnapshot(ctx, func(q db.Querier) error {
		gl, err := ledger.AccountBalance(ctx, q, AccountAccruedInterest)
		if err != nil {
			return err
		}
		var sum money.Cents
		if err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(accrued_cents), 0) FROM contract_balances`).Scan(&sum); err != nil {
			return err
		}
		if gl != sum {
			add("general-ledger accrued interest %s differs from the contracts' accruals %s", gl, sum)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

const findingsMax = 100

// checkStateRead, when set (tests only), runs after Check has read a
// contract's cached state and before it reads the contract's ledger, so a
// test can commit a write in between.
var checkStateRead atomic.Pointer[func(id int64)]

func checkContract(ctx context.Context, q db.Querier, id int64, add func(string, ...any)) error {
	t, err := loadTerms(ctx, q, id)
	if err != nil {
		return err
	}
	cachedState, k, err := scanState(q.QueryRowContext(ctx, `SELECT `+stateColumns+`
		FROM contract_balances b JOIN contracts c ON c.id = b.contract_id WHERE b.contract_id = $1`, id))
	if err != nil {
		return fmt.Errorf("state of contract %d: %w", id, err)
	}
	if f := checkStateRead.Load(); f != nil {
		(*f)(id)
	}
	rowsIns, err := loadInstallmentRows(ctx, q, id)
	if err != nil {
		return err
	}
	if !slices.Equal(rowsIns, t.Installments) {
		add("contract %d: the installments table differs from the packed schedule", id)
	}
	events, err := loadEvents(ctx, q, id)
	if err != nil {
		return err
	}
	s, entries, err := Replay(t, events, cachedState.AdvancedThrough)
	if err != nil {
		add("contract %d: its history no longer replays: %v", id, err)
		return nil
	}
	if s != cachedState {
		add("contract %d: cached state %+v differs from the replayed %+v", id, cachedState, s)
	}
	if want := accrualFor(t, s, k.accruedThrough); want != k.accruedCents {
		add("contract %d: accrued %s through %s, replay gives %s", id, k.accruedCents, k.accruedThrough, want)
	}
	active, err := loadActive(ctx, q, id)
	if err != nil {
		return err
	}
	for _, e := range entries {
		a, ok := active[e.Ref]
		if !ok {
			add("contract %d: ledger lacks %s (%s on %s)", id, e.Ref, e.Kind, e.Date)
			continue
		}
		delete(active, e.Ref)
		if a.kind != e.Kind || a.date != e.Date || !samePostings(a.postings, e.Postings) {
			add("contract %d: ledger entry %d for %s differs from the replay", id, a.id, e.Ref)
		}
	}
	for r, a := range active {
		add("contract %d: ledger entry %d (%s) is not in the replayed history", id, a.id, r)
	}
	bal, err := ledger.Balances(ctx, q, id)
	if err != nil {
		return err
	}
	principalAccount := AccountPrincipal
	if t.Kind == KindLease {
		principalAccount = AccountLeaseAsset
	}
	for account, want := range map[string]money.Cents{
		principalAccount: s.PrincipalCents, AccountInterest: s.InterestCents,
		AccountFees: s.FeesCents, AccountBilled: s.BilledCents,
	} {
		if bal[account] != want {
			add("contract %d: %s account is %s, the state says %s", id, account, bal[account], want)
		}
	}
	return nil
}
