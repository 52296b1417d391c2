package console

import (
	"net/http"

	"carfin/payments"
)

// returnsListMax bounds the returns listed (payments' own bound).
const returnsListMax = 200

// handleReturnList lists the returns flagged for staff review, the
// newest first.
func handleReturnList(c Capabilities, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs, err := c.Payments.ReturnsForReview(r.Context(), returnsListMax)
		if err != nil {
			v.serverError(w, r, err)
			return
		}
		p := v.page(r, "Returns awaiting review")
		p.Data = struct{ Returns []payments.Return }{rs}
		v.render(w, http.StatusOK, "return_list", p)
	})
}
