package servicing_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/demo"
	"carfin/documents"
	"carfin/money"
	"carfin/servicing"
)

// TestDashboardMatchesSummary: for every customer of the demo book (loans
// and leases, current, late, returned, paid off, charged off, near and
// past maturity), the one-query Dashboard equals ContractSummary of each
// contract, in the same order as CustomerContracts; AddresseeOf and
// Amortization are scoped and consistent; each schedule's rows add up to
// what was paid, the history's interest.
func TestDashboardMatchesSummary(t *testing.T) {
	t.Parallel() // builds the demo book twice: let it overlap the package's other tests
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		book, err := demo.Build(ctx, d, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		sv := servicing.New(d, func(t time.Time) calendar.Date { return calendar.Of(t.UTC()) })
		rows, err := d.Read.QueryContext(ctx, `SELECT id FROM customers ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		var custs []int64
		for rows.Next() {
			var id int64
			_ = rows.Scan(&id)
			custs = append(custs, id)
		}
		rows.Close()
		seen := map[servicing.Status]int{}
		for _, cust := range custs {
			dash, err := sv.Dashboard(ctx, cust, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			refs, err := sv.CustomerContracts(ctx, cust)
			if err != nil {
				t.Fatal(err)
			}
			if len(dash) != len(refs) {
				t.Fatalf("customer %d: dashboard %d contracts, list %d", cust, len(dash), len(refs))
			}
			for i, ref := range refs {
				want, err := sv.ContractSummary(ctx, cust, ref.ID)
				if err != nil {
					t.Fatal(err)
				}
				// The demo book holds every statement: the dashboard's is
				// the newest by statement date.
				var newest int64
				_ = d.Read.QueryRowContext(ctx, `SELECT document_id FROM statements WHERE contract_id = $1
					ORDER BY statement_date DESC LIMIT 1`, ref.ID).Scan(&newest)
				if !reflect.DeepEqual(dash[i].Summary, want) || dash[i].NewStatementID != newest || newest == 0 {
					t.Errorf("customer %d contract %d (newest statement %d):\ndashboard %+v\nsummary   %+v", cust, ref.ID, newest, dash[i], want)
				}
				seen[want.Status]++
				a, err := sv.AddresseeOf(ctx, cust, ref.ID)
				if err != nil || a.VIN[11:] != want.VINLast6 || a.AccountNumber != want.AccountNumber || a.LastName == "" {
					t.Errorf("addressee of %d: %+v %v", ref.ID, a, err)
				}
				if _, err := sv.AddresseeOf(ctx, cust+1_000_000, ref.ID); !errors.Is(err, servicing.ErrNotFound) {
					t.Errorf("addressee of another customer's contract: %v", err)
				}
				sched, err := sv.ScheduleOf(ctx, cust, ref.ID)
				if err != nil {
					t.Fatal(err)
				}
				// Every payment still standing is in one row: the rows add
				// up to what was paid, and that is the history's interest.
				var posted servicing.Split
				for _, r := range sched.Rows {
					posted.InterestCents += r.Posted.InterestCents
					posted.PrincipalCents += r.Posted.PrincipalCents
					posted.FeesCents += r.Posted.FeesCents
				}
				years, err := sv.InterestPaid(ctx, cust, ref.ID)
				if err != nil {
					t.Fatal(err)
				}
				var interest money.Cents
				for _, c := range years {
					interest += c
				}
				if posted != sched.Paid || interest != sched.Paid.InterestCents {
					t.Errorf("contract %d: rows paid %+v, schedule %+v, history's interest %s", ref.ID, posted, sched.Paid, interest)
				}
				if want.Kind == servicing.KindLoan && want.Status.Open() {
					pts := servicing.Amortization(sched.Rows)
					var paid money.Cents
					for _, p := range pts {
						if !p.Projected {
							paid += p.PrincipalCents
						}
					}
					last := pts[len(pts)-1]
					if last.BalanceCents != 0 || pts[0].BalanceCents > want.AmountFinancedCents || paid > want.AmountFinancedCents {
						t.Errorf("contract %d: amortization ends at %s, starts at %s, principal paid %s of %s", ref.ID,
							last.BalanceCents, pts[0].BalanceCents, paid, want.AmountFinancedCents)
					}
				}
			}
		}
		if seen[servicing.StatusActive] == 0 || seen[servicing.StatusPaidOff] == 0 || seen[servicing.StatusChargedOff] == 0 {
			t.Errorf("the demo book lacks states: %v", seen)
		}
		if dash, err := sv.Dashboard(ctx, 0, time.Time{}); err != nil || len(dash) != 0 {
			t.Errorf("dashboard of nobody: %v %v", dash, err)
		}
		login, _ := sv.Dashboard(ctx, book.LoginCustomerID, time.Time{})
		if len(login) != 2 || login[0].Kind == login[1].Kind {
			t.Fatalf("the demo login should have a loan and a lease: %+v", login)
		}
		// A statement of the lease shows on the lease only, while it is new.
		var doc int64
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			var err error
			doc, err = documents.Save(ctx, tx, documents.Document{CustomerID: book.LoginCustomerID, ContractID: login[1].ID,
				Kind: documents.KindStatement, Title: "Statement", FileName: "s.pdf", ContentType: "application/pdf", Content: []byte("%PDF-1.4"), Ref: "statement:t"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		now := d.Now()
		if got, _ := sv.Dashboard(ctx, book.LoginCustomerID, now.Add(-time.Hour)); got[0].NewStatementID != 0 || got[1].NewStatementID != doc {
			t.Errorf("new statement: %d %d, want 0 %d", got[0].NewStatementID, got[1].NewStatementID, doc)
		}
		if got, _ := sv.Dashboard(ctx, book.LoginCustomerID, now.Add(time.Hour)); got[1].NewStatementID != 0 {
			t.Errorf("an old statement is new: %d", got[1].NewStatementID)
		}
	})
}
