package web

import (
	"net/http"
	"time"

	"carfin/calendar"
	"carfin/payments"
)

// methodsData is what the payment methods page shows.
type methodsData struct {
	Methods []payments.Method
	Today   calendar.Date
	// BankOn: bank accounts can be added (an encryption key is
	// configured); CardsOn: cards can (a processor and its tokenizer).
	BankOn, CardsOn bool
}

// methodNotices maps ?notice= values to messages.
var methodNotices = map[string]string{"bank_added": "pay.notice_bank_added", "bank_added_prenote": "pay.notice_bank_added_prenote",
	"card_added": "pay.notice_card_added", "removed": "pay.notice_removed", "verified": "pay.notice_verified"}

// handleMethodsList lists the customer's payment methods, each with
// where it stands in words (waiting for the two small deposits, ready,
// stopped after a return…) and what can be done: confirm the deposits,
// remove it; and the links to add a bank account or a card.
func handleMethodsList(pay *payments.Service, v *views, cards cardForm, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms, err := pay.Methods(r.Context(), customerOf(r))
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		p := v.page(r, "pay.methods_title")
		p.Session = sessionOf(r)
		if k, ok := methodNotices[r.URL.Query().Get("notice")]; ok {
			p.Notice = k
		}
		cfg := pay.Config()
		p.Data = methodsData{Methods: ms, Today: cfg.Cutoff.Today(now()), BankOn: cfg.Keys != nil, CardsOn: cards.on(cfg)}
		v.render(w, http.StatusOK, "methods", p)
	})
}
