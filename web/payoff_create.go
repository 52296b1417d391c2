package web

import (
	"errors"
	"net/http"
	"strings"

	"carfin/calendar"
	"carfin/quotes"
	"carfin/servicing"
	"carfin/webcore"
)

// handlePayoffCreate makes a payoff quote good through the date chosen,
// with its letter, and shows it. A date that is not a business day within
// 30 days is refused next to the field; the same quote asked twice (a
// double click) is the same quote.
func handlePayoffCreate(sv *servicing.Service, qs *quotes.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cust := sessionOf(r).Login.CustomerID
		id, ok := pathID(r, "id")
		if !ok {
			notFound(w, r, v)
			return
		}
		chosen := strings.TrimSpace(r.PostFormValue("good_through"))
		on, err := calendar.Parse(chosen)
		if err != nil {
			renderPayoff(w, r, sv, qs, v, http.StatusUnprocessableEntity, map[string]string{"good_through": "account.err_good_through"}, chosen, "")
			return
		}
		q, err := qs.Payoff(r.Context(), cust, id, on, webcore.LangOf(r))
		switch {
		case errors.Is(err, quotes.ErrNotFound):
			notFound(w, r, v)
		case errors.Is(err, quotes.ErrGoodThrough):
			renderPayoff(w, r, sv, qs, v, http.StatusUnprocessableEntity, map[string]string{"good_through": "account.err_good_through"}, chosen, "")
		case errors.Is(err, quotes.ErrClosed):
			renderPayoff(w, r, sv, qs, v, http.StatusConflict, map[string]string{"": "account.err_closed"}, chosen, "")
		case err != nil:
			serverError(w, r, v, err)
		default:
			redirect(w, r, "/contracts/"+itoa(id)+"/quotes/"+q.Number)
		}
	})
}

// handleLeaseEndCreate makes a lease-end quote (buy the vehicle or turn
// it in) for the odometer reading entered, with its letter, and shows it.
func handleLeaseEndCreate(sv *servicing.Service, qs *quotes.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cust := sessionOf(r).Login.CustomerID
		id, ok := pathID(r, "id")
		if !ok {
			notFound(w, r, v)
			return
		}
		typed := strings.TrimSpace(r.PostFormValue("odometer"))
		miles, ok := parseMiles(typed)
		if !ok {
			renderPayoff(w, r, sv, qs, v, http.StatusUnprocessableEntity, map[string]string{"odometer": "account.err_odometer"}, "", typed)
			return
		}
		q, err := qs.LeaseEnd(r.Context(), cust, id, miles, webcore.LangOf(r))
		switch {
		case errors.Is(err, quotes.ErrNotFound):
			notFound(w, r, v)
		case errors.Is(err, quotes.ErrOdometer):
			renderPayoff(w, r, sv, qs, v, http.StatusUnprocessableEntity, map[string]string{"odometer": "account.err_odometer_range"}, "", typed)
		case errors.Is(err, quotes.ErrNotLease), errors.Is(err, quotes.ErrClosed):
			renderPayoff(w, r, sv, qs, v, http.StatusConflict, map[string]string{"": "account.err_lease_end"}, "", typed)
		case err != nil:
			serverError(w, r, v, err)
		default:
			redirect(w, r, "/contracts/"+itoa(id)+"/quotes/"+q.Number)
		}
	})
}

// parseMiles reads an odometer reading as people type it: "41,250".
func parseMiles(s string) (int64, bool) {
	s = strings.NewReplacer(",", "", " ", "").Replace(s)
	if s == "" || len(s) > 9 {
		return 0, false
	}
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
