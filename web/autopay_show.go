package web

import (
	"net/http"
	"time"

	"carfin/payments"
	"carfin/profile"
	"carfin/servicing"
)

// handleAutopayShow is a contract's autopay page. Enrolled: the amount,
// the day, the account, the next debit and the authorization accepted
// (text, version, time), with links to change or stop it. Not enrolled:
// the form to enrol (a validated bank account; the installment or the
// installment plus an extra amount; the due date or up to N days before;
// a start date), which leads to the authorization to review. Both show
// the reminder setting and any debit already set that still goes out.
func handleAutopayShow(sv *servicing.Service, pay *payments.Service, pr *profile.Service, v *views, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, ok := autopayLoad(w, r, sv, pay, pr, v, now())
		if !ok {
			return
		}
		renderAutopay(w, r, v, http.StatusOK, "autopay", "pay.autopay_title", d, nil)
	})
}

// handleAutopayChangeShow is the form to change an enrolment, filled in
// with its values. Without an enrolment it is the autopay page.
func handleAutopayChangeShow(sv *servicing.Service, pay *payments.Service, pr *profile.Service, v *views, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, ok := autopayLoad(w, r, sv, pay, pr, v, now())
		if !ok {
			return
		}
		c := d.C
		if d.A == nil {
			redirect(w, r, "/contracts/"+itoa(c.ID)+"/autopay")
			return
		}
		d.Change = true
		renderAutopay(w, r, v, http.StatusOK, "autopay", "pay.autopay_change_title", d, nil)
	})
}
