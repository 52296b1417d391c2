package tax_test

import (
	"context"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/demo"
	"carfin/keyring"
	"carfin/money"
	"carfin/servicing"
	"carfin/tax"
)

// ledgerInterest works out, from every ledger posting, the interest each
// contract's payments paid in each year: a payment's postings to the
// interest and interest income accounts, negated, in the year of its
// effective date; a reversal of a payment takes them back in the
// payment's year. It reads the postings one by one in Go, apart from the
// SQL of tax.InterestReceived.
func ledgerInterest(t *testing.T, d *db.DB) map[int64]map[int]money.Cents {
	t.Helper()
	rows, err := d.Read.QueryContext(context.Background(), `SELECT t.id, t.contract_id, t.kind, t.effective_date, COALESCE(t.reverses_id, 0),
		p.account, p.amount_cents FROM ledger_transactions t JOIN ledger_postings p ON p.transaction_id = t.id
		WHERE t.contract_id IS NOT NULL ORDER BY t.id, p.line`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type txn struct {
		kind string
		date calendar.Date
	}
	txns := map[int64]txn{}
	out := map[int64]map[int]money.Cents{}
	for rows.Next() {
		var id, contract, reverses int64
		var kind, account string
		var date calendar.Date
		var amount money.Cents
		if err := rows.Scan(&id, &contract, &kind, &date, &reverses, &account, &amount); err != nil {
			t.Fatal(err)
		}
		txns[id] = txn{kind, date}
		if reverses != 0 {
			orig, ok := txns[reverses]
			if !ok {
				t.Fatalf("transaction %d reverses a later one", id)
			}
			kind, date = orig.kind, orig.date
		}
		if (kind != "payment" && kind != "payoff") || (account != servicing.AccountInterest && account != servicing.AccountInterestIncome) {
			continue
		}
		if out[contract] == nil {
			out[contract] = map[int]money.Cents{}
		}
		out[contract][date.Year()] -= amount
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDemoBook builds the demo book as of 2027-01-10, fills its tax data
// and reports 2025 and 2026: each qualifying loan's box 1 is, to the
// cent, the interest its payments paid in the year by the ledger's
// postings and by servicing's history, and no other contract has a
// return; the book shows loans that qualify and loans that do not for
// each reason the demo promises.
func TestDemoBook(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		dbtest.ClockOf(d).Set(time.Date(2027, 1, 10, 15, 0, 0, 0, time.UTC))
		if _, err := demo.Build(ctx, d, time.UTC); err != nil {
			t.Fatal(err)
		}
		keys := keyring.Dev()
		for range 2 { // it can run again
			if err := demo.FillTaxData(ctx, d, keys); err != nil {
				t.Fatal(err)
			}
		}
		ts, err := tax.New(d, tax.Config{Lender: testLender, Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		sv := servicing.New(d, calendar.Of)
		want := ledgerInterest(t, d)
		type contract struct {
			id, customer int64
			kind         servicing.Kind
		}
		var contracts []contract
		rows, err := d.Read.QueryContext(ctx, `SELECT id, customer_id, kind FROM contracts ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var c contract
			var kind string
			if err := rows.Scan(&c.id, &c.customer, &kind); err != nil {
				t.Fatal(err)
			}
			c.kind = servicing.Kind(kind)
			contracts = append(contracts, c)
		}
		rows.Close()
		reasons := map[tax.Reason]int{}
		for _, year := range []int{2025, 2026} {
			if _, err := ts.Report(ctx, year); err != nil {
				t.Fatal(err)
			}
			rs, err := tax.Returns(ctx, d.Read, year)
			if err != nil {
				t.Fatal(err)
			}
			filed := map[int64]tax.Return{}
			for _, r := range rs {
				filed[r.ContractID] = r
			}
			for _, c := range contracts {
				paid, err := sv.InterestPaid(ctx, c.customer, c.id)
				if err != nil {
					t.Fatal(err)
				}
				if paid[year] != want[c.id][year] {
					t.Errorf("contract %d, %d: servicing's interest %s, the postings' %s", c.id, year, paid[year], want[c.id][year])
				}
				data, has, err := tax.VehicleLoanData(ctx, d.Read, c.id)
				if err != nil {
					t.Fatal(err)
				}
				ok, why := tax.Eligible(tax.Facts{Kind: c.kind, HasData: has, Data: data, Year: year, InterestCents: want[c.id][year]})
				r, found := filed[c.id]
				switch {
				case ok && !found:
					t.Errorf("contract %d qualifies for %d (%s of interest) but has no return", c.id, year, want[c.id][year])
				case !ok && found:
					t.Errorf("contract %d does not qualify for %d (%s) but has a return %+v", c.id, year, why, r)
				case ok && r.Box1InterestCents != want[c.id][year]:
					t.Errorf("contract %d, %d: box 1 %s, want %s", c.id, year, r.Box1InterestCents, want[c.id][year])
				}
				reasons[why]++
			}
			t.Logf("%d: %d returns, box 1 total %s", year, len(rs), func() (s money.Cents) {
				for _, r := range rs {
					s += r.Box1InterestCents
				}
				return s
			}())
		}
		t.Logf("reasons over 2025 and 2026: %v", reasons)
		if reasons[tax.ReasonNone] < 4 {
			t.Errorf("only %d qualifying loan-years", reasons[tax.ReasonNone])
		}
		for _, r := range []tax.Reason{tax.ReasonLease, tax.ReasonOriginated, tax.ReasonUsed, tax.ReasonAssembly, tax.ReasonBusinessUse} {
			if reasons[r] == 0 {
				t.Errorf("no demo contract is ineligible for %q: %v", r, reasons)
			}
		}
	})
}
