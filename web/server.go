// Package web is carfin's customer portal over HTTP: it parses requests,
// asks the capabilities (identity now; servicing, payments… later) and
// renders pages. It holds no business rules. routes.go shows the whole
// surface; each user action has its own file.
//
// Every page works without JavaScript; app.js only adds passkeys (which
// need the browser's WebAuthn API) and the idle-timeout warning. Pages
// make no third-party requests: styles, scripts and images are served
// from /static, embedded in the binary.
package web

import (
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"carfin/colour"
	"carfin/db"
	"carfin/identity"
	"carfin/payments"
	"carfin/profile"
	"carfin/quotes"
	"carfin/servicing"
	"carfin/support"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

// Brand is the lender's white-label identity.
type Brand struct {
	// Name is the lender's name, e.g. "Northwind Motor Finance".
	Name string
	// Primary and Accent are CSS hex colours (#rrggbb).
	Primary string
	Accent  string
	// SupportPhone and SupportHours are shown in the footer;
	// SupportHoursES is the hours in Spanish (SupportHours when empty).
	SupportPhone   string
	SupportHours   string
	SupportHoursES string
}

// Hours is the support hours in lang.
func (b Brand) Hours(lang string) string {
	if lang == "es" && b.SupportHoursES != "" {
		return b.SupportHoursES
	}
	return b.SupportHours
}

// DefaultBrand is the fictional demo lender.
var DefaultBrand = Brand{Name: "Northwind Motor Finance", Primary: "#0b5394", Accent: "#e69138",
	SupportPhone: "1-800-555-0199", SupportHours: "Mon–Fri 8am–8pm ET", SupportHoursES: "lun.–vie., 8 a. m.–8 p. m. (hora del Este)"}

// Validate reports a colour that is not #rrggbb (it goes into CSS), and a
// primary colour too light to read: the portal writes links and button
// labels in it on white and white text on it, so it needs WCAG 2 AA's
// 4.5:1 against white (1.4.3). The message names the nearest darker shade
// of the same hue that passes. The accent needs no check: the portal
// writes on it in whichever of white or black reads best (Theme).
func (b Brand) Validate() error {
	if strings.TrimSpace(b.Name) == "" {
		return fmt.Errorf("lender name is empty")
	}
	if utf8.RuneCountInString(b.Name) > brandNameMax {
		return fmt.Errorf("lender name %q: at most %d characters (it is the header's wordmark)", b.Name, brandNameMax)
	}
	primary, err := colour.Parse(b.Primary)
	if err != nil {
		return fmt.Errorf("primary %w", err)
	}
	if _, err := colour.Parse(b.Accent); err != nil {
		return fmt.Errorf("accent %w", err)
	}
	if c := colour.Contrast(primary, colour.White); c < colour.TextContrastMin {
		fix, _ := colour.Darken(primary, colour.White, colour.TextContrastMin)
		return fmt.Errorf("primary colour %s has a contrast of %.2f:1 against white; links and buttons need %.1f:1 (WCAG 2 AA): use a darker shade such as %s",
			b.Primary, c, colour.TextContrastMin, fix.Hex())
	}
	return nil
}

// Initials are the monogram of the default wordmark, when the lender has
// no logo: the first letters of the name's first two words that start
// with a letter or digit ("Northwind Motor Finance" → "NM").
func (b Brand) Initials() string {
	var out []rune
	for _, w := range strings.Fields(b.Name) {
		r, _ := utf8.DecodeRuneInString(w)
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			out = append(out, unicode.ToUpper(r))
		}
		if len(out) == 2 {
			break
		}
	}
	return string(out)
}

// brandNameMax bounds the lender's name, which the header prints as its
// wordmark when there is no logo.
const brandNameMax = 60

