package web

import (
	"errors"
	"net/http"

	"carfin/profile"
)

// handleConsentGive records the consent to paperless delivery: the box
// must be ticked and the sample PDF's code typed (which shows the customer
// can open PDFs, 7001(c)(1)(C)(ii)). The disclosure recorded is the one
// shown, in the language it was shown in.
func handleConsentGive(pr *profile.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		errs := map[string]string{}
		if r.PostFormValue("agree") != "on" {
			errs["agree"] = "consent.err_agree"
		}
		if r.PostFormValue("code") == "" {
			errs["code"] = "consent.err_code_required"
		}
		if len(errs) > 0 {
			renderConsent(w, r, pr, v, http.StatusUnprocessableEntity, errs)
			return
		}
		lang := r.PostFormValue("lang")
		if lang != "es" {
			lang = "en"
		}
		// The version shown when the page was opened: a disclosure that
		// changed since is refused (ErrStaleDisclosure), not consented to.
		d := v.disclosure(lang)
		d.Version = r.PostFormValue("version")
		err := pr.GiveConsent(r.Context(), customerOf(r), d, r.PostFormValue("code"), v.actorOf(r))
		switch {
		case errors.Is(err, profile.ErrSampleCode):
			renderConsent(w, r, pr, v, http.StatusUnprocessableEntity, map[string]string{"code": "consent.err_code"})
		case errors.Is(err, profile.ErrStaleDisclosure):
			renderConsent(w, r, pr, v, http.StatusConflict, map[string]string{"": "consent.err_stale"})
		case err != nil:
			serverError(w, r, v, err)
		default:
			redirect(w, r, "/profile?notice=paperless_on")
		}
	})
}
