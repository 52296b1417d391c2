package console

import (
	"net/http"

	"carfin/complaints"
)

// complaintList is the complaint queue's page.
type complaintList struct {
	Items []complaints.Item
}

// Category and Channel are a value's label.
func (complaintList) Category(v string) string { return choiceLabel(complaints.Categories, v) }
func (complaintList) Channel(v string) string  { return choiceLabel(complaints.Channels, v) }

// Late is days past a deadline, from DaysLeft (negative once overdue).
func (complaintList) Late(daysLeft int) int { return -daysLeft }

// choiceLabel is the label of v in list, or v.
func choiceLabel(list []complaints.Choice, v string) string {
	for _, c := range list {
		if c.Value == v {
			return c.Label
		}
	}
	return v
}

// handleComplaintQueue lists the complaints not yet closed, nearest
// deadline first (acknowledging for open ones, closing for acknowledged
// ones), with both deadlines, the days left and what is overdue.
func handleComplaintQueue(cm *complaints.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		items, err := cm.Queue(r.Context(), 0)
		if err != nil {
			v.serverError(w, r, err)
			return
		}
		p := v.page(r, "Complaints")
		p.Data = complaintList{Items: items}
		v.render(w, http.StatusOK, "complaints", p)
	})
}
