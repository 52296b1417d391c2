package web

import (
	"errors"
	"net/http"

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
}

// handleQuoteShow shows one of the customer's quotes of a contract: the
// figures, the per diem after the good-through date, the payment
// instructions and the letter to download (or print the page).
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
		p.Data = &quoteData{S: s, Q: q, Wire: cfg.Wire, Mail: cfg.Mail, Phone: cfg.Letterhead.Phone}
		v.render(w, http.StatusOK, "quote", p)
	})
}
