package web

import (
	"errors"
	"net/http"
	"time"

	"carfin/payments"
)

// handlePaymentNew is the payment form of one of the customer's
// contracts: the amount (amount due, past due, payoff or another amount),
// the method and the date (the earliest a payment made now can take,
// given the cut-off, or a business day up to the next due date + 30
// days). Values come back from the review page's "change" link.
func handlePaymentNew(pay *payments.Service, v *views, now func() time.Time) http.Handler {
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
		renderPayForm(w, r, v, http.StatusOK, newPayFormData(o, readPayForm(r.URL.Query()), pay, now()), nil)
	})
}

// loadOptions reads what the payment form offers for a contract,
// answering 404 for another customer's contract and a message for a
// closed one. ok reports whether the caller may go on.
func loadOptions(w http.ResponseWriter, r *http.Request, pay *payments.Service, v *views, contractID int64) (payments.Options, bool) {
	o, err := pay.Options(r.Context(), customerOf(r), contractID)
	switch {
	case errors.Is(err, payments.ErrNotFound):
		notFound(w, r, v)
	case errors.Is(err, payments.ErrContractClosed):
		v.message(w, r, http.StatusConflict, "pay.title", "pay.err_closed", "/contracts/"+itoa(contractID), "pay.back_to_contract")
	case err != nil:
		serverError(w, r, v, err)
	default:
		return o, true
	}
	return o, false
}

// renderPayForm renders the payment form with errors next to its fields.
func renderPayForm(w http.ResponseWriter, r *http.Request, v *views, status int, d *payFormData, errs map[string]string) {
	p := v.page(r, "pay.title")
	p.Session = sessionOf(r)
	for k, e := range errs {
		p.Errors[k] = e
	}
	p.Data = d
	v.render(w, status, "pay_form", p)
}
