package web

import (
	"net/http"

	"carfin/identity"
)

// handleProfilePhoneShow asks for the new mobile number (after
// re-authentication: sign-in and reset codes go to it).
func handleProfilePhoneShow(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireRecentAuth(w, r, id, "/profile/phone") {
			renderContactForm(w, r, v, http.StatusOK, identity.ContactPhone, "", "")
		}
	})
}

// handleProfilePhoneRequest texts a code to the new number, then asks
// for it. Nothing changes until the code comes back.
func handleProfilePhoneRequest(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		value := r.PostFormValue("phone")
		err := id.RequestPhoneChange(r.Context(), v.sessionToken(r), value, v.client(w, r))
		if handleContactRequestError(w, r, id, v, identity.ContactPhone, value, err) {
			redirect(w, r, "/profile/phone/verify")
		}
	})
}
