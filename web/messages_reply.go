package web

import (
	"errors"
	"net/http"
	"strconv"

	"carfin/support"
)

// handleMessagesReply adds the customer's answer to one of their threads.
// Another customer's thread is not found; problems are shown next to
// their fields and nothing is saved.
func handleMessagesReply(sup *support.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tid, ok := idParam(r, "id")
		if !ok {
			handleNotFound(v).ServeHTTP(w, r)
			return
		}
		f, err := readMessageForm(r)
		if err != nil {
			renderThread(w, r, sup, v, http.StatusBadRequest, nil, map[string]string{"body": "messages.err_form"})
			return
		}
		if f.TooLarge {
			renderThread(w, r, sup, v, http.StatusRequestEntityTooLarge, f.values(), map[string]string{"attachments": "messages.err_attachments_too_large"})
			return
		}
		_, err = sup.Reply(r.Context(), customerOf(r), tid, f.Body, f.Files)
		var fe support.FieldErrors
		switch {
		case errors.Is(err, support.ErrNotFound):
			handleNotFound(v).ServeHTTP(w, r)
		case errors.As(err, &fe):
			renderThread(w, r, sup, v, http.StatusUnprocessableEntity, f.values(), messageErrors(fe))
		case errors.Is(err, support.ErrThrottled):
			renderThread(w, r, sup, v, http.StatusTooManyRequests, f.values(), map[string]string{"body": "messages.err_throttled"})
		case err != nil:
			serverError(w, r, v, err)
		default:
			redirect(w, r, "/messages/"+strconv.FormatInt(tid, 10)+"?notice=sent#reply")
		}
	})
}
