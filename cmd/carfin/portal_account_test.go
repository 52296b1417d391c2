package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/demo"
	"carfin/documents"
	"carfin/identity"
	"carfin/locale"
	"carfin/money"
	"carfin/quotes"
	"carfin/servicing"
)

// The account half of the customer portal (issue 5), through real HTTP
// on the demo book, on both engines: every page and download, their
// errors next to the fields, both languages, and an authorization table
// for every route.

// accountBook is the demo book with logins for the customers the tests use.
type accountBook struct {
	book    demo.Book
	sv      *servicing.Service
	a, b    portalCustomer // a: the demo login (a loan and a lease); b: a late loan
	paidOff portalCustomer // a loan paid off
	long    portalCustomer // the oldest lease: a long history
	ending  portalCustomer // a lease ending within 90 days (may be long)
	current portalCustomer // a loan alone, paid on time, nothing ever returned
	matured portalCustomer // a lease past its maturity, still open
}

type portalCustomer struct {
	id        int64
	email     string
	first     string
	contracts []servicing.Summary
}

func (c portalCustomer) loan() servicing.Summary  { return c.of(servicing.KindLoan) }
func (c portalCustomer) lease() servicing.Summary { return c.of(servicing.KindLease) }
func (c portalCustomer) of(k servicing.Kind) servicing.Summary {
	for _, s := range c.contracts {
		if s.Kind == k {
			return s
		}
	}
	return servicing.Summary{}
}

// startAccount starts the portal over the demo book (built with the
// server's time zone) and gives the customers the tests use logins.
func startAccount(t *testing.T, d *db.DB, opts ...func(*serveConfig)) (*server, accountBook) {
	t.Helper()
	ctx := context.Background()
	// The book first, as of the real time: the server stops the clock.
	loc, _ := time.LoadLocation("America/New_York")
	book, err := demo.Build(ctx, d, loc)
	if err != nil {
		t.Fatal(err)
	}
	s := startServe(t, d, opts...)
	cutoff, _ := calendar.ParseCutoff("17:00", "America/New_York")
	sv := servicing.New(d, cutoff.Today)
	id, err := identity.New(identity.Config{DB: d, Params: cheapParams, BaseURL: s.base})
	if err != nil {
		t.Fatal(err)
	}
	made := map[int64]portalCustomer{} // one login each, though two roles may fall on one customer
	customer := func(where string) portalCustomer {
		t.Helper()
		var c portalCustomer
		if err := d.Read.QueryRowContext(ctx, `SELECT id, email, first_name FROM customers WHERE id = (`+where+`)`).
			Scan(&c.id, &c.email, &c.first); err != nil {
			t.Fatalf("customer %s: %v", where, err)
		}
		if m, ok := made[c.id]; ok {
			return m
		}
		dash, err := sv.Dashboard(ctx, c.id, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, dc := range dash {
			c.contracts = append(c.contracts, dc.Summary)
		}
		if _, err := id.CreateCustomerLogin(ctx, c.id, testPassword); err != nil {
			t.Fatal(err)
		}
		made[c.id] = c
		return c
	}
	ab := accountBook{book: book, sv: sv}
	ab.a = customer(fmt.Sprint(book.LoginCustomerID))
	ab.b = customer(`SELECT min(c.customer_id) FROM contracts c JOIN contract_balances b ON b.contract_id = c.id
		WHERE c.kind = 'loan' AND c.state = 'active' AND b.days_past_due >= 60`)
	ab.paidOff = customer(`SELECT min(customer_id) FROM contracts WHERE state = 'paid_off'`)
	ab.long = customer(`SELECT customer_id FROM contracts WHERE kind = 'lease' ORDER BY contract_date, id LIMIT 1`)
	today := sv.Today()
	ab.ending = customer(fmt.Sprintf(`SELECT min(customer_id) FROM contracts WHERE kind = 'lease' AND state = 'active'
		AND maturity_date BETWEEN '%s' AND '%s'`, today, today.AddDays(90)))
	ab.current = customer(fmt.Sprintf(`SELECT min(c.customer_id) FROM contracts c JOIN contract_balances b ON b.contract_id = c.id
		WHERE c.kind = 'loan' AND c.state = 'active' AND b.days_past_due = 0 AND c.customer_id <> %d
		AND EXISTS (SELECT 1 FROM servicing_events e WHERE e.contract_id = c.id AND e.kind = 'payment')
		AND NOT EXISTS (SELECT 1 FROM servicing_events e WHERE e.contract_id = c.id AND e.kind = 'reversal')
		AND (SELECT count(*) FROM contracts o WHERE o.customer_id = c.customer_id) = 1`, book.LoginCustomerID))
	ab.matured = customer(`SELECT min(customer_id) FROM contracts WHERE kind = 'lease' AND state = 'matured'`)
	if ab.a.loan().ID == 0 || ab.a.lease().ID == 0 || ab.b.loan().ID == 0 || ab.b.loan().PastDueCents == 0 ||
		!ab.ending.lease().MaturesWithin90 || ab.current.loan().ReturnedPayment || ab.matured.lease().Status != servicing.StatusMatured {
		t.Fatalf("demo book: %+v", ab)
	}
	return s, ab
}

// anyPath hides the echoed request path (the language switcher's "next"),
// so that two not-found pages compare equal whatever id they were for.
var anyPath = regexp.MustCompile(`name="next" value="[^"]*"`)

func samePage(r response) string { return anyPath.ReplaceAllString(sameBody(r), "") }

// TestPortalAccount runs the page tests, then the authorization table,
// on one demo book per engine (building it is most of the time).
func TestPortalAccount(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, ab := startAccount(t, d, demoPayoffInstructions)
		t.Run("pages", func(t *testing.T) { accountPages(t, d, s, ab) })
		t.Run("schedules", func(t *testing.T) { accountSchedules(t, d, s, ab) })
		t.Run("authorization", func(t *testing.T) { accountAuthorization(t, d, s, ab) })
		t.Run("alerts", func(t *testing.T) { accountAlerts(t, d, s, ab) }) // last: it returns a payment and makes a statement
	})
}

