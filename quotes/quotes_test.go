package quotes_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
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
	"carfin/documents"
	"carfin/internal/pdftest"
	"carfin/money"
	"carfin/quotes"
	"carfin/servicing"
)

var (
	day   = calendar.MustParse
	cents = money.MustParse
)

var testConfig = quotes.Config{
	Letterhead: quotes.Letterhead{Name: "Northwind Motor Finance", Address: []string{"100 Harbor Way", "Columbus, OH 43215"}, Phone: "1-800-555-0199"},
	Wire:       []string{"Bank: First Example Bank", "ABA routing: 021000021", "Account: 000123456789"},
	Mail:       []string{"Northwind Motor Finance", "Payoff Department", "PO Box 4400", "Columbus, OH 43216"},
}

// fixture opens, for a customer, a loan and a lease signed in January
// 2026 with the business date at Wednesday 2026-11-25, and another
// customer's loan.
type fixture struct {
	sv                  *servicing.Service
	qs                  *quotes.Service
	d                   *db.DB
	cust, other         int64
	loan, lease, theirs int64
}

func newFixture(t *testing.T, d *db.DB) fixture {
	t.Helper()
	ctx := context.Background()
	dbtest.ClockOf(d).Set(day("2026-11-25").Time().Add(15 * time.Hour))
	sv := servicing.New(d, func(t time.Time) calendar.Date { return calendar.Of(t) })
	f := fixture{sv: sv, d: d}
	var err error
	newCustomer := func(first string) int64 {
		id, err := sv.CreateCustomer(ctx, servicing.NewCustomer{FirstName: first, LastName: "Muñoz", Email: strings.ToLower(first) + "@example.com",
			AddressLine1: "1 Main St", City: "Springfield", State: "IL", ZIP: "62701", BirthDate: day("1980-02-29"), SSNLast4: "1234"})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	f.cust, f.other = newCustomer("Inés"), newCustomer("Otto")
	seq := 0
	open := func(cust int64, lease bool) int64 {
		seq++
		nc := servicing.NewContract{AccountNumber: fmt.Sprintf("NW-Q%05d", seq), CustomerID: cust,
			VIN: servicing.WithCheckDigit(fmt.Sprintf("1HGCM8263%c%07d", 'A', seq)), VehicleYear: 2025, Make: "Mazda", Model: "CX-5",
			Kind: servicing.KindLoan, AmountFinancedCents: cents("20000"), APR: money.MustParseRate("6.99"), TermMonths: 60,
			ContractDate: day("2026-01-15"), FirstDue: day("2026-02-15"), GraceDays: 10,
			LateFee: servicing.LateFeeRule{Kind: "fixed", FixedCents: cents("25")}, NSFFeeCents: cents("25")}
		if lease {
			nc.Kind, nc.TermMonths, nc.AmountFinancedCents, nc.APR = servicing.KindLease, 36, 0, 0
			nc.Lease = &servicing.NewLease{GrossCapCostCents: cents("34500"), CapCostReductionCents: cents("2500"),
				ResidualCents: cents("18975"), MoneyFactor: money.MoneyFactor(125000), TaxRate: money.MustParseRate("6.25"),
				MileageAllowance: 36000, ExcessMileRateCents: cents("0.25"), PurchaseOptionCents: cents("18975"),
				PurchaseFeeCents: cents("350"), DispositionFeeCents: cents("395"), OdometerStart: 12}
		}
		id, err := sv.OpenContract(ctx, nc)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	f.loan, f.lease, f.theirs = open(f.cust, false), open(f.cust, true), open(f.other, false)
	for i, date := range []string{"2026-02-15", "2026-03-15", "2026-04-15"} {
		if _, err := sv.PostPayment(ctx, servicing.Request{ContractID: f.loan, Date: day(date), IdempotencyKey: fmt.Sprint("p", i), Actor: "test"}, cents("395.93")); err != nil {
			t.Fatal(err)
		}
	}
	if f.qs, err = quotes.New(d, sv, testConfig); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestPayoffQuotes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		// Good-through dates: business days only, up to 30 days ahead
		// (Thanksgiving 2026-11-26, weekends and Christmas are not).
		dates := quotes.GoodThroughDates(f.qs.Today())
		if dates[0] != day("2026-11-25") || dates[1] != day("2026-11-27") || slices.Contains(dates, day("2026-12-25")) ||
			dates[len(dates)-1] != day("2026-12-24") {
			t.Errorf("good-through dates %v", dates)
		}
		for _, bad := range []string{"2026-11-24", "2026-11-26", "2026-11-28", "2026-12-28"} {
			if _, err := f.qs.Payoff(ctx, f.cust, f.loan, day(bad), "en"); !errors.Is(err, quotes.ErrGoodThrough) {
				t.Errorf("good through %s: %v", bad, err)
			}
		}
		// Another customer's contract, or none, is not found.
		for _, id := range []int64{f.theirs, 999999} {
			if _, err := f.qs.Payoff(ctx, f.cust, id, day("2026-12-01"), "en"); !errors.Is(err, quotes.ErrNotFound) {
				t.Errorf("payoff of contract %d: %v", id, err)
			}
		}
		q, err := f.qs.Payoff(ctx, f.cust, f.loan, day("2026-12-01"), "en")
		if err != nil {
			t.Fatal(err)
		}
		sq, _ := f.sv.QuotePayoff(ctx, f.loan, day("2026-12-01"))
		if q.TotalCents != sq.PayoffCents || q.PerDiemCents != sq.PerDiemCents || q.PerDiemCents <= 0 ||
			q.PrincipalCents+q.InterestCents+q.FeesCents != q.TotalCents || !strings.HasPrefix(q.Number, "PQ-") {
			t.Errorf("quote %+v, servicing %+v", q, sq)
		}
		// The same quote asked twice is the same quote.
		again, err := f.qs.Payoff(ctx, f.cust, f.loan, day("2026-12-01"), "en")
		if err != nil || again.Number != q.Number {
			t.Errorf("second ask: %s %v, want %s", again.Number, err, q.Number)
		}
		es, err := f.qs.Payoff(ctx, f.cust, f.loan, day("2026-12-24"), "es")
		if err != nil || es.Number == q.Number || es.InterestCents <= q.InterestCents {
			t.Fatalf("Spanish quote: %+v %v", es, err)
		}
		list, err := f.qs.List(ctx, f.cust, f.loan)
		if err != nil || len(list) != 2 || list[0].Number != es.Number {
			t.Errorf("list %+v %v", list, err)
		}
		if l, _ := f.qs.List(ctx, f.other, f.loan); len(l) != 0 {
			t.Errorf("another customer lists %d quotes", len(l))
		}
		if _, err := f.qs.Get(ctx, f.other, f.loan, q.Number); !errors.Is(err, quotes.ErrNotFound) {
			t.Errorf("another customer's quote: %v", err)
		}
		if _, err := f.qs.Get(ctx, f.cust, f.lease, q.Number); !errors.Is(err, quotes.ErrNotFound) {
			t.Errorf("quote under another contract: %v", err)
		}
		got, err := f.qs.Get(ctx, f.cust, f.loan, q.Number)
		if err != nil || got.TotalCents != q.TotalCents || got.GoodThrough != q.GoodThrough || got.DocumentID != q.DocumentID {
			t.Errorf("get %+v %v", got, err)
		}
		// The letter is the customer's document, and only theirs.
		doc, err := documents.Get(ctx, d.Read, f.cust, q.DocumentID)
		if err != nil || doc.Kind != documents.KindPayoffLetter || doc.ContractID != f.loan || doc.ContentType != "application/pdf" {
			t.Fatalf("letter %+v %v", doc.Title, err)
		}
		if _, err := documents.Get(ctx, d.Read, f.other, q.DocumentID); !errors.Is(err, documents.ErrNotFound) {
			t.Errorf("another customer reads the letter: %v", err)
		}
		text := pdftest.Text(t, doc.Content)
		a, _ := f.sv.AddresseeOf(ctx, f.cust, f.loan)
		for _, want := range []string{q.Number, a.VIN, a.AccountNumber, "December 1, 2026", "Payoff letter", "First Example Bank",
			"PO Box 4400", "per diem", locale(q.PerDiemCents), locale(q.TotalCents), "Inés Muñoz"} {
			if text != "" && !strings.Contains(text, want) {
				t.Errorf("letter lacks %q:\n%s", want, text)
			}
		}
		esDoc, _ := documents.Get(ctx, d.Read, f.cust, es.DocumentID)
		if text := pdftest.Text(t, esDoc.Content); text != "" && (!strings.Contains(text, "Carta de liquidación") || !strings.Contains(text, "24 de diciembre de 2026")) {
			t.Errorf("Spanish letter:\n%s", text)
		}

		// Leases: a payoff and a lease-end quote.
		if _, err := f.qs.Payoff(ctx, f.cust, f.lease, day("2026-12-01"), "en"); err != nil {
			t.Errorf("lease payoff: %v", err)
		}
		if _, err := f.qs.LeaseEnd(ctx, f.cust, f.loan, 40000, "en"); !errors.Is(err, quotes.ErrNotLease) {
			t.Errorf("lease-end of a loan: %v", err)
		}
		if _, err := f.qs.LeaseEnd(ctx, f.other, f.lease, 40000, "en"); !errors.Is(err, quotes.ErrNotFound) {
			t.Errorf("lease-end of another's lease: %v", err)
		}
		for _, bad := range []int64{11, 2_000_001} {
			if _, err := f.qs.LeaseEnd(ctx, f.cust, f.lease, bad, "en"); !errors.Is(err, quotes.ErrOdometer) {
				t.Errorf("odometer %d: %v", bad, err)
			}
		}
		le, err := f.qs.LeaseEnd(ctx, f.cust, f.lease, 41012, "en")
		if err != nil {
			t.Fatal(err)
		}
		if le.ExcessMiles != 5000 || le.ExcessMileageCents != cents("1250") || le.PurchaseOptionCents != cents("18975") ||
			le.PurchaseFeeCents != cents("350") || le.TurnInCents != cents("1645")+le.UnpaidCents || !strings.HasPrefix(le.Number, "LQ-") {
			t.Errorf("lease-end quote %+v", le)
		}
		leDoc, err := documents.Get(ctx, d.Read, f.cust, le.DocumentID)
		if err != nil || leDoc.Kind != documents.KindLeaseEnd {
			t.Fatalf("lease-end letter: %v", err)
		}
		for _, pdf := range [][]byte{doc.Content, esDoc.Content, leDoc.Content} {
			if n, err := api.PageCount(bytes.NewReader(pdf), model.NewDefaultConfiguration()); err != nil || n != 1 {
				t.Errorf("a letter has %d pages (%v), want 1", n, err)
			}
		}
		if text := pdftest.Text(t, leDoc.Content); text != "" && (!strings.Contains(text, "41,012 miles") || !strings.Contains(text, "$1,250.00")) {
			t.Errorf("lease-end letter:\n%s", text)
		}
	})
}

