package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"carfin/calendar"
	"carfin/callers"
	"carfin/casefile"
	"carfin/payments"
	"carfin/servicing"
)

// A payment by phone (payments.TakePhonePayment) is taken in three
// steps: the form (amount, date, one of the customer's validated bank
// accounts), the review, where the agent reads the TEL authorization
// script aloud (Nacha 2.5.15) and ticks that the customer said yes, and
// the confirmation number read back. It needs the customer on a call
// the member verified (callers.Active): an opening for back-office work
// does not authorize a debit. The form carries an idempotency key, so
// that a second submit returns the first payment.

// phoneData is what the phone payment pages show.
type phoneData struct {
	C       customerView
	Account casefile.Account
	Owed    servicing.Summary
	Call    callers.Verification
	// Methods are the customer's bank accounts; those that cannot pay now
	// are listed with why.
	Methods []phoneMethod
	Script  payments.PhoneScript
	// Duplicate: the same payment was made minutes ago; ticking Again
	// makes a second one.
	Duplicate bool
	Payment   payments.Payment
}

// phoneMethod is a bank account offered for the payment.
type phoneMethod struct {
	payments.Method
	Unusable string
}

// phoneForm is the payment as the forms carry it.
type phoneForm struct {
	Amount, Date, Method, Lang, Key, Script string
	Authorized, Again                       bool
}

func readPhoneForm(r *http.Request) phoneForm {
	return phoneForm{Amount: strings.TrimSpace(r.PostFormValue("amount")), Date: strings.TrimSpace(r.PostFormValue("date")),
		Method: r.PostFormValue("method"), Lang: r.PostFormValue("lang"), Key: r.PostFormValue("key"),
		Script: r.PostFormValue("script"), Authorized: r.PostFormValue("authorized") == "yes", Again: r.PostFormValue("again") == "yes"}
}

func (f phoneForm) values() map[string]string {
	return map[string]string{"amount": f.Amount, "date": f.Date, "method": f.Method, "lang": f.Lang, "key": f.Key, "script": f.Script}
}

// request reads the form into a payment on contractID on call (errs:
// the fields that do not parse).
func (f phoneForm) request(contractID int64, call callers.Verification, ip string) (payments.PhonePayment, map[string]string) {
	errs := map[string]string{}
	req := payments.PhonePayment{ContractID: contractID, Lang: "en", VerificationID: call.ID, ScriptSHA256: f.Script,
		AuthorizedByCaller: f.Authorized, IdempotencyKey: f.Key, Again: f.Again, IP: ip}
	if f.Lang == "es" {
		req.Lang = "es"
	}
	a, err := parseDollars(f.Amount, false)
	if err != nil || a <= 0 {
		errs["amount"] = "Enter the amount in dollars and cents, like 250.00."
	}
	req.AmountCents = a
	if f.Date != "" {
		d, err := calendar.Parse(f.Date)
		if err != nil {
			errs["date"] = "Enter the date as YYYY-MM-DD, or leave it empty for the earliest."
		}
		req.Date = d
	}
	id, err := strconv.ParseInt(f.Method, 10, 64)
	if err != nil || id <= 0 {
		errs["method"] = "Choose the bank account to debit."
	}
	req.MethodID = id
	return req, errs
}

// phoneCall opens the customer and contract of the path for a payment
// by phone: the account must be open to the member and the caller
// verified by the member on this call (403 and why otherwise).
func phoneCall(w http.ResponseWriter, r *http.Request, c Capabilities, v *views) (*phoneData, bool) {
	cv, ok := openCustomer(c, v, w, r)
	if !ok {
		return nil, false
	}
	contractID, ok := contractOf(cv, v, w, r)
	if !ok {
		return nil, false
	}
	call, verified, err := c.Callers.Active(r.Context(), memberOf(r).LoginID, cv.CustomerID)
	if err != nil {
		v.serverError(w, r, err)
		return nil, false
	}
	if !verified {
		v.message(w, r, http.StatusForbidden, "Verify the caller first",
			"A payment by phone needs the customer on a call you verified: an account opened for back-office work cannot authorize a debit. Verify the caller on the customer's page, then take the payment.")
		return nil, false
	}
	d := &phoneData{C: cv, Call: call}
	for _, a := range cv.Accounts {
		if a.ContractID == contractID {
			d.Account = a
		}
	}
	if d.Owed, err = c.Servicing.Owed(r.Context(), c.Servicing.DB().Read, contractID, c.Servicing.Today()); err != nil {
		v.serverError(w, r, err)
		return nil, false
	}
	ms, err := c.Payments.Methods(r.Context(), cv.CustomerID)
	if err != nil {
		v.serverError(w, r, err)
		return nil, false
	}
	today := c.Servicing.Today()
	for _, m := range ms {
		if m.Kind != payments.KindBank || m.Status == payments.MethodRemoved {
			continue
		}
		pm := phoneMethod{Method: m}
		if err := m.Usable(today); err != nil {
			pm.Unusable = phoneMessage(err)
		}
		d.Methods = append(d.Methods, pm)
	}
	return d, true
}

