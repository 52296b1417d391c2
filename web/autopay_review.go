package web

import (
	"net/http"
	"time"

	"carfin/payments"
	"carfin/profile"
	"carfin/servicing"
	"carfin/webcore"
)

// handleAutopayReview checks the autopay form and shows the Regulation E
// authorization to accept (12 CFR 1005.10(b)): the text rendered for
// this contract, account, amount and day, its version, and the first
// debit. Errors go back to the form, next to their fields. It writes
// nothing.
func handleAutopayReview(sv *servicing.Service, pay *payments.Service, pr *profile.Service, v *views, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, ok := autopayLoad(w, r, sv, pay, pr, v, now())
		if !ok {
			return
		}
		d.Change = r.URL.Query().Get("change") != "" && d.A != nil
		d.Form = readAutopayForm(r.URL.Query())
		reviewAutopay(w, r, pay, v, d, nil)
	})
}

// reviewAutopay renders the authorization for the form in d, or the form
// with its errors.
func reviewAutopay(w http.ResponseWriter, r *http.Request, pay *payments.Service, v *views, d *autopayData, errs map[string]string) {
	title := "pay.autopay_title"
	if d.Change {
		title = "pay.autopay_change_title"
	}
	req, ferrs := d.Form.request(d.C.ID, webcore.ClientIP(r))
	if len(ferrs) > 0 {
		renderAutopay(w, r, v, http.StatusUnprocessableEntity, "autopay", title, d, ferrs)
		return
	}
	var terms payments.AutopayTerms
	var err error
	if d.Change {
		terms, err = pay.ChangeTerms(r.Context(), customerOf(r), req)
	} else {
		terms, err = pay.AutopayTerms(r.Context(), customerOf(r), req)
	}
	if err != nil {
		ferrs, ok := autopayErrors(err, d.Form, d.DaysMax)
		if !ok {
			serverError(w, r, v, err)
			return
		}
		renderAutopay(w, r, v, http.StatusUnprocessableEntity, "autopay", title, d, ferrs)
		return
	}
	d.Terms = &terms
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	renderAutopay(w, r, v, status, "autopay_review", "pay.autopay_review_title", d, errs)
}
