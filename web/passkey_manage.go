package web

import (
	"errors"
	"net/http"
	"strconv"

	"carfin/identity"
	"carfin/webcore"
)

// handlePasskeyAddBegin answers the options for navigator.credentials.create.
func handlePasskeyAddBegin(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		opts, err := id.BeginPasskeyRegistration(r.Context(), v.sessionToken(r))
		switch {
		case errors.Is(err, identity.ErrReauth):
			writeJSON(w, http.StatusForbidden, jsonError{Error: v.cat.Translate(webcore.LangOf(r), "reauth.needed"), Redirect: reauthURL("/security")})
			return
		case err != nil:
			v.cfg.Log.ErrorContext(r.Context(), "passkey registration begin", "err", err)
			writeJSON(w, http.StatusBadRequest, jsonError{Error: v.cat.Translate(webcore.LangOf(r), "err.passkey_failed")})
			return
		}
		rawJSON(w, opts)
	})
}

// handlePasskeyAddFinish stores the new passkey. When it is the first
// second factor the answer sends the page to the recovery codes.
func handlePasskeyAddFinish(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(r)
		if err != nil {
			writeJSON(w, http.StatusRequestEntityTooLarge, jsonError{Error: v.cat.Translate(webcore.LangOf(r), "err.passkey_failed")})
			return
		}
		codes, iss, err := id.FinishPasskeyRegistration(r.Context(), v.sessionToken(r), r.URL.Query().Get("name"), body, v.client(w, r))
		switch {
		case errors.Is(err, identity.ErrReauth):
			writeJSON(w, http.StatusForbidden, jsonError{Error: v.cat.Translate(webcore.LangOf(r), "reauth.needed"), Redirect: reauthURL("/security")})
			return
		case errors.Is(err, identity.ErrInvalidCode):
			writeJSON(w, http.StatusBadRequest, jsonError{Error: v.cat.Translate(webcore.LangOf(r), "err.passkey_failed")})
			return
		case err != nil:
			serverErrorJSON(w, r, v, "passkey registration finish", err)
			return
		}
		v.setSession(w, iss)
		out := map[string]any{"redirect": "/security?notice=passkey_on"}
		if len(codes) > 0 {
			out["recovery_codes"] = codes
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// handlePasskeyRemove removes a passkey (after re-authentication).
func handlePasskeyRemove(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pk, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			handleNotFound(v).ServeHTTP(w, r)
			return
		}
		err = id.RemovePasskey(r.Context(), v.sessionToken(r), pk, v.client(w, r))
		switch {
		case errors.Is(err, identity.ErrReauth):
			redirect(w, r, reauthURL("/security"))
		case errors.Is(err, identity.ErrLastFactor):
			renderSecurity(w, r, id, v, http.StatusConflict, map[string]string{"passkeys": "err.last_factor"})
		case errors.Is(err, identity.ErrNotFound):
			handleNotFound(v).ServeHTTP(w, r)
		case err != nil:
			serverError(w, r, v, err)
		default:
			redirect(w, r, "/security?notice=passkey_off")
		}
	})
}
