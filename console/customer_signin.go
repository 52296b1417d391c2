package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"carfin/db"
	"carfin/identity"
	"carfin/notes"
)

// reasonOf reads a change's required reason; a missing one is a field
// error on p.
// field names the form's reason input ("reason-unlock").
func reasonOf(r *http.Request, p *page, field string) string {
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	p.Form[field] = reason
	if reason == "" {
		p.Errors[field] = "Say why (it goes into the audit log)."
	} else if len([]rune(reason)) > 500 {
		p.Errors[field] = "Keep the reason to 500 characters."
	}
	return reason
}

// signInAction is one action on a customer's sign-in: it needs the
// account open (a verified call or an opening for work) and a reason,
// and acts on the login the customer has — never on a login id sent in
// the form.
func signInAction(c Capabilities, d *db.DB, v *views, notice string, needLogin bool,
	act func(r *http.Request, cv customerView, loginID int64, reason string) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cv, ok := openCustomer(c, v, w, r)
		if !ok {
			return
		}
		p := v.page(r, cv.Name)
		field := "reason-" + notice
		reason := reasonOf(r, p, field)
		st, err := c.Identity.SignInState(r.Context(), cv.CustomerID)
		if err != nil {
			v.serverError(w, r, err)
			return
		}
		if needLogin && !st.Enrolled {
			p.Errors[""] = "The customer has no online access to act on."
		}
		if len(p.Errors) > 0 {
			renderCustomer(w, r, c, d, v, p, cv, http.StatusUnprocessableEntity)
			return
		}
		err = act(r, cv, st.LoginID, reason)
		switch {
		case errors.Is(err, identity.ErrReason):
			p.Errors[field] = "Say why, in at most 500 characters."
		case errors.Is(err, identity.ErrAlreadyEnrolled):
			p.Errors[""] = "The customer already has online access; there is nothing to invite them to."
		case errors.Is(err, identity.ErrInvalidEmail):
			p.Errors[""] = "The customer has no usable email on file. Update it first."
		case errors.Is(err, identity.ErrNotFound):
			p.Errors[""] = "The customer has no online access to act on."
		case err != nil:
			v.serverError(w, r, err)
			return
		}
		if len(p.Errors) > 0 {
			renderCustomer(w, r, c, d, v, p, cv, http.StatusUnprocessableEntity)
			return
		}
		done(w, r, customerPath(cv.CustomerID), notice)
	})
}

// handleLoginUnlock ends a lockout after the caller was verified.
func handleLoginUnlock(c Capabilities, d *db.DB, v *views) http.Handler {
	return signInAction(c, d, v, "unlocked", true, func(r *http.Request, _ customerView, loginID int64, reason string) error {
		return c.Identity.StaffUnlock(r.Context(), memberOf(r).LoginID, loginID, reason)
	})
}

// handleFactorReset resets the customer's two-step verification (lost
// phone); identity emails the customer and ends their sessions.
func handleFactorReset(c Capabilities, d *db.DB, v *views) http.Handler {
	return signInAction(c, d, v, "factor_reset", true, func(r *http.Request, _ customerView, loginID int64, reason string) error {
		return c.Identity.StaffResetSecondFactor(r.Context(), memberOf(r).LoginID, loginID, reason, v.client(r))
	})
}

// handleSessionsEnd signs the customer out everywhere.
func handleSessionsEnd(c Capabilities, d *db.DB, v *views) http.Handler {
	return signInAction(c, d, v, "sessions", true, func(r *http.Request, _ customerView, loginID int64, reason string) error {
		_, err := c.Identity.StaffEndSessions(r.Context(), memberOf(r).LoginID, loginID, reason)
		return err
	})
}

// handleEnrolmentInvite emails a customer without online access the
// invitation to set it up.
func handleEnrolmentInvite(c Capabilities, d *db.DB, v *views) http.Handler {
	return signInAction(c, d, v, "invite", false, func(r *http.Request, cv customerView, _ int64, reason string) error {
		return c.Identity.StaffSendEnrolmentInvite(r.Context(), memberOf(r).LoginID, cv.CustomerID, reason)
	})
}

// handleNoteAdd adds a note to the customer, or to one of their
// contracts.
func handleNoteAdd(c Capabilities, d *db.DB, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cv, ok := openCustomer(c, v, w, r)
		if !ok {
			return
		}
		p := v.page(r, cv.Name)
		body := strings.TrimSpace(r.PostFormValue("note"))
		p.Form["note"], p.Form["note_contract"] = body, r.PostFormValue("contract")
		var contractID int64
		if s := r.PostFormValue("contract"); s != "" {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil || !cv.HasContract(id) {
				p.Errors["note"] = "Choose one of the customer's contracts, or none."
			}
			contractID = id
		}
		if body == "" {
			p.Errors["note"] = "Write the note."
		}
		if len(p.Errors) == 0 {
			_, err := c.Notes.Add(r.Context(), memberOf(r).LoginID, cv.CustomerID, contractID, body)
			switch {
			case errors.Is(err, notes.ErrInvalid):
				p.Errors["note"] = "The note is too long or has characters that cannot be kept."
			case err != nil:
				v.serverError(w, r, err)
				return
			}
		}
		if len(p.Errors) > 0 {
			renderCustomer(w, r, c, d, v, p, cv, http.StatusUnprocessableEntity)
			return
		}
		done(w, r, customerPath(cv.CustomerID)+"#notes", "note")
	})
}
