package web

import (
	"net/http"
	"regexp"
	"strings"

	"carfin/webcore"
)

// routes is the portal's whole HTTP surface.
func (s *Server) routes() http.Handler {
	id, v := s.id, s.v
	mux := http.NewServeMux()

	// Signed out: sign-in, second factor, enrolment, recovery, links from emails.
	mux.Handle("GET /login", handleLoginShow(v))
	mux.Handle("POST /login", handleLoginSubmit(id, v))
	mux.Handle("POST /login/passkey/begin", handlePasskeyLoginBegin(id, v))
	mux.Handle("POST /login/passkey/finish", handlePasskeyLoginFinish(id, v))
	mux.Handle("GET /login/2fa", handleSecondFactorShow(id, v))
	mux.Handle("POST /login/2fa", handleSecondFactorSubmit(id, v))
	mux.Handle("POST /login/2fa/send-code", handleSecondFactorSendCode(id, v))
	mux.Handle("POST /login/2fa/passkey/begin", handleSecondFactorPasskeyBegin(id, v))
	mux.Handle("POST /login/2fa/passkey/finish", handleSecondFactorPasskeyFinish(id, v))
	mux.Handle("POST /logout", handleLogout(id, v))
	mux.Handle("GET /enrol", handleEnrolShow(v))
	mux.Handle("POST /enrol", handleEnrolSubmit(id, v))
	mux.Handle("GET /enrol/verify", handleEnrolVerifyShow(id, v))
	mux.Handle("POST /enrol/verify", handleEnrolVerifySubmit(id, v))
	mux.Handle("GET /forgot", handleForgotShow(v))
	mux.Handle("POST /forgot", handleForgotSubmit(id, v))
	mux.Handle("GET /reset", handleResetShow(id, v))
	mux.Handle("POST /reset", handleResetSubmit(id, v))
	mux.Handle("GET /reset/code", handleResetCodeShow(v))
	mux.Handle("POST /reset/code", handleResetCodeSubmit(id, v))
	mux.Handle("GET /unlock", handleUnlockShow(id, v))
	mux.Handle("POST /unlock", handleUnlockSubmit(id, v))
	mux.Handle("GET /wasnt-me", handleWasntMeShow(id, v))
	mux.Handle("POST /wasnt-me", handleWasntMeSubmit(id, v))
	mux.Handle("POST /lang", handleLangSwitch(v))

	// Signed in.
	auth := requireSession(id, v)
	s.accountRoutes(mux, auth)
	mux.Handle("GET /session/idle", handleIdleWarning(id, v))
	mux.Handle("GET /session/remaining", handleSessionRemaining(id, v)) // not auth: asking is not activity
	mux.Handle("POST /session/extend", handleSessionExtend(id, v))
	mux.Handle("GET /reauth", auth(handleReauthShow(v)))
	mux.Handle("POST /reauth", auth(handleReauthSubmit(id, v)))
	mux.Handle("GET /security", auth(handleSecurityShow(id, v)))
	mux.Handle("POST /security/password", auth(handlePasswordChange(id, v)))
	mux.Handle("GET /security/totp", auth(handleTOTPSetupShow(id, v)))
	mux.Handle("POST /security/totp", auth(handleTOTPSetupConfirm(id, v)))
	mux.Handle("POST /security/totp/remove", auth(handleTOTPRemove(id, v)))
	mux.Handle("POST /security/recovery-codes", auth(handleRecoveryCodesRegenerate(id, v)))
	mux.Handle("POST /security/passkeys/begin", auth(handlePasskeyAddBegin(id, v)))
	mux.Handle("POST /security/passkeys/finish", auth(handlePasskeyAddFinish(id, v)))
	mux.Handle("POST /security/passkeys/{id}/remove", auth(handlePasskeyRemove(id, v)))
	mux.Handle("POST /security/sessions/{id}/revoke", auth(handleSessionRevoke(id, v)))
	mux.Handle("POST /security/sessions/revoke-all", auth(handleSessionRevokeAll(id, v)))
	s.supportRoutes(mux, auth)
	s.paymentRoutes(mux, auth)

	// Assets and probes; anything else is not found, with the signed-in
	// navigation for a customer who is signed in.
	notFound := withSessionPeek(id, v)(handleNotFound(v))
	mux.Handle("GET /static/", http.StripPrefix("/static/", webcore.StaticFiles(notFound)))
	mux.Handle("GET /theme.css", webcore.ThemeCSS(s.cfg.Brand))
	mux.Handle("GET /healthz", webcore.Healthz())
	ready := s.cfg.Ready
	if ready == nil {
		ready = webcore.Readyz(s.db)
	}
	mux.Handle("GET /readyz", ready)
	mux.Handle("GET /logo", webcore.LogoHandler(s.cfg.Logo))
	mux.Handle("GET /favicon.ico", webcore.Favicon(s.cfg.Brand))
	mux.Handle("GET /favicon.svg", webcore.Favicon(s.cfg.Brand))
	mux.Handle("/", notFound)

	cop := http.NewCrossOriginProtection()
	shed := webcore.NewShedder(s.cfg.Shed.Or(webcore.DefaultShedLimits(s.db.Read.Stats().MaxOpenConnections)), shedClass)
	return webcore.Chain(webcore.WithRoute(mux),
		webcore.WithRequestID(s.cfg.TrustedProxies),
		webcore.WithRecover(s.cfg.Log),
		webcore.WithRequestLog(s.cfg.Log, s.metrics),
		webcore.WithOneOrigin(s.cfg.BaseURL),
		webcore.WithSecurityHeaders(s.cfg.TLS),
		shed.Middleware,
		webcore.WithCompression,
		webcore.WithClientIP(s.cfg.TrustedProxies),
		webcore.WithBodyLimit(uploadBytesMax),
		cop.Handler, // refuses cross-site POSTs (Sec-Fetch-Site / Origin) with 403
		webcore.WithLang,
	)
}

// moneyPath are the portal's routes that submit a payment: a one-time
// payment, a scheduled one's change or cancellation, autopay's enrolment,
// change and stop (POST only).
var moneyPath = regexp.MustCompile(`^/(contracts/[^/]+/(pay|autopay|autopay/change|autopay/stop)|payments/[^/]+/(edit|cancel))$`)

// shedClass is a request's class for the load shedder: sign-in, second
// factor, re-authentication, enrolment and sign-out, and payment
// submissions each have their own allowance, apart from page views;
// static files and probes are not limited.
func shedClass(r *http.Request) webcore.ShedClass {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/static/"), p == "/theme.css", p == "/healthz", p == "/readyz", p == "/logo", p == "/favicon.ico", p == "/favicon.svg":
		return webcore.ShedNone
	case p == "/login", strings.HasPrefix(p, "/login/"), p == "/logout", p == "/reauth", p == "/enrol", strings.HasPrefix(p, "/enrol/"):
		return webcore.ShedAuth
	case r.Method == http.MethodPost && moneyPath.MatchString(p):
		return webcore.ShedMoney
	}
	return webcore.ShedPages
}
