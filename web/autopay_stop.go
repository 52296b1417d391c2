package web

import (
	"errors"
	"net/http"
	"time"

	"carfin/payments"
	"carfin/profile"
	"carfin/servicing"
	"carfin/webcore"
)

// handleAutopayStopShow asks to confirm stopping autopay, saying which
// debit, if any, is already set and still goes out (a stop applies until
// three business days before a debit, Reg E 1005.10(c)).
func handleAutopayStopShow(sv *servicing.Service, pay *payments.Service, pr *profile.Service, v *views, now func() time.Time) http.Handler {
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
		renderAutopay(w, r, v, http.StatusOK, "autopay_stop", "pay.autopay_stop_title", d, nil)
	})
}

// handleAutopayStop stops autopay. The autopay page then lists a debit
// already set that still goes out, in words.
func handleAutopayStop(sv *servicing.Service, pay *payments.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := loadContractRef(w, r, sv, v)
		if !ok {
			return
		}
		_, err := pay.StopAutopay(r.Context(), customerOf(r), c.ID, webcore.ClientIP(r))
		if err != nil && !errors.Is(err, payments.ErrNotFound) { // already stopped: the page says so
			serverError(w, r, v, err)
			return
		}
		redirect(w, r, "/contracts/"+itoa(c.ID)+"/autopay?notice=stopped")
	})
}