// handlePhoneForm shows the payment form, with a fresh idempotency key.
func handlePhoneForm(c Capabilities, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, ok := phoneCall(w, r, c, v)
		if !ok {
			return
		}
		f := map[string]string{"key": formKey(), "lang": "en"}
		for _, m := range d.Methods {
			if m.Unusable == "" {
				f["method"] = strconv.FormatInt(m.ID, 10)
				break
			}
		}
		renderPhone(w, r, v, http.StatusOK, "phone_form", d, f, nil)
	})
}

func renderPhone(w http.ResponseWriter, r *http.Request, v *views, status int, name string, d *phoneData, form, errs map[string]string) {
	p := v.page(r, "Payment by phone")
	for k, e := range errs {
		p.Errors[k] = e
	}
	for k, val := range form {
		p.Form[k] = val
	}
	p.Data = d
	v.render(w, status, name, p)
}

// phoneErrorField maps what payments refused in a payment by phone to
// the form field it is about ("" for the form; ok false: a server error).
func phoneErrorField(err error) (field string, ok bool) {
	switch {
	case errors.Is(err, payments.ErrAmount), errors.Is(err, payments.ErrOverPayoff):
		return "amount", true
	case errors.Is(err, payments.ErrDate):
		return "date", true
	case errors.Is(err, payments.ErrNotValidated), errors.Is(err, payments.ErrMethodUnusable), errors.Is(err, payments.ErrBankOnly),
		errors.Is(err, payments.ErrCardExpired), errors.Is(err, payments.ErrNotFound):
		return "method", true
	case errors.Is(err, payments.ErrContractClosed), errors.Is(err, payments.ErrCallerNotVerified), errors.Is(err, payments.ErrNoPhone),
		errors.Is(err, payments.ErrNotStaff), errors.Is(err, payments.ErrIdempotencyConflict), errors.Is(err, payments.ErrDuplicatePayment),
		errors.Is(err, payments.ErrScriptChanged), errors.Is(err, payments.ErrCallerDeclined):
		return "", true
	}
	return "", false
}

// phoneMessage is what the console says of a refusal.
func phoneMessage(err error) string {
	switch {
	case errors.Is(err, payments.ErrAmount):
		return "Enter an amount above zero, in dollars and cents."
	case errors.Is(err, payments.ErrOverPayoff):
		return "The amount is more than the payoff: take at most the payoff amount."
	case errors.Is(err, payments.ErrDate):
		return "A payment cannot be made on that date: choose a business day from the earliest date on, within the allowed window."
	case errors.Is(err, payments.ErrNotValidated):
		return "This bank account is not validated yet: it can pay once the small deposits or the prenote confirm it."
	case errors.Is(err, payments.ErrCardExpired), errors.Is(err, payments.ErrBankOnly):
		return "A payment by phone is taken from a bank account."
	case errors.Is(err, payments.ErrMethodUnusable):
		return "This bank account cannot be used (disabled by a return, or the holder's name is missing)."
	case errors.Is(err, payments.ErrNotFound):
		return "Choose one of the customer's bank accounts."
	case errors.Is(err, payments.ErrContractClosed):
		return "The contract is closed: it takes no payments."
	case errors.Is(err, payments.ErrCallerNotVerified):
		return "The caller is not verified on this call any more: verify the caller again, then read the script."
	case errors.Is(err, payments.ErrNoPhone):
		return "Payments by phone are not set up: the lender's customer-service number is missing from the configuration. Tell IT."
	case errors.Is(err, payments.ErrNotStaff):
		return "Your sign-in is not a staff sign-in."
	case errors.Is(err, payments.ErrIdempotencyConflict):
		return "This form was already used for a different payment: start the payment again."
	case errors.Is(err, payments.ErrDuplicatePayment):
		return "An identical payment was taken a few minutes ago. If the customer wants a second one, tick the box to take it again."
	case errors.Is(err, payments.ErrScriptChanged):
		return "The script changed (the date moved past the cut-off, or the amount, date or account changed): read the new script to the customer and ask again."
	case errors.Is(err, payments.ErrCallerDeclined):
		return "Tick the box only once the customer said yes to the authorization."
	}
	return "The payment cannot be taken."
}

// ScriptParagraphs are the script's paragraphs, to read one by one.
func (d *phoneData) ScriptParagraphs() []string {
	var out []string
	for _, p := range strings.Split(strings.TrimSpace(d.Script.Text), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
