package web

import (
	"net/http"
	"time"

	"carfin/payments"
)

// paymentData is what a payment's page shows.
type paymentData struct {
	P payments.Payment
	// Done: the customer just confirmed it (the confirmation page).
	Done     bool
	Editable bool
	Loc      *time.Location
}

// paymentNotices maps ?notice= values to messages.
var paymentNotices = map[string]string{"changed": "pay.notice_changed", "cancelled": "pay.notice_cancelled"}

// handlePaymentShow shows one of the customer's payments: after
// confirming, the confirmation page (confirmation number, amount,
// effective date, the receipt PDF to download); later, its status in
// words (a return in plain words) and, until the cut-off of the business
// day before it goes out, links to change or cancel it.
func handlePaymentShow(pay *payments.Service, v *views, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pm, ok := loadPayment(w, r, pay, v)
		if !ok {
			return
		}
		p := v.page(r, "pay.payment_title")
		p.Session = sessionOf(r)
		q := r.URL.Query()
		done := q.Get("done") != ""
		if done {
			p.Title = "pay.done_title"
		}
		if k, ok := paymentNotices[q.Get("notice")]; ok {
			p.Notice = k
		}
		p.Data = paymentData{P: pm, Done: done, Editable: pm.Editable(now()), Loc: pay.Config().Cutoff.Location}
		v.render(w, http.StatusOK, "payment", p)
	})
}
