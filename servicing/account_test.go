package servicing_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"carfin/db"
	"carfin/db/dbtest"
	"carfin/money"
	"carfin/servicing"
)

// TestReadSide: summary, history, schedule, interest paid and what-if of
// a loan with a late fee, a returned payment and an NSF fee; another
// customer sees none of it.
func TestReadSide(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dbx *db.DB) {
		ctx := context.Background()
		sv, _ := newService(t, dbx, "2024-05-20")
		id := openLoan(t, sv, "12000", "8", 36, "2024-01-05", "2024-02-05")
		var cust int64
		_ = dbx.Read.QueryRowContext(ctx, `SELECT customer_id FROM contracts WHERE id = $1`, id).Scan(&cust)
		other := openLoan(t, sv, "5000", "8", 12, "2024-01-05", "2024-02-05")
		var otherCust int64
		_ = dbx.Read.QueryRowContext(ctx, `SELECT customer_id FROM contracts WHERE id = $1`, other).Scan(&otherCust)
		inst := installmentOf(t, dbx, id)
		if _, err := sv.PostPayment(ctx, req(id, "2024-02-05", "p1"), inst); err != nil {
			t.Fatal(err)
		}
		// March paid late (after grace): a late fee.
		if _, err := sv.PostPayment(ctx, req(id, "2024-03-20", "p2"), inst); err != nil {
			t.Fatal(err)
		}
		p3, err := sv.PostPayment(ctx, req(id, "2024-04-05", "p3"), inst)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sv.Reverse(ctx, req(id, "2024-04-09", "ret"), p3.EventID); err != nil {
			t.Fatal(err)
		}
		if _, err := sv.AssessNSFFee(ctx, req(id, "2024-04-09", "nsf")); err != nil {
			t.Fatal(err)
		}
		s, err := sv.ContractSummary(ctx, cust, id)
		if err != nil {
			t.Fatal(err)
		}
		// April and May unpaid on May 20: April is 45 days past due.
		if s.DaysPastDue != 45 || s.PastDueCents != 2*inst || !s.ReturnedPayment || s.NextDue != d("2024-06-05") || s.VINLast6 == "" {
			t.Errorf("summary %+v", s)
		}
		if s.AmountDueCents != 3*inst+s.FeesCents || s.FeesCents == 0 || s.PayoffCents <= s.PrincipalCents {
			t.Errorf("amount due %s, fees %s, payoff %s", s.AmountDueCents, s.FeesCents, s.PayoffCents)
		}
		if s.LastPaymentDate != d("2024-03-20") {
			t.Errorf("last payment %s (the returned one must not count)", s.LastPaymentDate)
		}
		items, err := sv.History(ctx, cust, id, servicing.HistoryFilter{})
		if err != nil {
			t.Fatal(err)
		}
		types := map[servicing.ItemType]int{}
		for _, it := range items {
			types[it.Type]++
		}
		if types[servicing.ItemPayment] != 3 || types[servicing.ItemReturnedPayment] != 1 || types[servicing.ItemNSFFee] != 1 ||
			types[servicing.ItemLateFee] != 1 || types[servicing.ItemFunded] != 1 {
			t.Errorf("history types %v", types)
		}
		if items[0].Date < items[len(items)-1].Date {
			t.Error("history is not newest first")
		}
		lates, _ := sv.History(ctx, cust, id, servicing.HistoryFilter{Types: []servicing.ItemType{servicing.ItemLateFee}, From: d("2024-03-01"), To: d("2024-03-31")})
		if len(lates) != 1 || lates[0].Installment != 2 {
			t.Errorf("March late fees %+v", lates)
		}
		paid, err := sv.InterestPaid(ctx, cust, id)
		if err != nil || paid[2024] <= 0 {
			t.Errorf("interest paid %v %v", paid, err)
		}
		sched, err := sv.ScheduleOf(ctx, cust, id)
		rows := sched.Rows
		if err != nil || len(rows) != 36 {
			t.Fatalf("schedule %d rows, %v", len(rows), err)
		}
		want := []servicing.InstallmentStatus{servicing.InstallmentPaid, servicing.InstallmentPaid, servicing.InstallmentPastDue,
			servicing.InstallmentPastDue, servicing.InstallmentDue, servicing.InstallmentUpcoming}
		for i, w := range want {
			if rows[i].Status != w {
				t.Errorf("installment %d: %s, want %s", i+1, rows[i].Status, w)
			}
		}
		if last := rows[35]; !last.Projected || last.BalanceCents != 0 {
			t.Errorf("last row %+v", last)
		}
		base, plan, err := sv.WhatIf(ctx, cust, id, c("100"), 0, 0)
		if err != nil || plan.InterestCents >= base.InterestCents || plan.PayoffDate >= base.PayoffDate {
			t.Errorf("what-if %+v vs %+v, %v", plan, base, err)
		}
		// The other customer sees nothing of this contract.
		if _, err := sv.ContractSummary(ctx, otherCust, id); !errors.Is(err, servicing.ErrNotFound) {
			t.Errorf("summary for another customer: %v", err)
		}
		if _, err := sv.History(ctx, otherCust, id, servicing.HistoryFilter{}); !errors.Is(err, servicing.ErrNotFound) {
			t.Errorf("history for another customer: %v", err)
		}
		if _, err := sv.ScheduleOf(ctx, otherCust, id); !errors.Is(err, servicing.ErrNotFound) {
			t.Errorf("schedule for another customer: %v", err)
		}
		if _, _, err := sv.WhatIf(ctx, otherCust, id, 1, 0, 0); !errors.Is(err, servicing.ErrNotFound) {
			t.Errorf("what-if for another customer: %v", err)
		}
		refs, err := sv.CustomerContracts(ctx, cust)
		if err != nil || len(refs) != 1 || refs[0].ID != id {
			t.Errorf("contracts %+v %v", refs, err)
		}
	})
}

