package web

import (
	"net/http"

	"carfin/support"
)

// handleMessagesList lists the customer's secure message threads, the
// latest first, marking those with an unread reply.
func handleMessagesList(sup *support.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		threads, err := sup.Threads(r.Context(), customerOf(r))
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		p := v.page(r, "messages.title")
		p.Session = sessionOf(r)
		p.Data = threads
		if r.URL.Query().Get("notice") == "sent" {
			p.Notice = "messages.notice_sent"
		}
		v.render(w, http.StatusOK, "messages", p)
	})
}
