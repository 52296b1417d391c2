package web

import (
	"net/http"
	"time"

	"carfin/payments"
	"carfin/webcore"
)

// payReviewData is what the review page shows.
type payReviewData struct {
	Q    payments.Quote
	Form payForm
	// Loc is the lender's time zone, for the change deadline.
	Loc *time.Location
}

// handlePaymentReview checks the payment form and shows what the payment
// would be — amount, fee, total, method, effective date and until when
// it can be changed — with a confirm button. A date after an
// installment's grace period says the late fee it brings and the last
// date that avoids it; a payment identical to one made minutes ago shows
// that one and asks to tick a box to make a second. It writes nothing,
// so a reload or the back button is harmless; the confirm form carries a
// new idempotency key, so a double click on it makes one payment. Errors
// go back to the form, next to their fields.
func handlePaymentReview(pay *payments.Service, v *views, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r, "id")
		if !ok {
			notFound(w, r, v)
			return
		}
		o, ok := loadOptions(w, r, pay, v, id)
		if !ok {
			return
		}
		f := readPayForm(r.URL.Query())
		req, errs := f.oneTime(id, webcore.ClientIP(r))
		if len(errs) > 0 {
			renderPayForm(w, r, v, http.StatusUnprocessableEntity, newPayFormData(o, f, pay, now()), errs)
			return
		}
		q, err := pay.Quote(r.Context(), customerOf(r), req)
		if err != nil {
			errs, ok := oneTimeErrors(err, f)
			if !ok {
				serverError(w, r, v, err)
				return
			}
			renderPayForm(w, r, v, http.StatusUnprocessableEntity, newPayFormData(o, f, pay, now()), errs)
			return
		}
		// The date shown is the date confirmed: a confirmation after the
		// cut-off is refused rather than moved silently to the next day.
		f.Date, f.Key = q.Date.String(), newKey()
		renderPayReview(w, r, pay, v, http.StatusOK, q, f, nil)
	})
}

// renderPayReview renders the review page (errors are the form's, such
// as a declined card).
func renderPayReview(w http.ResponseWriter, r *http.Request, pay *payments.Service, v *views, status int, q payments.Quote, f payForm, errs map[string]string) {
	p := v.page(r, "pay.review_title")
	p.Session = sessionOf(r)
	for k, e := range errs {
		p.Errors[k] = e
	}
	p.Data = payReviewData{Q: q, Form: f, Loc: pay.Config().Cutoff.Location}
	v.render(w, status, "pay_review", p)
}
