package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/jobs"
	"carfin/payments"
	"carfin/payments/ach"
	"carfin/servicing"
)

// TestPaymentsDayJob: with payments configured, the periodic check finds
// the day's cut-off passed and runs the day: the pending account's
// micro-deposits go out in a NACHA file. On both engines.
func TestPaymentsDayJob(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		cut, err := calendar.ParseCutoff("17:00", "America/New_York")
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 11, 2, 18, 30, 0, 0, cut.Location).UTC()
		dbtest.ClockOf(d).Set(now)
		sv := servicing.New(d, cut.Today)
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		pay, err := payments.New(d, sv, payments.Config{Cutoff: cut, Keys: payments.DevKeyring(), Directory: ach.SampleDirectory(), OutDir: t.TempDir(),
			Origin: payments.Origin{ODFIRouting: "061993512", CompanyID: "1987654321"}, Log: log})
		if err != nil {
			t.Fatal(err)
		}
		cust, err := sv.CreateCustomer(ctx, servicing.NewCustomer{FirstName: "Jo", LastName: "Park", Email: "jo@example.com",
			AddressLine1: "3 Elm St", City: "Reno", State: "NV", ZIP: "89501", BirthDate: calendar.MustParse("1990-01-01"), SSNLast4: "5555"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pay.AddBankAccount(ctx, cust, payments.NewBankAccount{HolderName: "Jo Park", AccountType: "checking", Routing: "112601818",
			Account: "12345678", ConfirmAccount: "12345678"}); err != nil {
			t.Fatal(err)
		}
		if err := jobs.Migrate(ctx, d); err != nil {
			t.Fatal(err)
		}
		r, err := jobs.New(d, jobs.Config{Servicing: sv, Today: func() calendar.Date { return cut.Today(now) }, Log: log, Periodic: true, Payments: pay})
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
		deadline := time.Now().Add(60 * time.Second)
		for {
			var written int
			if err := d.Read.QueryRowContext(ctx, `SELECT count(*) FROM ach_files WHERE status = 'written' AND file_date = '2026-11-02'`).Scan(&written); err != nil {
				t.Fatal(err)
			}
			if written == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no ACH file written by the payments job")
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}
