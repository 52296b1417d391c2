package web

import (
	"net/http"

	"carfin/webcore"
)

// handleLoginShow shows the sign-in form: email and password, a passkey
// button (with JavaScript), and links to recovery and enrolment.
func handleLoginShow(v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := v.page(r, "login.title")
		p.Form["next"] = webcore.SafeNext(r.URL.Query().Get("next"))
		switch {
		case r.URL.Query().Has("ended"):
			p.Notice = endedNotice(r.URL.Query().Get("ended"))
		case r.URL.Query().Get("timeout") != "":
			p.Notice = "login.timed_out"
		case r.URL.Query().Get("signed_out") != "":
			p.Notice = "login.signed_out"
		case r.URL.Query().Get("reset") != "":
			p.Notice = "reset.done"
		case r.URL.Query().Get("restart") != "":
			p.Notice = "login.restart"
		}
		v.render(w, http.StatusOK, "login", p)
	})
}
