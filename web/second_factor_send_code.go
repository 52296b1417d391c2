package web

import (
	"errors"
	"net/http"
	"net/url"

	"carfin/identity"
	"carfin/webcore"
)

// handleSecondFactorSendCode sends a one-time sign-in code by email or,
// when the customer has a phone on file, by text message.
func handleSecondFactorSendCode(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bySMS := r.PostFormValue("channel") == "sms"
		next := webcore.SafeNext(r.PostFormValue("next"))
		err := id.SendLoginCode(r.Context(), v.sessionToken(r), bySMS, v.client(w, r))
		switch {
		case errors.Is(err, identity.ErrNoSession):
			redirect(w, r, "/login?restart=1")
			return
		case errors.Is(err, identity.ErrThrottled):
			v.message(w, r, http.StatusTooManyRequests, "twofa.title", "err.codes_exhausted", "/login", "login.title")
			return
		case err != nil:
			serverError(w, r, v, err)
			return
		}
		sent := "email"
		if bySMS {
			sent = "sms"
		}
		redirect(w, r, "/login/2fa?"+url.Values{"sent": {sent}, "next": {next}}.Encode())
	})
}
