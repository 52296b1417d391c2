package web

import (
	"errors"
	"net/http"

	"carfin/identity"
)

// contactData is what the email and phone forms show.
type contactData struct {
	// Kind is identity.ContactEmail or identity.ContactPhone.
	Kind    string
	Current string
}

// renderContactForm renders the email or phone form with an error on
// field (a catalog key), if any.
func renderContactForm(w http.ResponseWriter, r *http.Request, v *views, status int, kind, value, errKey string) {
	ss := sessionOf(r)
	p := v.page(r, "profile."+kind+"_title")
	p.Session = ss
	d := contactData{Kind: kind, Current: ss.Login.Email}
	if kind == identity.ContactPhone {
		d.Current = ss.Login.Phone
	}
	p.Data = d
	p.Form[kind] = value
	if errKey != "" {
		p.Errors[kind] = errKey
	}
	v.render(w, status, "profile_contact", p)
}

// requireRecentAuth sends a customer who has not proved who they are in
// the last five minutes to re-authenticate, then back to next. It reports
// whether the request may go on.
func requireRecentAuth(w http.ResponseWriter, r *http.Request, id *identity.Service, next string) bool {
	if !sessionOf(r).RecentAuth(id.Now()) {
		redirect(w, r, reauthURL(next))
		return false
	}
	return true
}

// handleProfileEmailShow asks for the new email address (after
// re-authentication: the email is the username and a recovery channel).
func handleProfileEmailShow(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireRecentAuth(w, r, id, "/profile/email") {
			renderContactForm(w, r, v, http.StatusOK, identity.ContactEmail, "", "")
		}
	})
}

// handleProfileEmailRequest sends a code to the new address, then asks
// for it. Nothing changes until the code comes back.
func handleProfileEmailRequest(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		value := r.PostFormValue("email")
		err := id.RequestEmailChange(r.Context(), v.sessionToken(r), value, v.client(w, r))
		if handleContactRequestError(w, r, id, v, identity.ContactEmail, value, err) {
			redirect(w, r, "/profile/email/verify")
		}
	})
}

// handleContactRequestError answers a failed email or phone change
// request and reports whether it succeeded instead.
func handleContactRequestError(w http.ResponseWriter, r *http.Request, id *identity.Service, v *views, kind, value string, err error) bool {
	switch {
	case err == nil:
		return true
	case errors.Is(err, identity.ErrReauth):
		redirect(w, r, reauthURL("/profile/"+kind))
	case errors.Is(err, identity.ErrInvalidEmail), errors.Is(err, identity.ErrInvalidPhone):
		renderContactForm(w, r, v, http.StatusUnprocessableEntity, kind, value, "profile.err_"+kind+"_invalid")
	case errors.Is(err, identity.ErrSameContact):
		renderContactForm(w, r, v, http.StatusUnprocessableEntity, kind, value, "profile.err_"+kind+"_same")
	case errors.Is(err, identity.ErrThrottled):
		renderContactForm(w, r, v, http.StatusTooManyRequests, kind, value, "err.throttled")
	case errors.Is(err, identity.ErrNoSession):
		redirect(w, r, "/login?ended="+endedParam(r, id, v, v.sessionToken(r)))
	default:
		serverError(w, r, v, err)
	}
	return false
}
