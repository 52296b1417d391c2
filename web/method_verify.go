package web

import (
	"errors"
	"net/http"
	"strings"

	"carfin/money"
	"carfin/payments"
)

// loadMethod finds one of the customer's payment methods by the id in the
// path, answering 404 (as for an unknown page) otherwise.
func loadMethod(w http.ResponseWriter, r *http.Request, pay *payments.Service, v *views) (payments.Method, bool) {
	id, ok := pathID(r, "id")
	if !ok {
		notFound(w, r, v)
		return payments.Method{}, false
	}
	m, err := pay.Method(r.Context(), customerOf(r), id)
	if errors.Is(err, payments.ErrNotFound) {
		notFound(w, r, v)
		return payments.Method{}, false
	}
	if err != nil {
		serverError(w, r, v, err)
		return payments.Method{}, false
	}
	return m, true
}

// handleMethodVerifyShow asks for the two small deposits the customer
// sees on their bank statement.
func handleMethodVerifyShow(pay *payments.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, ok := loadMethod(w, r, pay, v)
		if !ok {
			return
		}
		renderMicroVerify(w, r, v, http.StatusOK, m, nil, nil)
	})
}

func renderMicroVerify(w http.ResponseWriter, r *http.Request, v *views, status int, m payments.Method, form, errs map[string]string) {
	p := v.page(r, "pay.verify_title")
	p.Session = sessionOf(r)
	for k, val := range form {
		p.Form[k] = val
	}
	for k, e := range errs {
		p.Errors[k] = e
	}
	p.Data = m
	v.render(w, status, "method_verify", p)
}

// handleMethodVerify checks the two amounts (in either order). Right: the
// account can pay. Wrong: the page says how many tries are left; after
// the third the account must be added again.
func handleMethodVerify(pay *payments.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, ok := loadMethod(w, r, pay, v)
		if !ok {
			return
		}
		_ = r.ParseForm()
		typed := map[string]string{"first": clip60(r.PostForm.Get("first")), "second": clip60(r.PostForm.Get("second"))}
		amounts := map[string]money.Cents{}
		errs := map[string]string{}
		for _, f := range []string{"first", "second"} {
			c, err := money.Parse(strings.TrimPrefix(strings.TrimSpace(typed[f]), "$"))
			if err != nil || c <= 0 || c >= 100 {
				errs[f] = "pay.err_micro_amount"
			}
			amounts[f] = c
		}
		if len(errs) > 0 {
			renderMicroVerify(w, r, v, http.StatusUnprocessableEntity, m, typed, errs)
			return
		}
		m2, err := pay.ConfirmMicroDeposits(r.Context(), customerOf(r), m.ID, amounts["first"], amounts["second"])
		switch {
		case err == nil:
			redirect(w, r, "/payment-methods?notice=verified")
		case errors.Is(err, payments.ErrMicroDepositAmounts):
			renderMicroVerify(w, r, v, http.StatusUnprocessableEntity, m2, nil, map[string]string{"first": "pay.err_micro_wrong"})
		case errors.Is(err, payments.ErrValidationFailed):
			renderMicroVerify(w, r, v, http.StatusUnprocessableEntity, m2, nil, map[string]string{"": "pay.err_micro_failed"})
		case errors.Is(err, payments.ErrMicroDepositsUnsent):
			renderMicroVerify(w, r, v, http.StatusConflict, m, nil, map[string]string{"": "pay.err_micro_unsent"})
		case errors.Is(err, payments.ErrMethodUnusable):
			renderMicroVerify(w, r, v, http.StatusConflict, m, nil, map[string]string{"": "pay.err_micro_not_waiting"})
		default:
			serverError(w, r, v, err)
		}
	})
}
