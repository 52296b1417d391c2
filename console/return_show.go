package console

import (
	"errors"
	"net/http"
	"strings"

	"carfin/approvals"
	"carfin/casefile"
	"carfin/db"
	"carfin/payments"
)

// returnData is a flagged return: what the bank said, the payment, the
// customer, and the review's request if one waits for approval.
type returnData struct {
	Item         payments.ReviewItem
	Return       payments.Return // the listing's row: description and action
	CustomerID   int64
	CustomerName string
	Pending      *approvalRow
}

// handleReturnShow shows a return awaiting review with the form that
// asks for its decision (uphold or dismiss) to be approved.
func handleReturnShow(c Capabilities, rd db.Querier, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renderReturn(w, r, c, rd, v, http.StatusOK, nil)
	})
}

// renderReturn renders the return of the {return} path value; one not
// awaiting review is not found.
func renderReturn(w http.ResponseWriter, r *http.Request, c Capabilities, rd db.Querier, v *views, status int, errs map[string]string) {
	d, ok := returnOf(w, r, c, rd, v)
	if !ok {
		return
	}
	ctx := r.Context()
	rs, err := c.Approvals.ForContract(ctx, d.Item.ContractID, contractRequestsMax)
	if err != nil {
		v.serverError(w, r, err)
		return
	}
	for _, q := range rs {
		if q.Kind == approvals.ReturnReview && q.ReturnID == d.Item.ID && q.Status == approvals.StatusPending {
			rows, err := requestRows(ctx, c, memberOf(r).LoginID, []approvals.Request{q})
			if err != nil {
				v.serverError(w, r, err)
				return
			}
			d.Pending = &rows[0]
			break
		}
	}
	p := v.page(r, "Return "+d.Item.Code+" awaiting review")
	for k, e := range errs {
		p.Errors[k] = e
	}
	if errs != nil {
		p.Form["decision"] = r.PostFormValue("decision")
		p.Form["reason"] = strings.TrimSpace(r.PostFormValue("reason"))
	}
	p.Data = d
	v.render(w, status, "return_show", p)
}

// returnOf reads the {return} path value as a return awaiting review,
// with its customer; anything else gets 404 (ok false).
func returnOf(w http.ResponseWriter, r *http.Request, c Capabilities, rd db.Querier, v *views) (*returnData, bool) {
	id, ok := pathInt64(r, "return")
	if !ok {
		v.notFound(w, r)
		return nil, false
	}
	ctx := r.Context()
	it, err := c.Payments.ReturnForReview(ctx, rd, id)
	if errors.Is(err, payments.ErrNotForReview) {
		v.notFound(w, r)
		return nil, false
	}
	if err != nil {
		v.serverError(w, r, err)
		return nil, false
	}
	d := &returnData{Item: it}
	list, err := c.Payments.ReturnsForReview(ctx, returnsListMax)
	if err != nil {
		v.serverError(w, r, err)
		return nil, false
	}
	for _, x := range list {
		if x.ID == id {
			d.Return = x
		}
	}
	if d.CustomerID, err = c.Payments.CustomerOfContract(ctx, it.ContractID); err != nil {
		v.serverError(w, r, err)
		return nil, false
	}
	h, err := c.Casefile.Header(ctx, d.CustomerID)
	if err != nil && !errors.Is(err, casefile.ErrNotFound) {
		v.serverError(w, r, err)
		return nil, false
	}
	d.CustomerName = h.Name
	return d, true
}
