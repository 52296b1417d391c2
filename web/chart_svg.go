package web

import (
	"fmt"
	"html/template"
	"strings"

	"carfin/calendar"
	"carfin/locale"
	"carfin/money"
	"carfin/servicing"
)

// The amortization charts are drawn on the server as inline SVG: no
// script, no third-party library, and they print. Each is an image with
// a title and a description in words (role="img", aria-labelledby), and
// the schedule table on the same page holds every figure they show.

// Chart geometry (SVG user units; the SVG scales to its container).
const (
	chartW       = 640.0
	chartH       = 240.0
	chartLeft    = 78.0 // room for the amount labels
	chartRight   = 12.0
	chartTop     = 14.0
	chartBottom  = 30.0 // room for the year labels
	chartTicks   = 4    // horizontal grid lines above zero
	chartBarsMax = 600  // a 50-year loan, far beyond any vehicle contract
)

// amortCharts is what the contract page shows of the charts.
type amortCharts struct {
	Balance template.HTML // balance over time
	Split   template.HTML // interest and principal in each payment
}

// chartText is what the charts say, in the page's language.
type chartText struct {
	lang                      string
	balanceTitle, balanceDesc string
	splitTitle, splitDesc     string
	today                     string
}

// amortizationCharts draws the charts of a loan's amortization points,
// starting from the amount financed on the contract date. id prefixes the
// SVG ids (unique on the page).
func amortizationCharts(id string, start calendar.Date, financed money.Cents, pts []servicing.AmortPoint, tx chartText) amortCharts {
	if len(pts) == 0 || len(pts) > chartBarsMax {
		return amortCharts{}
	}
	return amortCharts{Balance: balanceChart(id+"-balance", start, financed, pts, tx), Split: splitChart(id+"-split", pts, tx)}
}

// niceCeil rounds an amount up to a round figure for the top of an axis
// (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten dollars),
// which the four grid steps divide into round amounts.
func niceCeil(c money.Cents) money.Cents {
	p := money.Cents(100) // a power of ten dollars, in cents, at most c
	for p*10 <= c {
		p *= 10
	}
	for _, tenths := range []money.Cents{10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100} {
		if v := p * tenths / 10; v >= c {
			return v
		}
	}
	return 10 * p
}

// wholeDollars formats an axis label: "$12,500".
func wholeDollars(lang string, c money.Cents) string {
	s := locale.Money(lang, c/100*100)
	return s[:len(s)-3] // drop the decimal separator and the cents
}

type svgBuilder struct{ strings.Builder }

func (b *svgBuilder) f(format string, args ...any) { fmt.Fprintf(&b.Builder, format, args...) }

func esc(s string) string { return template.HTMLEscapeString(s) }

// open starts an SVG that is an image with a title and a description.
func (b *svgBuilder) open(id, title, desc string) {
	b.f(`<svg class="chart" id="%s" viewBox="0 0 %.0f %.0f" width="100%%" role="img" aria-labelledby="%s-t %s-d" xmlns="http://www.w3.org/2000/svg">`,
		id, chartW, chartH, id, id)
	b.f(`<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, esc(title), id, esc(desc))
}

// grid draws the horizontal grid with amount labels and returns the y of
// an amount.
func (b *svgBuilder) grid(lang string, top money.Cents) func(money.Cents) float64 {
	plotH := chartH - chartTop - chartBottom
	y := func(c money.Cents) float64 { return chartTop + plotH*(1-float64(c)/float64(top)) }
	b.f(`<g class="grid" aria-hidden="true">`)
	for i := 0; i <= chartTicks; i++ {
		v := top * money.Cents(i) / chartTicks
		b.f(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#c9ced6"/>`, chartLeft, chartW-chartRight, y(v), y(v))
		b.f(`<text x="%.1f" y="%.1f" text-anchor="end" font-size="13" fill="#4a4a4a">%s</text>`, chartLeft-6, y(v)+4, esc(wholeDollars(lang, v)))
	}
	b.f(`</g>`)
	return y
}

// yearLabels labels the x axis at the first point of each year (at most
// one label per 40 units so that they never overlap).
func (b *svgBuilder) yearLabels(dates []calendar.Date, x func(int) float64) {
	b.f(`<g class="axis" aria-hidden="true">`)
	lastX, lastYear := -100.0, 0
	for i, d := range dates {
		if d.Year() == lastYear || x(i)-lastX < 40 {
			continue
		}
		lastYear, lastX = d.Year(), x(i)
		b.f(`<text x="%.1f" y="%.1f" text-anchor="middle" font-size="13" fill="#4a4a4a">%d</text>`, x(i), chartH-10, d.Year())
	}
	b.f(`</g>`)
}

