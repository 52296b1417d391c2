package web

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"

	"carfin/identity"
)

type totpSetupData struct {
	QR     template.URL
	Secret string
}

func renderTOTPSetup(w http.ResponseWriter, r *http.Request, id *identity.Service, v *views, status int, codeErr bool) {
	setup, err := id.BeginTOTP(r.Context(), v.sessionToken(r))
	if errors.Is(err, identity.ErrReauth) {
		redirect(w, r, reauthURL("/security/totp"))
		return
	}
	if errors.Is(err, identity.ErrNoKeys) {
		v.message(w, r, http.StatusServiceUnavailable, "totp.title", "err.totp_unavailable", "/security", "security.title")
		return
	}
	if err != nil {
		serverError(w, r, v, err)
		return
	}
	p := v.page(r, "totp.title")
	p.Session = sessionOf(r)
	// The QR code is a PNG made on the server, inline as a data: URL (no
	// third-party QR service ever sees the secret).
	p.Data = totpSetupData{QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(setup.QRPNG)), Secret: setup.Secret}
	if codeErr {
		p.Errors["code"] = "err.code_invalid"
	}
	v.render(w, status, "totp_setup", p)
}

// handleTOTPSetupShow shows the QR code and key of a new authenticator
// app enrolment (after re-authentication).
func handleTOTPSetupShow(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renderTOTPSetup(w, r, id, v, http.StatusOK, false)
	})
}

// handleTOTPSetupConfirm enables the app with a code from it; the first
// second factor shows the new recovery codes once.
func handleTOTPSetupConfirm(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		codes, iss, err := id.ConfirmTOTP(r.Context(), v.sessionToken(r), r.PostFormValue("code"), v.client(w, r))
		switch {
		case errors.Is(err, identity.ErrReauth):
			redirect(w, r, reauthURL("/security/totp"))
			return
		case errors.Is(err, identity.ErrInvalidCode):
			renderTOTPSetup(w, r, id, v, http.StatusUnprocessableEntity, true)
			return
		case errors.Is(err, identity.ErrNotFound):
			redirect(w, r, "/security/totp")
			return
		case err != nil:
			serverError(w, r, v, err)
			return
		}
		v.setSession(w, iss)
		if len(codes) > 0 {
			showRecoveryCodes(w, r, v, codes)
			return
		}
		redirect(w, r, "/security?notice=totp_on")
	})
}

// handleTOTPRemove removes the authenticator app (after re-authentication).
func handleTOTPRemove(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := id.RemoveTOTP(r.Context(), v.sessionToken(r), v.client(w, r))
		switch {
		case errors.Is(err, identity.ErrReauth):
			redirect(w, r, reauthURL("/security"))
		case errors.Is(err, identity.ErrLastFactor):
			renderSecurity(w, r, id, v, http.StatusConflict, map[string]string{"totp": "err.last_factor"})
		case errors.Is(err, identity.ErrNotFound):
			redirect(w, r, "/security")
		case err != nil:
			serverError(w, r, v, err)
		default:
			redirect(w, r, "/security?notice=totp_off")
		}
	})
}

func showRecoveryCodes(w http.ResponseWriter, r *http.Request, v *views, codes []string) {
	p := v.page(r, "recovery.title")
	p.Session = sessionOf(r)
	p.Data = codes
	v.render(w, http.StatusOK, "recovery_codes", p)
}

// handleRecoveryCodesRegenerate replaces the recovery codes and shows the
// new ones once (after re-authentication).
func handleRecoveryCodesRegenerate(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		codes, err := id.RegenerateRecoveryCodes(r.Context(), v.sessionToken(r), v.client(w, r))
		switch {
		case errors.Is(err, identity.ErrReauth):
			redirect(w, r, reauthURL("/security"))
		case errors.Is(err, identity.ErrNotFound):
			redirect(w, r, "/security")
		case err != nil:
			serverError(w, r, v, err)
		default:
			showRecoveryCodes(w, r, v, codes)
		}
	})
}
