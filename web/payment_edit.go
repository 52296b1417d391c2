package web

import (
	"errors"
	"net/http"
	"time"

	"carfin/payments"
	"carfin/webcore"
)

// handlePaymentEditShow is the form to change a scheduled payment (its
// amount, method or date), until the cut-off of the business day before
// it goes out. After that the page says so.
func handlePaymentEditShow(pay *payments.Service, v *views, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pm, ok := loadPayment(w, r, pay, v)
		if !ok {
			return
		}
		if !pm.Editable(now()) || pm.Kind != payments.OneTimePayment {
			lockedPage(w, r, v, pm)
			return
		}
		o, ok := loadOptions(w, r, pay, v, pm.ContractID)
		if !ok {
			return
		}
		f := payForm{Amount: string(payments.PayOther), Other: pm.AmountCents.String(), Method: itoa(pm.MethodID), Date: pm.Date.String()}
		renderPaymentEdit(w, r, v, http.StatusOK, pm, newPayFormData(o, f, pay, now()), nil)
	})
}

// handlePaymentEdit saves the change. The new amount, method and date
// are checked as for a new payment, with errors next to their fields;
// past the deadline the change is refused in words.
func handlePaymentEdit(pay *payments.Service, v *views, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pm, ok := loadPayment(w, r, pay, v)
		if !ok {
			return
		}
		_ = r.ParseForm()
		f := readPayForm(r.PostForm)
		req, errs := f.oneTime(pm.ContractID, webcore.ClientIP(r))
		if len(errs) == 0 {
			_, err := pay.EditPayment(r.Context(), customerOf(r), pm.ID, payments.Edit{MethodID: req.MethodID, Choice: req.Choice, Other: req.Other,
				Date: req.Date, IP: webcore.ClientIP(r)})
			if err == nil {
				redirect(w, r, "/payments/"+pm.Confirmation+"?notice=changed")
				return
			}
			if errors.Is(err, payments.ErrLocked) {
				lockedPage(w, r, v, pm)
				return
			}
			var ok bool
			if errs, ok = oneTimeErrors(err, f); !ok {
				serverError(w, r, v, err)
				return
			}
		}
		o, ok := loadOptions(w, r, pay, v, pm.ContractID)
		if !ok {
			return
		}
		renderPaymentEdit(w, r, v, http.StatusUnprocessableEntity, pm, newPayFormData(o, f, pay, now()), errs)
	})
}

func renderPaymentEdit(w http.ResponseWriter, r *http.Request, v *views, status int, pm payments.Payment, d *payFormData, errs map[string]string) {
	d.Edit = &pm
	p := v.page(r, "pay.edit_title")
	p.Session = sessionOf(r)
	for k, e := range errs {
		p.Errors[k] = e
	}
	p.Data = d
	v.render(w, status, "pay_form", p)
}

// lockedPage says that a payment can no longer be changed or cancelled,
// and why.
func lockedPage(w http.ResponseWriter, r *http.Request, v *views, pm payments.Payment) {
	p := v.page(r, "pay.locked_title")
	p.Session = sessionOf(r)
	p.Data = pm
	v.render(w, http.StatusConflict, "payment_locked", p)
}
