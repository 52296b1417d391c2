package web

import (
	"net/http"

	"carfin/calendar"
	"carfin/quotes"
	"carfin/servicing"
)

// payoffData is what the payoff page shows.
type payoffData struct {
	S        servicing.Summary
	Dates    []calendar.Date // good-through dates to choose from
	Chosen   string          // the date chosen (YYYY-MM-DD)
	Odometer string          // as typed (leases)
	Quotes   []quotes.Quote
}

// handlePayoffShow shows the payoff page of one of the customer's
// contracts: a form to get a payoff quote good through a business day up
// to 30 days ahead; for leases, a lease-end quote for an odometer
// reading; and the quotes already made.
func handlePayoffShow(sv *servicing.Service, qs *quotes.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renderPayoff(w, r, sv, qs, v, http.StatusOK, nil, "", "")
	})
}

// renderPayoff renders the payoff page with the form's values and errors.
func renderPayoff(w http.ResponseWriter, r *http.Request, sv *servicing.Service, qs *quotes.Service, v *views, status int,
	errs map[string]string, chosen, odometer string) {
	ss := sessionOf(r)
	cust := ss.Login.CustomerID
	s, ok := ownedContract(w, r, sv, v)
	if !ok {
		return
	}
	id := s.ID
	list, err := qs.List(r.Context(), cust, id)
	if err != nil {
		serverError(w, r, v, err)
		return
	}
	p := v.page(r, "account.payoff_title")
	p.Session = ss
	for k, e := range errs {
		p.Errors[k] = e
	}
	data := &payoffData{S: s, Quotes: list, Chosen: chosen, Odometer: odometer}
	if s.Status.Open() {
		data.Dates = quotes.GoodThroughDates(s.BusinessDate)
		if data.Chosen == "" && len(data.Dates) > 0 {
			// Ten days out is what a dealer or another lender usually asks for.
			data.Chosen = data.Dates[min(len(data.Dates)-1, 7)].String()
		}
	}
	p.Data = data
	v.render(w, status, "payoff", p)
}
