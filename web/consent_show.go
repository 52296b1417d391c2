package web

import (
	"net/http"

	"carfin/profile"
)

// consentData is what the paperless page shows.
type consentData struct {
	State      profile.ConsentState
	Disclosure profile.Disclosure
}

// disclosure returns the E-SIGN disclosure in lang with the lender's
// details.
func (v *views) disclosure(lang string) profile.Disclosure {
	b := v.cfg.Brand
	return profile.NewDisclosure(lang, profile.DisclosureInfo{Lender: b.Name, Phone: b.SupportPhone, Hours: b.Hours(lang),
		Address: v.cfg.correspondenceAddress()})
}

func renderConsent(w http.ResponseWriter, r *http.Request, pr *profile.Service, v *views, status int, errs map[string]string) {
	st, err := pr.Consent(r.Context(), customerOf(r))
	if err != nil {
		serverError(w, r, v, err)
		return
	}
	p := v.page(r, "consent.title")
	p.Session = sessionOf(r)
	p.Data = consentData{State: st, Disclosure: v.disclosure(p.Lang)}
	for k, e := range errs {
		p.Errors[k] = e
	}
	v.render(w, status, "profile_paperless", p)
}

// handleConsentShow shows the paperless state and the E-SIGN disclosure
// (15 USC 7001(c)(1)), with the form to consent or to withdraw.
func handleConsentShow(pr *profile.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renderConsent(w, r, pr, v, http.StatusOK, nil)
	})
}
