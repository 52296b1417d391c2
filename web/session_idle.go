package web

import (
	"errors"
	"net/http"
	"strings"

	"carfin/identity"
	"carfin/webcore"
)

// handleIdleWarning tells a customer their session is about to end for
// inactivity. It is the warning without script: with script, app.js shows
// the warning as a dialog over the page instead, so that nothing typed
// is lost. Viewing it does not extend the session; "Stay signed in" does.
func handleIdleWarning(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ss, err := peekCustomerSession(r, id, v)
		if err != nil {
			redirect(w, r, "/login?ended="+endedParam(r, id, v, v.sessionToken(r)))
			return
		}
		p := v.page(r, "idle.title")
		p.Session = ss
		p.Form["next"] = webcore.SafeNext(r.URL.Query().Get("next"))
		p.Data = ss.IdleDeadline()
		v.render(w, http.StatusOK, "idle", p)
	})
}

// handleSessionExtend keeps the session alive and returns to the page;
// asked by the idle dialog's script (Accept: application/json), it
// answers with the time left instead ({"seconds": N}), and the page
// stays as it was. Cross-site requests are refused before it, as every
// POST is (routes.go).
func handleSessionExtend(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		script := strings.Contains(r.Header.Get("Accept"), "application/json")
		token := v.sessionToken(r)
		var ss *identity.Session
		err := id.Extend(r.Context(), token)
		if err == nil {
			ss, err = peekCustomerSession(r, id, v)
		}
		if err != nil && !errors.Is(err, identity.ErrNoSession) {
			if script {
				serverErrorJSON(w, r, v, "request failed", err)
				return
			}
			serverError(w, r, v, err)
			return
		}
		if err != nil {
			ended := endedParam(r, id, v, token)
			v.clearSession(w)
			if script {
				writeJSON(w, http.StatusUnauthorized, remaining{Ended: ended})
				return
			}
			redirect(w, r, "/login?ended="+ended)
			return
		}
		if script {
			writeJSON(w, http.StatusOK, remainingOf(ss, id.Now()))
			return
		}
		redirect(w, r, webcore.SafeNext(r.PostFormValue("next")))
	})
}