// accountPages: every page and download, with errors next to the fields
// and both languages.
func accountPages(t *testing.T, d *db.DB, s *server, ab accountBook) {
	{
		a := s.browser("198.51.100.20")
		a.mustSignIn(ab.a.email, testPassword)
		loan, lease := ab.a.loan(), ab.a.lease()
		dollars := func(c money.Cents) string { return locale.Money("en", c) }

		// Dashboard: both contracts at a glance, in plain words.
		home := a.get("/")
		home.must(t, 200, "Welcome, "+ab.a.first, "Subaru Outback", "Mazda CX-5", ">Loan<", ">Lease<",
			"VIN ending "+loan.VINLast6, dollars(loan.AmountDueCents), dollars(loan.PayoffCents),
			dollars(loan.PrincipalCents), "Mileage allowance", "36,000 miles", "payments left of",
			`href="/contracts/`+itoa(loan.ID)+`/payoff"`, `href="/documents?contract=`+itoa(lease.ID)+`"`,
			`href="/contracts/`+itoa(loan.ID)+`/pay"`, `href="/contracts/`+itoa(lease.ID)+`/pay"`, "Make a payment", "Next payment")
		if len(home.body) > 30<<10 {
			t.Errorf("dashboard is %d bytes", len(home.body))
		}
		// The late customer sees the alert in words.
		b := s.browser("198.51.100.21")
		b.mustSignIn(ab.b.email, testPassword)
		late := ab.b.loan()
		b.get("/").must(t, 200, "Your account is behind", dollars(late.PastDueCents),
			fmt.Sprintf("%d days late", late.DaysPastDue), `class="warn"`)

		// Contract page: terms, the charts with text alternatives, the
		// schedule with how each payment was applied, the what-if form.
		c := a.get("/contracts/" + itoa(loan.ID))
		c.must(t, 200, "Annual percentage rate", locale.Percent("en", loan.APR), `<svg class="chart"`, `role="img"`,
			"<title id=\"amort-balance-t\">Loan balance over time</title>", "<desc id=", "Payment schedule",
			`status-ok">Paid</span>`, `status-info">Next due</span>`, `class="projected"`, `action="/contracts/`+itoa(loan.ID)+`/what-if"`)
		if n := strings.Count(c.body, `<th scope="row">`); n != loan.TermMonths {
			t.Errorf("schedule has %d rows, want %d", n, loan.TermMonths)
		}
		lc := a.get("/contracts/" + itoa(lease.ID))
		lc.must(t, 200, "Money factor", "Lease ends", "36,000 miles", "Payment schedule", "Depreciation", "Rent charge")
		// Each installment's split, as the lease disclosed it, adds up to it.
		var amount, depr, rent, tax money.Cents
		if err := d.Read.QueryRow(`SELECT amount_cents, depreciation_cents, rent_cents, tax_cents FROM installments WHERE contract_id = $1 AND number = 1`,
			lease.ID).Scan(&amount, &depr, &rent, &tax); err != nil {
			t.Fatal(err)
		}
		if depr <= 0 || rent <= 0 || depr+rent+tax != amount {
			t.Fatalf("installment 1: %s = %s + %s + %s?", amount, depr, rent, tax)
		}
		row := `<td class="num">` + locale.Money("en", depr) + `</td><td class="num">` + locale.Money("en", rent) + `</td><td class="num">` + locale.Money("en", tax) + `</td>`
		if !strings.Contains(cellMarkup.ReplaceAllString(lc.body, "${1}"), row) {
			t.Errorf("lease schedule lacks the split %s", row)
		}

		// What-if: the outcome, errors next to fields, leases refused in words.
		wi := a.get("/contracts/" + itoa(loan.ID) + "/what-if?extra=100&lump=1%2C000&lump_on=" + loan.BusinessDate.AddDays(30).String())
		wi.must(t, 200, "You would save", "Paying as scheduled", "With your plan")
		a.get("/contracts/"+itoa(loan.ID)+"/what-if?extra=abc&lump=5&lump_on=2020-01-01").
			must(t, 422, `id="extra-error"`, `id="lump_on-error"`, "Enter the extra amount in dollars and cents", `aria-invalid="true"`)
		a.get("/contracts/"+itoa(loan.ID)+"/what-if").must(t, 422, "Enter an extra monthly amount, a lump sum, or both")
		a.get("/contracts/"+itoa(lease.ID)+"/what-if?extra=10").must(t, 200, "The what-if calculator is for loans")

		// History: interest paid, filters, pagination, CSV.
		h := a.get("/contracts/" + itoa(loan.ID) + "/history")
		year := loan.BusinessDate.Year()
		h.must(t, 200, "Interest paid", fmt.Sprintf("In %d", year), fmt.Sprintf("In %d", year-1), "Types of activity",
			"Payment", "Download as CSV", "Interest $")
		// A long history comes a page at a time.
		lg := s.browser("198.51.100.23")
		lg.mustSignIn(ab.long.email, testPassword)
		longLease := ab.long.lease()
		items, _ := ab.sv.History(context.Background(), ab.long.id, longLease.ID, servicing.HistoryFilter{})
		if len(items) <= 50 {
			t.Fatalf("the oldest lease has only %d items", len(items))
		}
		lg.get("/contracts/"+itoa(longLease.ID)+"/history").must(t, 200, "Page 1 of", fmt.Sprintf("Showing 1–25 of %d", len(items)), `rel="next"`)
		lg.get("/contracts/"+itoa(longLease.ID)+"/history?page=2").must(t, 200, "Page 2 of", fmt.Sprintf("Showing 26–50 of %d", len(items)), `rel="prev"`,
			"Lease payment billed")
		lg.get("/contracts/"+itoa(longLease.ID)+"/history?page=999").must(t, 200, fmt.Sprintf("Showing %d–%d of %d", (len(items)-1)/25*25+1, len(items), len(items)))
		a.get("/contracts/"+itoa(loan.ID)+"/history?from=2026-13-01&to=x&type=bogus").
			must(t, 422, `id="from-error"`, `id="to-error"`, `id="types-error"`, "Enter the date as year-month-day")
		a.get("/contracts/"+itoa(loan.ID)+"/history?from=2026-06-01&to=2026-01-01").must(t, 422, "The end date must be on or after")
		from := loan.BusinessDate.AddDays(-90)
		filtered := a.get("/contracts/" + itoa(loan.ID) + "/history?type=payment&from=" + from.String())
		filtered.must(t, 200, `value="payment" checked`, "history.csv?from="+from.String()+"&amp;type=payment")
		csvRes := a.get("/contracts/" + itoa(loan.ID) + "/history.csv?type=payment&from=" + from.String())
		csvRes.must(t, 200, "Date,Type,Amount (positive: paid or credited; negative: charged),Interest,Principal,Fees")
		if ct, cd := csvRes.header.Get("Content-Type"), csvRes.header.Get("Content-Disposition"); ct != "text/csv; charset=utf-8" ||
			cd != `attachment; filename="history-`+loan.AccountNumber+`.csv"` {
			t.Errorf("CSV headers %q %q", ct, cd)
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvRes.body, "\ufeff"))).ReadAll()
		want, _ := ab.sv.History(context.Background(), ab.a.id, loan.ID, servicing.HistoryFilter{From: from, Types: []servicing.ItemType{servicing.ItemPayment}})
		if err != nil || len(recs) != len(want)+1 || len(want) == 0 || recs[1][0] != want[0].Date.String() || recs[1][2] != want[0].AmountCents.String() {
			t.Errorf("CSV: %d records for %d items (%v): %v", len(recs), len(want), err, recs[:min(len(recs), 3)])
		}

		// Interest: the payments that paid interest, each with its
		// interest, and their total; the CSV lists the same.
		interest := []servicing.ItemType{servicing.ItemInterest}
		paidInterest, _ := ab.sv.History(context.Background(), ab.a.id, loan.ID, servicing.HistoryFilter{Types: interest})
		if len(paidInterest) == 0 || len(paidInterest) > 25 {
			t.Fatalf("the demo loan has %d payments with interest", len(paidInterest))
		}
		var interestCents money.Cents
		for _, it := range paidInterest {
			if it.Type != servicing.ItemPayment || it.InterestCents <= 0 || it.Returned {
				t.Errorf("interest item %+v", it)
			}
			interestCents += it.InterestCents
		}
		ih := a.get("/contracts/" + itoa(loan.ID) + "/history?type=interest")
		ih.must(t, 200, `value="interest" checked`, `<label for="type-interest">Interest paid</label>`,
			fmt.Sprintf("Showing 1–%d of %d", len(paidInterest), len(paidInterest)),
			"Together, the payments that match paid "+dollars(interestCents)+" of interest.",
			"Interest "+dollars(paidInterest[0].InterestCents)+", principal "+dollars(paidInterest[0].PrincipalCents),
			"history.csv?type=interest")
		if n := strings.Count(ih.body, `<tr><th scope="row">`); n != len(paidInterest) {
			t.Errorf("interest lists %d lines, want %d", n, len(paidInterest))
		}
		a.get("/contracts/"+itoa(lease.ID)+"/history?type=interest").must(t, 200, "No activity matches this filter.") // a lease pays none
		from = paidInterest[len(paidInterest)/2].Date
		interestCSV := a.get("/contracts/" + itoa(loan.ID) + "/history.csv?type=interest&from=" + from.String())
		interestCSV.must(t, 200)
		recs, err = csv.NewReader(strings.NewReader(strings.TrimPrefix(interestCSV.body, "\ufeff"))).ReadAll()
		want, _ = ab.sv.History(context.Background(), ab.a.id, loan.ID, servicing.HistoryFilter{From: from, Types: interest})
		if err != nil || len(recs) != len(want)+1 || len(want) == 0 || len(want) >= len(paidInterest) {
			t.Fatalf("interest CSV: %d records for %d items (%v)", len(recs), len(want), err)
		}
		for i, it := range want {
			if r := recs[i+1]; r[0] != it.Date.String() || r[1] != "Payment" || r[2] != it.AmountCents.String() || r[3] != it.InterestCents.String() {
				t.Errorf("interest CSV line %d: %q, want %+v", i+1, r, it)
			}
		}

		// Payoff quote: business days only, a letter, stored and listed.
		po := a.get("/contracts/" + itoa(loan.ID) + "/payoff")
		po.must(t, 200, `<select id="good_through" name="good_through"`, "Get the quote", "You have no quotes")
		dates := quotes.GoodThroughDates(loan.BusinessDate)
		var weekend calendar.Date
		for d := loan.BusinessDate; ; d++ {
			if d.Weekday() == time.Saturday {
				weekend = d
				break
			}
		}
		if strings.Contains(po.body, `value="`+weekend.String()+`"`) {
			t.Errorf("a Saturday (%s) is offered", weekend)
		}
		path := "/contracts/" + itoa(loan.ID) + "/payoff"
		a.post(path, url.Values{"good_through": {weekend.String()}}).must(t, 422, `id="good_through-error"`, "Choose a business day")
		a.post(path, url.Values{"good_through": {"soon"}}).must(t, 422, `id="good_through-error"`)
		through := dates[len(dates)-1]
		q := a.post(path, url.Values{"good_through": {through.String()}})
		q.must(t, 200, `Payoff quote <span class="nowrap">PQ-`, "Good through "+locale.LongDate("en", through), "Total payoff amount",
			"If your payment arrives after", "By wire transfer", "Download the payoff letter")
		number := regexp.MustCompile(`PQ-\d{8}`).FindString(q.body)
		if !strings.HasPrefix(q.url, "/contracts/"+itoa(loan.ID)+"/quotes/PQ-") {
			t.Errorf("after the quote at %s", q.url)
		}
		again := a.post(path, url.Values{"good_through": {through.String()}})
		if again.url != q.url {
			t.Errorf("a double submit made a second quote: %s, %s", q.url, again.url)
		}
		doc := regexp.MustCompile(`href="/documents/(\d+)" download`).FindStringSubmatch(q.body)
		if doc == nil {
			t.Fatalf("no letter link:\n%s", clip(q.body))
		}
		letter := a.get("/documents/" + doc[1])
		letter.must(t, 200)
		if letter.header.Get("Content-Type") != "application/pdf" || !strings.Contains(letter.header.Get("Content-Disposition"), "payoff-letter-"+number+".pdf") {
			t.Errorf("letter headers %v", letter.header)
		}
		validatePDF(t, []byte(letter.body))
		a.get(path).must(t, 200, number, "Payoff, good through")
		a.get("/documents").must(t, 200, "Payoff letter "+number, "Payoff letter ·", loan.AccountNumber)
		if r := a.get("/documents?contract=" + itoa(lease.ID)); r.status != 200 || strings.Contains(r.body, number) {
			t.Errorf("the lease's documents: %d, or they show the loan's letter %s", r.status, number)
		}

		// Lease: a lease-end quote from an odometer reading.
		lpath := "/contracts/" + itoa(lease.ID) + "/lease-end"
		a.post(lpath, url.Values{"odometer": {"lots"}}).must(t, 422, `id="odometer-error"`, "whole miles")
		a.post(lpath, url.Values{"odometer": {"1"}}).must(t, 422, "below the odometer at signing")
		le := a.post(lpath, url.Values{"odometer": {"45,000"}})
		ad, _ := ab.sv.AddresseeOf(context.Background(), ab.a.id, lease.ID)
		le.must(t, 200, `Lease-end quote <span class="nowrap">LQ-`, "45,000 miles", "Buy the vehicle", "Turn the vehicle in", "Disposition fee",
			locale.Number("en", 45000-ad.OdometerStart-ad.MileageAllowance)+" miles over your allowance")
		a.post("/contracts/"+itoa(loan.ID)+"/lease-end", url.Values{"odometer": {"45000"}}).must(t, 409, "only for a lease")

		// A closed contract has nothing to pay off.
		p := s.browser("198.51.100.22")
		p.mustSignIn(ab.paidOff.email, testPassword)
		off := ab.paidOff.loan()
		p.get("/").must(t, 200, "Paid off on")
		p.get("/contracts/"+itoa(off.ID)+"/payoff").must(t, 200, "This contract is closed")
		p.post("/contracts/"+itoa(off.ID)+"/payoff", url.Values{"good_through": {dates[0].String()}}).must(t, 409, "This contract is closed")

		// Spanish: words, dates and amounts in Spanish.
		a.lang = "es"
		es := a.get("/")
		es.must(t, 200, `<html lang="es">`, "Préstamo", "Arrendamiento", "Monto a pagar", " de "+spanishMonth(loan.NextDue)+" de ",
			"36,000 millas", "Documentos")
		a.get("/contracts/"+itoa(loan.ID)).must(t, 200, "Calendario de pagos", "Tasa de porcentaje anual", "Saldo del préstamo")
		a.get("/contracts/"+itoa(loan.ID)+"/history").must(t, 200, "Intereses pagados", "Descargar en CSV")
		a.get("/contracts/"+itoa(loan.ID)+"/history?type=interest").must(t, 200, `<label for="type-interest">Intereses pagados</label>`,
			"En conjunto, los pagos que coinciden pagaron "+locale.Money("es", interestCents)+" de intereses.")
		esCSV := a.get("/contracts/" + itoa(loan.ID) + "/history.csv")
		esCSV.must(t, 200, "Fecha,Tipo,Monto (positivo: pagado o abonado; negativo: cobrado),Intereses,Capital,Cargos")
		a.get(path).must(t, 200, "Cotización de liquidación", "Válida hasta")
		a.lang = ""
	}
}

