package web

import (
	"html/template"

	"carfin/servicing"
)

// A status is shown as a badge: its words, and a colour that repeats
// them (never the colour alone). The tones are the design system's:
// status-ok (done), status-warn (needs attention soon), status-bad (needs
// action), status-info (in progress), and plain.

// badge is a status badge of tone with text.
func badge(tone, text string) template.HTML {
	cls := "status"
	if tone != "" {
		cls += " status-" + tone
	}
	return template.HTML(`<span class="` + cls + `">` + template.HTMLEscapeString(text) + `</span>`)
}

// installmentTones are the tones of the schedule's installment states.
var installmentTones = map[servicing.InstallmentStatus]string{
	servicing.InstallmentPaid:     "ok",
	servicing.InstallmentPartial:  "bad",
	servicing.InstallmentPastDue:  "bad",
	servicing.InstallmentDue:      "info",
	servicing.InstallmentUpcoming: "",
}

// ScheduleStatus is an installment's state as a badge.
func (p *page) ScheduleStatus(s servicing.InstallmentStatus) template.HTML {
	return badge(installmentTones[s], p.T("account.row_"+string(s)))
}
