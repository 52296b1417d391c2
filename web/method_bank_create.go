package web

import (
	"net/http"

	"carfin/identity"
	"carfin/payments"
	"carfin/webcore"
)

// handleMethodBankCreate adds the bank account. Every refusal — a holder
// name too long, a routing number that fails its check digit or is not
// in the lender's directory, an account number that is not 4–17 digits
// or not the same twice, an account already on file — is shown next to
// its field, and nothing is written. The account numbers are not shown
// again. After a password check older than five minutes the customer
// proves it again and starts over.
func handleMethodBankCreate(id *identity.Service, pay *payments.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !requireRecentAuth(w, r, id, "/payment-methods/bank/new") {
			return
		}
		_ = r.ParseForm()
		f := r.PostForm
		n := payments.NewBankAccount{HolderName: f.Get("holder"), AccountType: f.Get("account_type"), Routing: f.Get("routing"),
			Account: f.Get("account"), ConfirmAccount: f.Get("confirm_account"), Nickname: f.Get("nickname"),
			Validation: payments.Validation(f.Get("validation")), IP: webcore.ClientIP(r)}
		if n.Validation != payments.Prenote {
			n.Validation = payments.MicroDeposits
		}
		m, err := pay.AddBankAccount(r.Context(), customerOf(r), n)
		if err != nil {
			errs, ok := bankErrors(err)
			if !ok {
				serverError(w, r, v, err)
				return
			}
			shown := map[string]string{"holder": clip60(n.HolderName), "account_type": n.AccountType, "routing": clip60(n.Routing),
				"nickname": clip60(n.Nickname), "validation": string(n.Validation)}
			renderBankForm(w, r, pay, v, http.StatusUnprocessableEntity, shown, errs)
			return
		}
		notice := "bank_added"
		if m.Validation == payments.Prenote {
			notice = "bank_added_prenote"
		}
		redirect(w, r, "/payment-methods?notice="+notice)
	})
}

// clip60 bounds a value shown back in a form.
func clip60(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:60])
	}
	return s
}
