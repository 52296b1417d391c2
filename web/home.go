package web

import "net/http"

// handleHome is the signed-in landing page. The portal's dashboard
// (issue 5) replaces it; for now it greets the customer and offers the
// security settings and sign-out.
func handleHome(v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := v.page(r, "home.title")
		p.Session = sessionOf(r)
		v.render(w, http.StatusOK, "home", p)
	})
}
