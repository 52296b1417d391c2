package web

import (
	"errors"
	"net/http"
	"time"

	"carfin/payments"
	"carfin/webcore"
)

// cancelData is what the cancel page shows.
type cancelData struct {
	P   payments.Payment
	Loc *time.Location
}

// handlePaymentCancelShow asks to confirm the cancellation of a scheduled
// payment, or says it is too late.
func handlePaymentCancelShow(pay *payments.Service, v *views, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pm, ok := loadPayment(w, r, pay, v)
		if !ok {
			return
		}
		if !pm.Editable(now()) || pm.Kind != payments.OneTimePayment {
			lockedPage(w, r, v, pm)
			return
		}
		p := v.page(r, "pay.cancel_title")
		p.Session = sessionOf(r)
		p.Data = cancelData{P: pm, Loc: pay.Config().Cutoff.Location}
		v.render(w, http.StatusOK, "payment_cancel", p)
	})
}

// handlePaymentCancel cancels a scheduled payment until the cut-off of
// the business day before it goes out; after that the refusal says when
// changes closed.
func handlePaymentCancel(pay *payments.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pm, ok := loadPayment(w, r, pay, v)
		if !ok {
			return
		}
		_, err := pay.CancelPayment(r.Context(), customerOf(r), pm.ID, webcore.ClientIP(r))
		switch {
		case errors.Is(err, payments.ErrLocked):
			lockedPage(w, r, v, pm)
		case err != nil:
			serverError(w, r, v, err)
		default:
			redirect(w, r, "/payments/"+pm.Confirmation+"?notice=cancelled")
		}
	})
}
