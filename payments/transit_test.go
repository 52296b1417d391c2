package payments_test

import (
	"os"
	"strings"
	"testing"

	"carfin/db"
	"carfin/db/dbtest"
	"carfin/ledger"
	"carfin/payments"
	"carfin/servicing"
)

// TestTransitOpening: a database upgraded with debits already pending
// (sent before ach_in_transit existed) gets their total booked into the
// account once by migration 00321, so the account matches the pending
// debits and stays right as they settle. The state before the feature is
// made by booking a sent debit's transit back out.
func TestTransitOpening(t *testing.T) {
	src, err := os.ReadFile("../db/migrations/00321_ach_in_transit_opening.sql")
	if err != nil {
		t.Fatal(err)
	}
	var code []string // the SQL without its comment lines
	for _, l := range strings.Split(string(src), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			code = append(code, l)
		}
	}
	var stmts []string
	for _, st := range strings.Split(strings.Join(code, "\n"), ";") {
		if q := strings.TrimSpace(st); q != "" {
			stmts = append(stmts, q)
		}
	}
	if len(stmts) != 3 || strings.Contains(string(src), "{{") {
		t.Fatalf("%d statements (or engine tokens) in the migration", len(stmts))
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-10-30")
		c := e.customer("Old")
		loan := e.loan(c, "12000", 36, "2026-10-15", "2026-11-15")
		e.at("2026-11-02", 9, 0)
		m := e.bank(c, "129083018", "50007777")
		p := e.payOther(c, loan, m.ID, "250", 0, "old")
		e.at("2026-11-02", 18, 0)
		if _, err := e.pay.RunDay(e.ctx, day("2026-11-02")); err != nil {
			t.Fatal(err)
		}
		// As if the debit had been sent by a version without the account.
		if err := d.InTx(e.ctx, func(tx *db.Tx) error {
			_, _, err := ledger.Post(e.ctx, tx, &ledger.Transaction{Kind: "test", EffectiveDate: day("2026-11-02"), IdempotencyKey: "before-transit",
				Postings: []ledger.Posting{{Account: payments.AccountACHInTransit, AmountCents: -cents("250")}, {Account: servicing.AccountCash, AmountCents: cents("250")}}})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if f, _ := payments.CheckInTransit(e.ctx, d); len(f) != 1 {
			t.Fatalf("the state before the migration: %v", f)
		}
		for _, q := range stmts {
			if _, err := d.SQL.ExecContext(e.ctx, q); err != nil {
				t.Fatalf("%v\n%s", err, q)
			}
		}
		if f, err := payments.CheckInTransit(e.ctx, d); err != nil || len(f) != 0 {
			t.Fatalf("after the migration: %v %v", f, err)
		}
		// It settles: the account is back to nothing, and every check holds.
		e.runDays("2026-11-03", "2026-11-10")
		if got, _ := e.pay.Payment(e.ctx, c, p.ID); got.Status != payments.StatusSettled {
			t.Fatalf("payment %s", got.Status)
		}
		if b, _ := ledger.AccountBalance(e.ctx, d.Read, payments.AccountACHInTransit); b != 0 {
			t.Errorf("in transit after settling: %s", b)
		}
		e.checks()
	})
}
