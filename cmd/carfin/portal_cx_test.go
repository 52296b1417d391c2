package main

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"carfin/db"
	"carfin/db/dbtest"
	"carfin/locale"
	"carfin/servicing"
)

// TestPortalCustomerExperience (issue 13) runs on the demo book, on both
// engines, what a customer of the demo lender meets: the payments hub of
// a customer with a year of payments, the history worded line by line,
// the lease-end quote's mileage worked out.
func TestPortalCustomerExperience(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, ab := startAccount(t, d, demoPayoffInstructions)
		t.Run("payments hub", func(t *testing.T) { cxPaymentsHub(t, d, s, ab) })
		t.Run("history", func(t *testing.T) { cxHistory(t, s, ab) })
		t.Run("lease-end mileage", func(t *testing.T) { cxLeaseEnd(t, s, ab) })
	})
}

// cxPaymentsHub: a customer who has paid every month by check or phone
// (nothing through the portal yet) sees those payments on the payments
// page, newest first, and not "No payments yet".
func cxPaymentsHub(t *testing.T, d *db.DB, s *server, ab accountBook) {
	b := s.browser("198.51.100.120")
	b.mustSignIn(ab.current.email, testPassword)
	loan := ab.current.loan()
	var n int
	var newest, oldest string
	if err := d.Read.QueryRow(`SELECT count(*), MAX(effective_date), MIN(effective_date) FROM servicing_events
		WHERE contract_id = $1 AND kind IN ('payment', 'payoff')`, loan.ID).Scan(&n, &newest, &oldest); err != nil {
		t.Fatal(err)
	}
	if n < 12 {
		t.Fatalf("the current customer has %d payments", n)
	}
	r := b.get("/payments")
	r.must(t, 200, "Payment history", fmt.Sprintf("Showing 1–%d of %d, newest first.", min(n, 20), n),
		"Received by us (mail, phone or your bank)", `<span class="status status-ok">Completed</span>`, loan.AccountNumber,
		locale.Money("en", loan.LastPaymentCents), locale.LongDate("en", loan.LastPaymentDate))
	r.mustNot(t, "No payments yet")
	if n > 20 {
		r.must(t, 200, `href="/payments?page=2#history-h"`)
	}
	hist := r.body[strings.Index(r.body, `id="history-h"`):]
	hist = hist[strings.Index(hist, "<tbody>"):]
	if i := strings.Index(hist, locale.LongDate("en", loan.LastPaymentDate)); i < 0 || i > strings.Index(hist, "</tr>") {
		t.Error("the last payment is not the first line")
	}
}

// cxHistory: fees and the loan's funding are named for what they are, not
// shown as negative amounts; the CSV keeps signed amounts and says so.
func cxHistory(t *testing.T, s *server, ab accountBook) {
	b := s.browser("198.51.100.121")
	b.mustSignIn(ab.b.email, testPassword)
	loan := ab.b.loan()
	items, err := ab.sv.History(context.Background(), ab.b.id, loan.ID, servicing.HistoryFilter{
		Types: []servicing.ItemType{servicing.ItemFunded, servicing.ItemLateFee}})
	if err != nil {
		t.Fatal(err)
	}
	var fee, funded servicing.Item
	for _, it := range items {
		switch it.Type {
		case servicing.ItemLateFee:
			fee = it
		case servicing.ItemFunded:
			funded = it
		}
	}
	if fee.AmountCents >= 0 || funded.AmountCents >= 0 {
		t.Fatalf("the late customer's fee %+v and funding %+v", fee, funded)
	}
	path := "/contracts/" + itoa(loan.ID) + "/history?type=funded&type=late_fee"
	r := b.get(path)
	r.must(t, 200, `<table class="stack">`, `data-label="Activity">Late fee charged`, `data-label="Activity">Loan funded (amount financed)`,
		`<span class="nowrap">`+locale.Money("en", -fee.AmountCents)+`</span>`, `<span class="nowrap">`+locale.Money("en", -funded.AmountCents)+`</span>`)
	table := r.body[strings.Index(r.body, `<table class="stack">`):]
	if regexp.MustCompile(`[-−]\$`).MatchString(table) {
		t.Errorf("the history shows a negative amount:\n%s", clip(table))
	}
	b.lang = "es"
	b.get(path).must(t, 200, "Cargo por pago tardío cobrado", "Préstamo otorgado (monto financiado)", `data-label="Movimientos"`)
	b.lang = ""
	// Every line of an unfiltered page carries its column names.
	all := b.get("/contracts/" + itoa(loan.ID) + "/history")
	if rows, cells := strings.Count(all.body, `<tr><th scope="row">`)+strings.Count(all.body, `<tr class="returned"><th scope="row">`),
		strings.Count(all.body, `data-label="Amount"`); rows == 0 || rows != cells {
		t.Errorf("%d rows, %d amounts with their label", rows, cells)
	}
	// The CSV: the same lines with their signs, said in the heading.
	c := b.get("/contracts/" + itoa(loan.ID) + "/history.csv?type=funded&type=late_fee")
	c.must(t, 200, "Amount (positive: paid or credited; negative: charged)", ","+(fee.AmountCents).String()+",", ","+funded.AmountCents.String()+",")
}

// cxLeaseEnd: a lease-end quote shows the odometer at signing, the
// reading, the miles driven, the allowance and the excess, which add up.
func cxLeaseEnd(t *testing.T, s *server, ab accountBook) {
	b := s.browser("198.51.100.122")
	b.mustSignIn(ab.a.email, testPassword)
	lease := ab.a.lease()
	ad, err := ab.sv.AddresseeOf(context.Background(), ab.a.id, lease.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ad.OdometerStart <= 0 {
		t.Fatalf("the demo lease was signed at %d miles", ad.OdometerStart)
	}
	reading := ad.OdometerStart + ad.MileageAllowance + 5214
	r := b.post("/contracts/"+itoa(lease.ID)+"/lease-end", url.Values{"odometer": {fmt.Sprint(reading)}})
	n := func(v int64) string { return locale.Number("en", v) + " miles" }
	r.must(t, 200, "Lease-end quote LQ-", "Mileage", "Odometer at signing", n(ad.OdometerStart), n(reading),
		"Miles driven (reading less the odometer at signing)", n(reading-ad.OdometerStart), n(ad.MileageAllowance),
		"Miles over the allowance", n(5214), "Estimated excess mileage charge at turn-in",
		"You have driven "+n(reading-ad.OdometerStart)+" since signing: "+n(5214)+" over your allowance.")
	b.lang = "es"
	quote := r.url
	b.get(quote).must(t, 200, "Odómetro al firmar", locale.Number("es", ad.OdometerStart)+" millas", "Millas recorridas")
	b.lang = ""
}
