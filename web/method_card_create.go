package web

import (
	"errors"
	"net/http"
	"time"

	"carfin/identity"
	"carfin/payments"
	"carfin/webcore"
)

// handleMethodCardCreate saves the card the tokenizer made a token for:
// carfin stores the token, brand, last 4 digits and expiry only. An
// expired card, one already on file or a token the processor does not
// know is refused in words.
func handleMethodCardCreate(id *identity.Service, pay *payments.Service, v *views, cards cardForm, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !requireRecentAuth(w, r, id, "/payment-methods/card/new") {
			return
		}
		_ = r.ParseForm()
		_, err := pay.AddCard(r.Context(), customerOf(r), r.PostForm.Get("token"), r.PostForm.Get("nickname"), webcore.ClientIP(r))
		var key string
		switch {
		case err == nil:
			redirect(w, r, "/payment-methods?notice=card_added")
			return
		case errors.Is(err, payments.ErrCardsUnavailable):
			key = "pay.err_cards_unavailable"
		case errors.Is(err, payments.ErrCardExpired):
			key = "pay.err_card_expired"
		case errors.Is(err, payments.ErrDuplicateMethod):
			key = "pay.err_duplicate_card"
		case errors.Is(err, payments.ErrMethodsMax):
			key = "pay.err_methods_max"
		case errors.Is(err, payments.ErrHolderName):
			key = "pay.err_nickname"
		case errors.Is(err, payments.ErrProcessorBadRequest), errors.Is(err, payments.ErrProcessorTimeout), errors.Is(err, payments.ErrCardDeclined):
			key = "pay.err_card_token"
		default:
			serverError(w, r, v, err)
			return
		}
		renderCardForm(w, r, v, cards, http.StatusUnprocessableEntity, now(), map[string]string{"": key})
	})
}
