package web

import (
	"time"

	"carfin/calendar"
	"carfin/documents"
	"carfin/locale"
	"carfin/money"
	"carfin/servicing"
)

// Formatting for templates, in the page's language (package locale).

// Money formats an amount: "$1,234.56".
func (p *page) Money(c money.Cents) string { return locale.Money(p.Lang, c) }

// Date formats a date briefly: "Nov 25, 2026" / "25 nov 2026".
func (p *page) Date(d calendar.Date) string { return locale.Date(p.Lang, d) }

// LongDate formats a date in full: "November 25, 2026".
func (p *page) LongDate(d calendar.Date) string { return locale.LongDate(p.Lang, d) }

// Percent formats a rate: "6.49%".
func (p *page) Percent(r money.Rate) string { return locale.Percent(p.Lang, r) }

// Count formats a whole number: "36,000".
func (p *page) Count(n int64) string { return locale.Number(p.Lang, n) }

// ISO is a date as YYYY-MM-DD, for <time datetime> and form values.
func (p *page) ISO(d calendar.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// ContractStatus words where a contract stands: "Current", "12 days past
// due", "Paid off on November 2, 2026"…
func (p *page) ContractStatus(s servicing.Summary) string {
	switch s.Status {
	case servicing.StatusActive, servicing.StatusMatured:
		if s.DaysPastDue > 0 {
			return p.T("account.status_late", s.DaysPastDue)
		}
		if s.Status == servicing.StatusMatured {
			return p.T("account.status_matured")
		}
		return p.T("account.status_current")
	case servicing.StatusPaidOff:
		return p.T("account.status_paid_off", p.LongDate(s.ClosedOn))
	case servicing.StatusTerminated:
		return p.T("account.status_terminated", p.LongDate(s.ClosedOn))
	}
	return p.T("account.status_charged_off")
}

// Vehicle names a contract's vehicle: "2024 Subaru Outback".
func (p *page) Vehicle(s servicing.Summary) string {
	return itoa(int64(s.VehicleYear)) + " " + s.Make + " " + s.Model
}

// When formats an instant's date: "Nov 25, 2026".
func (p *page) When(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return locale.Date(p.Lang, calendar.Of(t.In(p.v.loc)))
}

// DateTime formats a moment (a message sent, a consent given, a session
// last seen) in the lender's time zone and the page's language:
// "November 24, 2026 at 5:00 PM EST" / "24 de noviembre de 2026, 17:00 EST".
func (p *page) DateTime(t time.Time) string { return p.Instant(t, p.v.loc) }

// KB is a size in kilobytes, at least 1.
func (p *page) KB(n int64) int64 { return max(1, (n+1023)/1024) }

// docKinds are the document kinds the catalogs name.
var docKinds = map[string]string{documents.KindPayoffLetter: "account.doc_payoff_letter", documents.KindReceipt: "account.doc_receipt",
	documents.KindStatement: "account.doc_statement", documents.KindContract: "account.doc_contract", documents.KindLeaseEnd: "account.doc_lease_end",
	documents.KindTax1098VLI: "account.doc_tax_1098_vli", documents.KindInterestSummary: "account.doc_interest_summary"}

// DocKind names a kind of document ("Payoff letter"); a kind added later
// is a "Document" until the catalogs name it.
func (p *page) DocKind(kind string) string {
	if k, ok := docKinds[kind]; ok {
		return p.T(k)
	}
	return p.T("account.doc_other")
}
