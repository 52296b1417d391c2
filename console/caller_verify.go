package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"carfin/calendar"
	"carfin/callers"
	"carfin/db"
	"carfin/webcore"
)

// handleVerifyShow is the page an agent starts a call on: the account
// number the caller gives and two of the three facts.
func handleVerifyShow(v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v.render(w, http.StatusOK, "verify", v.page(r, "Verify a caller"))
	})
}

// answersOf reads the verification form; field errors go into p.
func answersOf(r *http.Request, p *page) (account, callID string, a callers.Answers) {
	account = strings.TrimSpace(r.PostFormValue("account"))
	callID = strings.TrimSpace(r.PostFormValue("call"))
	a.ZIP = strings.TrimSpace(r.PostFormValue("zip"))
	a.SSNLast4 = strings.TrimSpace(r.PostFormValue("ssn4"))
	for _, f := range []string{"account", "call", "zip", "ssn4", "dob"} {
		p.Form[f] = strings.TrimSpace(r.PostFormValue(f))
	}
	if account == "" {
		p.Errors["account"] = "Enter the account number the caller gives."
	}
	if dob := p.Form["dob"]; dob != "" {
		d, err := calendar.Parse(dob)
		if err != nil {
			p.Errors["dob"] = "Enter the date of birth as a date, e.g. 1980-02-29."
		}
		a.BirthDate = d
	}
	given := 0
	for _, s := range []string{a.ZIP, a.SSNLast4, p.Form["dob"]} {
		if s != "" {
			given++
		}
	}
	if given < 2 {
		p.Errors["zip"] = "Ask for two of: the ZIP code, the last 4 of the SSN or tax ID, the date of birth."
	}
	if a.SSNLast4 != "" && (len(a.SSNLast4) != 4 || strings.Trim(a.SSNLast4, "0123456789") != "") {
		p.Errors["ssn4"] = "The last 4 of the SSN or tax ID are 4 digits."
	}
	return account, callID, a
}

// verifyMessage is the answer to a failed verification: it never says
// which answer was wrong, nor whether the account exists.
func verifyMessage(err error) string {
	switch {
	case errors.Is(err, callers.ErrThrottled):
		return "Too many failed verifications for this account or by you in the last hour. Do not discuss the account; offer a callback or a branch visit."
	case errors.Is(err, callers.ErrInvalid):
		return "An answer is too long to be right."
	}
	return "The caller could not be verified. Do not discuss the account. You may try the one-time code instead."
}

// handleVerifyCall verifies a caller from the call page and opens the
// account that passed.
func handleVerifyCall(c Capabilities, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := v.page(r, "Verify a caller")
		account, callID, a := answersOf(r, p)
		if len(p.Errors) > 0 {
			v.render(w, http.StatusUnprocessableEntity, "verify", p)
			return
		}
		ver, err := c.Callers.Verify(r.Context(), memberOf(r).LoginID, callID, account, a)
		if err != nil && !errors.Is(err, callers.ErrNotVerified) && !errors.Is(err, callers.ErrThrottled) && !errors.Is(err, callers.ErrInvalid) {
			v.serverError(w, r, err)
			return
		}
		if err != nil {
			p.Errors[""] = verifyMessage(err)
			v.render(w, http.StatusUnprocessableEntity, "verify", p)
			return
		}
		done(w, r, customerPath(ver.CustomerID), "verified")
	})
}

func customerPath(id int64) string { return Prefix + "/customers/" + strconv.FormatInt(id, 10) }

// handleCustomerVerify verifies the caller from the customer's page.
// Answers that pass for another customer's account open that account.
func handleCustomerVerify(c Capabilities, d *db.DB, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cv, ok := customerOf(c, v, w, r)
		if !ok {
			return
		}
		p := v.page(r, cv.Name)
		account, callID, a := answersOf(r, p)
		if len(p.Errors) > 0 {
			renderCustomer(w, r, c, d, v, p, cv, http.StatusUnprocessableEntity)
			return
		}
		ver, err := c.Callers.Verify(r.Context(), memberOf(r).LoginID, callID, account, a)
		if err != nil && !errors.Is(err, callers.ErrNotVerified) && !errors.Is(err, callers.ErrThrottled) && !errors.Is(err, callers.ErrInvalid) {
			v.serverError(w, r, err)
			return
		}
		if err != nil {
			p.Errors[""] = verifyMessage(err)
			renderCustomer(w, r, c, d, v, p, cv, http.StatusUnprocessableEntity)
			return
		}
		done(w, r, customerPath(ver.CustomerID), "verified")
	})
}

