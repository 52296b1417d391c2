package web

import (
	"errors"
	"net/http"
	"strings"

	"carfin/identity"
)

// handleForgotShow asks for the email and how to receive the reset: a
// link by email, or a code to the phone on file.
func handleForgotShow(v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := v.page(r, "forgot.title")
		p.Form["channel"] = "email"
		v.render(w, http.StatusOK, "forgot", p)
	})
}

// handleForgotSubmit sends the link or code if the account exists, and
// answers the same either way (429 for everyone past the request limits,
// which count addresses whether or not they have an account).
func handleForgotSubmit(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		email := strings.TrimSpace(r.PostFormValue("email"))
		bySMS := r.PostFormValue("channel") == "sms"
		p := v.page(r, "forgot.title")
		p.Form["email"] = email
		if email == "" || !strings.Contains(email, "@") {
			p.Errors["email"] = "err.email_required"
			v.render(w, http.StatusUnprocessableEntity, "forgot", p)
			return
		}
		c := v.client(w, r)
		throttled := func(err error) bool {
			if !errors.Is(err, identity.ErrThrottled) {
				return false
			}
			w.Header().Set("Retry-After", "3600")
			p.Errors[""] = "err.throttled"
			v.render(w, http.StatusTooManyRequests, "forgot", p)
			return true
		}
		if bySMS {
			if err := id.RequestResetCode(r.Context(), email, c); throttled(err) {
				return
			} else if err != nil {
				serverError(w, r, v, err)
				return
			}
			p := v.page(r, "reset.code_title")
			p.Form["email"] = email
			p.Notice = "forgot.sent_sms"
			v.render(w, http.StatusOK, "reset_code", p)
			return
		}
		if err := id.RequestPasswordReset(r.Context(), email, c); throttled(err) {
			return
		} else if err != nil {
			serverError(w, r, v, err)
			return
		}
		v.message(w, r, http.StatusOK, "forgot.title", "forgot.sent", "/login", "login.title")
	})
}
