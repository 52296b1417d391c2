package console

import (
	"net/http"
	"strconv"

	"carfin/audit"
)

// auditPageSize is the events one page of the audit tab shows.
const auditPageSize = 50

// auditData is the customer's audit tab: what happened to the customer's
// record and sign-in, and what they did, newest first.
type auditData struct {
	customerView
	Events []audit.Entry
	// Older is the seq to page back from (0: no older page).
	Older int64
}

// handleCustomerAudit is the customer's audit tab: every staff action
// and every record opened, sign-ins, changes and payments, from the
// hash-chained audit log. Reading it is audited too.
func handleCustomerAudit(c Capabilities, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cv, ok := openCustomer(c, v, w, r)
		if !ok {
			return
		}
		before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
		if before < 0 {
			before = 0
		}
		ctx := r.Context()
		if err := c.Casefile.Opened(ctx, memberOf(r).LoginID, cv.CustomerID, "audit", true, staffIP(r)); err != nil {
			v.serverError(w, r, err)
			return
		}
		st, err := c.Identity.SignInState(ctx, cv.CustomerID)
		if err != nil {
			v.serverError(w, r, err)
			return
		}
		events, err := c.Casefile.AuditTrail(ctx, cv.Header, st.LoginID, before, auditPageSize+1)
		if err != nil {
			v.serverError(w, r, err)
			return
		}
		d := auditData{customerView: cv, Events: events}
		if len(events) > auditPageSize {
			d.Events = events[:auditPageSize]
			d.Older = d.Events[auditPageSize-1].Seq
		}
		p := v.page(r, "Audit trail · "+cv.Name)
		p.Data = d
		v.render(w, http.StatusOK, "customer_audit", p)
	})
}
