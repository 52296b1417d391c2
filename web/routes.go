package web

import (
	"net/http"

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
	mux.Handle("GET /readyz", webcore.Readyz(s.db))
	mux.Handle("GET /logo", webcore.LogoHandler(s.cfg.Logo))
	mux.Handle("GET /favicon.ico", webcore.Favicon(s.cfg.Brand))
	mux.Handle("GET /favicon.svg", webcore.Favicon(s.cfg.Brand))
	mux.Handle("/", notFound)

	cop := http.NewCrossOriginProtection()
	return webcore.Chain(webcore.WithRoute(mux),
		webcore.WithRecover(s.cfg.Log),
		webcore.WithRequestLog(s.cfg.Log, s.metrics),
		webcore.WithOneOrigin(s.cfg.BaseURL),
		webcore.WithSecurityHeaders(s.cfg.TLS),
		webcore.WithCompression,
		webcore.WithClientIP(s.cfg.TrustedProxies),
		webcore.WithBodyLimit(uploadBytesMax),
		cop.Handler, // refuses cross-site POSTs (Sec-Fetch-Site / Origin) with 403
		webcore.WithLang,
	)
}
