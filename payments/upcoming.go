package payments

import (
	"carfin/calendar"
	"carfin/money"
)

// AutopayDebit returns the date and amount of the debit an autopay
// enrolment (debiting daysBefore days ahead of the due date, plus extra)
// will make for an installment of the given amount due on due: what the
// dashboard shows as the next automatic payment before the run creates it
// (servicing.Dashboard reads the enrolment with the rest of the page).
func AutopayDebit(due calendar.Date, daysBefore int, installment, extra money.Cents) (calendar.Date, money.Cents) {
	return debitDate(due, daysBefore), installment + extra
}
