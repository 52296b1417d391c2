package jobs_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/jobs"
	"carfin/money"
	"carfin/servicing"
)

// TestDayCloseChain: River closes every date from the book's start up to
// yesterday, in order, chunk by chunk, on both engines.
func TestDayCloseChain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		today := calendar.MustParse("2024-03-20")
		dbtest.ClockOf(d).Set(today.Time().Add(10 * time.Hour))
		sv := servicing.New(d, func(t time.Time) calendar.Date { return calendar.Of(t) })
		sv.SetDayCloseChunkSize(3)
		cust, err := sv.CreateCustomer(ctx, servicing.NewCustomer{FirstName: "Jo", LastName: "Park", Email: "jo@example.com",
			AddressLine1: "3 Elm St", City: "Reno", State: "NV", ZIP: "89501", BirthDate: calendar.MustParse("1990-01-01"), SSNLast4: "5555"})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 7 {
			_, err := sv.OpenContract(ctx, servicing.NewContract{AccountNumber: fmt.Sprint("J-", i), CustomerID: cust,
				VIN: servicing.WithCheckDigit(fmt.Sprintf("2T1BURHE0J%07d", i)), VehicleYear: 2022, Make: "Kia", Model: "Soul",
				Kind: servicing.KindLoan, AmountFinancedCents: money.MustParse("9000"), APR: money.MustParseRate("8"), TermMonths: 36,
				ContractDate: calendar.MustParse("2024-03-01"), FirstDue: calendar.MustParse("2024-04-01"), GraceDays: 10,
				LateFee: servicing.LateFeeRule{Kind: "fixed", FixedCents: money.MustParse("15")}})
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := jobs.Migrate(ctx, d); err != nil {
			t.Fatal(err)
		}
		r, err := jobs.New(d, jobs.Config{Servicing: sv, Today: func() calendar.Date { return today },
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
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
		if err := r.EnqueueDayCloseDue(ctx); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			last, err := sv.LastClosedDate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if last == today-1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("day close reached %s by the deadline, want %s", last, today-1)
			}
			time.Sleep(50 * time.Millisecond)
		}
		var chunks int
		_ = d.Read.QueryRowContext(ctx, `SELECT count(*) FROM day_close_chunks`).Scan(&chunks)
		// 3 chunks (ids 1–3, 4–6, 7) for each date from 2024-03-01 to 2024-03-19.
		if chunks != 3*19 {
			t.Errorf("%d chunks closed, want %d", chunks, 3*19)
		}
		if f, err := servicing.Check(ctx, d); err != nil || len(f) > 0 {
			t.Errorf("check: %v %v", f, err)
		}
	})
}
