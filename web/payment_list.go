package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"carfin/payments"
	"carfin/servicing"
)

// paymentsData is what the payments page shows.
type paymentsData struct {
	Upcoming  []payments.Payment
	History   payments.History
	Contracts []contractPay
	// FirstShown and LastShown number the history's lines on the page
	// (1 is the newest payment); PrevHref and NextHref are the newer and
	// older pages ("" at either end).
	FirstShown, LastShown int
	PrevHref, NextHref    string
	Now                   time.Time
	Loc                   *time.Location
}

// contractPay is an open contract with its autopay, for the quick links.
type contractPay struct {
	C       servicing.ContractRef
	Autopay *payments.Autopay
}

// handlePaymentsList is the payments page: the customer's contracts with
// "make a payment" and autopay, the scheduled payments (soonest first,
// with change and cancel while allowed), and every other payment the
// customer's contracts have had, newest first, a page at a time
// (?page=2 is older): made in the portal or by autopay, whatever became
// of them — processing, completed, returned, declined, not made,
// cancelled — and the ones the lender received another way (mail, phone,
// bank bill pay) and posted. Each has its status in a word and, where
// there is one, why in a sentence (why a card was declined or a bank
// returned it, and what happens now).
func handlePaymentsList(sv *servicing.Service, pay *payments.Service, v *views, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cust := customerOf(r)
		up, err := pay.Payments(r.Context(), cust, payments.PaymentFilter{Upcoming: true})
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		n := 1
		if q, err := strconv.Atoi(r.URL.Query().Get("page")); err == nil && q > 1 {
			n = q
		}
		hist, err := pay.History(r.Context(), cust, n)
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		cs, err := sv.CustomerContracts(r.Context(), cust)
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		d := &paymentsData{Upcoming: up, History: hist, Now: now(), Loc: pay.Config().Cutoff.Location}
		if len(hist.Payments) > 0 {
			d.FirstShown = (hist.Page-1)*payments.HistoryPageSize + 1
			d.LastShown = d.FirstShown + len(hist.Payments) - 1
		}
		if hist.Page > 1 {
			d.PrevHref = paymentsPageHref(hist.Page - 1)
		}
		if hist.Page < hist.Pages {
			d.NextHref = paymentsPageHref(hist.Page + 1)
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

// paymentsPageHref links a page of the payment history, at its table.
func paymentsPageHref(page int) string {
	if page <= 1 {
		return "/payments#history-h"
	}
	return "/payments?page=" + strconv.Itoa(page) + "#history-h"
}

// Editable reports whether a payment can still be changed or cancelled.
func (d *paymentsData) Editable(pm payments.Payment) bool { return pm.Editable(d.Now) }

// StatusReason says why a payment stands where it does, in a sentence
// that does not repeat the status shown beside it ("" when there is no
// more to say).
func (p *page) StatusReason(pay payments.Payment) string { return payments.StatusReason(p.Lang, pay) }

// StatusClass is the class of a payment's status badge: completed is
// ok; returned, declined and not made are bad (the money did not come);
// cancelled is a warning; the rest (scheduled, approved, processing, not
// needed) information.
func (p *page) StatusClass(pay payments.Payment) string {
	switch pay.Status {
	case payments.StatusSettled:
		return "status-ok"
	case payments.StatusReturned, payments.StatusDeclined, payments.StatusFailed:
		return "status-bad"
	case payments.StatusCancelled:
		return "status-warn"
	}
	return "status-info"
}
