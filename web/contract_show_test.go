package web

import (
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"carfin/calendar"
	"carfin/money"
	"carfin/servicing"
	"carfin/webcore"
)

// TestScheduleLines renders the contract page's schedule (issue 11): a
// row shows what the payments in its period paid; a row with nothing
// paid and a projection is all in italics; a row with both shows the
// projection under what was paid, and says what past-due amount it
// includes; the charts' summary is the schedule's totals (the history's
// figures), not a sum of rows that may hide a payment.
func TestScheduleLines(t *testing.T) {
	v := testViews(t)
	day := calendar.MustParse
	c := money.MustParse
	pay := func(date, amount string, returned bool) servicing.Item {
		return servicing.Item{Date: day(date), Type: servicing.ItemPayment, AmountCents: c(amount), Returned: returned}
	}
	split := func(interest, principal string) servicing.Split {
		return servicing.Split{InterestCents: c(interest), PrincipalCents: c(principal)}
	}
	sched := servicing.Schedule{
		Rows: []servicing.Row{
			{Number: 6, Due: day("2026-10-06"), AmountCents: c("424.80"), Status: servicing.InstallmentPaid,
				Payments: []servicing.Item{pay("2026-10-06", "424.80", true)}, BalanceCents: c("19552.19")},
			{Number: 7, Due: day("2026-11-06"), AmountCents: c("424.80"), Status: servicing.InstallmentPartial,
				Payments: []servicing.Item{pay("2026-11-06", "424.80", false)}, Posted: split("258.14", "166.66"), BalanceCents: c("19385.53")},
			{Number: 8, Due: day("2026-12-06"), AmountCents: c("424.80"), Status: servicing.InstallmentDue,
				Payments: []servicing.Item{pay("2026-12-06", "100", false)}, Posted: split("100", "0"),
				Projection: split("25.87", "723.73"), Projected: true, PastDueCents: c("324.80"), BalanceCents: c("18661.80")},
			{Number: 9, Due: day("2027-01-06"), AmountCents: c("424.80"), Status: servicing.InstallmentUpcoming,
				Projection: split("125.21", "18661.80"), Projected: true},
		},
		Paid:      split("1034.33", "1614.47"),
		Projected: split("151.08", "19385.53"),
	}
	s := servicing.Summary{ContractRef: servicing.ContractRef{ID: 43, Kind: servicing.KindLoan, Status: servicing.StatusActive, AccountNumber: "NW-100006"},
		AmountFinancedCents: c("21000"), PrincipalCents: c("19385.53"), ContractDate: day("2026-04-06"), TermMonths: 4}
	r := httptest.NewRequest("GET", "/contracts/43", nil)
	r = r.WithContext(webcore.WithLangOf(r.Context(), "en"))
	p := v.page(r, "account.contract_title")
	data := &contractData{S: s}
	fillSchedule(p, data, sched)
	p.Data = data
	w := httptest.NewRecorder()
	v.render(w, 200, "contract", p)
	body := w.Body.String()
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, body)
	}
	// The cells' column names (for phones) and widths are the stylesheet's
	// business; the figures are this test's.
	cells := regexp.MustCompile(` data-label="[^"]*"| col-opt|<span class="stack-only">[^<]*</span>`).ReplaceAllString(body, "")
	rows := regexp.MustCompile(`(?s)<tr( class="projected")?><th scope="row">(\d+)</th>(.*?)</tr>`).FindAllStringSubmatch(cells, -1)
	if len(rows) != 4 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, tc := range []struct {
		name      string
		row       int
		whole     bool
		want, not []string
	}{
		{"a returned payment paid nothing", 0, false,
			[]string{"(returned)", `<td class="num">$0.00</td><td class="num">$0.00</td><td class="num">$0.00</td><td class="num">$19,552.19</td>`}, nil},
		{"what was paid", 1, false,
			[]string{`<td class="num">$258.14</td><td class="num">$166.66</td><td class="num">$0.00</td><td class="num">$19,385.53</td>`},
			[]string{"then", "projected"}},
		{"paid, then projected", 2, false,
			[]string{`<td class="num">$100.00<span class="then">&#43; $25.87 projected</span></td>`,
				`<td class="num">$0.00<span class="then">&#43; $723.73 projected</span></td>`,
				`<span class="then">Includes $324.80 past due, as if paid today</span>`, `$18,661.80`}, nil},
		{"all projected", 3, true,
			[]string{`<td class="num">$125.21</td><td class="num">$18,661.80</td>`}, []string{"then"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := rows[tc.row]
			if whole := m[1] != ""; whole != tc.whole {
				t.Errorf("row %s in italics: %v, want %v", m[2], whole, tc.whole)
			}
			for _, s := range tc.want {
				if !strings.Contains(m[3], s) {
					t.Errorf("row %s lacks %q:\n%s", m[2], s, m[3])
				}
			}
			for _, s := range tc.not {
				if strings.Contains(m[3], s) {
					t.Errorf("row %s has %q:\n%s", m[2], s, m[3])
				}
			}
		})
	}
	if want := "Your payments so far paid $1,034.33 of interest and $1,614.47 of principal. The payments still to come are projected to pay $151.08 of interest and $19,385.53 of principal."; !strings.Contains(body, want) {
		t.Errorf("the charts' summary is not %q", want)
	}
}

// testViews returns the portal's views with the shipped catalogs, for
// rendering pages in tests.
func testViews(t *testing.T) *views {
	t.Helper()
	cat, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	v, err := newViews(Config{Log: slog.New(slog.DiscardHandler)}, cat)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
