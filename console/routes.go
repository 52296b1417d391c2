package console

import (
	"net/http"
	"regexp"
	"strings"

	"carfin/staff"
	"carfin/support"
	"carfin/webcore"
)

// guard is requireStaff for one action ("" for any signed-in member).
type guard func(staff.Action) func(http.Handler) http.Handler

// routes is the console's whole HTTP surface, every path under Prefix.
// Each signed-in route names the action of the role table (staff.Can)
// it needs; a route with an id checks that the record exists and that
// the member may see it, answering 404 for both alike.
func (s *Server) routes() http.Handler {
	id, st, v := s.caps.Identity, s.caps.Staff, s.v
	mux := http.NewServeMux()
	may := guard(func(a staff.Action) func(http.Handler) http.Handler { return requireStaff(id, st, v, a) })

	// Signed out: sign-in, second factor, enrolment from the one-time link.
	mux.Handle("GET /staff/login", handleLoginShow(v))
	mux.Handle("POST /staff/login", handleLoginSubmit(id, v))
	mux.Handle("GET /staff/login/2fa", handleSecondFactorShow(id, v))
	mux.Handle("POST /staff/login/2fa", handleSecondFactorSubmit(id, st, v))
	mux.Handle("POST /staff/logout", handleLogout(id, v))
	mux.Handle("GET /staff/enrol", handleEnrolShow(st, v))
	mux.Handle("POST /staff/enrol", handleEnrolSubmit(st, v))

	// Signed in.
	mux.Handle("GET /staff/{$}", may("")(handleHome(s.caps, v)))
	s.customerRoutes(mux, may)
	s.messageRoutes(mux, may)
	s.moneyRoutes(mux, may)
	s.complaintRoutes(mux, may)
	s.teamRoutes(mux, may)

	// Assets, so that the console works on a listener of its own.
	notFound := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { v.notFound(w, r) })
	mux.Handle("GET /staff/static/", http.StripPrefix("/staff/static/", webcore.StaticFiles(notFound)))
	mux.Handle("GET /staff/theme.css", webcore.ThemeCSS(s.cfg.Brand))
	mux.Handle("GET /staff/favicon.svg", webcore.Favicon(s.cfg.Brand))
	mux.Handle("/staff/", notFound)
	if s.cfg.Ready != nil {
		mux.Handle("GET /readyz", s.cfg.Ready)
		mux.Handle("GET /healthz", webcore.Healthz())
	}

	cop := http.NewCrossOriginProtection()
	shed := webcore.NewShedder(s.cfg.Shed.Or(webcore.DefaultShedLimits(s.db.Read.Stats().MaxOpenConnections)), shedClass)
	return webcore.Chain(webcore.WithRoute(mux),
		webcore.WithRequestID(s.cfg.TrustedProxies),
		webcore.WithRecover(s.cfg.Log),
		webcore.WithRequestLog(s.cfg.Log, s.cfg.Metrics),
		webcore.WithSecurityHeaders(s.cfg.TLS),
		shed.Middleware,
		webcore.WithCompression,
		webcore.WithClientIP(s.cfg.TrustedProxies),
		withAllowList(s.cfg.Allow),
		webcore.WithBodyLimit(uploadBytesMax),
		cop.Handler, // refuses cross-site POSTs (Sec-Fetch-Site / Origin) with 403
	)
}

// replyPath is a secure message's reply, the one console route that
// takes files.
var replyPath = regexp.MustCompile(`^/staff/messages/[0-9]+/reply$`)

// uploadBytesMax is the body limit of a route that takes files: a reply
// with its attachments, and room for the form around them.
func uploadBytesMax(r *http.Request) int64 {
	if r.Method == http.MethodPost && replyPath.MatchString(r.URL.Path) {
		return support.AttachmentsPerMessageMax*support.AttachmentBytesMax + 1<<20
	}
	return 0
}

// phonePayPath is the console's payment submission: a payment taken on
// the phone (POST only).
var phonePayPath = regexp.MustCompile(`^/staff/customers/[^/]+/contracts/[^/]+/pay$`)

// shedClass is a request's class for the load shedder: sign-in, second
// factor, enrolment and sign-out, and phone payments each have their own
// allowance, apart from page views; static files and probes are not
// limited.
func shedClass(r *http.Request) webcore.ShedClass {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/staff/static/"), p == "/staff/theme.css", p == "/staff/favicon.svg", p == "/readyz", p == "/healthz":
		return webcore.ShedNone
	case p == "/staff/login", strings.HasPrefix(p, "/staff/login/"), p == "/staff/logout", p == "/staff/enrol":
		return webcore.ShedAuth
	case r.Method == http.MethodPost && phonePayPath.MatchString(p):
		return webcore.ShedMoney
	}
	return webcore.ShedPages
}