// handleVerifySendCode sends a one-time code to the customer's own
// verified email or phone on file, for the caller to read back.
func handleVerifySendCode(c Capabilities, d *db.DB, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cv, ok := customerOf(c, v, w, r)
		if !ok {
			return
		}
		p := v.page(r, cv.Name)
		channel := r.PostFormValue("channel")
		if channel != callers.ChannelEmail && channel != callers.ChannelSMS {
			p.Errors["channel"] = "Choose email or text message."
			renderCustomer(w, r, c, d, v, p, cv, http.StatusUnprocessableEntity)
			return
		}
		if len(cv.Accounts) == 0 {
			p.Errors["channel"] = "The customer has no account to verify against."
			renderCustomer(w, r, c, d, v, p, cv, http.StatusUnprocessableEntity)
			return
		}
		account := cv.Contact.AccountNumbers[cv.Accounts[0].ContractID]
		to, err := c.Callers.SendCode(r.Context(), memberOf(r).LoginID, strings.TrimSpace(r.PostFormValue("call")), account, channel)
		switch {
		case errors.Is(err, callers.ErrNoChannel):
			p.Errors["channel"] = "The customer has no verified address for that. Try the other, or the questions."
		case errors.Is(err, callers.ErrThrottled):
			p.Errors["channel"] = "Too many codes sent to this customer in the last hour."
		case err != nil:
			v.serverError(w, r, err)
			return
		}
		if len(p.Errors) > 0 {
			renderCustomer(w, r, c, d, v, p, cv, http.StatusUnprocessableEntity)
			return
		}
		p.Notice = "A code was sent to " + to + ". Ask the caller to read it back."
		p.Form["code_sent"] = "1"
		renderCustomer(w, r, c, d, v, p, cv, http.StatusOK)
	})
}

// handleVerifyCode checks the code the caller reads back.
func handleVerifyCode(c Capabilities, d *db.DB, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cv, ok := customerOf(c, v, w, r)
		if !ok {
			return
		}
		p := v.page(r, cv.Name)
		p.Form["code_sent"] = "1"
		code := strings.TrimSpace(r.PostFormValue("code"))
		if code == "" || len(cv.Accounts) == 0 {
			p.Errors["code"] = "Enter the code the caller reads back."
			renderCustomer(w, r, c, d, v, p, cv, http.StatusUnprocessableEntity)
			return
		}
		account := cv.Contact.AccountNumbers[cv.Accounts[0].ContractID]
		_, err := c.Callers.CheckCode(r.Context(), memberOf(r).LoginID, strings.TrimSpace(r.PostFormValue("call")), account, code)
		if err != nil && !errors.Is(err, callers.ErrNotVerified) && !errors.Is(err, callers.ErrThrottled) && !errors.Is(err, callers.ErrInvalid) {
			v.serverError(w, r, err)
			return
		}
		if err != nil {
			p.Errors["code"] = verifyMessage(err)
			renderCustomer(w, r, c, d, v, p, cv, http.StatusUnprocessableEntity)
			return
		}
		done(w, r, customerPath(cv.CustomerID), "verified")
	})
}

// handleCustomerOpen opens the account with no caller on the line, for
// back-office work, with the purpose and a reason recorded.
func handleCustomerOpen(c Capabilities, d *db.DB, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cv, ok := customerOf(c, v, w, r)
		if !ok {
			return
		}
		p := v.page(r, cv.Name)
		purpose, reason := r.PostFormValue("purpose"), strings.TrimSpace(r.PostFormValue("reason"))
		p.Form["purpose"], p.Form["reason"] = purpose, reason
		_, err := c.Callers.OpenForWork(r.Context(), memberOf(r).LoginID, cv.CustomerID, purpose, reason)
		if errors.Is(err, callers.ErrReason) {
			p.Errors["purpose"] = "Choose why you open the account; for other work, say what in the reason (at most 500 characters)."
			renderCustomer(w, r, c, d, v, p, cv, http.StatusUnprocessableEntity)
			return
		}
		if err != nil {
			v.serverError(w, r, err)
			return
		}
		done(w, r, customerPath(cv.CustomerID), "opened")
	})
}

// staffIP is the member's client address, for the audit log.
func staffIP(r *http.Request) string { return webcore.ClientIP(r) }
