package web

import (
	"errors"
	"net/http"

	"carfin/identity"
	"carfin/webcore"
)

// handleSecondFactorSubmit completes sign-in with a TOTP, recovery or
// one-time code. A wrong code re-shows the step (401); after five wrong
// codes the step ends and sign-in starts again. Too many attempts (the
// throttles, the delay after failures) answer 429; codes blocked after
// factor failures say how to get back in (a new password).
func handleSecondFactorSubmit(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := v.sessionToken(r)
		method := identity.Method(r.PostFormValue("method"))
		code := r.PostFormValue("code")
		next := webcore.SafeNext(r.PostFormValue("next"))
		remember := r.PostFormValue("remember") == "on"
		if method != identity.MethodTOTP && method != identity.MethodRecovery && method != identity.MethodCode {
			method = identity.MethodTOTP
		}
		iss, err := id.SecondFactor(r.Context(), token, method, code, remember, v.client(w, r))
		switch {
		case errors.Is(err, identity.ErrNoSession):
			redirect(w, r, "/login?restart=1")
			return
		case errors.Is(err, identity.ErrThrottled):
			w.Header().Set("Retry-After", "60")
			v.message(w, r, http.StatusTooManyRequests, "twofa.title", "err.throttled", "/login", "login.title")
			return
		case errors.Is(err, identity.ErrFactorBlocked):
			v.message(w, r, http.StatusForbidden, "twofa.title", "err.factor_blocked", "/forgot", "forgot.title")
			return
		case errors.Is(err, identity.ErrInvalidCode):
			ss, perr := id.PartialSession(r.Context(), token)
			if perr != nil {
				redirect(w, r, "/login?restart=1")
				return
			}
			p := v.page(r, "twofa.title")
			p.Form["next"] = next
			p.Errors[string(method)] = "err.code_invalid"
			p.Data = ss.Login
			v.render(w, http.StatusUnauthorized, "login_2fa", p)
			return
		case err != nil:
			serverError(w, r, v, err)
			return
		}
		v.setSession(w, iss)
		redirect(w, r, next)
	})
}
