package web

import (
	"errors"
	"net/http"

	"carfin/identity"
)

// handlePasswordChange changes the password; the current one is required.
// Every other session ends and this one gets a new token.
func handlePasswordChange(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		current, next, confirm := r.PostFormValue("current"), r.PostFormValue("password"), r.PostFormValue("confirm")
		if next != confirm {
			renderSecurity(w, r, id, v, http.StatusUnprocessableEntity, map[string]string{"confirm": "err.password_mismatch"})
			return
		}
		iss, err := id.ChangePassword(r.Context(), v.sessionToken(r), current, next, v.client(w, r))
		if k := passwordErrorKey(err); k != "" {
			renderSecurity(w, r, id, v, http.StatusUnprocessableEntity, map[string]string{"password": k})
			return
		}
		switch {
		case errors.Is(err, identity.ErrInvalidCredentials):
			renderSecurity(w, r, id, v, http.StatusUnauthorized, map[string]string{"current": "err.password_wrong"})
			return
		case errors.Is(err, identity.ErrThrottled):
			renderSecurity(w, r, id, v, http.StatusTooManyRequests, map[string]string{"current": "err.throttled"})
			return
		case errors.Is(err, identity.ErrNoSession):
			ended := endedParam(r, id, v, v.sessionToken(r))
			v.clearSession(w)
			redirect(w, r, "/login?ended="+ended)
			return
		case err != nil:
			serverError(w, r, v, err)
			return
		}
		v.setSession(w, iss)
		redirect(w, r, "/security?notice=password")
	})
}
