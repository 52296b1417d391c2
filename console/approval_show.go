package console

import (
	"errors"
	"net/http"
	"strings"

	"carfin/approvals"
	"carfin/casefile"
	"carfin/finance"
	"carfin/money"
	"carfin/payments"
	"carfin/staff"
)

// approvalData is one request with what a decision needs: the customer,
// who requested it and when, and whether the member may decide it.
type approvalData struct {
	R            approvalRow
	CustomerID   int64
	CustomerName string
	DeciderName  string
	// Return is the flagged return a review is about (ReturnReview).
	Return *payments.ReviewItem
	// MayApprove, MayReject: the member's role decides requests and the
	// request is pending and not the member's own.
	MayApprove, MayReject bool
	// Ceiling is what the member may approve of the kind.
	Ceiling   money.Cents
	NoCeiling bool
	// Already says the decision the member asked for was taken already
	// (a second click): nothing was posted again.
	Already string
}

// Pending reports whether the request awaits a decision.
func (d approvalData) Pending() bool { return d.R.Status == approvals.StatusPending }

// handleApprovalShow shows one request with the Approve and Reject forms
// (for a member who may decide it).
func handleApprovalShow(c Capabilities, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !mayReadApprovals(memberOf(r)) {
			v.forbidden(w, r)
			return
		}
		renderApproval(w, r, c, v, http.StatusOK, "", nil)
	})
}

// renderApproval renders the request of the {request} path value with
// status, a note of what happened already and form errors.
func renderApproval(w http.ResponseWriter, r *http.Request, c Capabilities, v *views, status int, already string, errs map[string]string) {
	id, ok := pathInt64(r, "request")
	if !ok {
		v.notFound(w, r)
		return
	}
	ctx, m := r.Context(), memberOf(r)
	q, err := c.Approvals.Get(ctx, id)
	if errors.Is(err, approvals.ErrNotFound) {
		v.notFound(w, r)
		return
	}
	if err != nil {
		v.serverError(w, r, err)
		return
	}
	rows, err := requestRows(ctx, c, m.LoginID, []approvals.Request{q})
	if err != nil {
		v.serverError(w, r, err)
		return
	}
	d := &approvalData{R: rows[0], Already: already}
	if d.CustomerID, err = c.Payments.CustomerOfContract(ctx, q.ContractID); err != nil && !errors.Is(err, payments.ErrNotFound) {
		v.serverError(w, r, err)
		return
	}
	if d.CustomerID != 0 {
		h, err := c.Casefile.Header(ctx, d.CustomerID)
		if err != nil && !errors.Is(err, casefile.ErrNotFound) {
			v.serverError(w, r, err)
			return
		}
		d.CustomerName = h.Name
	}
	if q.DecidedBy != "" {
		if d.DeciderName, err = staffName(ctx, c, q.DecidedBy); err != nil {
			v.serverError(w, r, err)
			return
		}
	}
	if q.Kind == approvals.ReturnReview && q.Status == approvals.StatusPending {
		if it, err := c.Payments.ReturnForReview(ctx, c.Servicing.DB().Read, q.ReturnID); err == nil {
			d.Return = &it
		}
	}
	_, _, ceiling, mayKind := ceilings(m.Role, q.Kind)
	d.Ceiling, d.NoCeiling = ceiling, ceiling >= finance.AmountMax
	open := d.Pending() && !d.R.Mine && mayKind
	d.MayApprove = open && m.May(staff.ApproveRequest)
	d.MayReject = open && m.May(staff.RejectRequest)
	p := v.page(r, d.R.Label+" request "+stringID(q.ID))
	for k, e := range errs {
		p.Errors[k] = e
	}
	if errs != nil {
		p.Form["note"] = strings.TrimSpace(r.PostFormValue("note"))
	}
	p.Data = d
	v.render(w, status, "approval_show", p)
}
