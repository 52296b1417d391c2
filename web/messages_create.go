package web

import (
	"errors"
	"net/http"
	"strconv"

	"carfin/support"
	"carfin/webcore"
)

// handleMessagesCreate starts a thread with the customer's first message
// and its attachments. Problems are shown next to their fields and
// nothing is saved.
func handleMessagesCreate(sup *support.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := readMessageForm(r)
		if err != nil {
			renderMessageNew(w, r, v, http.StatusBadRequest, nil, map[string]string{"body": "messages.err_form"})
			return
		}
		if f.TooLarge {
			renderMessageNew(w, r, v, http.StatusRequestEntityTooLarge, f.values(), map[string]string{"attachments": "messages.err_attachments_too_large"})
			return
		}
		id, err := sup.StartThread(r.Context(), customerOf(r), webcore.LangOf(r), f.Subject, f.Body, f.Files)
		var fe support.FieldErrors
		switch {
		case errors.As(err, &fe):
			renderMessageNew(w, r, v, http.StatusUnprocessableEntity, f.values(), messageErrors(fe))
		case errors.Is(err, support.ErrThrottled):
			renderMessageNew(w, r, v, http.StatusTooManyRequests, f.values(), map[string]string{"body": "messages.err_throttled"})
		case err != nil:
			serverError(w, r, v, err)
		default:
			redirect(w, r, "/messages/"+strconv.FormatInt(id, 10)+"?notice=sent")
		}
	})
}
