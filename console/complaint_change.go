package console

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"carfin/calendar"
	"carfin/complaints"
	"carfin/staff"
)

// handleComplaintAcknowledge marks an open complaint acknowledged with a
// note of what the customer was told (complaints.Acknowledge), audited.
func handleComplaintAcknowledge(cm *complaints.Service, st *staff.Service, v *views, today func() calendar.Date) http.Handler {
	return complaintChange(cm, st, v, today, "note", complaints.Acknowledged, "acknowledged", cm.Acknowledge)
}

// handleComplaintClose closes a complaint with its resolution, which is
// required (complaints.Close), audited.
func handleComplaintClose(cm *complaints.Service, st *staff.Service, v *views, today func() calendar.Date) http.Handler {
	return complaintChange(cm, st, v, today, "resolution", complaints.Closed, "resolved", cm.Close)
}

// complaintChange moves a complaint to status with the text of field,
// through change. A missing or too long text is shown at its field with
// 422 and nothing changes; the same change sent twice is harmless (the
// complaint is there already); a change its status does not allow is
// 409; an unknown complaint is not found.
func complaintChange(cm *complaints.Service, st *staff.Service, v *views, today func() calendar.Date, field, status, notice string,
	change func(ctx context.Context, by, id int64, text string) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(v, w, r, "id")
		if !ok {
			return
		}
		text := r.PostFormValue(field)
		back := Prefix + "/complaints/" + strconv.FormatInt(id, 10)
		err := change(r.Context(), memberOf(r).LoginID, id, text)
		p := v.page(r, "")
		p.Form[field] = text
		switch {
		case errors.Is(err, complaints.ErrNotFound):
			v.notFound(w, r)
		case errors.Is(err, complaints.ErrNotStaff):
			v.forbidden(w, r)
		case errors.Is(err, complaints.ErrInvalid):
			_, msg := complaintError(err)
			p.Errors[field] = msg
			renderComplaint(w, r, cm, st, v, today, http.StatusUnprocessableEntity, id, p)
		case errors.Is(err, complaints.ErrState):
			c, gerr := cm.Get(r.Context(), id)
			if gerr != nil {
				v.serverError(w, r, gerr)
				return
			}
			if c.Status == status {
				done(w, r, back, notice) // sent twice
				return
			}
			p.Errors[""] = "The complaint is " + c.Status + " already: nothing was changed."
			renderComplaint(w, r, cm, st, v, today, http.StatusConflict, id, p)
		case err != nil:
			v.serverError(w, r, err)
		default:
			done(w, r, back, notice)
		}
	})
}
