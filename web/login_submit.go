package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"carfin/identity"
	"carfin/webcore"
)

// handleLoginSubmit checks the email and password. Every failure that
// could reveal whether an account exists (unknown email, wrong password,
// locked account) gets the same page with status 401; throttling gets 429.
// A session cookie sent before sign-in is replaced, never reused.
func handleLoginSubmit(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := v.page(r, "login.title")
		email := strings.TrimSpace(r.PostFormValue("email"))
		password := r.PostFormValue("password")
		next := webcore.SafeNext(r.PostFormValue("next"))
		p.Form["email"], p.Form["next"] = email, next
		if email == "" {
			p.Errors["email"] = "err.email_required"
		}
		if password == "" {
			p.Errors["password"] = "err.password_required"
		}
		if len(p.Errors) > 0 {
			v.render(w, http.StatusUnprocessableEntity, "login", p)
			return
		}
		res, err := id.PasswordLogin(r.Context(), identity.Customer, email, password, v.sessionToken(r), v.client(w, r))
		switch {
		case errors.Is(err, identity.ErrInvalidCredentials):
			p.Errors[""] = "err.login_invalid"
			v.render(w, http.StatusUnauthorized, "login", p)
			return
		case errors.Is(err, identity.ErrThrottled):
			w.Header().Set("Retry-After", "60")
			p.Errors[""] = "err.throttled"
			v.render(w, http.StatusTooManyRequests, "login", p)
			return
		case err != nil:
			serverError(w, r, v, err)
			return
		}
		v.setSession(w, res.Session)
		if res.NeedSecondFactor {
			redirect(w, r, "/login/2fa?"+url.Values{"next": {next}}.Encode())
			return
		}
		redirect(w, r, next)
	})
}
