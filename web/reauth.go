package web

import (
	"errors"
	"net/http"

	"carfin/identity"
)

// handleReauthShow asks for the password again before a sensitive action
// (changing the password or second factors), when the last proof is more
// than five minutes old.
func handleReauthShow(v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := v.page(r, "reauth.title")
		p.Session = sessionOf(r)
		p.Form["next"] = safeNext(r.URL.Query().Get("next"))
		v.render(w, http.StatusOK, "reauth", p)
	})
}

// handleReauthSubmit checks the password; the session gets a new token.
func handleReauthSubmit(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next := safeNext(r.PostFormValue("next"))
		iss, err := id.Reauthenticate(r.Context(), v.sessionToken(r), r.PostFormValue("password"), v.client(w, r))
		if errors.Is(err, identity.ErrInvalidCredentials) || errors.Is(err, identity.ErrThrottled) {
			p := v.page(r, "reauth.title")
			p.Session = sessionOf(r)
			p.Form["next"] = next
			p.Errors["password"] = "err.password_wrong"
			status := http.StatusUnauthorized
			if errors.Is(err, identity.ErrThrottled) {
				p.Errors["password"], status = "err.throttled", http.StatusTooManyRequests
			}
			v.render(w, status, "reauth", p)
			return
		}
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		v.setSession(w, iss)
		redirect(w, r, next)
	})
}
