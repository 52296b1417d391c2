package web

import (
	"net/http"
	"strconv"

	"carfin/profile"
	"carfin/webcore"
)

// handleConsentSample serves the sample PDF whose code the customer types
// to consent. It is a download, like every document.
func handleConsentSample(v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pdf, err := profile.SamplePDF(webcore.LangOf(r), v.cfg.Brand.Name, profile.SampleCode(customerOf(r)))
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `attachment; filename="sample.pdf"`)
		w.Header().Set("Content-Length", strconv.Itoa(len(pdf)))
		_, _ = w.Write(pdf)
	})
}
