package console

import (
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"carfin/identity"
	"carfin/staff"
)

// enrolData is the enrolment page's: the authenticator's QR code and
// its secret for typing in, and the one-time link's token.
type enrolData struct {
	Token  string
	QR     template.URL
	Secret string
	Codes  []string
}

// handleEnrolShow is the page a new staff member's one-time link opens:
// choose a password and add an authenticator app, both at once.
func handleEnrolShow(st *staff.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.URL.Query().Get("token")
		p := v.page(r, "Set up your staff account")
		d, ok := enrolSetup(w, r, st, v, token)
		if !ok {
			return
		}
		p.Data = d
		v.render(w, http.StatusOK, "enrol", p)
	})
}

// enrolSetup reads the link's authenticator seed, or answers the page
// for a spent or unknown link.
func enrolSetup(w http.ResponseWriter, r *http.Request, st *staff.Service, v *views, token string) (enrolData, bool) {
	setup, err := st.EnrolmentTOTP(r.Context(), token)
	if errors.Is(err, staff.ErrTokenInvalid) || token == "" || len(token) > 128 {
		v.message(w, r, http.StatusNotFound, "This link does not work", "The enrolment link is wrong, used or expired. Ask an administrator to send a new one.")
		return enrolData{}, false
	}
	if err != nil {
		v.serverError(w, r, err)
		return enrolData{}, false
	}
	return enrolData{Token: token, Secret: setup.Secret,
		QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(setup.QRPNG))}, true
}

// handleEnrolSubmit sets the password and turns on the authenticator
// app, and shows the recovery codes once.
func handleEnrolSubmit(st *staff.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.PostFormValue("token")
		p := v.page(r, "Set up your staff account")
		d, ok := enrolSetup(w, r, st, v, token)
		if !ok {
			return
		}
		p.Data = d
		password, confirm := r.PostFormValue("password"), r.PostFormValue("confirm")
		code := strings.ReplaceAll(strings.TrimSpace(r.PostFormValue("code")), " ", "")
		if password == "" {
			p.Errors["password"] = "Choose a password."
		} else if password != confirm {
			p.Errors["confirm"] = "The two passwords are not the same."
		}
		if code == "" {
			p.Errors["code"] = "Enter the 6-digit code your authenticator app shows."
		}
		if len(p.Errors) > 0 {
			v.render(w, http.StatusUnprocessableEntity, "enrol", p)
			return
		}
		codes, err := st.Enrol(r.Context(), token, password, code, v.client(r))
		if msg := passwordError(err); msg != "" {
			p.Errors["password"] = msg
			v.render(w, http.StatusUnprocessableEntity, "enrol", p)
			return
		}
		switch {
		case errors.Is(err, identity.ErrInvalidCode):
			p.Errors["code"] = "That code is not right. Check the app's clock and enter the code it shows now."
			v.render(w, http.StatusUnprocessableEntity, "enrol", p)
			return
		case errors.Is(err, staff.ErrTokenInvalid):
			v.message(w, r, http.StatusNotFound, "This link does not work", "The enrolment link is wrong, used or expired. Ask an administrator to send a new one.")
			return
		case err != nil:
			v.serverError(w, r, err)
			return
		}
		p = v.page(r, "Your staff account is ready")
		p.Data = enrolData{Codes: codes}
		v.render(w, http.StatusOK, "enrolled", p)
	})
}

// passwordError is the message for a password the policy refuses.
func passwordError(err error) string {
	switch {
	case errors.Is(err, identity.ErrPasswordTooShort):
		return fmt.Sprintf("Use at least %d characters: a passphrase of a few words is easiest.", identity.PasswordMinWithSecondFactor)
	case errors.Is(err, identity.ErrPasswordTooLong):
		return fmt.Sprintf("Use at most %d characters.", identity.PasswordMaxChars)
	case errors.Is(err, identity.ErrPasswordCommon):
		return "That password is too common: it is on lists attackers try first."
	case errors.Is(err, identity.ErrPasswordPersonal):
		return "Do not use your name or email in the password."
	case errors.Is(err, identity.ErrPasswordInvalid):
		return "The password has characters that cannot be used."
	}
	return ""
}
