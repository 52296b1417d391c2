package console

import (
	"errors"
	"net/http"
	"strconv"

	"carfin/calendar"
	"carfin/casefile"
	"carfin/complaints"
	"carfin/staff"
	"carfin/webcore"
)

// complaintData is a complaint's page.
type complaintData struct {
	complaints.Item
	LoggedBy, AcknowledgedBy, ClosedBy string
}

// CategoryLabel and ChannelLabel are the complaint's values in words.
func (d complaintData) CategoryLabel() string { return choiceLabel(complaints.Categories, d.Category) }
func (d complaintData) ChannelLabel() string  { return choiceLabel(complaints.Channels, d.Channel) }

// DaysLate is the days past the next deadline.
func (d complaintData) DaysLate() int { return -d.DaysLeft }

// Open reports whether the complaint may still be acknowledged.
func (d complaintData) Open() bool { return d.Status == complaints.Open }

// Closed reports whether the complaint is closed.
func (d complaintData) Closed() bool { return d.Status == complaints.Closed }

// handleComplaintShow is one complaint: what the customer said, its
// deadlines and where it stands, and for a supervisor the forms to
// acknowledge and close it. Opening it is written to the audit log as a
// page of the customer's record ("complaint:ID"). An unknown complaint
// is not found.
func handleComplaintShow(cm *complaints.Service, st *staff.Service, cf *casefile.Service, v *views, today func() calendar.Date) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(v, w, r, "id")
		if !ok {
			return
		}
		c, err := cm.Get(r.Context(), id)
		if errors.Is(err, complaints.ErrNotFound) {
			v.notFound(w, r)
			return
		}
		if err == nil {
			err = cf.Opened(r.Context(), memberOf(r).LoginID, c.CustomerID, "complaint:"+strconv.FormatInt(id, 10), true, webcore.ClientIP(r))
		}
		if err != nil {
			v.serverError(w, r, err)
			return
		}
		renderComplaint(w, r, cm, st, v, today, http.StatusOK, id, v.page(r, ""))
	})
}

// renderComplaint renders complaint id's page with status, p carrying
// any errors and typed notes to show again.
func renderComplaint(w http.ResponseWriter, r *http.Request, cm *complaints.Service, st *staff.Service, v *views,
	today func() calendar.Date, status int, id int64, p *page) {
	ctx := r.Context()
	c, err := cm.Get(ctx, id)
	if errors.Is(err, complaints.ErrNotFound) {
		v.notFound(w, r)
		return
	}
	if err != nil {
		v.serverError(w, r, err)
		return
	}
	t := today()
	d := complaintData{Item: complaints.Item{Complaint: c, AcknowledgeOverdue: c.AcknowledgeOverdue(t), CloseOverdue: c.CloseOverdue(t),
		DaysLeft: int(c.NextDeadline() - t)}}
	name := func(login int64) (string, error) {
		if login == 0 {
			return "", nil
		}
		m, err := st.Member(ctx, login)
		if errors.Is(err, staff.ErrNotFound) {
			return "staff " + strconv.FormatInt(login, 10), nil
		}
		return m.Name, err
	}
	for _, x := range []struct {
		login int64
		to    *string
	}{{c.LoggedBy, &d.LoggedBy}, {c.AcknowledgedByStaff, &d.AcknowledgedBy}, {c.ClosedByStaff, &d.ClosedBy}} {
		if *x.to, err = name(x.login); err != nil {
			v.serverError(w, r, err)
			return
		}
	}
	p.Title = "Complaint " + strconv.FormatInt(c.ID, 10) + " · " + c.CustomerName
	p.Data = d
	v.render(w, status, "complaint", p)
}
