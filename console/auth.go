package console

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"net/url"

	"carfin/identity"
	"carfin/staff"
	"carfin/webcore"
)

type ctxKey int

const ctxMember ctxKey = iota

// memberOf is the signed-in staff member that requireStaff found.
func memberOf(r *http.Request) *staff.Member {
	m, _ := r.Context().Value(ctxMember).(*staff.Member)
	return m
}

// actor is the member as the audit log names them.
func actor(r *http.Request) staff.Actor {
	return staff.Actor{LoginID: memberOf(r).LoginID, IP: webcore.ClientIP(r)}
}

// requireStaff lets through only a signed-in staff member whose account
// is active and whose role may take action. Anyone else without a staff
// session goes to the staff sign-in page (a customer's session is not
// one: the console reads only its own cookie, and a session of another
// realm is refused even if its token were put there). A member without
// the action gets 403 and the reason; a disabled member is signed out.
func requireStaff(id *identity.Service, st *staff.Service, v *views, action staff.Action) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token := v.token(r)
			ss, err := id.Session(r.Context(), token)
			if err == nil && (ss.Login == nil || ss.Login.Realm != identity.Staff) {
				err = identity.ErrNoSession
			}
			if err != nil {
				if !errors.Is(err, identity.ErrNoSession) {
					v.serverError(w, r, err)
					return
				}
				q := url.Values{}
				if r.Method == http.MethodGet {
					q.Set("next", r.URL.RequestURI())
				}
				if token != "" {
					v.clearSession(w)
					q.Set("ended", "1")
				}
				redirect(w, r, Prefix+"/login?"+q.Encode())
				return
			}
			m, err := st.Member(r.Context(), ss.LoginID)
			if err != nil && !errors.Is(err, staff.ErrNotFound) {
				v.serverError(w, r, err)
				return
			}
			if err != nil || m.Status != staff.Active {
				_ = id.Logout(r.Context(), token, v.client(r))
				v.clearSession(w)
				redirect(w, r, Prefix+"/login?disabled=1")
				return
			}
			ctx := context.WithValue(r.Context(), ctxMember, &m)
			if action != "" && !m.May(action) {
				v.forbidden(w, r.WithContext(ctx))
				return
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// setSession sets the staff session cookie: HttpOnly, SameSite=Strict
// (no staff page is ever reached by a link from another site), Secure and
// __Host- under TLS. The server enforces the timeouts.
func (v *views) setSession(w http.ResponseWriter, iss identity.Issued) {
	http.SetCookie(w, &http.Cookie{Name: v.cookie, Value: iss.Token, Path: "/", HttpOnly: true, Secure: v.cfg.TLS, SameSite: http.SameSiteStrictMode})
}

func (v *views) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: v.cookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: v.cfg.TLS, SameSite: http.SameSiteStrictMode})
}

func (v *views) token(r *http.Request) string {
	c, err := r.Cookie(v.cookie)
	if err != nil {
		return ""
	}
	return c.Value
}

// client describes the request for identity. Staff sign-ins have no
// remembered devices, so no device cookie is set.
func (v *views) client(r *http.Request) identity.Client {
	return identity.Client{IP: webcore.ClientIP(r), UserAgent: r.UserAgent(), Lang: "en"}
}

// withAllowList refuses, with 403 and before any page, a client address
// outside allow (none: everyone may reach the sign-in page).
func withAllowList(allow []netip.Prefix) func(http.Handler) http.Handler {
	if len(allow) == 0 {
		return func(next http.Handler) http.Handler { return next }
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ip, err := netip.ParseAddr(webcore.ClientIP(r))
			if err == nil {
				for _, p := range allow {
					if p.Contains(ip.Unmap()) {
						next.ServeHTTP(w, r)
						return
					}
				}
			}
			http.Error(w, "The staff console is not available from this network.", http.StatusForbidden)
		})
	}
}