func locale(c money.Cents) string { return c.Dollars() }

// TestClosedContract: a paid-off contract gets no quote.
func TestClosedContract(t *testing.T) {
	d := dbtest.SQLite(t)
	ctx := context.Background()
	f := newFixture(t, d)
	q, err := f.sv.QuotePayoff(ctx, f.theirs, day("2026-11-25"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.sv.PostPayment(ctx, servicing.Request{ContractID: f.theirs, Date: day("2026-11-25"), IdempotencyKey: "off", Actor: "test"}, q.PayoffCents); err != nil {
		t.Fatal(err)
	}
	if _, err := f.qs.Payoff(ctx, f.other, f.theirs, day("2026-11-27"), "en"); !errors.Is(err, quotes.ErrClosed) {
		t.Errorf("payoff of a paid-off loan: %v", err)
	}
}

// TestLetterWithoutInstructions: a lender that configured no wiring or
// mailing instructions gets letters that ask the customer to call.
func TestLetterWithoutInstructions(t *testing.T) {
	cfg := quotes.Config{Letterhead: quotes.Letterhead{Name: "Acme Auto Credit", Phone: "1-800-555-0100"}}
	a := servicing.Addressee{FirstName: "Ana", LastName: "Peña", AddressLine1: "2 Elm St", City: "Tucson", State: "AZ", ZIP: "85701",
		AccountNumber: "A-1", VIN: "1HGCM82633A004352", VehicleYear: 2024, Make: "Honda", Model: "Civic"}
	q := quotes.Quote{Number: "PQ-00000001", Kind: quotes.KindPayoff, QuotedOn: day("2026-11-25"), GoodThrough: day("2026-11-30"),
		PrincipalCents: cents("1000"), InterestCents: cents("1.23"), TotalCents: cents("1001.23"), PerDiemCents: cents("0.19"), Lang: "es",
		CreatedAt: time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)}
	pdf, err := quotes.RenderLetter(cfg, a, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(pdf) > 8<<10 {
		t.Errorf("letter is %d bytes", len(pdf))
	}
	if text := pdftest.Text(t, pdf); text != "" && (!strings.Contains(text, "Llámenos al 1-800-555-0100") || !strings.Contains(text, "Ana Peña") ||
		!strings.Contains(text, "$0.19")) {
		t.Errorf("letter:\n%s", text)
	}
	again, _ := quotes.RenderLetter(cfg, a, q)
	if !bytes.Equal(pdf, again) {
		t.Error("the same quote renders differently")
	}
}

func TestLetterTexts(t *testing.T) {
	en, es := quotes.LetterTexts("en"), quotes.LetterTexts("es")
	if !slices.Equal(slices.Sorted(maps.Keys(en)), slices.Sorted(maps.Keys(es))) {
		t.Errorf("letter texts differ in keys")
	}
}

// TestLeasePayoffLetterWords: a lease's payoff letter names what a
// lessee's payoff is made of (the lease balance: the adjusted
// capitalized cost not yet paid down), never "Principal", and says that
// paying it off buys the vehicle (the title is transferred, not a lien
// released); a loan's letter keeps "Principal" and the lien. In both
// languages, read from the PDF's own text.
func TestLeasePayoffLetterWords(t *testing.T) {
	a := servicing.Addressee{FirstName: "Inés", LastName: "Muñoz", AddressLine1: "1 Main St", City: "Springfield", State: "IL", ZIP: "62701",
		AccountNumber: "NW-Q00002", VIN: "1HGCM82633A004352", VehicleYear: 2025, Make: "Mazda", Model: "CX-5", Kind: servicing.KindLease}
	q := quotes.Quote{Number: "PQ-00000002", Kind: quotes.KindPayoff, QuotedOn: day("2026-11-25"), GoodThrough: day("2026-12-01"),
		PrincipalCents: cents("26105.40"), TotalCents: cents("26105.40"), CreatedAt: time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		name, lang string
		kind       servicing.Kind
		want, not  []string
	}{
		{"lease", "en", servicing.KindLease,
			[]string{"Lease balance", "$26,105.40", "The lease balance is the adjusted capitalized cost less the depreciation",
				"transfer the vehicle's title to you"},
			[]string{"Principal", "lien"}},
		{"lease, Spanish", "es", servicing.KindLease,
			[]string{"Saldo del arrendamiento", "El saldo del arrendamiento es el costo capitalizado ajustado menos la depreciación",
				"le transferiremos el título del vehículo"},
			[]string{"Capital", "gravamen"}},
		{"loan", "en", servicing.KindLoan, []string{"Principal", "release our lien"}, []string{"Lease balance", "adjusted capitalized"}},
		{"loan, Spanish", "es", servicing.KindLoan, []string{"Capital", "gravamen"}, []string{"Saldo del arrendamiento"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a.Kind, q.Lang = tc.kind, tc.lang
			pdf, err := quotes.RenderLetter(testConfig, a, q)
			if err != nil {
				t.Fatal(err)
			}
			pdftest.Text(t, pdf)
			if n, err := api.PageCount(bytes.NewReader(pdf), model.NewDefaultConfiguration()); err != nil || n != 1 {
				t.Errorf("the letter has %d pages (%v), want 1", n, err)
			}
			text := pdfStrings(t, pdf)
			flat := strings.Join(strings.Fields(text), " ") // a note wraps over lines
			for _, s := range tc.want {
				if !strings.Contains(flat, s) {
					t.Errorf("letter lacks %q:\n%s", s, text)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(flat, s) {
					t.Errorf("letter has %q:\n%s", s, text)
				}
			}
		})
	}
}

// pdfStrings returns the text a PDF's pages show, read from their
// content streams (pdfcpu decompresses them): the strings of its text
// operators, one per line. The core fonts' cp1252 is read as Latin-1,
// which agrees on every letter the letters use (the typographic marks
// at 0x80-0x9F aside). Unlike checkPDF it needs no pdftotext, so the
// words are checked on every machine.
func pdfStrings(t *testing.T, pdf []byte) string {
	t.Helper()
	var content bytes.Buffer
	err := api.ExtractContent(bytes.NewReader(pdf), nil, func(r io.Reader, _ int) error {
		_, err := content.ReadFrom(r)
		return err
	}, model.NewDefaultConfiguration())
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, m := range pdfString.FindAllSubmatch(content.Bytes(), -1) {
		s := strings.NewReplacer(`\(`, "(", `\)`, ")", `\\`, `\`).Replace(string(m[1]))
		for i := 0; i < len(s); i++ {
			out.WriteRune(rune(s[i]))
		}
		out.WriteByte('\n')
	}
	return out.String()
}

var pdfString = regexp.MustCompile(`\(((?:[^()\\]|\\.)*)\)\s*Tj`)
