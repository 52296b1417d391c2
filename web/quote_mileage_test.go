package web

import (
	"net/http/httptest"
	"strings"
	"testing"

	"carfin/calendar"
	"carfin/money"
	"carfin/quotes"
	"carfin/servicing"
	"carfin/webcore"
)

// TestLeaseEndMileage: a lease-end quote shows how its excess miles come
// about — the odometer at signing, the reading, the miles driven, the
// allowance, the miles over it (or left in it) and the estimated charge —
// so that a reading of 41,250 on a lease signed at 36 miles is not "5,214
// miles over 36,000" with the 36 hidden. In both languages.
func TestLeaseEndMileage(t *testing.T) {
	v := testViews(t)
	day := calendar.MustParse("2026-12-01")
	lease := servicing.Summary{ID: 8, Kind: servicing.KindLease, Status: servicing.StatusActive, AccountNumber: "NW-100002", MileageAllowance: 36000}
	over := quotes.Quote{Number: "LQ-00000002", Kind: quotes.KindLeaseEnd, QuotedOn: day, Odometer: 41250, ExcessMiles: 5214,
		ExcessMileageCents: 1_303_50}
	under := quotes.Quote{Number: "LQ-00000003", Kind: quotes.KindLeaseEnd, QuotedOn: day, Odometer: 30036}
	exact := quotes.Quote{Number: "LQ-00000004", Kind: quotes.KindLeaseEnd, QuotedOn: day, Odometer: 36036}
	row := func(label, value string) string {
		return `<th scope="row">` + label + `</th><td class="num"><span class="nowrap">` + value + `</span></td>`
	}
	for _, tc := range []struct {
		name, lang string
		q          quotes.Quote
		start      int64
		want, not  []string
	}{
		{"over", "en", over, 36, []string{
			"You have driven 41,214 miles since signing: 5,214 miles over your allowance.",
			row("Odometer reading you entered", "41,250 miles"), row("Odometer at signing", "36 miles"),
			row("Miles driven (reading less the odometer at signing)", "41,214 miles"), row("Mileage allowance for the whole lease", "36,000 miles"),
			row("Miles over the allowance", "5,214 miles"), row("Estimated excess mileage charge at turn-in", "$1,303.50")},
			[]string{"Miles left"}},
		{"over, Spanish", "es", over, 36, []string{
			"Ha recorrido 41,214 millas desde la firma: 5,214 millas por encima de lo permitido.",
			row("Odómetro al firmar", "36 millas"), row("Cargo estimado por millaje excedente al devolverlo", "$1,303.50")},
			nil},
		{"within", "en", under, 36, []string{
			"You have driven 30,000 miles since signing: 6,000 miles still left in your allowance.",
			row("Miles left in the allowance", "6,000 miles")},
			[]string{"Miles over", "Estimated excess mileage charge"}},
		{"one mile", "en", quotes.Quote{Number: "LQ-00000005", Kind: quotes.KindLeaseEnd, QuotedOn: day, Odometer: 37}, 36, []string{
			row("Miles driven (reading less the odometer at signing)", "1 mile")}, []string{"1 miles"}},
		{"exactly the allowance", "en", exact, 36, []string{row("Miles left in the allowance", "0 miles")}, []string{"Miles over"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/contracts/8/quotes/"+tc.q.Number, nil)
			r = r.WithContext(webcore.WithLangOf(r.Context(), tc.lang))
			p := v.page(r, "account.quote_title")
			p.Data = &quoteData{S: lease, Q: tc.q, Phone: "1-800-555-0199", Mileage: mileageOf(tc.q, tc.start, lease.MileageAllowance)}
			w := httptest.NewRecorder()
			v.render(w, 200, "quote", p)
			body := w.Body.String()
			if w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, body)
			}
			for _, s := range tc.want {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(body, s) {
					t.Errorf("page has %q", s)
				}
			}
		})
	}
	if m := mileageOf(over, 36, 36000); m.Driven != 41214 || m.Over != 5214 || m.Left != 0 || m.ChargeCents != money.MustParse("1303.50") {
		t.Errorf("mileage %+v", m)
	}
}
