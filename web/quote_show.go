package web

import (
	"errors"
	"net/http"
	"net/url"

	"carfin/money"
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
	// Mileage is a lease-end quote's miles, worked out (nil for payoffs).
	Mileage *leaseMileage
}

// leaseMileage is how a lease-end quote's excess miles come about, each
// figure shown, so that the customer can check it: the odometer at
// signing, the reading entered, the miles driven between them, the
// allowance for the whole term, and the miles over it (or still left in
// it), with the estimated charge for them at turn-in.
type leaseMileage struct {
	Start, Reading, Driven, Allowance int64
	Over, Left                        int64
	ChargeCents                       money.Cents
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
		if q.Kind == quotes.KindLeaseEnd {
			a, err := sv.AddresseeOf(r.Context(), cust, id)
			if err != nil {
				serverError(w, r, v, err)
				return
			}
			d.Mileage = mileageOf(q, a.OdometerStart, a.MileageAllowance)
		}
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

// mileageOf works out a lease-end quote's miles from the odometer at
// signing and the allowance: the miles driven are the reading less the
// odometer at signing (the quote's excess is driven less allowance,
// servicing.QuoteLeaseEnd).
func mileageOf(q quotes.Quote, start, allowance int64) *leaseMileage {
	m := &leaseMileage{Start: start, Reading: q.Odometer, Driven: q.Odometer - start, Allowance: allowance,
		Over: q.ExcessMiles, ChargeCents: q.ExcessMileageCents}
	if m.Over == 0 {
		m.Left = max(0, allowance-m.Driven)
	}
	return m
}

// Miles is a distance in words: "1 mile", "41,214 miles" / "1 milla",
// "41.214 millas".
func (p *page) Miles(n int64) string { return p.TN("account.miles_count", n, p.Count(n)) }
