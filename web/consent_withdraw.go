package web

import (
	"errors"
	"net/http"

	"carfin/profile"
	"carfin/webcore"
)

// handleConsentWithdraw records the withdrawal of the paperless consent:
// documents go on paper again, at no charge.
func handleConsentWithdraw(pr *profile.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := pr.WithdrawConsent(r.Context(), customerOf(r), v.disclosure(webcore.LangOf(r)), v.actorOf(r))
		switch {
		case errors.Is(err, profile.ErrNotPaperless):
			redirect(w, r, "/profile/paperless")
		case err != nil:
			serverError(w, r, v, err)
		default:
			redirect(w, r, "/profile?notice=paperless_off")
		}
	})
}
