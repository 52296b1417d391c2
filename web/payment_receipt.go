package web

import (
	"net/http"
	"strconv"

	"carfin/payments"
)

// handlePaymentReceipt sends a payment's receipt PDF as a download.
// Another customer's payment is not found.
func handlePaymentReceipt(pay *payments.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pm, ok := loadPayment(w, r, pay, v)
		if !ok {
			return
		}
		pdf, err := pay.Receipt(r.Context(), customerOf(r), pm.ID)
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/pdf")
		h.Set("Content-Length", strconv.Itoa(len(pdf)))
		h.Set("Content-Disposition", `attachment; filename="`+payments.ReceiptFileName(pm)+`"`)
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		_, _ = w.Write(pdf)
	})
}
