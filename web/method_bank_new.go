package web

import (
	"net/http"

	"carfin/identity"
	"carfin/payments"
)

// bankForm is the bank account form as shown again after an error. The
// account number is never shown again: the customer types it twice anew.
type bankForm struct {
	BankOn bool
}

// handleMethodBankNew is the form to add a checking or savings account:
// the holder's name, the type, the routing number and the account number
// entered twice, and how to confirm it (two small deposits, or a prenote).
// It needs a password check within the last five minutes.
func handleMethodBankNew(id *identity.Service, pay *payments.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !requireRecentAuth(w, r, id, "/payment-methods/bank/new") {
			return
		}
		renderBankForm(w, r, pay, v, http.StatusOK, map[string]string{"holder": sessionOf(r).Login.DisplayName,
			"account_type": "checking", "validation": string(payments.MicroDeposits)}, nil)
	})
}

func renderBankForm(w http.ResponseWriter, r *http.Request, pay *payments.Service, v *views, status int, form, errs map[string]string) {
	p := v.page(r, "pay.bank_title")
	p.Session = sessionOf(r)
	for k, val := range form {
		p.Form[k] = val
	}
	for k, e := range errs {
		p.Errors[k] = e
	}
	p.Data = bankForm{BankOn: pay.Config().Keys != nil}
	v.render(w, status, "method_bank", p)
}
