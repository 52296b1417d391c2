package webcore

import (
	"fmt"
	"html/template"
	"net/http"

	"carfin/colour"
)

// staticMaxAge: static files are cached for an hour (they change only
// with a new release).
const staticMaxAge = 3600

func WithStaticCache(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", staticMaxAge))
		next.ServeHTTP(w, r)
	})
}

// ThemeCSS serves the lender's colours as CSS custom properties
// (a file, because the CSP allows no inline styles).
func ThemeCSS(b Brand) http.Handler {
	css := b.Theme()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", staticMaxAge))
		_, _ = w.Write([]byte(css))
	})
}

// Healthz answers 200 while the process serves.
func Healthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
}

// LogoHandler serves the lender's logo, or 404 when there is none.
func LogoHandler(logo *Logo) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if logo == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", logo.ContentType)
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", staticMaxAge))
		if logo.ContentType == "image/svg+xml" {
			// An SVG can hold script: never run it, whatever the CSP above.
			w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
		}
		_, _ = w.Write(logo.Data)
	})
}

// Favicon serves the tab's icon: the header's monogram, the lender's
// initials on its primary colour, as SVG (every browser asks for
// /favicon.ico; the layout names /favicon.svg). Without it each first page
// of a visit logs a failed request in the browser's console.
func Favicon(b Brand) http.Handler {
	primary, _ := colour.Parse(b.Primary)
	svg := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="%s"/>`+
		`<text x="32" y="42" font-family="system-ui,sans-serif" font-size="28" font-weight="800" text-anchor="middle" fill="%s">%s</text></svg>`,
		primary.Hex(), colour.BestText(primary, colour.White).Hex(), template.HTMLEscapeString(b.Initials()))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", staticMaxAge))
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
		_, _ = w.Write([]byte(svg))
	})
}
