package web

import (
	"net/http"

	"carfin/identity"
)

// handleIdleWarning tells a customer their session is about to end for
// inactivity (app.js opens it a minute before; it works without script
// too). Viewing it does not extend the session; "Stay signed in" does.
func handleIdleWarning(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ss, err := id.PeekSession(r.Context(), v.sessionToken(r))
		if err != nil {
			redirect(w, r, "/login?timeout=1")
			return
		}
		p := v.page(r, "idle.title")
		p.Session = ss
		p.Form["next"] = safeNext(r.URL.Query().Get("next"))
		p.Data = ss.IdleDeadline()
		v.render(w, http.StatusOK, "idle", p)
	})
}

// handleSessionExtend keeps the session alive and returns to the page.
func handleSessionExtend(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := id.Extend(r.Context(), v.sessionToken(r)); err != nil {
			v.clearSession(w)
			redirect(w, r, "/login?timeout=1")
			return
		}
		redirect(w, r, safeNext(r.PostFormValue("next")))
	})
}
