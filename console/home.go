package console

import (
	"net/http"
	"time"

	"carfin/approvals"
	"carfin/complaints"
	"carfin/identity"
	"carfin/payments"
	"carfin/staff"
	"carfin/support"
)

// homeListMax bounds each queue's rows on the home page; the queue's own
// page lists the rest.
const homeListMax = 5

// homeData is the work queues, each only for a member whose role works
// it.
type homeData struct {
	Messages        []support.QueueItem
	Awaiting        int
	Unassigned      int
	OldestWait      time.Time
	Approvals       []approvals.Request
	ApprovalsTotal  int
	Returns         []payments.Return
	Complaints      []complaints.Item
	ComplaintsTotal int
	Locked          []identity.LockedLogin
	LockedTotal     int
	ShowMessages    bool
	ShowApprovals   bool
	ShowReturns     bool
	ShowComplaints  bool
	ShowLocked      bool
}

// handleHome is the console's first page: the work waiting, oldest or
// nearest deadline first — unanswered messages, requests awaiting
// approval, returns awaiting review, complaints by deadline and
// customers locked out now.
func handleHome(c Capabilities, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, m := r.Context(), memberOf(r)
		d := homeData{ShowMessages: m.May(staff.ReplyMessage), ShowApprovals: m.May(staff.ApproveRequest) || m.May(staff.RequestWaiver),
			ShowReturns: m.May(staff.RequestReturnReview), ShowComplaints: m.May(staff.ManageComplaints) || m.May(staff.LogComplaint),
			ShowLocked: m.May(staff.UnlockLogin)}
		var err error
		if d.ShowMessages {
			if d.Awaiting, d.Unassigned, d.OldestWait, err = c.Support.QueueCounts(ctx); err != nil {
				v.serverError(w, r, err)
				return
			}
			if d.Messages, err = c.Support.Queue(ctx, support.QueueFilter{Limit: homeListMax}); err != nil {
				v.serverError(w, r, err)
				return
			}
		}
		if d.ShowApprovals {
			all, err := c.Approvals.Pending(ctx, 0)
			if err != nil {
				v.serverError(w, r, err)
				return
			}
			d.ApprovalsTotal = len(all)
			d.Approvals = all[:min(len(all), homeListMax)]
		}
		if d.ShowReturns {
			if d.Returns, err = c.Payments.ReturnsForReview(ctx, homeListMax); err != nil {
				v.serverError(w, r, err)
				return
			}
		}
		if d.ShowComplaints {
			all, err := c.Complaints.Queue(ctx, 0)
			if err != nil {
				v.serverError(w, r, err)
				return
			}
			d.ComplaintsTotal = len(all)
			d.Complaints = all[:min(len(all), homeListMax)]
		}
		if d.ShowLocked {
			if d.Locked, d.LockedTotal, err = c.Identity.LockedLogins(ctx, homeListMax); err != nil {
				v.serverError(w, r, err)
				return
			}
		}
		p := v.page(r, "Work queues")
		p.Data = d
		v.render(w, http.StatusOK, "home", p)
	})
}
