package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"carfin/db"
	"carfin/identity"
	"carfin/webcore"
)

type ctxSessionKey struct{}

// sessionOf returns the signed-in session that requireSession found.
func sessionOf(r *http.Request) *identity.Session {
	s, _ := r.Context().Value(ctxSessionKey{}).(*identity.Session)
	return s
}

// requireSession lets only signed-in customers through. Anyone else is
// sent to the sign-in page (which returns them here afterwards); a cookie
// of an ended session is cleared, and the sign-in page told why it ended.
func requireSession(id *identity.Service, v *views) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token := v.sessionToken(r)
			ss, err := id.Session(r.Context(), token)
			if err == nil && ss.Login.Realm != identity.Customer {
				err = identity.ErrNoSession
			}
			if err != nil {
				if !errors.Is(err, identity.ErrNoSession) {
					serverError(w, r, v, err)
					return
				}
				q := url.Values{}
				if r.Method == http.MethodGet {
					q.Set("next", r.URL.RequestURI())
				}
				if _, perr := id.PartialSession(r.Context(), token); perr == nil {
					// Signed in halfway: finish the second step first.
					redirect(w, r, "/login/2fa?"+q.Encode())
					return
				}
				if token != "" {
					// Say why: idle, or ended on purpose elsewhere.
					q.Set("ended", endedParam(r, id, v, token))
					v.clearSession(w)
				}
				redirect(w, r, "/login?"+q.Encode())
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxSessionKey{}, ss)))
		})
	}
}

// serverError logs err and shows the error page: 500, or 503 with
// Retry-After when the database is unreachable, shutting down, full or
// read-only (db.IsUnavailable), which the same request may get past in a
// few seconds, and which a proxy may send to another instance.
func serverError(w http.ResponseWriter, r *http.Request, v *views, err error) {
	if db.IsUnavailable(err) {
		v.cfg.Log.WarnContext(r.Context(), "request failed: database unavailable", "route", r.Pattern, "err", err)
		webcore.SetUnavailable(w)
		v.message(w, r, http.StatusServiceUnavailable, "error.unavailable_title", "error.unavailable", "/", "nav.home")
		return
	}
	v.cfg.Log.ErrorContext(r.Context(), "request failed", "route", r.Pattern, "err", err)
	v.message(w, r, http.StatusInternalServerError, "error.title", "error.server", "/", "nav.home")
}

// serverErrorJSON is serverError for the endpoints the pages' scripts
// call (passkey ceremonies, the idle check): {"error": …} with 500, or
// 503 and Retry-After when the database is unavailable. what names the
// step in the log.
func serverErrorJSON(w http.ResponseWriter, r *http.Request, v *views, what string, err error) {
	lang := webcore.LangOf(r)
	if db.IsUnavailable(err) {
		v.cfg.Log.WarnContext(r.Context(), what+": database unavailable", "route", r.Pattern, "err", err)
		webcore.SetUnavailable(w)
		writeJSON(w, http.StatusServiceUnavailable, jsonError{Error: v.cat.Translate(lang, "error.unavailable")})
		return
	}
	v.cfg.Log.ErrorContext(r.Context(), what, "route", r.Pattern, "err", err)
	writeJSON(w, http.StatusInternalServerError, jsonError{Error: v.cat.Translate(lang, "error.server")})
}

// reauthURL is where a sensitive action sends a user who has not proved
// who they are in the last five minutes.
func reauthURL(next string) string {
	return "/reauth?" + url.Values{"next": {webcore.SafeNext(next)}}.Encode()
}

// passwordErrorKey maps a password policy error to its message.
func passwordErrorKey(err error) string {
	switch {
	case errors.Is(err, identity.ErrPasswordTooShort):
		return "err.password_short"
	case errors.Is(err, identity.ErrPasswordTooLong):
		return "err.password_long"
	case errors.Is(err, identity.ErrPasswordCommon):
		return "err.password_common"
	case errors.Is(err, identity.ErrPasswordPersonal):
		return "err.password_personal"
	case errors.Is(err, identity.ErrPasswordInvalid):
		return "err.password_invalid"
	}
	return ""
}
