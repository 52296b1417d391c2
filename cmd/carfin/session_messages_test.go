package main

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"carfin/db"
	"carfin/db/dbtest"
)

// Messages that misled (issue 13), each through real HTTP on both
// engines: why a session ended, what a password check is for, and what
// a refused sign-in may mean.

// TestSessionEndedMessages: a browser whose session was ended elsewhere
// is sent to sign in with the true reason, and the page says it. Before,
// every one of them was told it had been idle for 15 minutes, so a
// customer whose password an intruder changed had no reason to look.
func TestSessionEndedMessages(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		for i, tc := range []struct {
			name string
			// end ends b's session, acting as a (or as the owner through
			// an emailed link).
			end    func(t *testing.T, c customer, a, b *browser)
			ended  string
			says   string
			saysES string
		}{
			{"idle", func(t *testing.T, c customer, a, b *browser) {
				s.clock.Add(15 * time.Minute)
			}, "idle", "You were signed out after 15 minutes without activity", "Cerramos su sesión tras 15 minutos sin actividad"},
			{"signed in for 12 hours", func(t *testing.T, c customer, a, b *browser) {
				for range 12*6 - 1 {
					s.clock.Add(10 * time.Minute)
					b.post("/session/extend", url.Values{}).must(t, 200)
				}
				s.clock.Add(10 * time.Minute) // kept busy to the end
			}, "absolute", "because you signed in 12 hours ago", "porque la inició hace 12 horas"},
			{"password changed on another device", func(t *testing.T, c customer, a, b *browser) {
				pw := "another passphrase for the test"
				a.post("/security/password", url.Values{"current": {testPassword}, "password": {pw}, "confirm": {pw}}).must(t, 200, "Your password was changed")
			}, "password", "signed out because your password was changed", "porque se cambió su contraseña"},
			{"password reset by email", func(t *testing.T, c customer, a, b *browser) {
				a.post("/forgot", url.Values{"email": {c.email}, "channel": {"email"}})
				tok := strings.TrimPrefix(s.lastLink(c.email, "identity.reset"), "/reset?token=")
				pw := "a reset passphrase for the test"
				a.post("/reset", url.Values{"token": {tok}, "password": {pw}, "confirm": {pw}}).must(t, 200)
			}, "password", "signed out because your password was changed", "porque se cambió su contraseña"},
			{"signed out from another device", func(t *testing.T, c customer, a, b *browser) {
				r := a.get("/security")
				for _, id := range revokeIDs(r.body) {
					at := strings.Index(r.body, "/security/sessions/"+id+"/revoke")
					if !strings.Contains(r.body[max(at-400, 0):at], "This device") {
						a.post("/security/sessions/"+id+"/revoke", url.Values{}).must(t, 200, "That device was signed out")
					}
				}
			}, "revoked", "signed out from the security settings of another device", "desde la configuración de seguridad de otro dispositivo"},
			{"sign out everywhere else", func(t *testing.T, c customer, a, b *browser) {
				a.post("/security/sessions/revoke-all", url.Values{"keep": {"on"}}).must(t, 200, "All other devices were signed out")
			}, "revoked", "signed out from the security settings of another device", "desde la configuración de seguridad de otro dispositivo"},
			{"this wasn't me", func(t *testing.T, c customer, a, b *browser) {
				// b was a new device: its sign-in sent an alert.
				tok := strings.TrimPrefix(s.lastLink(c.email, "identity.login_alert"), "/wasnt-me?token=")
				a.post("/wasnt-me", url.Values{"token": {tok}}).must(t, 200, "Every device is signed out")
			}, "wasnt-me", "because you told us a sign-in or change was not yours", "porque nos dijo que un inicio de sesión o un cambio no fue suyo"},
			{"signed out, and a copy of the cookie comes back", func(t *testing.T, c customer, a, b *browser) {
				copyOf := s.browser(b.ip)
				copyOf.setCookie("carfin_session", b.cookie("carfin_session"))
				copyOf.post("/logout", url.Values{}).must(t, 200, "You are signed out")
			}, "signed-out", "You are signed out", "Cerró la sesión"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c := seedLogin(t, s, "Ned")
				a, b := s.browser("198.51.100.90"), s.browser("198.51.100.91")
				a.mustSignIn(c.email, testPassword)
				b.mustSignIn(c.email, testPassword)
				tc.end(t, c, a, b)
				lang := []string{"en", "es"}[i%2] // each reason read in one language, both covered
				b.lang = lang
				r := b.get("/payments?tab=history")
				want := "/login?ended=" + url.QueryEscape(tc.ended) + "&next=" + url.QueryEscape("/payments?tab=history")
				if r.url != want {
					t.Errorf("sent to %s, want %s", r.url, want)
				}
				says := map[string]string{"en": tc.says, "es": tc.saysES}[lang]
				r.must(t, 200, `name="password"`, says)
				if tc.ended != "idle" && (strings.Contains(r.body, "15 minutes") || strings.Contains(r.body, "15 minutos")) {
					t.Error("told it was idle")
				}
				if b.cookie("carfin_session") != "" {
					t.Error("the ended session's cookie was not cleared")
				}
				// The other language says it too.
				other := map[string]string{"en": "es", "es": "en"}[lang]
				b.lang = other
				b.get(want).must(t, 200, map[string]string{"en": tc.says, "es": tc.saysES}[other])
			})
		}
		// A value the portal never sends gets the neutral words.
		s.browser("198.51.100.92").get("/login?ended=%3Cscript%3E").must(t, 200, "Your session ended. Sign in again to continue.")
	})
}