func balanceChart(id string, start calendar.Date, financed money.Cents, pts []servicing.AmortPoint, tx chartText) template.HTML {
	dates := []calendar.Date{start}
	bal := []money.Cents{financed}
	lastPaid := 0 // index of the last point that is history, not projection
	for _, p := range pts {
		dates, bal = append(dates, p.Date), append(bal, p.BalanceCents)
		if !p.Projected {
			lastPaid = len(bal) - 1
		}
	}
	top := financed
	for _, v := range bal {
		top = max(top, v)
	}
	top = niceCeil(top)
	var b svgBuilder
	b.open(id, tx.balanceTitle, tx.balanceDesc)
	y := b.grid(tx.lang, top)
	plotW := chartW - chartLeft - chartRight
	x := func(i int) float64 { return chartLeft + plotW*float64(i)/float64(len(dates)-1) }
	line := func(from, to int, class, dash string) {
		if to <= from {
			return
		}
		var pts []string
		for i := from; i <= to; i++ {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(bal[i])))
		}
		b.f(`<polyline class="%s" points="%s" fill="none" stroke="#0b5394" stroke-width="3"%s/>`, class, strings.Join(pts, " "), dash)
	}
	b.f(`<g aria-hidden="true">`)
	line(0, lastPaid, "line-paid", "")
	line(lastPaid, len(bal)-1, "line-projected", ` stroke-dasharray="7 5"`)
	if lastPaid > 0 && lastPaid < len(bal)-1 {
		b.f(`<line class="today" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#1b1b1b" stroke-dasharray="2 3"/>`,
			x(lastPaid), x(lastPaid), chartTop, chartH-chartBottom)
		b.f(`<text x="%.1f" y="%.1f" font-size="13" fill="#1b1b1b">%s</text>`, x(lastPaid)+4, chartTop+12, esc(tx.today))
	}
	b.f(`</g>`)
	b.yearLabels(dates, x)
	b.f(`</svg>`)
	return template.HTML(b.String()) // every value above is a number or escaped text
}

func splitChart(id string, pts []servicing.AmortPoint, tx chartText) template.HTML {
	var top money.Cents
	dates := make([]calendar.Date, len(pts))
	for i, p := range pts {
		top = max(top, p.InterestCents+p.PrincipalCents)
		dates[i] = p.Date
	}
	top = niceCeil(max(top, 100))
	var b svgBuilder
	b.open(id, tx.splitTitle, tx.splitDesc)
	y := b.grid(tx.lang, top)
	plotW := chartW - chartLeft - chartRight
	slot := plotW / float64(len(pts))
	x := func(i int) float64 { return chartLeft + slot*(float64(i)+0.5) }
	barW := max(slot*0.7, 1)
	// One path per series (interest, principal; paid, projected): a bar
	// is "M x,y h w V base h -w Z", so a long loan stays a few kilobytes.
	var paths [4]strings.Builder
	for i, p := range pts {
		k := 0
		if p.Projected {
			k = 2
		}
		x0 := x(i) - barW/2
		yi, yp := y(p.InterestCents), y(p.InterestCents+p.PrincipalCents)
		fmt.Fprintf(&paths[k], "M%.1f,%.1fh%.1fV%.1fh%.1fZ", x0, yi, barW, y(0), -barW)
		fmt.Fprintf(&paths[k+1], "M%.1f,%.1fh%.1fV%.1fh%.1fZ", x0, yp, barW, yi, -barW)
	}
	b.f(`<g aria-hidden="true">`)
	for k, class := range []string{"interest", "principal", "interest projected", "principal projected"} {
		if paths[k].Len() == 0 {
			continue
		}
		fill, opacity := "#a15c07", ""
		if k%2 == 1 {
			fill = "#0b5394"
		}
		if k >= 2 {
			opacity = ` fill-opacity="0.45"`
		}
		b.f(`<path class="%s" d="%s" fill="%s"%s/>`, class, paths[k].String(), fill, opacity)
	}
	b.f(`</g>`)
	b.yearLabels(dates, x)
	b.f(`</svg>`)
	return template.HTML(b.String()) // every value above is a number or escaped text
}