// Theme is the stylesheet of the lender's colours: the primary, its text
// colour and a light tint for backgrounds, and the accent with the text
// colour that reads best on it. Validate has checked the colours.
func (b Brand) Theme() string {
	primary, _ := colour.Parse(b.Primary)
	accent, _ := colour.Parse(b.Accent)
	return fmt.Sprintf(":root{--brand:%s;--brand-ink:%s;--brand-tint:%s;--brand-soft:%s;--accent:%s;--accent-ink:%s}\n",
		primary.Hex(), colour.BestText(primary, colour.White).Hex(), colour.Mix(primary, colour.White, 92).Hex(),
		colour.Mix(primary, colour.White, 80).Hex(), accent.Hex(), colour.BestText(accent, colour.Ink).Hex())
}

// Config configures the portal.
type Config struct {
	Brand Brand
	// TLS is true when the server (or the proxy in front) serves HTTPS:
	// cookies get Secure and the __Host- prefix, and HSTS is sent.
	TLS bool
	// TrustedProxies are the addresses whose X-Forwarded-For is believed.
	// Without them the client IP is the connection's remote address.
	TrustedProxies []netip.Prefix
	// Logo is the lender's logo (PNG, JPEG or SVG), shown in the header
	// beside the name; nil for none.
	Logo *Logo
	// MailingAddresses are the lender's postal addresses shown on the
	// contact page (and the correspondence one in the E-SIGN disclosure).
	MailingAddresses []MailingAddress
	// BaseURL is the portal's public origin ("https://portal.lender.example"),
	// for the card processor's tokenizer to redirect back to.
	BaseURL string
	// CardTokenizer is the address the card form posts the card number
	// to: the card processor's tokenizer, never this portal's handlers
	// (PCI DSS), which answers with a redirect back carrying a token. A
	// path ("/cardtest/tokens", the built-in test processor mounted beside
	// the portal) or another origin's URL. "" when cards are not taken.
	CardTokenizer string
	Log           *slog.Logger
}

// Logo is an image served at /logo.
type Logo struct {
	ContentType string
	Data        []byte
}

// Server is the portal.
type Server struct {
	cfg     Config
	db      *db.DB
	id      *identity.Service
	caps    Capabilities
	v       *views
	metrics *metrics
	handler http.Handler
}

// Capabilities are the services the portal's handlers call. Each area of
// the portal adds its own; New refuses a missing one.
type Capabilities struct {
	Identity  *identity.Service
	Servicing *servicing.Service
	// Quotes makes and keeps payoff and lease-end quotes (account pages).
	Quotes *quotes.Service
	// Profile, Support and FAQ serve the profile and support pages.
	Profile *profile.Service
	Support *support.Service
	FAQ     *support.FAQ
	// Payments serves the payment pages: methods, one-time and scheduled
	// payments, autopay.
	Payments *payments.Service
}

func (c Capabilities) validate() error {
	if c.Identity == nil || c.Servicing == nil || c.Quotes == nil || c.Profile == nil || c.Support == nil || c.FAQ == nil || c.Payments == nil {
		return fmt.Errorf("web: every capability is required: %+v", c)
	}
	return nil
}

// New builds the portal over its capabilities.
func New(cfg Config, d *db.DB, caps Capabilities) (*Server, error) {
	if err := caps.validate(); err != nil {
		return nil, err
	}
	id := caps.Identity
	if err := cfg.Brand.Validate(); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	cat, err := loadCatalogs()
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	v, err := newViews(cfg, cat)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	// Moments (a message sent, a consent given, a device last seen) are
	// shown in the lender's time zone, the one its cut-off is in.
	if loc := caps.Payments.Config().Cutoff.Location; loc != nil {
		v.loc = loc
	}
	s := &Server{cfg: cfg, db: d, id: id, caps: caps, v: v, metrics: newMetrics()}
	s.handler = s.routes()
	return s, nil
}

// ServeHTTP serves the portal.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// staticFiles serves the embedded static files, files only: a directory
// (or a path ending in "/") gets notFound, never a listing.
func staticFiles(notFound http.Handler) http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embedded tree always has static/
	}
	files := withStaticCache(http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		if st, err := fs.Stat(sub, name); name == "" || strings.HasSuffix(name, "/") || err != nil || st.IsDir() {
			notFound.ServeHTTP(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
}
