package web

import (
	"errors"
	"net/http"

	"carfin/identity"
	"carfin/webcore"
)

// handlePasskeyLoginBegin starts a passwordless sign-in with a passkey:
// it answers the options for navigator.credentials.get and sets a flow
// session cookie that holds the challenge.
func handlePasskeyLoginBegin(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		opts, iss, err := id.BeginPasskeyLogin(r.Context(), v.sessionToken(r), v.client(w, r))
		if errors.Is(err, identity.ErrThrottled) {
			writeJSON(w, http.StatusTooManyRequests, jsonError{Error: v.cat.Translate(webcore.LangOf(r), "err.throttled")})
			return
		}
		if err != nil {
			serverErrorJSON(w, r, v, "passkey sign-in begin", err)
			return
		}
		v.setSession(w, iss)
		rawJSON(w, opts)
	})
}

// handlePasskeyLoginFinish verifies the passkey's answer and signs in.
func handlePasskeyLoginFinish(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(r)
		if err != nil {
			writeJSON(w, http.StatusRequestEntityTooLarge, jsonError{Error: v.cat.Translate(webcore.LangOf(r), "err.passkey_failed")})
			return
		}
		iss, err := id.FinishPasskeyLogin(r.Context(), v.sessionToken(r), body, v.client(w, r))
		switch {
		case errors.Is(err, identity.ErrInvalidCredentials), errors.Is(err, identity.ErrNoSession):
			v.clearSession(w)
			writeJSON(w, http.StatusUnauthorized, jsonError{Error: v.cat.Translate(webcore.LangOf(r), "err.passkey_failed")})
			return
		case err != nil:
			serverErrorJSON(w, r, v, "passkey sign-in finish", err)
			return
		}
		v.setSession(w, iss)
		writeJSON(w, http.StatusOK, map[string]string{"redirect": webcore.SafeNext(r.URL.Query().Get("next"))})
	})
}

// handleSecondFactorPasskeyBegin answers the options for using a passkey
// as the second factor.
func handleSecondFactorPasskeyBegin(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		opts, err := id.BeginPasskeySecondFactor(r.Context(), v.sessionToken(r))
		switch {
		case errors.Is(err, identity.ErrNoSession):
			writeJSON(w, http.StatusUnauthorized, jsonError{Error: v.cat.Translate(webcore.LangOf(r), "login.restart"), Redirect: "/login?restart=1"})
			return
		case err != nil:
			writeJSON(w, http.StatusBadRequest, jsonError{Error: v.cat.Translate(webcore.LangOf(r), "err.passkey_failed")})
			return
		}
		rawJSON(w, opts)
	})
}

// handleSecondFactorPasskeyFinish completes sign-in with the passkey.
func handleSecondFactorPasskeyFinish(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(r)
		if err != nil {
			writeJSON(w, http.StatusRequestEntityTooLarge, jsonError{Error: v.cat.Translate(webcore.LangOf(r), "err.passkey_failed")})
			return
		}
		remember := r.URL.Query().Get("remember") == "on"
		iss, err := id.FinishPasskeySecondFactor(r.Context(), v.sessionToken(r), body, remember, v.client(w, r))
		switch {
		case errors.Is(err, identity.ErrNoSession):
			writeJSON(w, http.StatusUnauthorized, jsonError{Error: v.cat.Translate(webcore.LangOf(r), "login.restart"), Redirect: "/login?restart=1"})
			return
		case errors.Is(err, identity.ErrInvalidCode):
			writeJSON(w, http.StatusUnauthorized, jsonError{Error: v.cat.Translate(webcore.LangOf(r), "err.passkey_failed")})
			return
		case err != nil:
			serverErrorJSON(w, r, v, "passkey second factor", err)
			return
		}
		v.setSession(w, iss)
		writeJSON(w, http.StatusOK, map[string]string{"redirect": webcore.SafeNext(r.URL.Query().Get("next"))})
	})
}
