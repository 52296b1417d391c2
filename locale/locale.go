// Package locale formats amounts, dates, rates and counts for the
// languages carfin speaks to customers in (English and Spanish), for the
// portal's pages and for the letters it renders. It is pure: no I/O, no
// clock.
//
// Spanish follows the conventions of Spanish in the United States (CLDR
// es-US), which is how a US lender's Spanish-speaking customers read
// dollars: the amount is written "$1,234.56" as in English (as the CFPB's
// Spanish materials do), while dates and percentages take the Spanish
// forms ("25 nov 2026", "25 de noviembre de 2026", "6.49 %").
package locale

import (
	"strconv"
	"strings"
	"time"

	"carfin/calendar"
	"carfin/money"
)

// A format is one language's conventions.
type format struct {
	symbol, group, decimal string
	months, monthsShort    [12]string
	weekdays               [7]string // Sunday first, as time.Weekday
	// date layouts: "{d}", "{m}" (month name), "{ms}" (short), "{wd}"
	// (weekday), "{y}"
	short, long, monthYear, dayMonth, full string
	percentSep                             string // between the number and "%"
	// clock is the time of day's layout; at joins the date and the time.
	clock, at string
}

var formats = map[string]format{
	"en": {symbol: "$", group: ",", decimal: ".",
		months: [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September",
			"October", "November", "December"},
		monthsShort: [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
		weekdays:    [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
		short:       "{ms} {d}, {y}", long: "{m} {d}, {y}", monthYear: "{ms} {y}", dayMonth: "{ms} {d}", full: "{wd}, {m} {d}, {y}",
		clock: "3:04 PM MST", at: " at "},
	"es": {symbol: "$", group: ",", decimal: ".",
		months: [12]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
			"octubre", "noviembre", "diciembre"},
		monthsShort: [12]string{"ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"},
		weekdays:    [7]string{"domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"},
		short:       "{d} {ms} {y}", long: "{d} de {m} de {y}", monthYear: "{ms} {y}", dayMonth: "{d} {ms}", full: "{wd} {d} de {m} de {y}",
		percentSep: "\u00a0",
		clock:      "15:04 MST", at: ", "},
}

func of(lang string) format {
	if f, ok := formats[lang]; ok {
		return f
	}
	return formats["en"]
}

// Money formats an amount: "$1,234.56", "-$7.00".
func Money(lang string, c money.Cents) string {
	f := of(lang)
	return c.Grouped(f.symbol, f.group, f.decimal)
}

// Plain formats an amount without the symbol, for tables whose heading
// names the currency: "1,234.56".
func Plain(lang string, c money.Cents) string {
	f := of(lang)
	return c.Grouped("", f.group, f.decimal)
}

// date formats d in lang with the layout pattern picks, "" for the zero
// date.
func date(lang string, d calendar.Date, pattern func(format) string) string {
	if d.IsZero() {
		return ""
	}
	f := of(lang)
	return layout(f, pattern(f), d)
}

func layout(f format, pattern string, d calendar.Date) string {
	y, m, dd := d.Date()
	return strings.NewReplacer("{d}", strconv.Itoa(dd), "{ms}", f.monthsShort[m-1], "{m}", f.months[m-1],
		"{y}", strconv.Itoa(y), "{wd}", f.weekdays[d.Time().Weekday()]).Replace(pattern)
}

// Date formats a date briefly: "Nov 25, 2026", "25 nov 2026". The zero
// date is "".
func Date(lang string, d calendar.Date) string {
	return date(lang, d, func(f format) string { return f.short })
}

// LongDate formats a date in full: "November 25, 2026", "25 de noviembre
// de 2026". The zero date is "".
func LongDate(lang string, d calendar.Date) string {
	return date(lang, d, func(f format) string { return f.long })
}

// Clock formats an instant's time of day with its zone, in the instant's
// location: "5:00 PM EST", "17:00 EST".
func Clock(lang string, t time.Time) string { return t.Format(of(lang).clock) }

// Moment formats an instant in full in its location (a message sent, a
// sign-in, an address changed): "November 24, 2026 at 5:00 PM EST",
// "24 de noviembre de 2026, 17:00 EST". The zero time is "".
func Moment(lang string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	f := of(lang)
	return layout(f, f.long, calendar.Of(t)) + f.at + t.Format(f.clock)
}

// MonthYear formats a date's month: "Nov 2026", "nov 2026".
func MonthYear(lang string, d calendar.Date) string {
	return date(lang, d, func(f format) string { return f.monthYear })
}

// FullDate formats a date with its weekday, for a date a reader must act
// by: "Friday, November 6, 2026", "viernes 6 de noviembre de 2026". The
// zero date is "".
func FullDate(lang string, d calendar.Date) string {
	return date(lang, d, func(f format) string { return f.full })
}

// DayMonth formats a date without its year, for a text message: "Nov
// 25", "25 nov".
func DayMonth(lang string, d calendar.Date) string {
	return date(lang, d, func(f format) string { return f.dayMonth })
}

// Percent formats a rate: "6.49%", "6.49 %".
func Percent(lang string, r money.Rate) string {
	f := of(lang)
	return strings.Replace(r.String(), ".", f.decimal, 1) + f.percentSep + "%"
}

// Number formats a whole number with grouping: "12,000".
func Number(lang string, n int64) string {
	f := of(lang)
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(f.group)
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
