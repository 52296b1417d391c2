package web

import (
	"context"
	"net/http"

	"carfin/identity"
)

// withSessionPeek lets everyone through and, for a signed-in customer,
// puts the session where sessionOf finds it, so that a page open to all
// — an unknown path's "not found" — shows the signed-in navigation to a
// customer who is signed in. It peeks (identity.PeekSession): a wrong
// address or a stale bookmark neither keeps an idle session alive nor
// sends anyone to sign in; a session that ended, a half-finished sign-in
// or a staff session is simply no one, and so is a session the database
// could not read (the page is a 404 all the same).
func withSessionPeek(id *identity.Service, v *views) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if token := v.sessionToken(r); token != "" && sessionOf(r) == nil {
				if ss, err := id.PeekSession(r.Context(), token); err == nil && ss.Login.Realm == identity.Customer {
					r = r.WithContext(context.WithValue(r.Context(), ctxSessionKey{}, ss))
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// handleNotFound is the page for every unknown path.
func handleNotFound(v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v.message(w, r, http.StatusNotFound, "notfound.title", "notfound.text", "/", "nav.home")
	})
}
