package web

import (
	"errors"
	"net/http"
	"net/url"

	"carfin/quotes"
	"carfin/servicing"
)

// quoteData is what the quote page shows.
type quoteData struct {
	S servicing.Summary
	Q quotes.Quote
	// Wire and Mail are the lender's payoff instructions.
	Wire, Mail []string
	Phone      string
	// PayHref pays what the payoff quote leaves to pay online, on its
	// good-through date (the payment form, filled in); "" once that date
	// has passed (Expired) or for a closed contract or a lease-end quote.
	PayHref string
	Expired bool
}

// handleQuoteShow shows one of the customer's quotes of a contract: the
// figures, the per diem after the good-through date, how the payments
// already scheduled are counted, the payment instructions (for a payoff,
// a link to pay it online on its good-through date) and the letter to
// download (or print the page).
func handleQuoteShow(sv *servicing.Service, qs *quotes.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ss := sessionOf(r)
		cust := ss.Login.CustomerID
		id, ok := pathID(r, "id")
		if !ok {
			notFound(w, r, v)
			return
		}
		q, err := qs.Get(r.Context(), cust, id, r.PathValue("number"))
		if errors.Is(err, quotes.ErrNotFound) {
			notFound(w, r, v)
			return
		}
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		s, err := sv.ContractSummary(r.Context(), cust, id)
		if err != nil { // the quote proved the contract is theirs
			serverError(w, r, v, err)
			return
		}
		p := v.page(r, "account.quote_title")
		p.Session = ss
		cfg := qs.Config()
		d := &quoteData{S: s, Q: q, Wire: cfg.Wire, Mail: cfg.Mail, Phone: cfg.Letterhead.Phone}
		if q.Kind == quotes.KindPayoff && s.Status.Open() && q.LeftCents() > 0 {
			if q.GoodThrough < s.BusinessDate {
				d.Expired = true
			} else {
				d.PayHref = "/contracts/" + itoa(id) + "/pay?" + url.Values{"amount": {"other"}, "other": {q.LeftCents().String()},
					"date": {q.GoodThrough.String()}}.Encode()
			}
		}
		p.Data = d
		v.render(w, http.StatusOK, "quote", p)
	})
}
