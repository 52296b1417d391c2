package statements_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/demo"
	"carfin/money"
	"carfin/servicing"
	"carfin/statements"
)

// TestDemoStatementsAgreeWithLedger builds the demo book (three years of
// history, day by day) and holds every statement, on the day it is made,
// to what the dashboard, the history page and the ledger say that day;
// then checks that every contract has exactly its statements: one per
// cycle while open, one final after payoff or charge-off, none after.
func TestDemoStatementsAgreeWithLedger(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		checked := 0
		kinds := map[string]int{}
		hold := func(ctx context.Context, view *db.DB, day calendar.Date) error {
			sv := servicing.New(view, func(t time.Time) calendar.Date { return calendar.Of(t.UTC()) })
			rows, err := view.Read.QueryContext(ctx, `SELECT document_id, data FROM statements WHERE statement_date = $1`, day)
			if err != nil {
				return err
			}
			type made struct {
				doc int64
				x   statements.Statement
			}
			var ms []made
			for rows.Next() {
				var m made
				var data string
				if err := rows.Scan(&m.doc, &data); err != nil {
					rows.Close()
					return err
				}
				if err := json.Unmarshal([]byte(data), &m.x); err != nil {
					rows.Close()
					return err
				}
				ms = append(ms, m)
			}
			rows.Close()
			for _, m := range ms {
				if err := holdStatement(ctx, view, sv, m.doc, m.x); err != nil {
					return fmt.Errorf("statement of contract %d on %s: %w", m.x.ContractID, day, err)
				}
				checked++
				switch {
				case m.x.Final:
					kinds["final"]++
				case m.x.Delinquency != nil:
					kinds["delinquent"]++
				case m.x.Kind == servicing.KindLease:
					kinds["lease"]++
				}
				for _, l := range m.x.Activity {
					kinds[string(l.Type)]++
				}
				if m.x.Lang == "es" {
					kinds["es"]++
				}
			}
			return nil
		}
		start := time.Now()
		book, err := demo.Build(ctx, d, time.UTC, demo.AfterDay(hold))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("built the book and held %d statements in %s: %v", checked, time.Since(start), kinds)
		for _, k := range []string{"final", "delinquent", "lease", "returned_payment", "late_fee", "nsf_fee", "payoff", "es"} {
			if kinds[k] == 0 {
				t.Errorf("no statement shows %s: %v", k, kinds)
			}
		}
		checkCycles(t, d, book.Today.AddDays(-1))
	})
}

