package web

import (
	"net/http"

	"carfin/identity"
	"carfin/webcore"
)

// handleLogout ends the session on the server (the cookie alone would not
// be enough: a copied cookie must stop working too) and clears the cookie.
func handleLogout(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := id.Logout(r.Context(), v.sessionToken(r), identity.Client{IP: webcore.ClientIP(r)}); err != nil {
			serverError(w, r, v, err)
			return
		}
		v.clearSession(w)
		redirect(w, r, "/login?signed_out=1")
	})
}
