package console

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"carfin/approvals"
	"carfin/staff"
)

// approvalRow is a request as the console lists it: with its kind's
// label, the requester's name and whether it is the member's own.
type approvalRow struct {
	approvals.Request
	Label         string
	RequesterName string
	Mine          bool
}

// Noun is the kind's label in a sentence: "fee waiver".
func (a approvalRow) Noun() string { return strings.ToLower(a.Label) }

// requestRows names the requesters of rs for the member me.
func requestRows(ctx context.Context, c Capabilities, me int64, rs []approvals.Request) ([]approvalRow, error) {
	names := map[string]string{}
	out := make([]approvalRow, 0, len(rs))
	for _, q := range rs {
		name, ok := names[q.RequestedBy]
		if !ok {
			var err error
			if name, err = staffName(ctx, c, q.RequestedBy); err != nil {
				return nil, err
			}
			names[q.RequestedBy] = name
		}
		out = append(out, approvalRow{Request: q, Label: kindLabel(q.Kind), RequesterName: name,
			Mine: q.RequestedBy == strconv.FormatInt(me, 10)})
	}
	return out, nil
}

// staffName is the name of the staff login id (as approvals keeps it),
// or "staff #id" for one no longer on file.
func staffName(ctx context.Context, c Capabilities, loginID string) (string, error) {
	if loginID == "" {
		return "", nil
	}
	id, err := strconv.ParseInt(loginID, 10, 64)
	if err != nil {
		return "staff " + loginID, nil
	}
	m, err := c.Staff.Member(ctx, id)
	if errors.Is(err, staff.ErrNotFound) {
		return "staff #" + loginID, nil
	}
	if err != nil {
		return "", err
	}
	return m.Name, nil
}

// mayReadApprovals: the queue is for who decides and for who requests
// (an agent reads it, without the decide buttons).
func mayReadApprovals(m *staff.Member) bool {
	if m.May(staff.ApproveRequest) || m.May(staff.RejectRequest) {
		return true
	}
	for _, a := range kindActions {
		if m.May(a) {
			return true
		}
	}
	return false
}

// approvalListData is the approvals queue.
type approvalListData struct {
	Rows      []approvalRow
	MayDecide bool
}

// handleApprovalList lists the requests awaiting a decision, the oldest
// first, the member's own marked.
func handleApprovalList(c Capabilities, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := memberOf(r)
		if !mayReadApprovals(m) {
			v.forbidden(w, r)
			return
		}
		rs, err := c.Approvals.Pending(r.Context(), 0)
		if err != nil {
			v.serverError(w, r, err)
			return
		}
		rows, err := requestRows(r.Context(), c, m.LoginID, rs)
		if err != nil {
			v.serverError(w, r, err)
			return
		}
		p := v.page(r, "Requests awaiting approval")
		p.Data = approvalListData{Rows: rows, MayDecide: m.May(staff.ApproveRequest) || m.May(staff.RejectRequest)}
		v.render(w, http.StatusOK, "approval_list", p)
	})
}
