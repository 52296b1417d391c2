package jobs_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"carfin/approvals"
	"carfin/audit"
	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/jobs"
	"carfin/money"
	"carfin/servicing"
)

// TestApprovalsExpiry: a request 73 hours old (by the database clock) is
// marked expired by River's job, audited once as "system", with nothing
// posted, while a request made since stays pending; two processes make
// one job in a period, whether each asks for it or River's leader starts
// it on its schedule.
func TestApprovalsExpiry(t *testing.T) {
	for _, tc := range []struct {
		name     string
		periodic bool
	}{
		{"enqueued by each process", false},
		{"periodic", true},
	} {
		t.Run(tc.name, func(t *testing.T) { testApprovalsExpiry(t, tc.periodic) })
	}
}

func testApprovalsExpiry(t *testing.T, periodic bool) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := dbtest.ClockOf(d)
		clk.Set(calendar.MustParse("2024-03-20").Time().Add(10 * time.Hour))
		today := func(t time.Time) calendar.Date { return calendar.Of(t) }
		sv := servicing.New(d, today)
		cust, err := sv.CreateCustomer(ctx, servicing.NewCustomer{FirstName: "Jo", LastName: "Park", Email: "jo@example.com",
			AddressLine1: "3 Elm St", City: "Reno", State: "NV", ZIP: "89501", BirthDate: calendar.MustParse("1990-01-01"), SSNLast4: "5555"})
		if err != nil {
			t.Fatal(err)
		}
		loan, err := sv.OpenContract(ctx, servicing.NewContract{AccountNumber: "J-1", CustomerID: cust,
			VIN: servicing.WithCheckDigit("2T1BURHE0J0000001"), VehicleYear: 2022, Make: "Kia", Model: "Soul",
			Kind: servicing.KindLoan, AmountFinancedCents: money.MustParse("9000"), APR: money.MustParseRate("8"), TermMonths: 36,
			ContractDate: calendar.MustParse("2024-03-01"), FirstDue: calendar.MustParse("2024-04-01"), GraceDays: 10,
			LateFee: servicing.LateFeeRule{Kind: "fixed", FixedCents: money.MustParse("15")}})
		if err != nil {
			t.Fatal(err)
		}
		ap := approvals.New(d, sv, nil, today)
		agent := approvals.Staff{LoginID: "11", Role: "agent"}
		adjust := approvals.Target{AmountCents: money.MustParse("-5")}
		stale, err := ap.Request(ctx, agent, approvals.BalanceAdjustment, loan, adjust, "correction")
		if err != nil {
			t.Fatal(err)
		}
		clk.Add(73 * time.Hour)
		fresh, err := ap.Request(ctx, agent, approvals.BalanceAdjustment, loan, adjust, "correction, again")
		if err != nil {
			t.Fatal(err)
		}

		if err := jobs.Migrate(ctx, d); err != nil {
			t.Fatal(err)
		}
		// Two processes over the same database, each asking for the job.
		for range 2 {
			r, err := jobs.New(d, jobs.Config{Servicing: sv, Today: func() calendar.Date { return today(d.Now()) }, Approvals: ap,
				Periodic: periodic, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := r.Stop(ctx); err != nil {
					t.Error(err)
				}
			}()
			if !periodic {
				if err := r.EnqueueApprovalsExpiry(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			var done int
			if err := d.Read.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE kind = 'approvals_expire' AND state = 'completed'`).Scan(&done); err != nil {
				t.Fatal(err)
			}
			if done > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the expiry job did not complete by the deadline")
			}
			time.Sleep(50 * time.Millisecond)
		}
		var jobsMade int
		_ = d.Read.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE kind = 'approvals_expire'`).Scan(&jobsMade)
		if jobsMade != 1 {
			t.Errorf("%d expiry jobs, want 1", jobsMade)
		}
		if got, err := ap.Get(ctx, stale); err != nil || got.Status != approvals.StatusExpired {
			t.Errorf("the 73-hour-old request is %s (%v), want expired", got.Status, err)
		}
		if got, err := ap.Get(ctx, fresh); err != nil || got.Status != approvals.StatusPending {
			t.Errorf("the new request is %s (%v), want pending", got.Status, err)
		}
		entries, err := audit.ForSubject(ctx, d, fmt.Sprintf("contract:%d", loan), 100)
		if err != nil {
			t.Fatal(err)
		}
		expiries := 0
		for _, e := range entries {
			if e.Action == "approval.expire" {
				expiries++
				if e.Actor != "system" {
					t.Errorf("expiry audited as %q, want system", e.Actor)
				}
			}
		}
		if expiries != 1 {
			t.Errorf("%d expiries audited, want 1", expiries)
		}
		var posted int
		_ = d.Read.QueryRowContext(ctx, `SELECT count(*) FROM servicing_events WHERE idempotency_key LIKE 'approval:%'`).Scan(&posted)
		if posted != 0 {
			t.Errorf("%d servicing events posted by expired requests", posted)
		}
	})
}
