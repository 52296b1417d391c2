package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/money"
	"carfin/payments"
	"carfin/payments/cardtest"
	"carfin/servicing"
)

// TestPortalPaymentHistory (issue 13): the payments page lists every
// payment the customer's contracts have had, newest first, a page at a
// time — the portal's (completed, declined, cancelled), the ones the
// lender posted from a check or a call (completed, returned) — each once,
// with its status in a word and why in a sentence that does not repeat
// it, change and cancel only on a payment that still allows them; in
// both languages, on both engines.
func TestPortalPaymentHistory(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := startPayments(t, d)
		a := f.aBrows
		ctx := context.Background()
		// Before any payment: nothing to list.
		a.get("/payments").must(t, 200, "Payment history", "No payments yet.")

		// Twenty-two monthly payments the lender posted (checks by mail),
		// the last one returned by the bank.
		cutoff, _ := calendar.ParseCutoff("17:00", "America/New_York")
		sv := servicing.New(d, cutoff.Today)
		first := calendar.MustParse("2026-02-10")
		var last servicing.Result
		for i := range 10 {
			r, err := sv.PostPayment(ctx, servicing.Request{ContractID: f.aLoan, Date: first.AddMonths(i), IdempotencyKey: fmt.Sprintf("check-%d", i),
				Actor: "lockbox"}, money.MustParse("100")+money.Cents(i)*100)
			if err != nil {
				t.Fatal(err)
			}
			last = r
		}
		if _, err := sv.Reverse(ctx, servicing.Request{ContractID: f.aLoan, Date: first.AddMonths(9).AddDays(3), IdempotencyKey: "check-9-return",
			Actor: "lockbox", Memo: "R01 insufficient funds"}, last.EventID); err != nil {
			t.Fatal(err)
		}
		// Through the portal: a card payment charged today (it posts a
		// servicing event of its own: listed once, with its confirmation),
		// a card declined as expired, a payment scheduled and one cancelled.
		f.aMethods(t)
		var bank, card int64
		if err := d.Read.QueryRow(`SELECT id FROM payment_methods WHERE customer_id = $1 AND kind = 'bank'`, f.a.id).Scan(&bank); err != nil {
			t.Fatal(err)
		}
		if err := d.Read.QueryRow(`SELECT id FROM payment_methods WHERE customer_id = $1 AND kind = 'card'`, f.a.id).Scan(&card); err != nil {
			t.Fatal(err)
		}
		paid, err := f.pay.Pay(ctx, f.a.id, payments.OneTime{ContractID: f.aLoan, MethodID: card, Choice: payments.PayOther, Other: "61.00",
			Date: calendar.MustParse(payToday), IdempotencyKey: "card-now"})
		if err != nil || paid.Status == payments.StatusDeclined {
			t.Fatalf("card payment: %+v %v", paid, err)
		}
		proc, ok := f.pay.Config().Processor.(*cardtest.Processor)
		if !ok {
			t.Fatalf("processor %T", f.pay.Config().Processor)
		}
		tok, err := proc.Tokenize(cardtest.Card{Number: "4000000000000069", ExpMonth: 9, ExpYear: time.Now().Year() + 2, CVC: "123"})
		if err != nil {
			t.Fatal(err)
		}
		expired, err := f.pay.AddCard(ctx, f.a.id, tok.Token, "Old card", "")
		if err != nil {
			t.Fatal(err)
		}
		declined, err := f.pay.Pay(ctx, f.a.id, payments.OneTime{ContractID: f.aLoan, MethodID: expired.ID, Choice: payments.PayOther, Other: "62.00",
			Date: calendar.MustParse(payToday), IdempotencyKey: "card-expired"})
		if !errors.Is(err, payments.ErrCardDeclined) {
			t.Fatalf("expired card: %+v %v", declined, err)
		}
		scheduled, err := f.pay.Pay(ctx, f.a.id, payments.OneTime{ContractID: f.aLoan, MethodID: bank, Choice: payments.PayOther, Other: "63.00",
			Date: calendar.MustParse("2026-12-01"), IdempotencyKey: "later"})
		if err != nil {
			t.Fatal(err)
		}
		cancelled, err := f.pay.Pay(ctx, f.a.id, payments.OneTime{ContractID: f.aLoan, MethodID: bank, Choice: payments.PayOther, Other: "64.00",
			Date: calendar.MustParse("2026-12-02"), IdempotencyKey: "cancel-me"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.pay.CancelPayment(ctx, f.a.id, cancelled.ID, "198.51.100.60"); err != nil {
			t.Fatal(err)
		}
		// Another customer's payments never show.
		bPosted, err := sv.PostPayment(ctx, servicing.Request{ContractID: f.bLoan, Date: first, IdempotencyKey: "b-check", Actor: "lockbox"}, money.MustParse("777.77"))
		if err != nil || bPosted.EventID == 0 {
			t.Fatal(err)
		}

		r := a.get("/payments")
		r.must(t, 200, `<table class="stack">`, `data-label="Amount"`, `data-label="Paid from"`, `data-label="Status"`,
			// Scheduled, with change and cancel.
			"Scheduled payments", "$63.00", "/payments/"+scheduled.Confirmation+"/edit", "/payments/"+scheduled.Confirmation+"/cancel",
			// The history.
			"Showing 1–13 of 13, newest first.",
			`<span class="status status-ok">Completed</span>`, "$61.00", "/payments/"+paid.Confirmation,
			`<span class="status status-bad">Declined</span> The card has expired.`, "$62.00",
			`<span class="status status-warn">Cancelled</span>`, "$64.00",
			"Received by us (mail, phone or your bank)", "$100.00", "$108.00",
			`<span class="status status-bad">Returned</span> Your bank returned the payment because the account did not have enough money.`, "$109.00")
		r.mustNot(t, "No payments yet", "Declined: ", "Declined</span>: ", "$777.77", `href="/payments/#`, "Older payments",
			"/payments/"+cancelled.Confirmation+"/edit", "/payments/"+paid.Confirmation+"/cancel")
		hist := r.body[strings.Index(r.body, `id="history-h"`):]
		if n := strings.Count(hist, "$61.00"); n != 1 {
			t.Errorf("the card payment is listed %d times", n)
		}
		if n := strings.Count(hist, "<tr"); n != 1+13 {
			t.Errorf("the history has %d rows, want 13 and the heading", n-1)
		}
		// By date (the cancelled one was for December 2), then the latest made first.
		order := []string{"$64.00", "$62.00", "$61.00", "$109.00", "$108.00", "$100.00"}
		for i := 1; i < len(order); i++ {
			if strings.Index(hist, order[i-1]) > strings.Index(hist, order[i]) {
				t.Errorf("%s is listed after %s: not newest first", order[i-1], order[i])
			}
		}
		// No change or cancel on the history's lines.
		if strings.Contains(hist, "/edit") || strings.Contains(hist, "/cancel") {
			t.Error("the history offers change or cancel")
		}

		// Pages: 25 more posted payments make 38; 20 a page.
		for i := range 25 {
			if _, err := sv.PostPayment(ctx, servicing.Request{ContractID: f.aLoan, Date: calendar.MustParse("2026-02-09").AddDays(-i),
				IdempotencyKey: fmt.Sprintf("old-%d", i), Actor: "lockbox"}, money.MustParse("5")+money.Cents(i)); err != nil {
				t.Fatal(err)
			}
		}
		r = a.get("/payments")
		r.must(t, 200, "Showing 1–20 of 38, newest first.", "Page 1 of 2", `href="/payments?page=2#history-h"`, "Older payments")
		r.mustNot(t, "Newer payments", "$5.24")
		r = a.get("/payments?page=2")
		r.must(t, 200, "Showing 21–38 of 38, newest first.", "Page 2 of 2", `href="/payments#history-h"`, "Newer payments", "$5.24")
		r.mustNot(t, "Older payments", "$61.00")
		a.get("/payments?page=99").must(t, 200, "Showing 21–38 of 38")
		a.get("/payments?page=-3").must(t, 200, "Showing 1–20 of 38")

		// Spanish.
		a.lang = "es"
		r = a.get("/payments")
		r.must(t, 200, "Historial de pagos", "Del 1 al 20 de 38, los más recientes primero.", `<span class="status status-bad">Rechazado</span> La tarjeta está vencida.`,
			"Recibido por nosotros (correo, teléfono o su banco)", `data-label="Monto"`, "Pagos anteriores")
		r.mustNot(t, "Rechazado: ")
		a.lang = ""

		// Customer B sees only B's.
		bb := f.s.browser("198.51.100.69")
		bb.mustSignIn(f.b.email, testPassword)
		r = bb.get("/payments")
		r.must(t, 200, "$777.77", "$75.00")
		r.mustNot(t, "$61.00", "$62.00", "$109.00")
		if regexp.MustCompile(`\$5\.\d\d`).MatchString(r.body) {
			t.Error("B sees A's payments")
		}
	})
}
