package web

import (
	"net/http/httptest"
	"strings"
	"testing"

	"carfin/calendar"
	"carfin/quotes"
	"carfin/servicing"
	"carfin/webcore"
)

// TestQuotePageWords: a quote's page names what it is in the words of
// the contract. A lease-end quote's breadcrumb leads back to the
// lease-end quote, not the payoff quote; a lease's payoff calls what is
// left of the adjusted capitalized cost the lease balance (a lessee owes
// no principal); a loan's payoff keeps "Principal". In both languages.
func TestQuotePageWords(t *testing.T) {
	v := testViews(t)
	day := calendar.MustParse("2026-12-01")
	loan := servicing.Summary{ID: 7, Kind: servicing.KindLoan, Status: servicing.StatusActive, AccountNumber: "NW-100001"}
	lease := servicing.Summary{ID: 8, Kind: servicing.KindLease, Status: servicing.StatusActive, AccountNumber: "NW-100002", MileageAllowance: 36000}
	payoff := quotes.Quote{Number: "PQ-00000001", Kind: quotes.KindPayoff, QuotedOn: day, GoodThrough: day, PrincipalCents: 17_250_00, TotalCents: 17_250_00}
	leaseEnd := quotes.Quote{Number: "LQ-00000002", Kind: quotes.KindLeaseEnd, QuotedOn: day, Odometer: 41012}
	for _, tc := range []struct {
		name, lang string
		s          servicing.Summary
		q          quotes.Quote
		want, not  []string
	}{
		{"lease-end quote", "en", lease, leaseEnd,
			[]string{`<a href="/contracts/8/payoff#lease-end">Lease-end quote</a></p>`, `<h1>Lease-end quote <span class="nowrap">LQ-00000002</span></h1>`},
			[]string{"Payoff quote</a>"}},
		{"lease-end quote, Spanish", "es", lease, leaseEnd,
			[]string{`<a href="/contracts/8/payoff#lease-end">Cotización de fin de arrendamiento</a></p>`},
			[]string{"Cotización de liquidación</a>"}},
		{"lease payoff", "en", lease, payoff,
			[]string{`<a href="/contracts/8/payoff">Payoff quote</a></p>`, `<th scope="row">Lease balance</th><td class="num">$17,250.00</td>`,
				"adjusted capitalized cost less the depreciation"},
			[]string{">Principal<"}},
		{"lease payoff, Spanish", "es", lease, payoff,
			[]string{`<th scope="row">Saldo del arrendamiento</th>`, "costo capitalizado ajustado menos la depreciación"},
			[]string{">Capital<"}},
		{"loan payoff", "en", loan, payoff,
			[]string{`<a href="/contracts/7/payoff">Payoff quote</a></p>`, `<th scope="row">Principal</th><td class="num">$17,250.00</td>`},
			[]string{"Lease balance", "Lease-end quote</a>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/contracts/1/quotes/"+tc.q.Number, nil)
			r = r.WithContext(webcore.WithLangOf(r.Context(), tc.lang))
			p := v.page(r, "account.quote_title")
			p.Data = &quoteData{S: tc.s, Q: tc.q, Phone: "1-800-555-0199"}
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
}
