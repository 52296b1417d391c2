package web

import (
	"errors"
	"net/http"
	"regexp"
	"strings"

	"carfin/identity"
)

var (
	ssnLast4Pattern = regexp.MustCompile(`^[0-9]{4}$`)
	zipPattern      = regexp.MustCompile(`^[0-9]{5}(-[0-9]{4})?$`)
	datePattern     = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

// handleEnrolShow shows the first step of activating online access:
// account number, last four of the SSN, and date of birth or ZIP code.
func handleEnrolShow(v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v.render(w, http.StatusOK, "enrol", v.page(r, "enrol.title"))
	})
}

// handleEnrolSubmit checks the facts. Malformed fields are pointed out;
// otherwise every outcome shows the same "check your email" page.
func handleEnrolSubmit(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := v.page(r, "enrol.title")
		req := identity.EnrolRequest{
			AccountNumber: strings.TrimSpace(r.PostFormValue("account")),
			SSNLast4:      strings.TrimSpace(r.PostFormValue("ssn4")),
			BirthDate:     strings.TrimSpace(r.PostFormValue("dob")),
			ZIP:           strings.TrimSpace(r.PostFormValue("zip")),
		}
		p.Form["account"], p.Form["dob"], p.Form["zip"] = req.AccountNumber, req.BirthDate, req.ZIP
		if req.AccountNumber == "" || len(req.AccountNumber) > 32 {
			p.Errors["account"] = "err.account_required"
		}
		if !ssnLast4Pattern.MatchString(req.SSNLast4) {
			p.Errors["ssn4"] = "err.ssn4"
		}
		switch {
		case req.BirthDate != "" && !datePattern.MatchString(req.BirthDate):
			p.Errors["dob"] = "err.dob"
		case req.BirthDate == "" && req.ZIP == "":
			p.Errors["dob"] = "err.dob_or_zip"
		case req.BirthDate == "" && !zipPattern.MatchString(req.ZIP):
			p.Errors["zip"] = "err.zip"
		}
		if len(p.Errors) > 0 {
			v.render(w, http.StatusUnprocessableEntity, "enrol", p)
			return
		}
		err := id.StartEnrolment(r.Context(), req, v.client(w, r))
		if errors.Is(err, identity.ErrThrottled) {
			w.Header().Set("Retry-After", "3600")
			p.Errors[""] = "err.throttled"
			v.render(w, http.StatusTooManyRequests, "enrol", p)
			return
		}
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		v.message(w, r, http.StatusOK, "enrol.title", "enrol.sent", "/login", "login.title")
	})
}

// handleEnrolVerifyShow opens the emailed link: the username (the email
// on file) and a form to choose a password.
func handleEnrolVerifyShow(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.URL.Query().Get("token")
		email, err := id.EnrolmentEmail(r.Context(), token)
		if err != nil {
			v.message(w, r, http.StatusGone, "link.invalid_title", "link.invalid", "/enrol", "enrol.title")
			return
		}
		p := v.page(r, "enrol.password_title")
		p.Form["token"], p.Form["email"] = token, email
		v.render(w, http.StatusOK, "enrol_password", p)
	})
}

// handleEnrolVerifySubmit creates the login and signs in, then offers a
// second factor on the security page.
func handleEnrolVerifySubmit(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.PostFormValue("token")
		pw, confirm := r.PostFormValue("password"), r.PostFormValue("confirm")
		p := v.page(r, "enrol.password_title")
		p.Form["token"] = token
		email, err := id.EnrolmentEmail(r.Context(), token)
		if err != nil {
			v.message(w, r, http.StatusGone, "link.invalid_title", "link.invalid", "/enrol", "enrol.title")
			return
		}
		p.Form["email"] = email
		if pw != confirm {
			p.Errors["confirm"] = "err.password_mismatch"
			v.render(w, http.StatusUnprocessableEntity, "enrol_password", p)
			return
		}
		iss, err := id.CompleteEnrolment(r.Context(), token, pw, v.client(w, r))
		if k := passwordErrorKey(err); k != "" {
			p.Errors["password"] = k
			v.render(w, http.StatusUnprocessableEntity, "enrol_password", p)
			return
		}
		switch {
		case errors.Is(err, identity.ErrInvalidToken), errors.Is(err, identity.ErrExists):
			v.message(w, r, http.StatusGone, "link.invalid_title", "link.invalid", "/login", "login.title")
			return
		case errors.Is(err, identity.ErrThrottled):
			renderThrottled(w, v, "enrol_password", p)
			return
		case err != nil:
			serverError(w, r, v, err)
			return
		}
		v.setSession(w, iss)
		redirect(w, r, "/security?welcome=1")
	})
}
