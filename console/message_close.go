package console

import (
	"errors"
	"net/http"
	"strconv"

	"carfin/staff"
	"carfin/support"
)

// handleMessageClose closes a thread with a reason, audited
// (support.CloseThread): it leaves the queue until the customer writes
// again. Closing a closed thread is harmless. No reason: 422 at the
// field, nothing changed.
func handleMessageClose(sup *support.Service, st *staff.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(v, w, r, "id")
		if !ok {
			return
		}
		reason := r.PostFormValue("reason")
		err := sup.CloseThread(r.Context(), memberOf(r).LoginID, id, reason)
		var fe support.FieldErrors
		switch {
		case errors.Is(err, support.ErrNotFound):
			v.notFound(w, r)
		case errors.Is(err, support.ErrNotStaff): // disabled since the request began
			v.forbidden(w, r)
		case errors.As(err, &fe):
			p := v.page(r, "")
			p.Form["reason"] = reason
			p.Errors = fieldMessages(fe)
			renderThread(w, r, sup, st, v, http.StatusUnprocessableEntity, id, p)
		case err != nil:
			v.serverError(w, r, err)
		default:
			done(w, r, Prefix+"/messages/"+strconv.FormatInt(id, 10), "closed")
		}
	})
}
