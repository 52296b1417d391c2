package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"carfin/identity"
	"carfin/staff"
	"carfin/webcore"
)

// safeNext keeps a "next" path inside the console.
func safeNext(next string) string {
	n := webcore.SafeNext(next)
	if n != Prefix+"/" && !strings.HasPrefix(n, Prefix+"/") {
		return Prefix + "/"
	}
	return n
}

// handleLoginShow is the staff sign-in page. It says why a session ended
// when it did.
func handleLoginShow(v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := v.page(r, "Staff sign-in")
		p.Form["next"] = safeNext(r.URL.Query().Get("next"))
		switch {
		case r.URL.Query().Get("ended") != "":
			p.Notice = "Your session ended (10 minutes without activity, or 10 hours in all). Sign in again."
		case r.URL.Query().Get("disabled") != "":
			p.Errors[""] = "This staff account is not active. Ask an administrator."
		case r.URL.Query().Get("out") != "":
			p.Notice = "You signed out."
		}
		v.render(w, http.StatusOK, "login", p)
	})
}

// loginRefused is the one answer to a wrong email, a wrong password and a
// locked or disabled account: nothing says which.
const loginRefused = "The email or password is not right, or the account is locked. After 5 failures in a row the account locks for a while."

// handleLoginSubmit checks the email and password of a staff login; a
// second factor always follows.
func handleLoginSubmit(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := v.page(r, "Staff sign-in")
		email := strings.TrimSpace(r.PostFormValue("email"))
		password := r.PostFormValue("password")
		next := safeNext(r.PostFormValue("next"))
		p.Form["email"], p.Form["next"] = email, next
		if email == "" {
			p.Errors["email"] = "Enter your work email."
		}
		if password == "" {
			p.Errors["password"] = "Enter your password."
		}
		if len(p.Errors) > 0 {
			v.render(w, http.StatusUnprocessableEntity, "login", p)
			return
		}
		res, err := id.PasswordLogin(r.Context(), identity.Staff, email, password, v.token(r), v.client(r))
		switch {
		case errors.Is(err, identity.ErrInvalidCredentials):
			p.Errors[""] = loginRefused
			v.render(w, http.StatusUnauthorized, "login", p)
			return
		case errors.Is(err, identity.ErrThrottled):
			w.Header().Set("Retry-After", "60")
			p.Errors[""] = "Too many attempts. Wait a minute and try again."
			v.render(w, http.StatusTooManyRequests, "login", p)
			return
		case err != nil:
			v.serverError(w, r, err)
			return
		}
		v.setSession(w, res.Session)
		if !res.NeedSecondFactor {
			// identity never gives a staff login a full session from a
			// password alone; if it ever did, end it.
			_ = id.Logout(r.Context(), res.Session.Token, v.client(r))
			v.clearSession(w)
			v.serverError(w, r, errors.New("staff sign-in without a second factor"))
			return
		}
		redirect(w, r, Prefix+"/login/2fa?"+url.Values{"next": {next}}.Encode())
	})
}

// handleSecondFactorShow asks for the authenticator code.
func handleSecondFactorShow(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ss, err := id.PartialSession(r.Context(), v.token(r)); err != nil || ss.Login.Realm != identity.Staff {
			redirect(w, r, Prefix+"/login")
			return
		}
		p := v.page(r, "Two-step verification")
		p.Form["next"] = safeNext(r.URL.Query().Get("next"))
		v.render(w, http.StatusOK, "login_2fa", p)
	})
}

// handleSecondFactorSubmit checks the code (or a recovery code) and, for
// an active staff member, signs in.
func handleSecondFactorSubmit(id *identity.Service, st *staff.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := v.page(r, "Two-step verification")
		next := safeNext(r.PostFormValue("next"))
		p.Form["next"] = next
		ss, err := id.PartialSession(r.Context(), v.token(r))
		if err != nil || ss.Login.Realm != identity.Staff {
			redirect(w, r, Prefix+"/login?ended=1")
			return
		}
		code := strings.ReplaceAll(strings.TrimSpace(r.PostFormValue("code")), " ", "")
		method := identity.MethodTOTP
		if len(code) > 6 {
			method = identity.MethodRecovery
		}
		if code == "" {
			p.Errors["code"] = "Enter the 6-digit code from your authenticator app, or a recovery code."
			v.render(w, http.StatusUnprocessableEntity, "login_2fa", p)
			return
		}
		iss, err := id.SecondFactor(r.Context(), v.token(r), method, code, false, v.client(r))
		switch {
		case errors.Is(err, identity.ErrInvalidCode), errors.Is(err, identity.ErrInvalidCredentials):
			p.Errors["code"] = "That code is not right, or it was used already. Wait for the next one and try again."
			v.render(w, http.StatusUnauthorized, "login_2fa", p)
			return
		case errors.Is(err, identity.ErrThrottled):
			w.Header().Set("Retry-After", "60")
			p.Errors["code"] = "Too many attempts. Wait a minute and try again."
			v.render(w, http.StatusTooManyRequests, "login_2fa", p)
			return
		case errors.Is(err, identity.ErrNoSession):
			redirect(w, r, Prefix+"/login?ended=1")
			return
		case err != nil:
			v.serverError(w, r, err)
			return
		}
		// Both factors are right; the account must also be active.
		m, err := st.Member(r.Context(), ss.LoginID)
		if err != nil || m.Status != staff.Active {
			_ = id.Logout(r.Context(), iss.Token, v.client(r))
			v.clearSession(w)
			redirect(w, r, Prefix+"/login?disabled=1")
			return
		}
		v.setSession(w, iss)
		redirect(w, r, next)
	})
}

// handleLogout ends the staff session.
func handleLogout(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := id.Logout(r.Context(), v.token(r), v.client(r)); err != nil {
			v.serverError(w, r, err)
			return
		}
		v.clearSession(w)
		redirect(w, r, Prefix+"/login?out=1")
	})
}
