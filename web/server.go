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
	"log/slog"
	"net/http"
	"net/netip"

	"carfin/db"
	"carfin/identity"
	"carfin/payments"
	"carfin/profile"
	"carfin/quotes"
	"carfin/servicing"
	"carfin/support"
	"carfin/webcore"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

// loadCatalogs reads the portal's message catalogs (locales/).
func loadCatalogs() (webcore.Catalogs, error) { return webcore.LoadCatalogs(localeFS) }

// Config configures the portal.
type Config struct {
	Brand webcore.Brand
	// TLS is true when the server (or the proxy in front) serves HTTPS:
	// cookies get Secure and the __Host- prefix, and HSTS is sent.
	TLS bool
	// TrustedProxies are the addresses whose X-Forwarded-For is believed.
	// Without them the client IP is the connection's remote address.
	TrustedProxies []netip.Prefix
	// Logo is the lender's logo (PNG, JPEG or SVG), shown in the header
	// beside the name; nil for none.
	Logo *webcore.Logo
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
	// Shed are the requests in flight per route class past which the
	// portal answers 503 with Retry-After (zero fields: the defaults,
	// webcore.DefaultShedLimits of the database pool).
	Shed webcore.ShedLimits
	// Ready answers /readyz (nil: the database alone).
	Ready *webcore.Readiness
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
	cfg.Log = webcore.WithRequestIDLog(cfg.Log) // handlers' lines carry the request id
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
