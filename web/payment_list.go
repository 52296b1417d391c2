package web

import (
	"errors"
	"net/http"
	"time"

	"carfin/payments"
	"carfin/servicing"
)

// paymentsData is what the payments page shows.
type paymentsData struct {
	Upcoming  []payments.Payment
	History   []payments.Payment
	Contracts []contractPay
	Now       time.Time
	Loc       *time.Location
}

// contractPay is an open contract with its autopay, for the quick links.
type contractPay struct {
	C       servicing.ContractRef
	Autopay *payments.Autopay
}

// paymentsHistoryMax bounds the history shown (the transaction history
// of each contract has everything).
const paymentsHistoryMax = 50

// handlePaymentsList is the payments page: the customer's contracts with
// "make a payment" and autopay, the scheduled payments (with change and
// cancel while allowed) and the recent payments with their status in
// words — scheduled, processing, completed, returned (why, in plain
// words, and what happens now).
func handlePaymentsList(sv *servicing.Service, pay *payments.Service, v *views, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cust := customerOf(r)
		up, err := pay.Payments(r.Context(), cust, payments.PaymentFilter{Upcoming: true})
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		hist, err := pay.Payments(r.Context(), cust, payments.PaymentFilter{Limit: paymentsHistoryMax})
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		cs, err := sv.CustomerContracts(r.Context(), cust)
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		d := &paymentsData{Upcoming: up, Now: now(), Loc: pay.Config().Cutoff.Location}
		for _, pm := range hist {
			if pm.Status != payments.StatusScheduled && pm.Status != payments.StatusAuthorized {
				d.History = append(d.History, pm)
			}
		}
		for _, c := range cs {
			if !c.Status.Open() {
				continue
			}
			cp := contractPay{C: c}
			a, err := pay.Autopay(r.Context(), cust, c.ID)
			switch {
			case err == nil:
				cp.Autopay = &a
			case !errors.Is(err, payments.ErrNotFound):
				serverError(w, r, v, err)
				return
			}
			d.Contracts = append(d.Contracts, cp)
		}
		p := v.page(r, "pay.payments_title")
		p.Session = sessionOf(r)
		if k, ok := paymentNotices[r.URL.Query().Get("notice")]; ok {
			p.Notice = k
		}
		p.Data = d
		v.render(w, http.StatusOK, "payments", p)
	})
}

// Editable reports whether a payment can still be changed or cancelled.
func (d *paymentsData) Editable(pm payments.Payment) bool { return pm.Editable(d.Now) }
