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
	"carfin/internal/pdftest"
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
		t.Run("address limits", func(t *testing.T) { cxAddress(t, d, s, ab) })
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
	r.must(t, 200, `Lease-end quote <span class="nowrap">LQ-`, "Mileage", "Odometer at signing", n(ad.OdometerStart), n(reading),
		"Miles driven (reading less the odometer at signing)", n(reading-ad.OdometerStart), n(ad.MileageAllowance),
		"Miles over the allowance", n(5214), "Estimated excess mileage charge at turn-in",
		"You have driven "+n(reading-ad.OdometerStart)+" since signing: "+n(5214)+" over your allowance.")
	b.lang = "es"
	quote := r.url
	b.get(quote).must(t, 200, "Odómetro al firmar", locale.Number("es", ad.OdometerStart)+" millas", "Millas recorridas")
	b.lang = ""
}

// cxAddress: a street address of 150 to 500 characters, a city past 28,
// a state that is no state, a ZIP that is none, an address in another
// script: each refused next to its field in words that say the limit,
// nothing written. The longest address allowed prints whole on the payoff
// letter, a line each.
func cxAddress(t *testing.T, d *db.DB, s *server, ab accountBook) {
	b := s.browser("198.51.100.123")
	b.mustSignIn(ab.current.email, testPassword)
	var before string
	read := func() string {
		var l1, l2, city, state, zip string
		if err := d.Read.QueryRow(`SELECT address_line1, address_line2, city, state, zip FROM customers WHERE id = $1`, ab.current.id).
			Scan(&l1, &l2, &city, &state, &zip); err != nil {
			t.Fatal(err)
		}
		return strings.Join([]string{l1, l2, city, state, zip}, "|")
	}
	before = read()
	form := func(kv ...string) url.Values {
		f := url.Values{"line1": {"1200 Harbor View Blvd"}, "line2": {""}, "city": {"Columbus"}, "state": {"OH"}, "zip": {"43215"}}
		for i := 0; i < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return f
	}
	for _, tc := range []struct {
		name  string
		form  url.Values
		field string
		msg   string
	}{
		{"150 characters", form("line1", strings.Repeat("1200 Harbor View Boulevard ", 6)[:150]), "line1", "Use at most 40 characters for the street address"},
		{"500 characters", form("line1", strings.Repeat("x", 500)), "line1", "Use at most 40 characters for the street address"},
		{"41 characters", form("line1", strings.Repeat("W", 41)), "line1", "Use at most 40 characters"},
		{"second line", form("line2", strings.Repeat("Apartment 12 ", 4)), "line2", "Use at most 40 characters for the second line"},
		{"city", form("city", "Llanfairpwllgwyngyllgogerychwyrndrobwll"), "city", "Use at most 28 characters for the city"},
		{"another script", form("city", "東京"), "city", "Enter the city in Latin letters"},
		{"no such state", form("state", "XX"), "state", "Enter a US state or territory"},
		{"ZIP", form("zip", "432"), "zip", "Enter a 5-digit ZIP code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := b.post("/profile/address", tc.form)
			r.must(t, 422, `id="`+tc.field+`-error"`, tc.msg)
			if after := read(); after != before {
				t.Fatalf("a refused address was written: %s", after)
			}
		})
	}
	b.lang = "es"
	b.post("/profile/address", form("line1", strings.Repeat("x", 300))).must(t, 422, "Use como máximo 40 caracteres")
	b.lang = ""
	if after := read(); after != before {
		t.Fatalf("a refused address was written: %s", after)
	}

	// The longest allowed, saved, prints whole on the letter.
	line1, line2, city := "12500 North Harbor View Boulevard Unit 7", "Building 14 Suite 2200 Attn Accounts Pay", "Rancho Santa Margarita Hlls"
	if len(line1) != 40 || len(line2) != 40 || len(city) > 28 {
		t.Fatalf("test address %d %d %d", len(line1), len(line2), len(city))
	}
	b.post("/profile/address", form("line1", line1, "line2", line2, "city", city, "state", "CA", "zip", "92688-1234")).
		must(t, 200, "Your mailing address was changed")
	loan := ab.current.loan()
	path := "/contracts/" + itoa(loan.ID) + "/payoff"
	page := b.get(path)
	m := regexp.MustCompile(`<option value="(\d{4}-\d{2}-\d{2})"`).FindAllStringSubmatch(page.body, -1)
	if len(m) == 0 {
		t.Fatalf("no good-through dates:\n%s", clip(page.body))
	}
	q := b.post(path, url.Values{"good_through": {m[0][1]}})
	q.must(t, 200, `Payoff quote <span class="nowrap">PQ-`)
	doc := regexp.MustCompile(`href="/documents/(\d+)" download`).FindStringSubmatch(q.body)
	if doc == nil {
		t.Fatalf("no letter link:\n%s", clip(q.body))
	}
	letter := b.get("/documents/" + doc[1])
	letter.must(t, 200)
	text := pdftest.Text(t, []byte(letter.body))
	if text == "" {
		return // no pdftotext here (CI has it)
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(text, "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	for _, want := range []string{line1, line2, city + ", CA 92688-1234"} {
		if !lines[want] {
			t.Errorf("the letter lacks the line %q:\n%s", want, text)
		}
	}
}

// TestPortalFAQSearch (issue 13): the FAQ's thirty-odd questions under
// their topics; a search counts its answers in words that agree with the
// count ("1 answer", "12 respuestas") and finds Spanish words whatever
// their accents. On both engines.
func TestPortalFAQSearch(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		b := s.browser("198.51.100.140")
		all := b.get("/faq")
		all.must(t, 200, "Payments and due dates", "Autopay", "Payoff and your title", "Selling or trading in your vehicle", "Lease end",
			"Insurance", "Trouble paying", "Security", "Credit reporting", "What is a 10-day payoff?", "What is a loss payee, and how do I list you?")
		if n := strings.Count(all.body, `<article class="faq-q">`); n < 30 {
			t.Errorf("the FAQ has %d questions", n)
		}
		if n := strings.Count(all.body, `<section class="card" aria-labelledby="t-`); n < 8 {
			t.Errorf("the FAQ has %d topics", n)
		}
		for _, tc := range []struct {
			name, lang, q string
			want          []string
		}{
			{"one answer", "", "GAP", []string{"1 answer for “GAP”.", "My vehicle was totaled or stolen. What happens now?"}},
			{"three answers", "", "payoff quote", []string{"3 answers for “payoff quote”."}},
			{"none", "", "zebra", []string{"No answers for “zebra”."}},
			{"Spanish without accents", "es", "vehiculo", []string{"12 respuestas para “vehiculo”.", "¿Puedo vender o cambiar mi vehículo antes de terminar de pagarlo?"}},
			{"Spanish with accents and capitals", "es", "VEHÍCULO", []string{"12 respuestas para “VEHÍCULO”."}},
			{"Spanish, one answer", "es", "loss payee", []string{"1 respuesta para “loss payee”.", "¿Qué es el beneficiario de la póliza (loss payee)"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b.lang = tc.lang
				defer func() { b.lang = "" }()
				r := b.get("/faq?q=" + url.QueryEscape(tc.q))
				r.must(t, 200, tc.want...)
				r.mustNot(t, "1 answers", "1 respuestas")
			})
		}
	})
}
