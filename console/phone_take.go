package console

import (
	"errors"
	"net/http"
	"strconv"

	"carfin/payments"
	"carfin/webcore"
)

// handlePhoneReview checks the form and shows the authorization script
// the agent must read aloud, with the box the agent ticks when the
// customer says yes.
func handlePhoneReview(c Capabilities, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, ok := phoneCall(w, r, c, v)
		if !ok {
			return
		}
		f := readPhoneForm(r)
		if f.Key == "" {
			f.Key = formKey()
		}
		phoneScript(w, r, c, v, d, f, http.StatusOK, nil)
	})
}

// phoneScript renders the review page of form f with the script as it
// stands now, or the form again with what payments refused.
func phoneScript(w http.ResponseWriter, r *http.Request, c Capabilities, v *views, d *phoneData, f phoneForm, status int, errs map[string]string) {
	req, ferrs := f.request(d.Account.ContractID, d.Call, webcore.ClientIP(r))
	if len(ferrs) > 0 {
		renderPhone(w, r, v, http.StatusUnprocessableEntity, "phone_form", d, f.values(), ferrs)
		return
	}
	sc, err := c.Payments.PhoneAuthorizationScript(r.Context(), memberOf(r).LoginID, req)
	if err != nil {
		field, ok := phoneErrorField(err)
		if !ok {
			v.serverError(w, r, err)
			return
		}
		st := http.StatusUnprocessableEntity
		if errors.Is(err, payments.ErrCallerNotVerified) {
			st = http.StatusForbidden
		}
		renderPhone(w, r, v, st, "phone_form", d, f.values(), map[string]string{field: phoneMessage(err)})
		return
	}
	d.Script = sc
	form := f.values()
	form["script"] = sc.SHA256
	renderPhone(w, r, v, status, "phone_review", d, form, errs)
}

// handlePhoneTake takes the payment once the customer said yes, and
// shows its confirmation number; the same form again returns the same
// payment.
func handlePhoneTake(c Capabilities, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, ok := phoneCall(w, r, c, v)
		if !ok {
			return
		}
		f := readPhoneForm(r)
		if !f.Authorized {
			phoneScript(w, r, c, v, d, f, http.StatusUnprocessableEntity,
				map[string]string{"authorized": "Read the script, and tick the box only when the customer says yes. If they say no, do not take the payment."})
			return
		}
		req, ferrs := f.request(d.Account.ContractID, d.Call, webcore.ClientIP(r))
		if len(ferrs) > 0 {
			renderPhone(w, r, v, http.StatusUnprocessableEntity, "phone_form", d, f.values(), ferrs)
			return
		}
		pay, err := c.Payments.TakePhonePayment(r.Context(), memberOf(r).LoginID, req)
		if err == nil {
			done(w, r, contractPath(d.C.CustomerID, d.Account.ContractID)+"/pay/"+strconv.FormatInt(pay.ID, 10), "paid")
			return
		}
		field, ok := phoneErrorField(err)
		switch {
		case !ok:
			v.serverError(w, r, err)
		case errors.Is(err, payments.ErrCallerNotVerified):
			v.message(w, r, http.StatusForbidden, "Verify the caller first", phoneMessage(err))
		case errors.Is(err, payments.ErrScriptChanged):
			f.Authorized = false
			phoneScript(w, r, c, v, d, f, http.StatusConflict, map[string]string{"authorized": phoneMessage(err)})
		case errors.Is(err, payments.ErrDuplicatePayment):
			d.Duplicate = true
			phoneScript(w, r, c, v, d, f, http.StatusConflict, map[string]string{"again": phoneMessage(err)})
		case errors.Is(err, payments.ErrIdempotencyConflict):
			f.Key = formKey()
			renderPhone(w, r, v, http.StatusConflict, "phone_form", d, f.values(), map[string]string{"": phoneMessage(err)})
		default:
			renderPhone(w, r, v, http.StatusUnprocessableEntity, "phone_form", d, f.values(), map[string]string{field: phoneMessage(err)})
		}
	})
}
