package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"carfin/approvals"
	"carfin/locale"
)

// noteRunesMax is approvals' bound on a decision's note.
const noteRunesMax = 500

// handleApprovalDecide approves (and posts) or rejects the request of
// the {request} path value with the member's note (a rejection needs
// one: the requester reads why). The service decides a request once: a
// second Approve finds it approved and the page says so, posting
// nothing again.
func handleApprovalDecide(c Capabilities, v *views, approve bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathInt64(r, "request")
		if !ok {
			v.notFound(w, r)
			return
		}
		note := strings.TrimSpace(r.PostFormValue("note"))
		switch {
		case !approve && note == "":
			renderApproval(w, r, c, v, http.StatusUnprocessableEntity, "", map[string]string{"note": "Say why it is rejected: the requester reads it."})
			return
		case utf8.RuneCountInString(note) > noteRunesMax:
			renderApproval(w, r, c, v, http.StatusUnprocessableEntity, "", map[string]string{"note": "The note must be at most 500 characters."})
			return
		}
		by := approver(r)
		var err error
		if approve {
			_, err = c.Approvals.Approve(r.Context(), by, id, note)
		} else {
			_, err = c.Approvals.Reject(r.Context(), by, id, note)
		}
		if err == nil {
			notice := "rejected"
			if approve {
				notice = "approved"
			}
			done(w, r, Prefix+"/approvals/"+strconv.FormatInt(id, 10), notice)
			return
		}
		switch {
		case errors.Is(err, approvals.ErrNotFound):
			v.notFound(w, r)
		case errors.Is(err, approvals.ErrNotPending):
			q, gerr := c.Approvals.Get(r.Context(), id)
			if gerr != nil {
				v.serverError(w, r, gerr)
				return
			}
			if approve && q.Status == approvals.StatusApproved {
				renderApproval(w, r, c, v, http.StatusOK, "Already approved: it was posted once, and nothing was posted again.", nil)
				return
			}
			if !approve && q.Status == approvals.StatusRejected {
				renderApproval(w, r, c, v, http.StatusOK, "Already rejected: nothing was posted.", nil)
				return
			}
			renderApproval(w, r, c, v, http.StatusConflict, "", map[string]string{"": "This request is " + string(q.Status) + " already; nothing changed."})
		case errors.Is(err, approvals.ErrSelfApproval):
			renderApproval(w, r, c, v, http.StatusForbidden, "", map[string]string{"": "You cannot decide your own request: another supervisor or an admin must."})
		case errors.Is(err, approvals.ErrExpired):
			renderApproval(w, r, c, v, http.StatusConflict, "", map[string]string{"": "This request expired before it was decided; nothing was posted. The requester can ask again."})
		case errors.Is(err, approvals.ErrLimit):
			q, gerr := c.Approvals.Get(r.Context(), id)
			if gerr != nil {
				v.serverError(w, r, gerr)
				return
			}
			_, _, ceiling, _ := ceilings(memberOf(r).Role, q.Kind)
			renderApproval(w, r, c, v, http.StatusForbidden, "", map[string]string{"": "This is above your approval limit of " +
				locale.Money("en", ceiling) + " for a " + strings.ToLower(kindLabel(q.Kind)) + ": an admin must decide it."})
		case errors.Is(err, approvals.ErrForbidden):
			v.forbidden(w, r)
		case errors.Is(err, approvals.ErrInvalid):
			renderApproval(w, r, c, v, http.StatusConflict, "", map[string]string{"": "The request no longer fits the contract as it stands (the fees were paid or waived, the payment was reversed, or the contract closed); nothing was posted. Reject it with a note."})
		default:
			v.serverError(w, r, err)
		}
	})
}

// stringID is an id as the pages show it: "#12".
func stringID(id int64) string { return "#" + strconv.FormatInt(id, 10) }
