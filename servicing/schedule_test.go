package servicing_test

import (
	"context"
	"testing"

	"carfin/db"
	"carfin/db/dbtest"
	"carfin/servicing"
)

// TestScheduleAfterReturnedPayment is the demo's returned-payment loan
// (issue 11) on fixed dates: $21,000 at 7.90 % for 60 months from
// 2026-04-06, $424.80 paid on each due date, October's payment returned
// (R01) on 2026-10-09 with a $25 NSF fee, November's paid, and the
// business date 2026-12-06, December's due date. The figures are worked
// by hand (daily simple interest, 365-day year, half-up to the cent):
//
//	May 6   21,000.00 × 7.9 % × 30/365 = 136.36 interest, 288.44 principal
//	Nov 6   19,552.19 × 7.9 % × 61/365 = 258.14 (Sep 6 to Nov 6: October's
//	        payment came back), 166.66 principal, balance 19,385.53
//	Dec 6   19,385.53 × 7.9 % × 30/365 = 125.87 accrued since Nov 6: the
//	        past-due November installment pays it and 298.93 principal,
//	        December's pays 424.80 principal, balance 18,661.80
//	Jan 6   18,661.80 × 7.9 % × 31/365 = 125.21, 299.59 principal
//
// The November row shows what November's payment paid, not a
// projection; the projection starts from the real balance and the
// interest accrued since November 6 (not $0.00 of interest); and the
// totals paid so far are the history's. Then a $100 payment today goes
// to that interest, and December's row shows both what it paid and the
// projection of the rest.
func TestScheduleAfterReturnedPayment(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dbx *db.DB) {
		ctx := context.Background()
		sv, _ := newService(t, dbx, "2026-12-06")
		id := openLoan(t, sv, "21000", "7.9", 60, "2026-04-06", "2026-05-06")
		var cust int64
		_ = dbx.Read.QueryRowContext(ctx, `SELECT customer_id FROM contracts WHERE id = $1`, id).Scan(&cust)
		if inst := installmentOf(t, dbx, id); inst != c("424.80") {
			t.Fatalf("installment %s, want 424.80", inst)
		}
		var october int64
		for _, date := range []string{"2026-05-06", "2026-06-06", "2026-07-06", "2026-08-06", "2026-09-06", "2026-10-06"} {
			res, err := sv.PostPayment(ctx, req(id, date, "pay "+date), c("424.80"))
			if err != nil {
				t.Fatal(err)
			}
			october = res.EventID
		}
		if _, err := sv.Reverse(ctx, req(id, "2026-10-09", "R01"), october); err != nil {
			t.Fatal(err)
		}
		if _, err := sv.AssessNSFFee(ctx, req(id, "2026-10-09", "nsf")); err != nil {
			t.Fatal(err)
		}
		if _, err := sv.PostPayment(ctx, req(id, "2026-11-06", "pay 2026-11-06"), c("424.80")); err != nil {
			t.Fatal(err)
		}
		mustCheck(t, dbx)

		type row struct {
			status            servicing.InstallmentStatus
			posted, projected servicing.Split
			pastDue, balance  string
			payments          int
		}
		split := func(interest, principal string) servicing.Split {
			return servicing.Split{InterestCents: c(interest), PrincipalCents: c(principal)}
		}
		check := func(t *testing.T, want map[int]row, paid, projected servicing.Split) {
			t.Helper()
			sched, err := sv.ScheduleOf(ctx, cust, id)
			if err != nil {
				t.Fatal(err)
			}
			if len(sched.Rows) != 60 {
				t.Fatalf("%d rows", len(sched.Rows))
			}
			for n, w := range want {
				r := sched.Rows[n-1]
				got := row{status: r.Status, posted: r.Posted, projected: r.Projection, pastDue: r.PastDueCents.String(),
					balance: r.BalanceCents.String(), payments: len(r.Payments)}
				if got != w || r.Projected != (w.projected != servicing.Split{}) {
					t.Errorf("row %d (%s):\n got %+v projected %v\nwant %+v", n, r.Due, got, r.Projected, w)
				}
			}
			if sched.Paid != paid || sched.Projected != projected {
				t.Errorf("paid %+v, projected %+v; want %+v, %+v", sched.Paid, sched.Projected, paid, projected)
			}
			// The history's figures: the interest paid, and each
			// payment's split added up.
			years, err := sv.InterestPaid(ctx, cust, id)
			if err != nil || len(years) != 1 || years[2026] != paid.InterestCents {
				t.Errorf("interest paid %v %v, want %s in 2026", years, err, paid.InterestCents)
			}
			items, err := sv.History(ctx, cust, id, servicing.HistoryFilter{Types: []servicing.ItemType{servicing.ItemPayment}})
			if err != nil {
				t.Fatal(err)
			}
			var history servicing.Split
			for _, it := range items {
				history.InterestCents += it.InterestCents
				history.PrincipalCents += it.PrincipalCents
				history.FeesCents += it.FeesCents
			}
			if history != paid {
				t.Errorf("the history's payments paid %+v, the schedule says %+v", history, paid)
			}
			if last := sched.Rows[59]; !last.Projected || last.BalanceCents != 0 {
				t.Errorf("last row %+v", last)
			}
		}

		t.Run("after the return", func(t *testing.T) {
			check(t, map[int]row{
				1:  {servicing.InstallmentPaid, split("136.36", "288.44"), servicing.Split{}, "0.00", "20711.56", 1},
				5:  {servicing.InstallmentPaid, split("133.14", "291.66"), servicing.Split{}, "0.00", "19552.19", 1},
				6:  {servicing.InstallmentPaid, servicing.Split{}, servicing.Split{}, "0.00", "19552.19", 1}, // returned
				7:  {servicing.InstallmentPastDue, split("258.14", "166.66"), servicing.Split{}, "0.00", "19385.53", 1},
				8:  {servicing.InstallmentDue, servicing.Split{}, split("125.87", "723.73"), "424.80", "18661.80", 0},
				9:  {servicing.InstallmentUpcoming, servicing.Split{}, split("125.21", "299.59"), "0.00", "18362.21", 0},
				60: {servicing.InstallmentUpcoming, servicing.Split{}, split("2.92", "435.53"), "0.00", "0.00", 0},
			}, split("934.33", "1614.47"), split("3567.32", "19385.53"))
		})

		t.Run("a partial payment today", func(t *testing.T) {
			res, err := sv.PostPayment(ctx, req(id, "2026-12-06", "partial"), c("100"))
			if err != nil {
				t.Fatal(err)
			}
			if res.Applied.InterestCents != c("100") || res.Applied.PrincipalCents != 0 {
				t.Fatalf("the $100 paid %+v", res.Applied)
			}
			// 25.87 of the interest is left, paid with what is left of
			// November (324.80); the balance path is unchanged.
			check(t, map[int]row{
				7: {servicing.InstallmentPartial, split("258.14", "166.66"), servicing.Split{}, "0.00", "19385.53", 1},
				8: {servicing.InstallmentDue, split("100.00", "0.00"), split("25.87", "723.73"), "324.80", "18661.80", 1},
				9: {servicing.InstallmentUpcoming, servicing.Split{}, split("125.21", "299.59"), "0.00", "18362.21", 0},
			}, split("1034.33", "1614.47"), split("3467.32", "19385.53"))
		})
	})
}
