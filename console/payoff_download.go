package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"carfin/db"
	"carfin/documents"
	"carfin/quotes"
)

// handlePayoffDownload sends a payoff letter of the contract as a PDF
// attachment: {file} is its number and ".pdf", a customer's quote (PQ-,
// LQ-, from the customer's documents) or a dealer's letter (DQ-, as
// issued). Another contract's is not found.
func handlePayoffDownload(c Capabilities, rd db.Querier, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cv, ok := openCustomer(c, v, w, r)
		if !ok {
			return
		}
		contractID, ok := contractOf(cv, v, w, r)
		if !ok {
			return
		}
		number, isPDF := strings.CutSuffix(r.PathValue("file"), ".pdf")
		if !isPDF || !quoteNumber.MatchString(number) {
			v.notFound(w, r)
			return
		}
		ctx := r.Context()
		var pdf []byte
		if strings.HasPrefix(number, "DQ-") {
			_, b, err := c.Quotes.DealerLetter(ctx, contractID, number)
			if errors.Is(err, quotes.ErrNotFound) {
				v.notFound(w, r)
				return
			}
			if err != nil {
				v.serverError(w, r, err)
				return
			}
			pdf = b
		} else {
			q, err := c.Quotes.Get(ctx, cv.CustomerID, contractID, number)
			if errors.Is(err, quotes.ErrNotFound) || (err == nil && q.DocumentID == 0) {
				v.notFound(w, r)
				return
			}
			if err != nil {
				v.serverError(w, r, err)
				return
			}
			doc, err := documents.Get(ctx, rd, cv.CustomerID, q.DocumentID)
			if errors.Is(err, documents.ErrNotFound) {
				v.notFound(w, r)
				return
			}
			if err != nil {
				v.serverError(w, r, err)
				return
			}
			pdf = doc.Content
		}
		h := w.Header()
		h.Set("Content-Type", "application/pdf")
		h.Set("Content-Length", strconv.Itoa(len(pdf)))
		// The number is letters, digits and hyphens (quoteNumber).
		h.Set("Content-Disposition", `attachment; filename="`+number+`.pdf"`)
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		_, _ = w.Write(pdf)
	})
}
