package web

import (
	"errors"
	"net/http"

	"carfin/identity"
)

// verifyData is what the code form shows.
type verifyData struct {
	Kind    string
	Pending *identity.PendingContact
}

func renderVerify(w http.ResponseWriter, r *http.Request, id *identity.Service, v *views, status int, kind, errKey string) {
	ss := sessionOf(r)
	pending, err := id.PendingContactChange(r.Context(), ss.LoginID, kind)
	if err != nil {
		serverError(w, r, v, err)
		return
	}
	if pending == nil {
		// Nothing pending (expired, spent or never asked): start again.
		renderContactForm(w, r, v, http.StatusConflict, kind, "", "profile.err_code_expired")
		return
	}
	p := v.page(r, "profile.verify_"+kind+"_title")
	p.Session = ss
	p.Data = verifyData{Kind: kind, Pending: pending}
	if errKey != "" {
		p.Errors["code"] = errKey
	}
	v.render(w, status, "profile_verify", p)
}

// handleProfileEmailVerifyShow asks for the code sent to the new email.
func handleProfileEmailVerifyShow(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renderVerify(w, r, id, v, http.StatusOK, identity.ContactEmail, "")
	})
}

// handleProfilePhoneVerifyShow asks for the code texted to the new number.
func handleProfilePhoneVerifyShow(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renderVerify(w, r, id, v, http.StatusOK, identity.ContactPhone, "")
	})
}

// handleProfileEmailVerify changes the email (and so the username) when
// the code is right; the old address is told, with a link to undo it.
func handleProfileEmailVerify(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := id.ConfirmEmailChange(r.Context(), v.sessionToken(r), r.PostFormValue("code"), v.client(w, r))
		verified(w, r, id, v, identity.ContactEmail, err)
	})
}

// handleProfilePhoneVerify changes the phone when the code is right; the
// email gets a security alert.
func handleProfilePhoneVerify(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := id.ConfirmPhoneChange(r.Context(), v.sessionToken(r), r.PostFormValue("code"), v.client(w, r))
		verified(w, r, id, v, identity.ContactPhone, err)
	})
}

func verified(w http.ResponseWriter, r *http.Request, id *identity.Service, v *views, kind string, err error) {
	switch {
	case err == nil:
		redirect(w, r, "/profile?notice="+kind)
	case errors.Is(err, identity.ErrInvalidCode):
		renderVerify(w, r, id, v, http.StatusUnprocessableEntity, kind, "err.code_invalid")
	case errors.Is(err, identity.ErrNotFound):
		renderContactForm(w, r, v, http.StatusConflict, kind, "", "profile.err_code_expired")
	case errors.Is(err, identity.ErrEmailTaken):
		renderContactForm(w, r, v, http.StatusConflict, kind, "", "profile.err_email_taken")
	case errors.Is(err, identity.ErrNoSession):
		redirect(w, r, "/login?ended="+endedParam(r, id, v, v.sessionToken(r)))
	default:
		serverError(w, r, v, err)
	}
}