// holdStatement compares one statement made on its date with the
// dashboard, the history page and the ledger of that date.
func holdStatement(ctx context.Context, view *db.DB, sv *servicing.Service, doc int64, x statements.Statement) error {
	day := x.StatementDate
	cs, err := sv.Dashboard(ctx, x.CustomerID, time.Time{})
	if err != nil {
		return err
	}
	var dc *servicing.DashboardContract
	for i := range cs {
		if cs[i].ID == x.ContractID {
			dc = &cs[i]
		}
	}
	if dc == nil {
		return fmt.Errorf("not on the dashboard")
	}
	if dc.NewStatementID != doc {
		return fmt.Errorf("dashboard's newest statement %d, made %d", dc.NewStatementID, doc)
	}
	if !x.Final {
		if x.Due.InstallmentCents > 0 && x.Due.TotalCents != dc.AmountDueCents {
			return fmt.Errorf("total due %s, dashboard %s", x.Due.TotalCents, dc.AmountDueCents)
		}
		if x.Due.PastDueCents != dc.PastDueCents || x.Due.FeesCents != dc.FeesCents || x.Account.PayoffCents != dc.PayoffCents ||
			x.Account.PerDiemCents != dc.PerDiemCents || x.Account.PaymentsLeft != dc.RemainingPayments {
			return fmt.Errorf("statement %+v %+v, dashboard %+v", x.Due, x.Account, dc.Summary)
		}
		if (x.Delinquency != nil) != (dc.DaysPastDue >= 30) || (x.Delinquency != nil && x.Delinquency.DaysPastDue != dc.DaysPastDue) {
			return fmt.Errorf("delinquency %+v, dashboard %d days past due", x.Delinquency, dc.DaysPastDue)
		}
	}
	if x.Kind == servicing.KindLoan && x.Account.PrincipalCents != dc.PrincipalCents {
		return fmt.Errorf("principal %s, dashboard %s", x.Account.PrincipalCents, dc.PrincipalCents)
	}
	// The ledger: the contract's postings dated through the day.
	sum := func(account string, through calendar.Date) (money.Cents, error) {
		var c int64
		err := view.Read.QueryRowContext(ctx, `SELECT COALESCE(SUM(p.amount_cents), 0) FROM ledger_postings p
			JOIN ledger_transactions t ON t.id = p.transaction_id
			WHERE t.contract_id = $1 AND p.account = $2 AND t.effective_date <= $3`, x.ContractID, account, through).Scan(&c)
		return money.Cents(c), err
	}
	balance := servicing.AccountPrincipal
	if x.Kind == servicing.KindLease {
		balance = servicing.AccountBilled
	}
	closing, err := sum(balance, day)
	if err != nil {
		return err
	}
	opening, err := sum(balance, x.PeriodFrom-1)
	if err != nil {
		return err
	}
	fees, err := sum(servicing.AccountFees, day)
	if err != nil {
		return err
	}
	if closing != x.ClosingBalanceCents || opening != x.OpeningBalanceCents || (!x.Final && fees != x.Due.FeesCents) {
		return fmt.Errorf("ledger: balance %s → %s, fees %s; statement %s → %s, fees %s", opening, closing, fees,
			x.OpeningBalanceCents, x.ClosingBalanceCents, x.Due.FeesCents)
	}
	// The history page for the period, line by line.
	items, err := sv.History(ctx, x.CustomerID, x.ContractID, servicing.HistoryFilter{From: x.PeriodFrom, To: day})
	if err != nil {
		return err
	}
	if len(items) != len(x.Activity) {
		return fmt.Errorf("history has %d items, the statement %d lines", len(items), len(x.Activity))
	}
	for i, l := range x.Activity {
		it := items[len(items)-1-i]
		if l.Date != it.Date || string(l.Type) != string(it.Type) || l.AmountCents != it.AmountCents || l.InterestCents != it.InterestCents ||
			l.PrincipalCents != it.PrincipalCents || l.FeesCents != it.FeesCents {
			return fmt.Errorf("line %d %+v, history %+v", i, l, it)
		}
	}
	// Year to date interest is what the year-end figures will say.
	paid, err := sv.InterestPaid(ctx, x.CustomerID, x.ContractID)
	if err != nil {
		return err
	}
	if paid[day.Year()] != x.YearToDate.InterestCents {
		return fmt.Errorf("interest paid this year %s, statement %s", paid[day.Year()], x.YearToDate.InterestCents)
	}
	return nil
}

// checkCycles checks every contract has one statement per cycle whose
// statement date came while it was open, and one final statement after
// it closed.
func checkCycles(t *testing.T, d *db.DB, last calendar.Date) {
	ctx := context.Background()
	type contract struct {
		id       int64
		signed   calendar.Date
		closedOn calendar.Date
		dueDay   int
	}
	rows, err := d.Read.QueryContext(ctx, `SELECT id, contract_date, closed_on, due_day FROM contracts ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var cs []contract
	for rows.Next() {
		var c contract
		if err := rows.Scan(&c.id, &c.signed, &c.closedOn, &c.dueDay); err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	rows.Close()
	for _, c := range cs {
		want := map[calendar.Date]bool{}
		rows, err := d.Read.QueryContext(ctx, `SELECT due_date FROM installments WHERE contract_id = $1`, c.id)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var due calendar.Date
			if err := rows.Scan(&due); err != nil {
				t.Fatal(err)
			}
			on := due.AddDays(-statements.LeadDaysDefault)
			if on >= c.signed && on <= last && (c.closedOn == 0 || on < c.closedOn) {
				want[due] = false
			}
		}
		rows.Close()
		var finals int
		rows, err = d.Read.QueryContext(ctx, `SELECT cycle_due, final, statement_date FROM statements WHERE contract_id = $1`, c.id)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var due, on calendar.Date
			var final int
			if err := rows.Scan(&due, &final, &on); err != nil {
				t.Fatal(err)
			}
			if final == 1 {
				finals++
				if c.closedOn == 0 || on <= c.closedOn || on > c.closedOn.AddDays(62) {
					t.Errorf("contract %d: final statement on %s, closed on %s", c.id, on, c.closedOn)
				}
				continue
			}
			if seen, ok := want[due]; !ok || seen {
				t.Errorf("contract %d: statement for %s not expected (or twice)", c.id, due)
			}
			want[due] = true
		}
		rows.Close()
		for due, seen := range want {
			if !seen {
				t.Errorf("contract %d: no statement for the cycle due %s", c.id, due)
			}
		}
		if c.closedOn != 0 && c.closedOn < last.AddDays(-40) && finals != 1 {
			t.Errorf("contract %d closed on %s has %d final statements", c.id, c.closedOn, finals)
		}
	}
}
