package web

import (
	"errors"
	"net/http"

	"carfin/identity"
	"carfin/payments"
	"carfin/webcore"
)

// handleMethodRemoveShow asks to confirm removing a payment method. It
// needs a password check within the last five minutes.
func handleMethodRemoveShow(id *identity.Service, pay *payments.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, ok := loadMethod(w, r, pay, v)
		if !ok || !requireRecentAuth(w, r, id, r.URL.Path) {
			return
		}
		renderRemove(w, r, v, http.StatusOK, m, nil)
	})
}

func renderRemove(w http.ResponseWriter, r *http.Request, v *views, status int, m payments.Method, errs map[string]string) {
	p := v.page(r, "pay.remove_title")
	p.Session = sessionOf(r)
	for k, e := range errs {
		p.Errors[k] = e
	}
	p.Data = m
	v.render(w, status, "method_remove", p)
}

// handleMethodRemove removes the method. While autopay or a scheduled
// payment uses it the removal is refused, saying what to change first.
func handleMethodRemove(id *identity.Service, pay *payments.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, ok := loadMethod(w, r, pay, v)
		if !ok || !requireRecentAuth(w, r, id, r.URL.Path) {
			return
		}
		err := pay.RemoveMethod(r.Context(), customerOf(r), m.ID, webcore.ClientIP(r))
		switch {
		case errors.Is(err, payments.ErrMethodInUse):
			renderRemove(w, r, v, http.StatusConflict, m, map[string]string{"": "pay.err_method_in_use"})
		case errors.Is(err, payments.ErrNotFound):
			notFound(w, r, v)
		case err != nil:
			serverError(w, r, v, err)
		default:
			redirect(w, r, "/payment-methods?notice=removed")
		}
	})
}
