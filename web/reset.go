package web

import (
	"errors"
	"net/http"
	"strings"

	"carfin/identity"
)

// handleResetShow opens an emailed reset link: a form for the new
// password, or "this link has expired" for a used, expired or superseded one.
func handleResetShow(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.URL.Query().Get("token")
		if err := id.CheckToken(r.Context(), "reset", token); err != nil {
			v.message(w, r, http.StatusGone, "link.invalid_title", "link.invalid", "/forgot", "forgot.title")
			return
		}
		p := v.page(r, "reset.title")
		p.Form["token"] = token
		v.render(w, http.StatusOK, "reset", p)
	})
}

// handleResetSubmit sets the new password. It does not sign in: the
// customer signs in next, with their second factor if they have one.
func handleResetSubmit(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.PostFormValue("token")
		pw, confirm := r.PostFormValue("password"), r.PostFormValue("confirm")
		p := v.page(r, "reset.title")
		p.Form["token"] = token
		if pw != confirm {
			p.Errors["confirm"] = "err.password_mismatch"
			v.render(w, http.StatusUnprocessableEntity, "reset", p)
			return
		}
		err := id.ResetPassword(r.Context(), token, pw, v.client(w, r))
		if k := passwordErrorKey(err); k != "" {
			p.Errors["password"] = k
			v.render(w, http.StatusUnprocessableEntity, "reset", p)
			return
		}
		switch {
		case errors.Is(err, identity.ErrInvalidToken):
			v.message(w, r, http.StatusGone, "link.invalid_title", "link.invalid", "/forgot", "forgot.title")
			return
		case errors.Is(err, identity.ErrThrottled):
			renderThrottled(w, v, "reset", p)
			return
		case err != nil:
			serverError(w, r, v, err)
			return
		}
		v.clearSession(w)
		redirect(w, r, "/login?reset=1")
	})
}

// handleResetCodeShow shows the form for a reset code sent by text.
func handleResetCodeShow(v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v.render(w, http.StatusOK, "reset_code", v.page(r, "reset.code_title"))
	})
}

// handleResetCodeSubmit sets the new password with the texted code.
func handleResetCodeSubmit(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		email := strings.TrimSpace(r.PostFormValue("email"))
		code := strings.TrimSpace(r.PostFormValue("code"))
		pw, confirm := r.PostFormValue("password"), r.PostFormValue("confirm")
		p := v.page(r, "reset.code_title")
		p.Form["email"] = email
		if pw != confirm {
			p.Errors["confirm"] = "err.password_mismatch"
			v.render(w, http.StatusUnprocessableEntity, "reset_code", p)
			return
		}
		err := id.ResetPasswordWithCode(r.Context(), email, code, pw, v.client(w, r))
		if k := passwordErrorKey(err); k != "" {
			p.Errors["password"] = k
			v.render(w, http.StatusUnprocessableEntity, "reset_code", p)
			return
		}
		switch {
		case errors.Is(err, identity.ErrInvalidCode):
			p.Errors["code"] = "err.code_invalid"
			v.render(w, http.StatusUnauthorized, "reset_code", p)
			return
		case errors.Is(err, identity.ErrThrottled):
			renderThrottled(w, v, "reset_code", p)
			return
		case err != nil:
			serverError(w, r, v, err)
			return
		}
		v.clearSession(w)
		redirect(w, r, "/login?reset=1")
	})
}

// renderThrottled answers a form whose password could not be hashed now
// (the server's password hashing is at capacity): the form again, with a
// request to retry shortly, and nothing changed.
func renderThrottled(w http.ResponseWriter, v *views, tmpl string, p *page) {
	w.Header().Set("Retry-After", "60")
	p.Errors[""] = "err.throttled"
	v.render(w, http.StatusTooManyRequests, tmpl, p)
}
