package web

import (
	"errors"
	"net/http"
	"time"

	"carfin/payments"
	"carfin/webcore"
)

// handlePaymentCreate confirms a payment from the review page and sends
// the customer to its confirmation page. The form's idempotency key makes
// a double click or a resubmitted form one payment: the repeat finds the
// first and goes to the same page. A payment identical to one made
// minutes ago (the browser's Back button after paying, then confirm) is
// made only when the review's "make a second payment" box is ticked:
// otherwise the review shows again, with the first payment and the box.
// A declined card or a processor that did not answer shows the review
// again with the reason, nothing paid; any other refusal (the balance
// changed, the date passed) goes back to the form with the message next
// to its field.
func handlePaymentCreate(pay *payments.Service, v *views, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r, "id")
		if !ok {
			notFound(w, r, v)
			return
		}
		_ = r.ParseForm() // a body over the limit reads as an empty form
		f := readPayForm(r.PostForm)
		cust := customerOf(r)
		req, errs := f.oneTime(id, webcore.ClientIP(r))
		if len(errs) == 0 {
			p, err := pay.Pay(r.Context(), cust, req)
			if err == nil {
				redirect(w, r, "/payments/"+p.Confirmation+"?done=1")
				return
			}
			if errors.Is(err, payments.ErrNotFound) {
				// The contract, or the method: the form says which.
				if _, cerr := pay.Options(r.Context(), cust, id); errors.Is(cerr, payments.ErrNotFound) {
					notFound(w, r, v)
					return
				}
			}
			var ok bool
			if errs, ok = oneTimeErrors(err, f); !ok {
				serverError(w, r, v, err)
				return
			}
			if errors.Is(err, payments.ErrDuplicatePayment) {
				// Nothing was written: the same form (and key) confirms it.
				if q, qerr := pay.Quote(r.Context(), cust, req); qerr == nil {
					renderPayReview(w, r, pay, v, http.StatusConflict, q, f, errs)
					return
				}
			}
			if errors.Is(err, payments.ErrCardDeclined) || errors.Is(err, payments.ErrProcessorTimeout) {
				if q, qerr := pay.Quote(r.Context(), cust, req); qerr == nil {
					f.Key = newKey()
					renderPayReview(w, r, pay, v, http.StatusPaymentRequired, q, f, errs)
					return
				}
			}
		}
		o, ok := loadOptions(w, r, pay, v, id)
		if !ok {
			return
		}
		f.Key = ""
		renderPayForm(w, r, v, http.StatusUnprocessableEntity, newPayFormData(o, f, pay, now()), errs)
	})
}