// TestReauthSaysWhatFor: the password check names the action it guards,
// from the path it returns to or a purpose from a fixed list, in both
// languages; anything else gets the neutral words, never "before
// changing how you sign in" for adding a bank account.
func TestReauthSaysWhatFor(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		c := seedLogin(t, s, "Rae")
		b := s.browser("198.51.100.95")
		b.mustSignIn(c.email, testPassword)
		s.clock.Add(6 * time.Minute) // the sign-in's proof is too old
		for _, tc := range []struct {
			name  string
			go_   func() response
			lang  string
			says  string
			next  string
			notes []string // must not say
		}{
			{"adding a bank account", func() response { return b.get("/payment-methods/bank/new") }, "en",
				"before adding a bank account.", "/payment-methods/bank/new", []string{"how you sign in"}},
			{"adding a bank account, in Spanish", func() response { return b.get("/payment-methods/bank/new") }, "es",
				"antes de agregar una cuenta bancaria.", "/payment-methods/bank/new", []string{"cómo inicia sesión"}},
			{"adding a card", func() response { return b.get("/reauth?next=%2Fpayment-methods%2Fcard%2Fnew") }, "en",
				"before adding a debit or credit card.", "", nil},
			{"removing a payment method", func() response { return b.get("/reauth?next=%2Fpayment-methods%2F12%2Fremove") }, "en",
				"before removing a payment method.", "", nil},
			{"an authenticator app", func() response { return b.get("/security/totp") }, "en",
				"before setting up an authenticator app.", "/security/totp", nil},
			{"sign out everywhere", func() response { return b.post("/security/sessions/revoke-all", url.Values{}) }, "en",
				"before signing out of every device.", "/security", nil},
			{"sign out everywhere, in Spanish", func() response { return b.post("/security/sessions/revoke-all", url.Values{}) }, "es",
				"antes de cerrar la sesión en todos los dispositivos.", "/security", nil},
			{"a passkey (how you sign in)", func() response { return b.get("/reauth?next=%2Fsecurity") }, "en",
				"before changing how you sign in.", "", nil},
			{"the email address", func() response { return b.get("/profile/email") }, "en",
				"before changing your email address.", "/profile/email", nil},
			{"the phone number", func() response { return b.get("/profile/phone") }, "es",
				"antes de cambiar su número de teléfono.", "/profile/phone", nil},
			{"a purpose not on the list is ignored", func() response {
				return b.get("/reauth?next=%2Fpayment-methods%2Fbank%2Fnew&purpose=%3Cb%3Eanything")
			}, "en", "before adding a bank account.", "", []string{`&lt;b&gt;anything`}},
			{"a known purpose wins over the path", func() response { return b.get("/reauth?next=%2Fsecurity&purpose=signout_all") }, "en",
				"before signing out of every device.", "", nil},
			{"anywhere else: neutral", func() response { return b.get("/reauth?next=%2Fcontracts") }, "en",
				"For your security, enter your password again to continue.", "", []string{"how you sign in"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b.lang = tc.lang
				r := tc.go_()
				r.must(t, 200, `action="/reauth"`, tc.says)
				if tc.next != "" && !strings.HasPrefix(r.url, "/reauth?next="+url.QueryEscape(tc.next)) {
					t.Errorf("at %s, want the password check for %s", r.url, tc.next)
				}
				for _, n := range tc.notes {
					if strings.Contains(r.body, n) {
						t.Errorf("says %q", n)
					}
				}
			})
		}
		// A wrong password keeps the words; the right one goes on.
		b.lang = "en"
		b.post("/reauth", url.Values{"password": {"not the password"}, "next": {"/security"}, "purpose": {"signout_all"}}).
			must(t, 401, "before signing out of every device.", `name="purpose" value="signout_all"`)
		b.post("/reauth", url.Values{"password": {"not the password"}, "next": {"/payment-methods/bank/new"}}).
			must(t, 401, "before adding a bank account.")
		b.post("/reauth", url.Values{"password": {testPassword}, "next": {"/security"}, "purpose": {"signout_all"}}).must(t, 200, "Security settings")
	})
}
