package web

import (
	"errors"
	"net/http"

	"carfin/identity"
	"carfin/webcore"
)

// Links in emails open a page with a button: a GET never changes
// anything, because mail scanners follow links.

// handleUnlockShow opens the unlock link from the lockout email.
func handleUnlockShow(id *identity.Service, v *views) http.Handler {
	return confirmPage(id, v, "unlock", "unlock.title", "unlock.text", "unlock.button", "/unlock")
}

// handleUnlockSubmit ends the lockout.
func handleUnlockSubmit(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := id.Unlock(r.Context(), r.PostFormValue("token"), identity.Client{IP: webcore.ClientIP(r)})
		linkResult(w, r, v, err, "unlock.title", "unlock.done")
	})
}

// handleWasntMeShow opens the "this wasn't me" link of an alert.
func handleWasntMeShow(id *identity.Service, v *views) http.Handler {
	return confirmPage(id, v, "wasnt_me", "wasntme.title", "wasntme.text", "wasntme.button", "/wasnt-me")
}

// handleWasntMeSubmit signs out every device, invalidates the password
// and emails a reset link.
func handleWasntMeSubmit(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := id.WasntMe(r.Context(), r.PostFormValue("token"), v.client(w, r))
		if err == nil {
			v.clearSession(w)
		}
		linkResult(w, r, v, err, "wasntme.title", "wasntme.done")
	})
}

func confirmPage(id *identity.Service, v *views, purpose, title, text, button, action string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.URL.Query().Get("token")
		if err := id.CheckToken(r.Context(), purpose, token); err != nil {
			v.message(w, r, http.StatusGone, "link.invalid_title", "link.invalid", "/login", "login.title")
			return
		}
		p := v.page(r, title)
		p.Form["token"] = token
		p.Data = map[string]string{"Text": text, "Button": button, "Action": action}
		v.render(w, http.StatusOK, "confirm", p)
	})
}

func linkResult(w http.ResponseWriter, r *http.Request, v *views, err error, title, done string) {
	switch {
	case errors.Is(err, identity.ErrInvalidToken):
		v.message(w, r, http.StatusGone, "link.invalid_title", "link.invalid", "/login", "login.title")
	case err != nil:
		serverError(w, r, v, err)
	default:
		v.message(w, r, http.StatusOK, title, done, "/login", "login.title")
	}
}
