package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/money"
	"carfin/payments"
	"carfin/servicing"
)

// Issue 11 through the command line and the portal's pages.

// TestACHFileFutureDate: `carfin ach file --date` after today's business
// date is refused as a bad command line before anything is written: no
// file, the payment due that day still scheduled and no message to the
// customer (the run used to fail it for good and email "payment failed").
func TestACHFileFutureDate(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			dsn := "sqlite:" + filepath.Join(t.TempDir(), "carfin.db")
			if engine == "postgres" {
				dsn = dbtest.PostgresDSN(t)
			}
			ctx := context.Background()
			d, err := openDB(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			out := t.TempDir()
			env := paymentsEnv(out)
			cut, err := calendar.ParseCutoff("17:00", "America/New_York")
			if err != nil {
				t.Fatal(err)
			}
			pay, err := paymentsFromEnv(func(k string) string { return env[k] }, d, servicing.New(d, cut.Today), cut, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			c := seedCustomer(t, d, "Fay")
			loan := contractOf(t, d, c.id)
			m, err := pay.AddBankAccount(ctx, c.id, payments.NewBankAccount{HolderName: "Fay Quinn", AccountType: "checking", Routing: "129083018",
				Account: "55501234", ConfirmAccount: "55501234"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := pay.OriginateACH(ctx, calendar.OnOrAfterBusinessDay(cut.Today(d.Now()))); err != nil {
				t.Fatal(err)
			}
			var a, b money.Cents
			if err := d.Read.QueryRow(`SELECT micro1_cents, micro2_cents FROM payment_methods WHERE id = $1`, m.ID).Scan(&a, &b); err != nil {
				t.Fatal(err)
			}
			if _, err := pay.ConfirmMicroDeposits(ctx, c.id, m.ID, a, b); err != nil {
				t.Fatal(err)
			}
			o, err := pay.Options(ctx, c.id, loan)
			if err != nil {
				t.Fatal(err)
			}
			date := calendar.AddBusinessDays(o.Earliest, 2)
			p, err := pay.Pay(ctx, c.id, payments.OneTime{ContractID: loan, MethodID: m.ID, Choice: payments.PayOther, Other: "120.00", Date: date,
				IdempotencyKey: "k1"})
			if err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, d, c.email)
			_, errOut, code := carfinEnv(t, env, "ach", "file", "--db", dsn, "--time-zone", "America/New_York", "--cutoff", "17:00",
				"--date", date.String(), "--out", out)
			if code != 2 || !strings.Contains(errOut, "--date "+date.String()+" is after today's business date") {
				t.Fatalf("ach file --date %s: exit %d: %s", date, code, errOut)
			}
			if after := snapshot(t, d, c.email); after != before {
				t.Errorf("a refused command wrote:\nbefore %s\nafter  %s", before, after)
			}
			if got, err := pay.Payment(ctx, c.id, p.ID); err != nil || got.Status != payments.StatusScheduled {
				t.Errorf("payment %+v %v", got, err)
			}
		})
	}
}

// snapshot is what the payment run writes: files, payments by status,
// messages to the customer.
func snapshot(t *testing.T, d *db.DB, email string) string {
	t.Helper()
	var files, scheduled, other, mail int
	err := d.Read.QueryRow(`SELECT (SELECT count(*) FROM ach_files), (SELECT count(*) FROM payments WHERE status = 'scheduled'),
		(SELECT count(*) FROM payments WHERE status <> 'scheduled'), (SELECT count(*) FROM outbox WHERE to_addr = $1)`, email).
		Scan(&files, &scheduled, &other, &mail)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("files %d, scheduled %d, other payments %d, messages %d", files, scheduled, other, mail)
}
