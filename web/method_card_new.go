package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"carfin/identity"
	"carfin/payments"
)

// cardForm is where the card form posts: the processor's tokenizer, and
// the portal address it redirects back to with a token.
type cardForm struct {
	tokenizer string
	returnURL string
}

// on reports whether cards can be added: a processor is configured and
// the portal knows its tokenizer.
func (c cardForm) on(cfg payments.Config) bool { return c.tokenizer != "" && cfg.Processor != nil }

// origin is the tokenizer's origin when it is not this portal's ("" for a
// path on this origin).
func (c cardForm) origin() string {
	u, err := url.Parse(c.tokenizer)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// allowPost lets the page's form post to the tokenizer's origin (the
// portal's CSP limits form targets to this origin).
func (c cardForm) allowPost(w http.ResponseWriter) {
	o := c.origin()
	if o == "" {
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", strings.Replace(h.Get("Content-Security-Policy"), "form-action 'self'", "form-action 'self' "+o, 1))
}

// cardPageData is what the card pages show.
type cardPageData struct {
	Tokenizer string
	ReturnURL string
	Months    []string
	Years     []int
	// ExpMonth and ExpYear are the expiry the form starts on: next month,
	// a card still valid (the first month and year on the lists would be
	// past most of the year).
	ExpMonth string
	ExpYear  int
	// Card is the tokenized card to save (the second step).
	Card  *payments.Card
	Token string
}

// cardErrorFields maps the tokenizer's error codes to the field and the
// message.
var cardErrorFields = map[string][2]string{
	"invalid_number": {"number", "pay.err_card_number"},
	"invalid_expiry": {"exp_month", "pay.err_card_expiry"},
	"invalid_cvc":    {"cvc", "pay.err_card_cvc"},
}

// handleMethodCardNew is the card form. It posts the card number to the
// processor's tokenizer, never to this portal; the tokenizer answers with
// a redirect back here carrying a token (?card_token=…) or an error code
// (?card_error=…). With a token the page shows the card as the processor
// knows it (brand, last 4 digits, expiry) and asks to save it. It works
// without JavaScript. It needs a password check within five minutes.
func handleMethodCardNew(id *identity.Service, pay *payments.Service, v *views, cards cardForm, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !requireRecentAuth(w, r, id, r.URL.RequestURI()) {
			return
		}
		if !cards.on(pay.Config()) {
			v.message(w, r, http.StatusNotFound, "pay.card_title", "pay.err_cards_unavailable", "/payment-methods", "pay.back_to_methods")
			return
		}
		q := r.URL.Query()
		errs := map[string]string{}
		if token := q.Get("card_token"); token != "" {
			card, err := pay.PreviewCard(r.Context(), token)
			if err == nil {
				p := v.page(r, "pay.card_save_title")
				p.Session = sessionOf(r)
				p.Data = cardPageData{Card: &card, Token: token}
				v.render(w, http.StatusOK, "method_card_save", p)
				return
			}
			errs[""] = "pay.err_card_token"
		}
		if code := q.Get("card_error"); code != "" {
			if f, ok := cardErrorFields[code]; ok {
				errs[f[0]] = f[1]
			} else {
				errs[""] = "pay.err_card_token"
			}
		}
		status := http.StatusOK
		if len(errs) > 0 {
			status = http.StatusUnprocessableEntity
		}
		renderCardForm(w, r, v, cards, status, now(), errs)
	})
}

// renderCardForm renders the card form, with the tokenizer's errors next
// to their fields.
func renderCardForm(w http.ResponseWriter, r *http.Request, v *views, cards cardForm, status int, now time.Time, errs map[string]string) {
	p := v.page(r, "pay.card_title")
	p.Session = sessionOf(r)
	for k, e := range errs {
		p.Errors[k] = e
	}
	d := cardPageData{Tokenizer: cards.tokenizer, ReturnURL: cards.returnURL,
		Months: []string{"01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"}}
	for y := now.Year(); y <= now.Year()+cardYearsAhead; y++ {
		d.Years = append(d.Years, y)
	}
	next := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1, 0)
	d.ExpMonth, d.ExpYear = d.Months[next.Month()-1], next.Year()
	p.Data = d
	cards.allowPost(w)
	v.render(w, status, "method_card", p)
}

// cardYearsAhead: cards are issued for up to about ten years.
const cardYearsAhead = 12
