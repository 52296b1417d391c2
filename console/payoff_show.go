package console

import (
	"errors"
	"net/http"
	"regexp"

	"carfin/calendar"
	"carfin/casefile"
	"carfin/quotes"
	"carfin/servicing"
)

// quoteNumber is a quote's number as quotes makes them: PQ-, LQ- (the
// customer's) or DQ- (a dealer's letter) and eight digits or more.
var quoteNumber = regexp.MustCompile(`^(PQ|LQ|DQ)-[0-9]{8,18}$`)

// payoffData is the payoff page: the figures today, the good-through
// dates to choose from, the customer's quotes, and the letter or quote
// just made.
type payoffData struct {
	C       customerView
	Account casefile.Account
	Owed    servicing.Summary
	Dates   []calendar.Date
	Quotes  []quotes.Quote
	// Made is the customer's quote just made, Letter the dealer's.
	Made   *quotes.Quote
	Letter *quotes.DealerQuote
	// To is the form shown open: "customer" or "dealer".
	To string
}

// handlePayoffShow shows the payoff page of a contract: a payoff quote
// for the customer (kept in their documents, as in the portal), or a
// payoff letter for a dealer the customer named.
func handlePayoffShow(c Capabilities, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renderPayoff(w, r, c, v, http.StatusOK, nil, nil)
	})
}

// renderPayoff renders the payoff page with the form's values and
// errors; ?quote= or ?letter= names what was just made.
func renderPayoff(w http.ResponseWriter, r *http.Request, c Capabilities, v *views, status int, form, errs map[string]string) {
	cv, ok := openCustomer(c, v, w, r)
	if !ok {
		return
	}
	contractID, ok := contractOf(cv, v, w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	d := &payoffData{C: cv, To: "customer"}
	for _, a := range cv.Accounts {
		if a.ContractID == contractID {
			d.Account = a
		}
	}
	var err error
	today := c.Servicing.Today()
	if d.Owed, err = c.Servicing.Owed(ctx, c.Servicing.DB().Read, contractID, today); err != nil {
		v.serverError(w, r, err)
		return
	}
	if d.Owed.Status.Open() {
		d.Dates = quotes.GoodThroughDates(today)
	}
	if d.Quotes, err = c.Quotes.List(ctx, cv.CustomerID, contractID); err != nil {
		v.serverError(w, r, err)
		return
	}
	if n := r.URL.Query().Get("quote"); quoteNumber.MatchString(n) {
		q, err := c.Quotes.Get(ctx, cv.CustomerID, contractID, n)
		if err != nil && !errors.Is(err, quotes.ErrNotFound) {
			v.serverError(w, r, err)
			return
		}
		if err == nil {
			d.Made = &q
		}
	}
	if n := r.URL.Query().Get("letter"); quoteNumber.MatchString(n) {
		q, _, err := c.Quotes.DealerLetter(ctx, contractID, n)
		if err != nil && !errors.Is(err, quotes.ErrNotFound) {
			v.serverError(w, r, err)
			return
		}
		if err == nil {
			d.Letter = &q
		}
	}
	p := v.page(r, "Payoff quote")
	for k, e := range errs {
		p.Errors[k] = e
	}
	for k, val := range form {
		p.Form[k] = val
	}
	if p.Form["to"] == "dealer" {
		d.To = "dealer"
	}
	if p.Form["good_through"] == "" && len(d.Dates) > 0 {
		// Ten days out is what a dealer or another lender usually asks for.
		p.Form["good_through"] = d.Dates[min(len(d.Dates)-1, 7)].String()
	}
	p.Data = d
	v.render(w, status, "payoff", p)
}
