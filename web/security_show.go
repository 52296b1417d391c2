package web

import (
	"net/http"

	"carfin/devices"
	"carfin/identity"
)

// securityData is what the security page shows.
type securityData struct {
	Login        *identity.Login
	Passkeys     []identity.Passkey
	Sessions     []identity.SessionInfo
	RecoveryLeft int
	RecentAuth   bool
	PasswordMin  int
	PasswordMax  int
	RememberDays int
}

func loadSecurity(r *http.Request, id *identity.Service, ss *identity.Session) (*securityData, error) {
	pk, err := id.Passkeys(r.Context(), ss.LoginID)
	if err != nil {
		return nil, err
	}
	sess, err := id.Sessions(r.Context(), ss)
	if err != nil {
		return nil, err
	}
	left, err := id.RecoveryCodesLeft(r.Context(), ss.LoginID)
	if err != nil {
		return nil, err
	}
	minLen := identity.PasswordMinSingleFactor
	if ss.Login.HasSecondFactor() {
		minLen = identity.PasswordMinWithSecondFactor
	}
	return &securityData{Login: ss.Login, Passkeys: pk, Sessions: sess, RecoveryLeft: left,
		RecentAuth: ss.RecentAuth(id.Now()), PasswordMin: minLen, PasswordMax: identity.PasswordMaxChars}, nil
}

// Device words a session's User-Agent for the customer ("Chrome on
// Windows"), in the page's language.
func (p *page) Device(userAgent string) string { return devices.Describe(p.Lang, userAgent) }

// securityNotices maps ?notice= values to messages.
var securityNotices = map[string]string{
	"password": "security.notice_password", "totp_on": "security.notice_totp_on", "totp_off": "security.notice_totp_off",
	"passkey_on": "security.notice_passkey_on", "passkey_off": "security.notice_passkey_off",
	"revoked": "security.notice_revoked", "revoked_all": "security.notice_revoked_all",
}

// handleSecurityShow shows the security settings: password, authenticator
// app, passkeys, recovery codes and signed-in sessions.
func handleSecurityShow(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renderSecurity(w, r, id, v, http.StatusOK, nil)
	})
}

// renderSecurity renders the security page, with errors when a form on it
// failed.
func renderSecurity(w http.ResponseWriter, r *http.Request, id *identity.Service, v *views, status int, errs map[string]string) {
	ss := sessionOf(r)
	data, err := loadSecurity(r, id, ss)
	if err != nil {
		serverError(w, r, v, err)
		return
	}
	p := v.page(r, "security.title")
	p.Session = ss
	p.Data = data
	if r.URL.Query().Get("welcome") != "" {
		p.Notice = "security.welcome"
	} else if k, ok := securityNotices[r.URL.Query().Get("notice")]; ok {
		p.Notice = k
	}
	for k, e := range errs {
		p.Errors[k] = e
	}
	v.render(w, status, "security", p)
}
