package servicing_test

import (
	"context"
	"testing"

	"carfin/db"
	"carfin/db/dbtest"
	"carfin/servicing"
)

// TestCheckBesideDayClose: `carfin check` runs beside live instances. A day
// close that commits a late fee after Check has read the contract's cached
// state, and before it reads the ledger, is not a finding: Check reads each
// contract in one snapshot. (Without it, Check reported "ledger entry …
// (late:1) is not in the replayed history" in the PostgreSQL restart drill,
// where the instances were still catching up on day close.) On both engines.
func TestCheckBesideDayClose(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dbx *db.DB) {
		ctx := context.Background()
		sv, _ := newService(t, dbx, "2024-03-31")
		loan := openLoan(t, sv, "9000", "11.5", 48, "2024-01-10", "2024-02-10")
		// Unpaid: the first installment's late fee falls due on Feb 21
		// (due Feb 10, ten days' grace).
		closeDays(t, sv, d("2024-01-11"), d("2024-02-20"))

		var closed, feeSeen int
		servicing.SetCheckStateReadForTest(func(id int64) {
			if id != loan || closed > 0 {
				return
			}
			closed++
			st, err := sv.DayClose(ctx, d("2024-02-21"))
			if err != nil {
				t.Errorf("day close beside check: %v", err)
			}
			feeSeen = st.LateFees
		})
		defer servicing.SetCheckStateReadForTest(nil)
		f, err := servicing.Check(ctx, dbx)
		if err != nil {
			t.Fatal(err)
		}
		if closed != 1 || feeSeen != 1 {
			t.Fatalf("the day close beside the check ran %d times and assessed %d late fees, want 1 and 1", closed, feeSeen)
		}
		if len(f) > 0 {
			t.Errorf("check beside a day close reported %v", f)
		}
		// Read again after the day close: the fee is in the state and the
		// ledger alike.
		servicing.SetCheckStateReadForTest(nil)
		if f, err := servicing.Check(ctx, dbx); err != nil || len(f) > 0 {
			t.Errorf("check after the day close: %v %v", f, err)
		}
		var fees string
		if err := dbx.Read.QueryRowContext(ctx, `SELECT fees_cents FROM contract_balances WHERE contract_id = $1`, loan).Scan(&fees); err != nil || fees != "1500" {
			t.Errorf("fees after the day close: %s %v, want 1500", fees, err)
		}
	})
}
