package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"carfin/calendar"
	"carfin/quotes"
)

// dealerFields are the dealer form's fields, in the order of
// quotes.Dealer, with the words quotes' errors name them by.
var dealerFields = []struct{ name, words string }{
	{"dealer_name", "dealer name"}, {"dealer_line1", "dealer address line 1"}, {"dealer_line2", "dealer address line 2"},
	{"dealer_city", "dealer city"}, {"dealer_state", "dealer state"}, {"dealer_zip", "dealer ZIP"}, {"dealer_contact", "dealer contact"},
	{"dealer_phone", "dealer phone"}, {"dealer_fax", "dealer fax"}, {"dealer_email", "dealer email"},
}

// handlePayoffCreate makes a payoff quote for the customer (to=customer,
// in the customer's documents) or a payoff letter for a dealer
// (to=dealer), good through the chosen business day. A dealer gets the
// payoff only when the customer allowed it (Gramm-Leach-Bliley: a
// nonpublic personal figure): the agent ticks that the customer did.
func handlePayoffCreate(c Capabilities, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cv, ok := openCustomer(c, v, w, r)
		if !ok {
			return
		}
		contractID, ok := contractOf(cv, v, w, r)
		if !ok {
			return
		}
		form := map[string]string{"to": r.PostFormValue("to"), "good_through": r.PostFormValue("good_through"), "lang": r.PostFormValue("lang")}
		for _, f := range dealerFields {
			form[f.name] = strings.TrimSpace(r.PostFormValue(f.name))
		}
		errs := map[string]string{}
		through, err := calendar.Parse(form["good_through"])
		if err != nil {
			errs["good_through"] = "Choose the date the quote is good through."
		}
		base := contractPath(cv.CustomerID, contractID) + "/payoff"
		switch form["to"] {
		case "customer":
			if len(errs) > 0 {
				renderPayoff(w, r, c, v, http.StatusUnprocessableEntity, form, errs)
				return
			}
			lang := "en"
			if form["lang"] == "es" {
				lang = "es"
			}
			q, err := c.Quotes.Payoff(r.Context(), cv.CustomerID, contractID, through, lang)
			if err != nil {
				payoffError(w, r, c, v, err, form)
				return
			}
			redirect(w, r, base+"?quote="+url.QueryEscape(q.Number))
		case "dealer":
			if r.PostFormValue("consent") != "yes" {
				errs["consent"] = "A dealer gets the payoff only if the customer allowed it: ask the customer, then tick the box."
			}
			for _, f := range []struct{ name, msg string }{{"dealer_name", "Enter the dealer's name."}, {"dealer_line1", "Enter the dealer's street address."},
				{"dealer_city", "Enter the city."}, {"dealer_state", "Enter the state's two-letter code, like OH."}, {"dealer_zip", "Enter the ZIP code, like 43215."}} {
				if form[f.name] == "" {
					errs[f.name] = f.msg
				}
			}
			if len(errs) > 0 {
				renderPayoff(w, r, c, v, http.StatusUnprocessableEntity, form, errs)
				return
			}
			d := quotes.Dealer{Name: form["dealer_name"], AddressLine1: form["dealer_line1"], AddressLine2: form["dealer_line2"],
				City: form["dealer_city"], State: form["dealer_state"], ZIP: form["dealer_zip"], Contact: form["dealer_contact"],
				Phone: form["dealer_phone"], Fax: form["dealer_fax"], Email: form["dealer_email"]}
			q, _, err := c.Quotes.DealerPayoffLetter(r.Context(), memberOf(r).LoginID, contractID, d, through)
			if err != nil {
				payoffError(w, r, c, v, err, form)
				return
			}
			redirect(w, r, base+"?letter="+url.QueryEscape(q.Number))
		default:
			v.notFound(w, r)
		}
	})
}

// payoffError shows the payoff form again with what quotes refused.
func payoffError(w http.ResponseWriter, r *http.Request, c Capabilities, v *views, err error, form map[string]string) {
	switch {
	case errors.Is(err, quotes.ErrNotFound):
		v.notFound(w, r)
	case errors.Is(err, quotes.ErrGoodThrough):
		renderPayoff(w, r, c, v, http.StatusUnprocessableEntity, form, map[string]string{"good_through": "Choose a business day from today to 30 days ahead."})
	case errors.Is(err, quotes.ErrClosed):
		renderPayoff(w, r, c, v, http.StatusConflict, form, map[string]string{"": "The contract is closed: there is nothing to pay off."})
	case errors.Is(err, quotes.ErrDealer):
		field, msg := "", "The dealer's name and address must be a valid US mailing address."
		text := err.Error()
		for _, f := range dealerFields {
			if strings.HasPrefix(text, f.words) {
				field = f.name
				what, _, _ := strings.Cut(text, ": ")
				msg = "The " + what + " is not valid: check it against what the dealer gave (a US mailing address, a phone of 10 digits, an email address)."
				break
			}
		}
		renderPayoff(w, r, c, v, http.StatusUnprocessableEntity, form, map[string]string{field: msg})
	case errors.Is(err, quotes.ErrNotStaff):
		v.forbidden(w, r)
	default:
		v.serverError(w, r, err)
	}
}
