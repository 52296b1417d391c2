package console

import (
	"errors"
	"net/http"
	"strconv"

	"carfin/staff"
	"carfin/support"
)

// handleMessageReply sends a staff reply, with up to
// support.AttachmentsPerMessageMax files, and emails the customer that a
// reply is waiting (support.StaffReply). The same reply submitted again
// (the same text, after the message the form was shown with) is not sent
// twice. Problems are shown at their fields with 422 and nothing is
// sent; an unknown thread is not found.
func handleMessageReply(sup *support.Service, st *staff.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(v, w, r, "id")
		if !ok {
			return
		}
		back := Prefix + "/messages/" + strconv.FormatInt(id, 10)
		f, err := readReplyForm(r)
		p := v.page(r, "")
		switch {
		case err != nil:
			p.Errors["body"] = "The reply could not be read. Try again."
			renderThread(w, r, sup, st, v, http.StatusBadRequest, id, p)
			return
		case f.TooLarge:
			p.Form["body"] = f.Body
			p.Errors["attachments"] = "The files are too large: at most 3 files of 5 MB each."
			renderThread(w, r, sup, st, v, http.StatusRequestEntityTooLarge, id, p)
			return
		}
		if sent, err := alreadySent(r, sup, id, f); err != nil {
			if errors.Is(err, support.ErrNotFound) {
				v.notFound(w, r)
				return
			}
			v.serverError(w, r, err)
			return
		} else if sent {
			done(w, r, back, "replied")
			return
		}
		_, err = sup.StaffReply(r.Context(), memberOf(r).LoginID, id, f.Body, f.Files)
		var fe support.FieldErrors
		switch {
		case errors.Is(err, support.ErrNotFound):
			v.notFound(w, r)
		case errors.As(err, &fe):
			p.Form["body"] = f.Body
			p.Errors = fieldMessages(fe)
			renderThread(w, r, sup, st, v, http.StatusUnprocessableEntity, id, p)
		case err != nil:
			v.serverError(w, r, err)
		default:
			done(w, r, back, "replied")
		}
	})
}

// alreadySent reports whether the thread has a staff message with the
// form's text newer than the one the form was shown with: the browser
// sent the same reply twice.
func alreadySent(r *http.Request, sup *support.Service, id int64, f replyForm) (bool, error) {
	if f.Last <= 0 {
		return false, nil
	}
	t, err := sup.StaffThread(r.Context(), id)
	if err != nil {
		return false, err
	}
	for _, m := range t.Messages {
		if m.ID > f.Last && m.Author == support.AuthorStaff && sameText(f.Body, m.Body) {
			return true, nil
		}
	}
	return false, nil
}
