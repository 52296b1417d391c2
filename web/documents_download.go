package web

import (
	"errors"
	"net/http"
	"strconv"

	"carfin/db"
	"carfin/documents"
)

// downloadTypes are the content types served as themselves; anything
// else is served as application/octet-stream, so that no stored file can
// run as a page on this origin.
var downloadTypes = map[string]bool{"application/pdf": true, "text/csv": true, "image/png": true, "image/jpeg": true}

// handleDocumentDownload sends one of the customer's documents as an
// attachment. Another customer's document is not found, exactly like one
// that does not exist.
func handleDocumentDownload(rd db.Querier, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cust := sessionOf(r).Login.CustomerID
		id, ok := pathID(r, "id")
		if !ok {
			notFound(w, r, v)
			return
		}
		d, err := documents.Get(r.Context(), rd, cust, id)
		if errors.Is(err, documents.ErrNotFound) {
			notFound(w, r, v)
			return
		}
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		ct := d.ContentType
		if !downloadTypes[ct] {
			ct = "application/octet-stream"
		}
		h := w.Header()
		h.Set("Content-Type", ct)
		h.Set("Content-Length", strconv.Itoa(len(d.Content)))
		h.Set("Content-Disposition", `attachment; filename="`+safeFileName(d.FileName)+`"`)
		// A document is personal: never cached by a shared cache (the
		// security headers already say no-store) nor shown framed.
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		_, _ = w.Write(d.Content)
	})
}