func installmentOf(t *testing.T, dbx *db.DB, id int64) (m money.Cents) {
	t.Helper()
	if err := dbx.Read.QueryRowContext(context.Background(), `SELECT payment_cents FROM contracts WHERE id = $1`, id).Scan(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestHistoryInterest: the history's "interest" filter lists the payments
// still standing that paid interest, each with its interest, alone or
// with other types and a date range; a returned payment, a payment that
// found no interest to pay and a lease's payments are not among them;
// and their interest adds up to InterestPaid.
func TestHistoryInterest(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dbx *db.DB) {
		ctx := context.Background()
		sv, _ := newService(t, dbx, "2024-05-20")
		id := openLoan(t, sv, "12000", "8", 36, "2024-01-05", "2024-02-05")
		var cust int64
		_ = dbx.Read.QueryRowContext(ctx, `SELECT customer_id FROM contracts WHERE id = $1`, id).Scan(&cust)
		inst := installmentOf(t, dbx, id)
		pay := func(date, key string, amount money.Cents) int64 {
			t.Helper()
			res, err := sv.PostPayment(ctx, req(id, date, key), amount)
			if err != nil {
				t.Fatal(err)
			}
			return res.EventID
		}
		pay("2024-02-05", "p1", inst)
		pay("2024-03-20", "p2", inst) // late: a late fee
		pay("2024-03-20", "p2b", c("15"))
		p3 := pay("2024-04-05", "p3", inst)
		if _, err := sv.Reverse(ctx, req(id, "2024-04-09", "ret"), p3); err != nil {
			t.Fatal(err)
		}
		all, err := sv.History(ctx, cust, id, servicing.HistoryFilter{})
		if err != nil {
			t.Fatal(err)
		}
		// What each payment paid, from the unfiltered history.
		interest := map[string]money.Cents{}
		for _, it := range all {
			if it.Type == servicing.ItemPayment {
				interest[it.Date.String()+" "+it.AmountCents.String()] = it.InterestCents
			}
		}
		p1, p2, p2b, p3Key := "2024-02-05 "+inst.String(), "2024-03-20 "+inst.String(), "2024-03-20 15.00", "2024-04-05 "+inst.String()
		if interest[p1] <= 0 || interest[p2] <= 0 || interest[p2b] != 0 || interest[p3Key] != 0 || len(interest) != 4 {
			t.Fatalf("payments' interest %v", interest)
		}
		key := func(it servicing.Item) string {
			if it.Type == servicing.ItemPayment {
				return it.Date.String() + " " + it.AmountCents.String()
			}
			return it.Date.String() + " " + string(it.Type)
		}
		interestOnly := []servicing.ItemType{servicing.ItemInterest}
		for _, tc := range []struct {
			name string
			f    servicing.HistoryFilter
			want []string // newest first
		}{
			{"interest", servicing.HistoryFilter{Types: interestOnly}, []string{p2, p1}},
			{"interest from March", servicing.HistoryFilter{Types: interestOnly, From: d("2024-03-01")}, []string{p2}},
			{"interest through February", servicing.HistoryFilter{Types: interestOnly, To: d("2024-02-29")}, []string{p1}},
			{"interest in April", servicing.HistoryFilter{Types: interestOnly, From: d("2024-04-01"), To: d("2024-04-30")}, nil},
			{"interest and late fees", servicing.HistoryFilter{Types: []servicing.ItemType{servicing.ItemLateFee, servicing.ItemInterest}},
				[]string{p2, "2024-03-16 late_fee", p1}},
			{"interest and payments, each once", servicing.HistoryFilter{Types: []servicing.ItemType{servicing.ItemInterest, servicing.ItemPayment}},
				[]string{p3Key, p2b, p2, p1}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				items, err := sv.History(ctx, cust, id, tc.f)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, it := range items {
					got = append(got, key(it))
					if it.Type == servicing.ItemPayment && it.InterestCents != interest[key(it)] {
						t.Errorf("%s: interest %s, want %s", key(it), it.InterestCents, interest[key(it)])
					}
				}
				if strings.Join(got, ", ") != strings.Join(tc.want, ", ") {
					t.Errorf("items %q, want %q", got, tc.want)
				}
			})
		}
		paid, err := sv.InterestPaid(ctx, cust, id)
		if err != nil || len(paid) != 1 || paid[2024] != interest[p1]+interest[p2] {
			t.Errorf("interest paid %v %v, want %s in 2024", paid, err, interest[p1]+interest[p2])
		}
		// A lease's payments pay no interest: its rent charge is in each bill.
		lease := openLease(t, sv, "2024-01-10", "2024-02-10")
		var leaseCust int64
		_ = dbx.Read.QueryRowContext(ctx, `SELECT customer_id FROM contracts WHERE id = $1`, lease).Scan(&leaseCust)
		if _, err := sv.PostPayment(ctx, req(lease, "2024-02-10", "lp1"), installmentOf(t, dbx, lease)); err != nil {
			t.Fatal(err)
		}
		if items, err := sv.History(ctx, leaseCust, lease, servicing.HistoryFilter{Types: interestOnly}); err != nil || len(items) != 0 {
			t.Errorf("a lease's interest: %+v %v", items, err)
		}
		// Another customer sees none of it.
		if _, err := sv.History(ctx, leaseCust, id, servicing.HistoryFilter{Types: interestOnly}); !errors.Is(err, servicing.ErrNotFound) {
			t.Errorf("interest of another customer's loan: %v", err)
		}
	})
}
