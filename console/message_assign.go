package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"carfin/staff"
	"carfin/support"
)

// handleMessageAssign gives a thread to a staff member who works the
// queue ("me" for oneself, "0" for no one), audited (support.Assign).
// Assigning it to whom it has already is harmless. A member who is not
// active staff is refused at the field with 422.
func handleMessageAssign(sup *support.Service, st *staff.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(v, w, r, "id")
		if !ok {
			return
		}
		me := memberOf(r).LoginID
		p := v.page(r, "")
		raw := strings.TrimSpace(r.PostFormValue("to"))
		to, err := strconv.ParseInt(raw, 10, 64)
		if raw == "me" {
			to, err = me, nil
		}
		if err != nil || to < 0 {
			p.Errors["to"] = "Choose who to assign the message to."
			renderThread(w, r, sup, st, v, http.StatusUnprocessableEntity, id, p)
			return
		}
		if to != 0 && to != me {
			// Only to a member who works the queue, not to any active login.
			m, err := st.Member(r.Context(), to)
			if err != nil && !errors.Is(err, staff.ErrNotFound) {
				v.serverError(w, r, err)
				return
			}
			if err != nil || !m.May(staff.ReplyMessage) {
				p.Errors["to"] = "Assign to an active member who answers messages."
				renderThread(w, r, sup, st, v, http.StatusUnprocessableEntity, id, p)
				return
			}
		}
		err = sup.Assign(r.Context(), me, id, to)
		switch {
		case errors.Is(err, support.ErrNotFound):
			v.notFound(w, r)
		case errors.Is(err, support.ErrNotStaff): // disabled since the request began
			v.forbidden(w, r)
		case errors.Is(err, support.ErrAssignee):
			p.Errors["to"] = "Assign to an active member who answers messages."
			renderThread(w, r, sup, st, v, http.StatusUnprocessableEntity, id, p)
		case err != nil:
			v.serverError(w, r, err)
		default:
			done(w, r, Prefix+"/messages/"+strconv.FormatInt(id, 10), "assigned")
		}
	})
}
