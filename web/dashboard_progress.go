package web

import (
	"fmt"
	"html/template"
	"strconv"

	"carfin/servicing"
)

// progress is how far along a contract is: a ring of the share paid and
// two lines of words. The ring is an image whose name says the share; the
// words hold every figure it shows.
type progress struct {
	Ring        template.HTML
	Paid, Left  string
	Percent     int
	RingCaption string
}

// progressOf words an open contract's progress. A loan's is the principal
// repaid of the amount financed; a lease's, the monthly payments made of
// the term (its balance is a depreciation schedule, not a debt paid down).
// Integer arithmetic: the share is whole percent, rounded down, so 100 %
// shows only when all is paid.
func progressOf(p *page, s servicing.Summary) *progress {
	made := s.TermMonths - s.RemainingPayments
	if made < 0 {
		made = 0
	}
	pr := &progress{Left: p.TN("ui.payments_left", s.RemainingPayments, s.TermMonths, p.LongDate(s.MaturityDate))}
	if s.Kind == servicing.KindLoan && s.AmountFinancedCents > 0 {
		paid := s.AmountFinancedCents - s.PrincipalCents
		paid = max(0, min(paid, s.AmountFinancedCents))
		pr.Percent = int(int64(paid) * 100 / int64(s.AmountFinancedCents))
		pr.Paid = p.T("ui.principal_paid", p.Money(paid), p.Money(s.AmountFinancedCents))
	} else if s.TermMonths > 0 {
		pr.Percent = made * 100 / s.TermMonths
		pr.Paid = p.TN("ui.payments_made", made, s.TermMonths)
	} else {
		return nil
	}
	pr.RingCaption = p.T("ui.percent_paid", strconv.Itoa(pr.Percent)) // a share, not a count: no plural forms
	pr.Ring = progressRing(pr.Percent, pr.RingCaption)
	return pr
}

// progressRing draws a ring filled to pct percent. pathLength="100" lets
// the dash be the percentage itself.
func progressRing(pct int, label string) template.HTML {
	pct = max(0, min(pct, 100))
	return template.HTML(fmt.Sprintf(`<svg class="ring" viewBox="0 0 64 64" width="64" height="64" role="img" aria-label="%s">`+
		`<circle class="track" cx="32" cy="32" r="26" fill="none" stroke-width="8"/>`+
		`<circle class="done" cx="32" cy="32" r="26" fill="none" stroke-width="8" pathLength="100" stroke-dasharray="%d 100" transform="rotate(-90 32 32)"/>`+
		`<text x="32" y="37" text-anchor="middle">%d%%</text></svg>`, template.HTMLEscapeString(label), pct, pct))
}
