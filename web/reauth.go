package web

import (
	"errors"
	"net/http"
	"strings"

	"carfin/identity"
	"carfin/webcore"
)

// reauthPurposes are what a customer may be asked for their password
// before, each with the sentence the page says it with. The page must
// say what the customer is about to do: a generic "before changing how
// you sign in" when they are adding a bank account reads like someone
// else's request.
var reauthPurposes = map[string]string{
	"signin":        "reauth.for_signin",
	"totp":          "reauth.for_totp",
	"bank":          "reauth.for_bank",
	"card":          "reauth.for_card",
	"method_remove": "reauth.for_method_remove",
	"email":         "reauth.for_email",
	"phone":         "reauth.for_phone",
	"signout_all":   "reauth.for_signout_all",
}

// reauthPurposeOf is the purpose of a re-authentication: the purpose
// parameter when it names one of reauthPurposes, else the one the next
// path belongs to, else "" (the page then says only "to continue").
func reauthPurposeOf(purpose, next string) string {
	if _, ok := reauthPurposes[purpose]; ok {
		return purpose
	}
	path, _, _ := strings.Cut(next, "?")
	switch {
	case path == "/security/totp":
		return "totp"
	case path == "/security" || strings.HasPrefix(path, "/security/"):
		return "signin"
	case path == "/payment-methods/bank/new" || path == "/payment-methods/bank":
		return "bank"
	case path == "/payment-methods/card/new" || path == "/payment-methods/card":
		return "card"
	case strings.HasPrefix(path, "/payment-methods/") && strings.HasSuffix(path, "/remove"):
		return "method_remove"
	case path == "/profile/email" || strings.HasPrefix(path, "/profile/email/"):
		return "email"
	case path == "/profile/phone" || strings.HasPrefix(path, "/profile/phone/"):
		return "phone"
	}
	return ""
}

// reauthIntro is the page's sentence for a purpose.
func reauthIntro(purpose string) string {
	if k, ok := reauthPurposes[purpose]; ok {
		return k
	}
	return "reauth.intro"
}

// reauthPage is the re-authentication page for next and purpose (both
// already checked).
func reauthPage(r *http.Request, v *views, next, purpose string) *page {
	p := v.page(r, "reauth.title")
	p.Session = sessionOf(r)
	p.Form["next"] = next
	p.Form["purpose"] = purpose
	p.Data = reauthIntro(purpose)
	return p
}

// handleReauthShow asks for the password again before a sensitive action
// (changing how the customer signs in or is reached, adding or removing a
// way to pay), when the last proof is more than five minutes old. The
// page says which action: from ?purpose= when it is a known one, else
// from the path it returns to.
func handleReauthShow(v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next := webcore.SafeNext(r.URL.Query().Get("next"))
		p := reauthPage(r, v, next, reauthPurposeOf(r.URL.Query().Get("purpose"), next))
		v.render(w, http.StatusOK, "reauth", p)
	})
}

// handleReauthSubmit checks the password; the session gets a new token.
func handleReauthSubmit(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next := webcore.SafeNext(r.PostFormValue("next"))
		iss, err := id.Reauthenticate(r.Context(), v.sessionToken(r), r.PostFormValue("password"), v.client(w, r))
		if errors.Is(err, identity.ErrInvalidCredentials) || errors.Is(err, identity.ErrThrottled) {
			p := reauthPage(r, v, next, reauthPurposeOf(r.PostFormValue("purpose"), next))
			p.Errors["password"] = "err.password_wrong"
			status := http.StatusUnauthorized
			if errors.Is(err, identity.ErrThrottled) {
				p.Errors["password"], status = "err.throttled", http.StatusTooManyRequests
			}
			v.render(w, status, "reauth", p)
			return
		}
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		v.setSession(w, iss)
		redirect(w, r, next)
	})
}
