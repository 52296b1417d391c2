package console

import (
	"errors"
	"net/http"

	"carfin/approvals"
	"carfin/servicing"
)

// historyShownMax bounds the history the contract page lists.
const historyShownMax = 100

// contractData is one contract in full for staff: its summary, schedule,
// history and requests.
type contractData struct {
	customerView
	Summary  servicing.Summary
	Schedule servicing.Schedule
	History  []servicing.Item
	Requests []approvals.Request
	More     bool
}

// handleContractShow is one of the customer's contracts: balances, the
// schedule, the history and the requests about it, with the actions
// (payment by phone, payoff quote, waiver, reversal, adjustment).
func handleContractShow(c Capabilities, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cv, ok := openCustomer(c, v, w, r)
		if !ok {
			return
		}
		id, ok := contractOf(cv, v, w, r)
		if !ok {
			return
		}
		ctx := r.Context()
		if err := c.Casefile.Opened(ctx, memberOf(r).LoginID, cv.CustomerID, "contract:"+r.PathValue("contract"), true, staffIP(r)); err != nil {
			v.serverError(w, r, err)
			return
		}
		d := contractData{customerView: cv}
		var err error
		if d.Summary, err = c.Servicing.ContractSummary(ctx, cv.CustomerID, id); errors.Is(err, servicing.ErrNotFound) {
			v.notFound(w, r)
			return
		}
		if err == nil {
			d.Schedule, err = c.Servicing.ScheduleOf(ctx, cv.CustomerID, id)
		}
		if err == nil {
			d.History, err = c.Servicing.History(ctx, cv.CustomerID, id, servicing.HistoryFilter{})
		}
		if err == nil {
			d.Requests, err = c.Approvals.ForContract(ctx, id, 20)
		}
		if err != nil {
			v.serverError(w, r, err)
			return
		}
		if len(d.History) > historyShownMax {
			d.History, d.More = d.History[:historyShownMax], true
		}
		p := v.page(r, d.Summary.AccountNumber+" · "+cv.Name)
		p.Data = d
		v.render(w, http.StatusOK, "contract", p)
	})
}
