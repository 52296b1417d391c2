package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/payments"
)

// TestServePaymentsRun: `carfin serve` with its jobs on runs the day's
// payments run once the cut-off has passed, in process, like day close:
// a new bank account's micro-deposits go out in that day's NACHA file. On
// both engines.
func TestServePaymentsRun(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		// The clock is past the cut-off (17:00 New York) on a business day
		// before the server starts, so the jobs' first check finds the run due.
		dbtest.ClockOf(d).Set(time.Date(2026, 11, 18, 22, 30, 0, 0, time.UTC))
		env := newPayEnv(t)
		pay := env.paymentsFor(t, d)
		c := seedCustomer(t, d, "Jo")
		if _, err := pay.AddBankAccount(context.Background(), c.id, payments.NewBankAccount{HolderName: "Jo Quinn", AccountType: "checking",
			Routing: "112601818", Account: "44556677", ConfirmAccount: "44556677"}); err != nil {
			t.Fatal(err)
		}
		startServe(t, d, env.serve, func(cfg *serveConfig) { cfg.Jobs = true })
		deadline := time.Now().Add(60 * time.Second)
		for {
			var written int
			if err := d.Read.QueryRow(`SELECT count(*) FROM ach_files WHERE status = 'written' AND file_date = $1`,
				calendar.MustParse("2026-11-18")).Scan(&written); err != nil {
				t.Fatal(err)
			}
			if written == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("serve's jobs wrote no NACHA file after the cut-off")
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

// TestServePaymentsWarnings: serve says loudly when the test card
// processor or the public development key serve a non-loopback address,
// and that the day's run does not happen without the lender's bank; on
// loopback, with everything set, it says nothing of the kind.
func TestServePaymentsWarnings(t *testing.T) {
	t.Parallel()
	d := dbtest.SQLite(t)
	open := startServe(t, d, payEnv{"CARFIN_PAYMENT_KEYS": "dev", "CARFIN_CARD_PROCESSOR": "test"}.serve,
		func(c *serveConfig) { c.Addr = "0.0.0.0:0" })
	logs := open.logs.String()
	for _, want := range []string{"the test card processor is serving on a non-loopback address",
		"bank account numbers are encrypted with the public development key on a non-loopback address",
		"the day's payments run (NACHA file) does not run here"} {
		if !strings.Contains(logs, want) {
			t.Errorf("no warning %q in:\n%s", want, logs)
		}
	}
	local := startServe(t, d, newPayEnv(t).serve)
	if l := local.logs.String(); strings.Contains(l, "non-loopback") || strings.Contains(l, "does not run here") {
		t.Errorf("warnings on loopback with payments configured:\n%s", l)
	}
}
