package quotes_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"carfin/internal/pdftest"
	"carfin/postal"
	"carfin/quotes"
	"carfin/servicing"
)

// Letter geometry in PDF points: US Letter is 612 pt wide, and the
// letters keep 18 mm (51.02 pt) on each side.
const (
	letterPageW  = 612.0
	letterRightX = letterPageW - 18/25.4*72
)

// TestLetterFitsPage: a payoff letter and a lease-end quote whose address
// has every field at the most postal allows, written in the widest letter
// (W), and a long name and vehicle, stay on one page inside the margins,
// every line of the address whole, no word over another: what a
// 500-character street address did was run off the page. A name and a
// vehicle as long as servicing accepts (100 and 100 characters, 50 and
// 50) wrap inside the margins, onto a second page. Read from the PDF by
// pdftotext's word boxes.
func TestLetterFitsPage(t *testing.T) {
	w := func(n int) string { return strings.Repeat("W", n) }
	a := servicing.Addressee{FirstName: "Maximiliana Guadalupe", LastName: "Fernández-Villavicencio de la Torre", AccountNumber: "NW-L000001",
		AddressLine1: w(postal.LineRunesMax), AddressLine2: w(postal.LineRunesMax), City: w(postal.CityRunesMax), State: "WY", ZIP: "99999-9999",
		VIN: "1HGCM82633A004352", VehicleYear: 2026, Make: "Mercedes-Benz", Model: "GLE 450e 4MATIC Coupe", Kind: servicing.KindLease,
		MaturityDate: day("2029-01-31"), MileageAllowance: 36000, OdometerStart: 36}
	created := time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)
	longName := a
	longName.FirstName, longName.LastName = w(40)+" "+w(59), w(100)
	longName.Make, longName.Model = w(50), w(20)+" "+w(29)
	payoff := quotes.Quote{Number: "PQ-00000003", Kind: quotes.KindPayoff, QuotedOn: day("2026-11-25"), GoodThrough: day("2026-12-01"),
		PrincipalCents: cents("28500"), TotalCents: cents("28500"), Lang: "en", CreatedAt: created}
	for _, tc := range []struct {
		name     string
		a        servicing.Addressee
		q        quotes.Quote
		pagesMax int
	}{
		{"payoff", a, quotes.Quote{Number: "PQ-00000001", Kind: quotes.KindPayoff, QuotedOn: day("2026-11-25"), GoodThrough: day("2026-12-01"),
			PrincipalCents: cents("28500"), FeesCents: cents("21.24"), BilledCents: cents("412.50"), TotalCents: cents("28933.74"),
			ScheduledCents: cents("412.50"), Lang: "es", CreatedAt: created}, 1},
		{"lease end", a, quotes.Quote{Number: "LQ-00000002", Kind: quotes.KindLeaseEnd, QuotedOn: day("2026-11-25"), Odometer: 41250,
			ExcessMiles: 5214, ExcessMileageCents: cents("1303.50"), PurchaseOptionCents: cents("18000"), PurchaseFeeCents: cents("350"),
			DispositionFeeCents: cents("395"), PurchaseCents: cents("18350"), TurnInCents: cents("1698.50"), Lang: "en", CreatedAt: created}, 1},
		{"the longest name and vehicle", longName, payoff, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := tc.a
			pdf, err := quotes.RenderLetter(testConfig, a, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			text := pdftest.Text(t, pdf) // validates it strictly
			if text == "" {
				t.Skip("pdftotext not installed")
			}
			for _, want := range []string{a.AddressLine1, a.City + ", WY 99999-9999"} {
				if !strings.Contains(text, want) {
					t.Errorf("the letter lacks the whole line %q", want)
				}
			}
			pages, words := wordBoxes(t, pdf)
			if pages > tc.pagesMax {
				t.Errorf("%d pages", pages)
			}
			for i, wd := range words {
				if wd.xMax > letterRightX+0.5 || wd.xMin < 18/25.4*72-0.5 {
					t.Errorf("%q runs past the margins: x %.1f–%.1f, the text area %.1f–%.1f", wd.text, wd.xMin, wd.xMax, 18/25.4*72, letterRightX)
				}
				for _, o := range words[i+1:] {
					if wd.page == o.page && wd.yMin < o.yMax-1 && o.yMin < wd.yMax-1 && wd.xMin < o.xMax-0.5 && o.xMin < wd.xMax-0.5 {
						t.Errorf("%q and %q overlap", wd.text, o.text)
					}
				}
			}
		})
	}
}

// word is a word of a PDF where pdftotext found it, in points.
type word struct {
	text                   string
	page                   int
	xMin, yMin, xMax, yMax float64
}

var (
	wordRE = regexp.MustCompile(`<word xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">([^<]*)</word>`)
)

// wordBoxes returns a PDF's page count and its words' boxes, from
// pdftotext -bbox.
func wordBoxes(t *testing.T, pdf []byte) (int, []word) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "letter.pdf")
	if err := os.WriteFile(p, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-bbox", p, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext -bbox: %v", err)
	}
	var words []word
	pages := strings.Split(string(out), "<page ")[1:]
	for n, page := range pages {
		for _, m := range wordRE.FindAllStringSubmatch(page, -1) {
			var f [4]float64
			for i := range f {
				f[i], _ = strconv.ParseFloat(m[i+1], 64)
			}
			words = append(words, word{text: m[5], page: n, xMin: f[0], yMin: f[1], xMax: f[2], yMax: f[3]})
		}
	}
	if len(words) < 50 {
		t.Fatalf("pdftotext found %d words", len(words))
	}
	return len(pages), words
}
