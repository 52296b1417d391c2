package web

import (
	"errors"
	"net/http"

	"carfin/identity"
)

// handleEmailRevertShow is where the "this wasn't me" link of an email
// change leads (signed out: the old address's owner may have lost the
// account): it explains what undoing does and asks to confirm, so that a
// mail scanner opening the link changes nothing.
func handleEmailRevertShow(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.URL.Query().Get("token")
		if err := id.CheckEmailRevert(r.Context(), token); err != nil {
			if errors.Is(err, identity.ErrInvalidToken) {
				v.message(w, r, http.StatusGone, "link.invalid_title", "link.invalid", "/login", "login.title")
				return
			}
			serverError(w, r, v, err)
			return
		}
		p := v.page(r, "profile.revert_title")
		p.Form["token"] = token
		v.render(w, http.StatusOK, "profile_email_revert", p)
	})
}

// handleEmailRevertSubmit undoes the email change: the old address is
// back, every session ends and a password reset link goes to it.
func handleEmailRevertSubmit(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := id.RevertEmailChange(r.Context(), r.PostFormValue("token"), v.client(w, r))
		switch {
		case errors.Is(err, identity.ErrInvalidToken):
			v.message(w, r, http.StatusGone, "link.invalid_title", "link.invalid", "/login", "login.title")
		case errors.Is(err, identity.ErrEmailTaken):
			v.message(w, r, http.StatusConflict, "profile.revert_title", "profile.revert_taken", "/contact", "contact.title")
		case err != nil:
			serverError(w, r, v, err)
		default:
			v.clearSession(w)
			v.message(w, r, http.StatusOK, "profile.revert_title", "profile.revert_done", "/login", "login.title")
		}
	})
}
