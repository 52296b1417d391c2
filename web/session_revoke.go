package web

import (
	"errors"
	"net/http"
	"strconv"

	"carfin/identity"
	"carfin/webcore"
)

// handleSessionRevoke signs out one of the customer's sessions. Signing
// out the current one is a sign-out.
func handleSessionRevoke(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sid, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			handleNotFound(v).ServeHTTP(w, r)
			return
		}
		ss := sessionOf(r)
		err = id.RevokeSession(r.Context(), ss, sid, identity.Client{IP: webcore.ClientIP(r)})
		switch {
		case errors.Is(err, identity.ErrNotFound):
			handleNotFound(v).ServeHTTP(w, r)
		case err != nil:
			serverError(w, r, v, err)
		case sid == ss.ID:
			v.clearSession(w)
			redirect(w, r, "/login?signed_out=1")
		default:
			redirect(w, r, "/security?notice=revoked")
		}
	})
}

// handleSessionRevokeAll signs out everywhere: every session, this one
// included unless "keep" is set (sign out other devices). It asks for
// the password first unless given within the last few minutes.
func handleSessionRevokeAll(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keep := r.PostFormValue("keep") == "on"
		err := id.RevokeOtherSessions(r.Context(), v.sessionToken(r), keep, identity.Client{IP: webcore.ClientIP(r)})
		if errors.Is(err, identity.ErrReauth) {
			redirect(w, r, reauthURL("/security")+"&purpose=signout_all")
			return
		}
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		if keep {
			redirect(w, r, "/security?notice=revoked_all")
			return
		}
		v.clearSession(w)
		redirect(w, r, "/login?signed_out=1")
	})
}
