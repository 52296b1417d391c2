package web

import (
	"net/http"

	"carfin/identity"
	"carfin/webcore"
)

// handleSecondFactorShow shows the second step of sign-in: a code from the
// authenticator app, a passkey, a recovery code, or a code sent by email
// or text; and "remember this device for 30 days".
func handleSecondFactorShow(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ss, err := id.PartialSession(r.Context(), v.sessionToken(r))
		if err != nil {
			redirect(w, r, "/login?restart=1")
			return
		}
		p := v.page(r, "twofa.title")
		p.Form["next"] = webcore.SafeNext(r.URL.Query().Get("next"))
		switch r.URL.Query().Get("sent") {
		case "email":
			p.Notice = "twofa.code_sent_email"
		case "sms":
			p.Notice = "twofa.code_sent_sms"
		}
		p.Data = ss.Login
		v.render(w, http.StatusOK, "login_2fa", p)
	})
}
