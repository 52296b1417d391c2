package console

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"carfin/approvals"
	"carfin/db"
)

// handleReturnRequest asks for a flagged return's decision, uphold (the
// return stands) or dismiss (the payment stands), to be approved by a
// supervisor; it then waits in the approvals queue.
func handleReturnRequest(c Capabilities, rd db.Querier, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, ok := returnOf(w, r, c, rd, v)
		if !ok {
			return
		}
		decision := approvals.Decision(r.PostFormValue("decision"))
		reason := strings.TrimSpace(r.PostFormValue("reason"))
		errs := map[string]string{}
		if decision != approvals.Uphold && decision != approvals.Dismiss {
			errs["decision"] = "Choose whether the return stands (uphold) or the payment stands (dismiss)."
		}
		switch {
		case reason == "":
			errs["reason"] = "Say why: the approver reads it, and it is kept in the audit log."
		case utf8.RuneCountInString(reason) > requestReasonRunesMax:
			errs["reason"] = "The reason must be at most 500 characters."
		}
		if len(errs) > 0 {
			renderReturn(w, r, c, rd, v, http.StatusUnprocessableEntity, errs)
			return
		}
		_, err := c.Approvals.Request(r.Context(), approver(r), approvals.ReturnReview, d.Item.ContractID,
			approvals.Target{ReturnID: d.Item.ID, Decision: decision}, reason)
		if err != nil {
			status, _, msg, ok := requestError(err, memberOf(r).Role, approvals.ReturnReview)
			if !ok {
				v.serverError(w, r, err)
				return
			}
			switch status {
			case http.StatusConflict:
				msg = "A review of this return is already waiting for approval."
			case http.StatusUnprocessableEntity:
				msg = "This return is no longer awaiting review, or its contract is closed. Nothing was sent."
			}
			renderReturn(w, r, c, rd, v, status, map[string]string{"": msg})
			return
		}
		done(w, r, Prefix+"/returns/"+strconv.FormatInt(d.Item.ID, 10), "requested")
	})
}
