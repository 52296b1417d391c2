package console

import (
	"errors"
	"net/http"

	"carfin/payments"
)

// handlePhoneDone shows a payment of the contract with its confirmation
// number, to read back to the customer.
func handlePhoneDone(c Capabilities, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cv, ok := openCustomer(c, v, w, r)
		if !ok {
			return
		}
		contractID, ok := contractOf(cv, v, w, r)
		if !ok {
			return
		}
		id, ok := pathInt64(r, "payment")
		if !ok {
			v.notFound(w, r)
			return
		}
		pay, err := c.Payments.Payment(r.Context(), cv.CustomerID, id)
		if errors.Is(err, payments.ErrNotFound) || (err == nil && pay.ContractID != contractID) {
			v.notFound(w, r)
			return
		}
		if err != nil {
			v.serverError(w, r, err)
			return
		}
		d := &phoneData{C: cv, Payment: pay}
		for _, a := range cv.Accounts {
			if a.ContractID == contractID {
				d.Account = a
			}
		}
		renderPhone(w, r, v, http.StatusOK, "phone_done", d, nil, nil)
	})
}
