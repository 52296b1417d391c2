package web

import (
	"errors"
	"mime"
	"net/http"
	"strconv"

	"carfin/support"
)

// handleMessagesAttachment sends an attachment of one of the customer's
// threads back to them: always as a download (Content-Disposition:
// attachment), with the type found by sniffing when it was stored, nosniff
// (withSecurityHeaders) and a sandboxing CSP, so that a file can never run
// as a page of the portal. Another customer's attachment is not found.
func handleMessagesAttachment(sup *support.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tid, ok1 := idParam(r, "id")
		aid, ok2 := idParam(r, "aid")
		if !ok1 || !ok2 {
			handleNotFound(v).ServeHTTP(w, r)
			return
		}
		a, err := sup.Attachment(r.Context(), customerOf(r), tid, aid)
		if errors.Is(err, support.ErrNotFound) {
			handleNotFound(v).ServeHTTP(w, r)
			return
		}
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.ContentType)
		disp := mime.FormatMediaType("attachment", map[string]string{"filename": a.Name})
		if disp == "" {
			disp = `attachment; filename="attachment"`
		}
		h.Set("Content-Disposition", disp)
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		h.Set("Content-Length", strconv.Itoa(len(a.Data)))
		_, _ = w.Write(a.Data)
	})
}
