package demo_test

import (
	"context"
	"testing"
	"time"

	"carfin/db"
	"carfin/db/dbtest"
	"carfin/demo"
	"carfin/ledger"
	"carfin/servicing"
)

// TestBuild builds the demo book with the real engine and checks that it
// holds every state the demo promises and that `carfin check` passes on it.
func TestBuild(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		start := time.Now()
		book, err := demo.Build(ctx, d, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("built %d contracts for %d customers in %s", book.Contracts, book.Customers, time.Since(start))
		if book.Contracts < 50 || book.Customers < 45 || book.LoginEmail == "" {
			t.Errorf("book %+v", book)
		}
		states := map[string]int{}
		rows, err := d.Read.QueryContext(ctx, `SELECT c.state || ':' || b.bucket FROM contracts c JOIN contract_balances b ON b.contract_id = c.id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			_ = rows.Scan(&s)
			states[s]++
		}
		rows.Close()
		for _, want := range []string{"active:current", "paid_off:current", "charged_off:current", "matured:current"} {
			if states[want] == 0 {
				t.Errorf("no contract in state %s: %v", want, states)
			}
		}
		var pastDue, lateFees, returns, promo, nearMaturity int
		_ = d.Read.QueryRowContext(ctx, `SELECT count(*) FROM contract_balances WHERE days_past_due >= 60`).Scan(&pastDue)
		_ = d.Read.QueryRowContext(ctx, `SELECT count(*) FROM ledger_transactions WHERE kind = 'late_fee'`).Scan(&lateFees)
		_ = d.Read.QueryRowContext(ctx, `SELECT count(*) FROM servicing_events WHERE kind = 'reversal'`).Scan(&returns)
		_ = d.Read.QueryRowContext(ctx, `SELECT count(*) FROM contracts WHERE kind = 'loan' AND apr_rate = 0`).Scan(&promo)
		_ = d.Read.QueryRowContext(ctx, `SELECT count(*) FROM contracts WHERE kind = 'lease' AND state = 'active' AND maturity_date <= $1`,
			book.Today.AddDays(90)).Scan(&nearMaturity)
		if pastDue == 0 || lateFees == 0 || returns == 0 || promo == 0 || nearMaturity == 0 {
			t.Errorf("past due %d, late fees %d, returns %d, 0%% loans %d, leases near maturity %d", pastDue, lateFees, returns, promo, nearMaturity)
		}
		// The demo customers are found again by their addresses, which
		// are unique; the past-due one is about three months late.
		again, ok, err := demo.Existing(ctx, d.Read)
		if err != nil || !ok || again.LoginCustomerID != book.LoginCustomerID || again.PastDueCustomerID != book.PastDueCustomerID ||
			again.PastDueCustomerID == 0 || again.LoginEmail != demo.LoginEmail || again.Customers != book.Customers || again.Contracts != book.Contracts {
			t.Errorf("existing book %+v (%v, %v), built %+v", again, ok, err, book)
		}
		var emails, late int
		_ = d.Read.QueryRowContext(ctx, `SELECT count(DISTINCT email) FROM customers`).Scan(&emails)
		_ = d.Read.QueryRowContext(ctx, `SELECT max(b.days_past_due) FROM contract_balances b JOIN contracts c ON c.id = b.contract_id
			WHERE c.customer_id = $1`, book.PastDueCustomerID).Scan(&late)
		if emails != book.Customers || late < 60 {
			t.Errorf("%d addresses for %d customers; the past-due customer is %d days late", emails, book.Customers, late)
		}
		if f, err := servicing.Check(ctx, d); err != nil || len(f) > 0 {
			t.Errorf("servicing check: %v %v", f, err)
		}
		if f, err := ledger.Check(ctx, d.Read); err != nil || len(f) > 0 {
			t.Errorf("ledger check: %v %v", f, err)
		}
	})
}
