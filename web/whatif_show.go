package web

import (
	"errors"
	"net/http"
	"strings"

	"carfin/calendar"
	"carfin/finance"
	"carfin/money"
	"carfin/servicing"
)

// whatIfForm is the simulator's form and, once run, its outcome.
type whatIfForm struct {
	Extra, Lump, LumpOn string // as typed
	Ran                 bool
	Base, Plan          finance.Outcome
	SavedCents          money.Cents
	MonthsSooner        int
}

// parseAmount reads an amount as people type it: "$1,250.50", "50".
// Empty is zero.
func parseAmount(s string) (money.Cents, error) {
	s = strings.NewReplacer("$", "", ",", "", " ", "").Replace(strings.TrimSpace(s))
	if s == "" {
		return 0, nil
	}
	return money.Parse(s)
}

// handleWhatIf runs the what-if simulator (a GET form, so the result can
// be bookmarked and the back button works): paying an extra amount each
// month and/or a lump sum on a date, against paying as scheduled, gives
// the new payoff date and the interest saved. Loans that are open only;
// errors are shown next to the field.
func handleWhatIf(sv *servicing.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ss := sessionOf(r)
		cust := ss.Login.CustomerID
		s, ok := ownedContract(w, r, sv, v)
		if !ok {
			return
		}
		id := s.ID
		p := v.page(r, "account.whatif_title")
		p.Session = ss
		q := r.URL.Query()
		f := whatIfForm{Extra: q.Get("extra"), Lump: q.Get("lump"), LumpOn: q.Get("lump_on")}
		data := &contractData{S: s, WhatIf: f}
		p.Data = data
		if s.Kind != servicing.KindLoan || !s.Status.Open() {
			p.Errors[""] = "account.whatif_loans_only"
			v.render(w, http.StatusOK, "whatif", p)
			return
		}
		extra, err := parseAmount(f.Extra)
		if err != nil || extra < 0 || extra > s.PayoffCents {
			p.Errors["extra"] = "account.err_extra"
		}
		lump, err := parseAmount(f.Lump)
		if err != nil || lump < 0 || lump > s.PayoffCents {
			p.Errors["lump"] = "account.err_lump"
		}
		var on calendar.Date
		if f.LumpOn != "" || lump > 0 {
			on, err = calendar.Parse(strings.TrimSpace(f.LumpOn))
			if err != nil || on < s.BusinessDate || on > s.MaturityDate {
				p.Errors["lump_on"] = "account.err_lump_on"
			}
		}
		if len(p.Errors) == 0 && extra == 0 && lump == 0 {
			p.Errors["extra"] = "account.err_whatif_empty"
		}
		if len(p.Errors) > 0 {
			v.render(w, http.StatusUnprocessableEntity, "whatif", p)
			return
		}
		base, plan, err := sv.WhatIf(r.Context(), cust, id, extra, lump, on)
		if errors.Is(err, servicing.ErrInvalid) {
			p.Errors["lump_on"] = "account.err_lump_on"
			v.render(w, http.StatusUnprocessableEntity, "whatif", p)
			return
		}
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		f.Ran, f.Base, f.Plan = true, base, plan
		f.SavedCents = base.InterestCents - plan.InterestCents
		f.MonthsSooner = base.Payments - plan.Payments
		data.WhatIf = f
		v.render(w, http.StatusOK, "whatif", p)
	})
}
