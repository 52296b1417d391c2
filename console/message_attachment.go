package console

import (
	"errors"
	"mime"
	"net/http"
	"strconv"

	"carfin/casefile"
	"carfin/support"
)

// handleMessageAttachment sends a thread's attachment to staff: always
// as a download (Content-Disposition: attachment), with the type found
// by sniffing when it was stored, nosniff and a sandboxing CSP, so that
// a customer's file can never run as a page of the console. Each download
// is audited as a page of the customer's record. An unknown
// thread or attachment, or one of another thread, is not found.
func handleMessageAttachment(sup *support.Service, cf *casefile.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tid, ok := pathID(v, w, r, "id")
		if !ok {
			return
		}
		aid, ok := pathID(v, w, r, "att")
		if !ok {
			return
		}
		a, err := sup.StaffAttachment(r.Context(), tid, aid)
		if errors.Is(err, support.ErrNotFound) {
			v.notFound(w, r)
			return
		}
		if err != nil {
			v.serverError(w, r, err)
			return
		}
		if !threadOpened(w, r, sup, cf, v, tid, "attachment:"+strconv.FormatInt(aid, 10)) {
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.ContentType)
		disp := mime.FormatMediaType("attachment", map[string]string{"filename": a.Name})
		if disp == "" {
			disp = `attachment; filename="attachment"`
		}
		h.Set("Content-Disposition", disp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		h.Set("Cache-Control", "private, no-store")
		h.Set("Content-Length", strconv.Itoa(len(a.Data)))
		_, _ = w.Write(a.Data)
	})
}