// accountAlerts: the dashboard's alerts, in words, on the card of the
// contract in each situation and on no other: a lease ending within 90
// days (or ended, still open), a payment returned in the last 60 days (servicing's window), a
// statement made in the last 30 (the dashboard's), in English and in
// Spanish. It returns a payment and makes a statement.
func accountAlerts(t *testing.T, d *db.DB, s *server, ab accountBook) {
	ctx := context.Background()
	const (
		returnedEN  = "A recent payment was returned by your bank, so it did not count. Check your bank account and pay again."
		statementEN = "Your statement for "
		endingEN    = "Your lease ends on "
		endedEN     = "Your lease ended on "
	)
	// recent is the alert of a contract's newest statement in the demo
	// book (the statement run's), if it is new: the card shows it unless
	// the test made a newer one.
	recent := func(lang string, id int64) string {
		t.Helper()
		var doc int64
		var at time.Time
		err := d.Read.QueryRowContext(ctx, `SELECT id, created_at FROM documents WHERE contract_id = $1 AND kind = 'statement'
			ORDER BY created_at DESC, id DESC LIMIT 1`, id).Scan(&doc, &at)
		if err != nil || at.Before(d.Now().Add(-30*24*time.Hour)) {
			return ""
		}
		ny, _ := time.LoadLocation("America/New_York")
		month := locale.MonthYear(lang, calendar.Of(at.In(ny)))
		if lang == "es" {
			return "<li>Su estado de cuenta de " + month + ` está listo. <a href="/documents/` + itoa(doc) + `">`
		}
		return "<li>" + statementEN + month + ` is ready. <a href="/documents/` + itoa(doc) + `">`
	}
	// card is the card of a contract on the dashboard; it must hold want
	// and none of the alerts that are not its own (a new statement of
	// the demo book's is its own).
	card := func(b *browser, id int64, want ...string) {
		t.Helper()
		if !slices.ContainsFunc(want, func(w string) bool {
			return strings.Contains(w, statementEN) || strings.Contains(w, "Su estado de cuenta de ")
		}) {
			if r := recent(b.lang, id); r != "" {
				want = append(want, r)
			}
		}
		home := b.get("/")
		home.must(t, 200)
		i := strings.Index(home.body, `<h2 id="c`+itoa(id)+`-h">`)
		if i < 0 {
			t.Fatalf("no card of contract %d\n%s", id, clip(home.body))
		}
		c := home.body[i : i+strings.Index(home.body[i:], "</section>")]
		for _, alert := range []string{returnedEN, statementEN, endingEN, endedEN} {
			if mine := slices.ContainsFunc(want, func(w string) bool { return strings.Contains(w, alert) }); !mine && strings.Contains(c, alert) {
				t.Errorf("contract %d's card says %q\n%s", id, alert, c)
			}
		}
		for _, w := range want {
			if !strings.Contains(c, w) {
				t.Errorf("contract %d's card lacks %q\n%s", id, w, c)
			}
		}
	}
	a := s.browser("198.51.100.40")
	a.mustSignIn(ab.a.email, testPassword)
	loan, lease := ab.a.loan(), ab.a.lease()
	if lease.MaturesWithin90 {
		t.Fatalf("the demo login's lease ends on %s", lease.MaturityDate)
	}
	// Nothing to say on contracts in none of the situations.
	card(a, loan.ID)
	card(a, lease.ID)

	// A lease ending within 90 days.
	l := s.browser("198.51.100.41")
	l.mustSignIn(ab.ending.email, testPassword)
	ending := ab.ending.lease()
	card(l, ending.ID, "<li>"+endingEN+locale.LongDate("en", ending.MaturityDate)+". Plan whether to buy the vehicle or turn it in. "+
		`<a href="/contracts/`+itoa(ending.ID)+`/payoff#lease-end">Lease-end quote</a></li>`)

	// A lease past its maturity has ended.
	m := s.browser("198.51.100.43")
	m.mustSignIn(ab.matured.email, testPassword)
	matured := ab.matured.lease()
	card(m, matured.ID, `<li class="warn">`+endedEN+locale.LongDate("en", matured.MaturityDate)+". Decide whether to buy the vehicle or turn it in. "+
		`<a href="/contracts/`+itoa(matured.ID)+`/payoff#lease-end">Lease-end quote</a></li>`)

	// A payment returned today.
	r := s.browser("198.51.100.42")
	r.mustSignIn(ab.current.email, testPassword)
	current := ab.current.loan()
	card(r, current.ID)
	var last int64
	if err := d.Read.QueryRowContext(ctx, `SELECT max(id) FROM servicing_events WHERE contract_id = $1 AND kind = 'payment'`, current.ID).Scan(&last); err != nil {
		t.Fatal(err)
	}
	if _, err := ab.sv.Reverse(ctx, servicing.Request{ContractID: current.ID, Date: ab.sv.Today(), IdempotencyKey: "alerts-returned", Actor: "test"}, last); err != nil {
		t.Fatal(err)
	}
	returnedHref := "/contracts/" + itoa(current.ID) + "/history?type=returned_payment"
	card(r, current.ID, `<li class="warn">`+returnedEN+` <a href="`+returnedHref+`">See the history</a></li>`)
	r.get(returnedHref).must(t, 200, `data-label="Activity">Payment returned by your bank (owed again)</td>`, "Showing 1–1 of 1")

	// A statement made now is new; one 31 days old is not.
	var doc int64
	if err := d.InTx(ctx, func(tx *db.Tx) error {
		var err error
		doc, err = documents.Save(ctx, tx, documents.Document{CustomerID: ab.a.id, ContractID: loan.ID, Kind: documents.KindStatement,
			Title: "Statement", FileName: "statement.pdf", ContentType: "application/pdf", Content: []byte("%PDF-1.4"), Ref: "statement:alerts"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ny, _ := time.LoadLocation("America/New_York")
	made := calendar.Of(d.Now().In(ny))
	card(a, loan.ID, "<li>"+statementEN+locale.MonthYear("en", made)+` is ready. <a href="/documents/`+itoa(doc)+`">Download the statement</a></li>`)
	card(a, lease.ID)

	// The same in Spanish, the lease's date too.
	for _, b := range []*browser{a, l, m, r} {
		b.lang = "es"
	}
	card(a, loan.ID, "<li>Su estado de cuenta de "+locale.MonthYear("es", made)+" está listo. <a href=\"/documents/"+itoa(doc)+"\">Descargar el estado de cuenta</a></li>")
	card(l, ending.ID, "Su arrendamiento termina el "+locale.LongDate("es", ending.MaturityDate)+". Decida si va a comprar el vehículo o devolverlo.")
	card(m, matured.ID, "Su arrendamiento terminó el "+locale.LongDate("es", matured.MaturityDate)+". Decida si")
	card(r, current.ID, "Su banco devolvió un pago reciente, así que no se aplicó. Revise su cuenta bancaria y vuelva a pagar.")
	a.lang = ""

	if err := d.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE documents SET created_at = $1 WHERE id = $2`, d.Now().UTC().Add(-31*24*time.Hour), doc)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	card(a, loan.ID)
}

// accountAuthorization: every account route, asked by customer A for
// customer B's contract, quote or document, answers 404 exactly as for
// one that does not exist, and shows nothing of B's; and none of them is
// open to someone signed out.
func accountAuthorization(t *testing.T, d *db.DB, s *server, ab accountBook) {
	{
		ctx := context.Background()
		qs, err := quotes.New(d, ab.sv, quotes.Config{Letterhead: quotes.Letterhead{Name: "Test"}})
		if err != nil {
			t.Fatal(err)
		}
		// B's (A's second customer, the late one) own quote and letter, and a lease of someone else's.
		bLoan := ab.b.loan()
		bQuote, err := qs.Payoff(ctx, ab.b.id, bLoan.ID, quotes.GoodThroughDates(bLoan.BusinessDate)[2], "en")
		if err != nil {
			t.Fatal(err)
		}
		var otherLease int64
		_ = d.Read.QueryRowContext(ctx, `SELECT min(id) FROM contracts WHERE kind = 'lease' AND state = 'active' AND customer_id <> $1`, ab.a.id).Scan(&otherLease)
		aLoan := ab.a.loan()
		aQuote, err := qs.Payoff(ctx, ab.a.id, aLoan.ID, quotes.GoodThroughDates(aLoan.BusinessDate)[2], "en")
		if err != nil {
			t.Fatal(err)
		}
		a := s.browser("198.51.100.30")
		a.mustSignIn(ab.a.email, testPassword)
		bID, bq, bDoc := itoa(bLoan.ID), bQuote.Number, itoa(bQuote.DocumentID)
		const missing = "987654321"
		for _, tc := range []struct {
			name, method, path, missingPath string
			form                            url.Values
		}{
			{"contract", "GET", "/contracts/" + bID, "/contracts/" + missing, nil},
			{"what-if", "GET", "/contracts/" + bID + "/what-if?extra=10", "/contracts/" + missing + "/what-if?extra=10", nil},
			{"history", "GET", "/contracts/" + bID + "/history", "/contracts/" + missing + "/history", nil},
			{"history filtered", "GET", "/contracts/" + bID + "/history?type=payment&page=2", "/contracts/" + missing + "/history?type=payment&page=2", nil},
			{"history CSV", "GET", "/contracts/" + bID + "/history.csv", "/contracts/" + missing + "/history.csv", nil},
			{"payoff page", "GET", "/contracts/" + bID + "/payoff", "/contracts/" + missing + "/payoff", nil},
			{"payoff quote", "POST", "/contracts/" + bID + "/payoff", "/contracts/" + missing + "/payoff",
				url.Values{"good_through": {bQuote.GoodThrough.String()}}},
			{"lease-end quote", "POST", "/contracts/" + itoa(otherLease) + "/lease-end", "/contracts/" + missing + "/lease-end",
				url.Values{"odometer": {"40000"}}},
			{"B's quote under B's contract", "GET", "/contracts/" + bID + "/quotes/" + bq, "/contracts/" + missing + "/quotes/" + bq, nil},
			{"B's quote under A's contract", "GET", "/contracts/" + itoa(aLoan.ID) + "/quotes/" + bq, "/contracts/" + itoa(aLoan.ID) + "/quotes/PQ-99999999", nil},
			{"A's quote under B's contract", "GET", "/contracts/" + bID + "/quotes/" + aQuote.Number, "/contracts/" + missing + "/quotes/" + aQuote.Number, nil},
			{"B's letter", "GET", "/documents/" + bDoc, "/documents/" + missing, nil},
			{"documents of B's contract", "GET", "/documents?contract=" + bID, "/documents?contract=" + missing, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := a.do(tc.method, tc.path, tc.form, nil)
				none := a.do(tc.method, tc.missingPath, tc.form, nil)
				if got.status != 404 || none.status != 404 {
					t.Fatalf("%s %s: %d (missing: %d), want 404\n%s", tc.method, tc.path, got.status, none.status, clip(got.body))
				}
				if samePage(got) != samePage(none) {
					t.Errorf("%s %s answers differently from a missing one", tc.method, tc.path)
				}
				for _, secret := range []string{bLoan.AccountNumber, "ending " + bLoan.VINLast6, bq, locale.Money("en", bLoan.PayoffCents), "%PDF"} {
					if strings.Contains(samePage(got), secret) { // the echoed path aside
						t.Errorf("%s %s shows %q", tc.method, tc.path, secret)
					}
				}
				// Signed out, every route sends to the sign-in page.
				out := s.browser("198.51.100.31")
				r := out.do(tc.method, tc.path, tc.form, nil)
				if r.status != 200 || !strings.HasPrefix(r.url, "/login") {
					t.Errorf("signed out, %s %s ends at %d %s", tc.method, tc.path, r.status, r.url)
				}
			})
		}
		// Nothing was made for B by A's attempts, and A's lists show none of B's.
		if l, _ := qs.List(ctx, ab.b.id, bLoan.ID); len(l) != 1 {
			t.Errorf("B has %d quotes, want 1", len(l))
		}
		var leQuotes int
		_ = d.Read.QueryRowContext(ctx, `SELECT count(*) FROM payoff_quotes WHERE contract_id = $1`, otherLease).Scan(&leQuotes)
		if leQuotes != 0 {
			t.Errorf("a lease-end quote was made on another customer's lease")
		}
		for _, path := range []string{"/", "/documents"} {
			r := a.get(path)
			r.must(t, 200)
			if strings.Contains(r.body, bLoan.AccountNumber) || strings.Contains(r.body, bq) {
				t.Errorf("%s shows B's contract or quote", path)
			}
		}
	}
}

func spanishMonth(d calendar.Date) string {
	s := locale.LongDate("es", d)
	return strings.Fields(s)[2]
}

func itoa(n int64) string { return fmt.Sprint(n) }

// validatePDF validates a PDF strictly with pdfcpu (the library, so CI
// needs no download).
func validatePDF(t *testing.T, pdf []byte) {
	t.Helper()
	api.DisableConfigDir()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationStrict
	if err := api.Validate(bytes.NewReader(pdf), conf); err != nil {
		t.Fatalf("pdfcpu strict validation: %v", err)
	}
}
