// Package console is carfin's staff console over HTTP: the servicing
// team's side, a realm of its own beside the customer portal (package
// web). Agents find a customer, verify a caller, see the whole account,
// unlock a login, answer secure messages, take a payment by phone and
// request waivers and reversals; supervisors approve them and manage
// complaints; admins manage staff; auditors read.
//
// The realm is separate from the portal in every way that matters:
//
//   - every route is under /staff/, and the console may also listen on
//     an address of its own (--staff-addr) so a lender can keep it off
//     the internet, behind an optional IP allow-list (--staff-allow);
//   - its session cookie is its own, and only a staff login's session
//     passes requireStaff (a customer session never reaches a staff
//     route; the portal refuses a staff session in turn);
//   - staff sessions end after 10 idle minutes and 10 hours in all
//     (identity.StaffSessionIdle, identity.StaffSessionAbsolute);
//   - a staff member signs in with a password and always a second
//     factor, and is refused once disabled, whatever their session;
//   - what a member may do is staff.Can's table, checked per route.
//
// Every customer record opened and every change is written to the
// hash-chained audit log with who, what, which customer and why. The
// package holds no business rules: it reads forms, asks the
// capabilities and renders pages. routes.go shows the whole surface.
package console

import (
	"embed"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"

	"carfin/approvals"
	"carfin/callers"
	"carfin/casefile"
	"carfin/complaints"
	"carfin/db"
	"carfin/identity"
	"carfin/notes"
	"carfin/payments"
	"carfin/quotes"
	"carfin/servicing"
	"carfin/staff"
	"carfin/support"
	"carfin/webcore"
)

//go:embed templates/*.html
var templateFS embed.FS

// Prefix is where the console's routes live.
const Prefix = "/staff"

// Config configures the console.
type Config struct {
	Brand webcore.Brand
	// TLS is true when the console (or the proxy in front) serves HTTPS:
	// the cookie gets Secure and the __Host- prefix, and HSTS is sent.
	TLS bool
	// TrustedProxies are the addresses whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// Allow, when not empty, are the only client networks the console
	// answers (--staff-allow); anyone else gets 403 before any page.
	Allow []netip.Prefix
	Log   *slog.Logger
	// Shed are the requests in flight per route class past which the
	// console answers 503 with Retry-After (zero fields: the defaults,
	// webcore.DefaultShedLimits of the database pool).
	Shed webcore.ShedLimits
	// Ready, when set, answers /readyz and /healthz on the console's
	// routes too, for a console on a listener of its own (--staff-addr).
	Ready *webcore.Readiness
	// Metrics counts the console's requests (nil: not counted).
	Metrics webcore.Observer
}

// Capabilities are the services the console's handlers call; New
// refuses a missing one.
type Capabilities struct {
	Identity   *identity.Service
	Staff      *staff.Service
	Callers    *callers.Service
	Casefile   *casefile.Service
	Servicing  *servicing.Service
	Payments   *payments.Service
	Quotes     *quotes.Service
	Support    *support.Service
	Notes      *notes.Service
	Approvals  *approvals.Service
	Complaints *complaints.Service
}

func (c Capabilities) validate() error {
	if c.Identity == nil || c.Staff == nil || c.Callers == nil || c.Casefile == nil || c.Servicing == nil || c.Payments == nil ||
		c.Quotes == nil || c.Support == nil || c.Notes == nil || c.Approvals == nil || c.Complaints == nil {
		return fmt.Errorf("console: every capability is required: %+v", c)
	}
	return nil
}

// Server is the staff console.
type Server struct {
	cfg     Config
	db      *db.DB
	caps    Capabilities
	v       *views
	handler http.Handler
}

// New builds the console over its capabilities.
func New(cfg Config, d *db.DB, caps Capabilities) (*Server, error) {
	if err := caps.validate(); err != nil {
		return nil, err
	}
	if err := cfg.Brand.Validate(); err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	cfg.Log = webcore.WithRequestIDLog(cfg.Log) // handlers' lines carry the request id
	v, err := newViews(cfg)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	if loc := caps.Payments.Config().Cutoff.Location; loc != nil {
		v.loc = loc
	}
	s := &Server{cfg: cfg, db: d, caps: caps, v: v}
	s.handler = s.routes()
	return s, nil
}

// ServeHTTP serves the console (paths under Prefix).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }
