package web

import (
	"net/http"

	"carfin/servicing"
)

// payChooseData lists the contracts a payment can go to.
type payChooseData struct {
	Contracts []servicing.ContractRef
}

// handlePayChoose is the first step of a payment: choose the contract.
// A customer with one open contract goes straight to its payment form.
func handlePayChoose(sv *servicing.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		all, err := sv.CustomerContracts(r.Context(), customerOf(r))
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		var open []servicing.ContractRef
		for _, c := range all {
			if c.Status.Open() {
				open = append(open, c)
			}
		}
		if len(open) == 1 {
			redirect(w, r, "/contracts/"+itoa(open[0].ID)+"/pay")
			return
		}
		p := v.page(r, "pay.choose_title")
		p.Session = sessionOf(r)
		p.Data = payChooseData{Contracts: open}
		v.render(w, http.StatusOK, "pay_choose", p)
	})
}
