package main

import (
	"strings"
	"testing"
	"time"

	"carfin/db/dbtest"
	"carfin/identity"
	"carfin/internal/browsertest"
)

// TestBrowserSignIn drives Chromium through the identity pages: sign in
// with a password, turn on an authenticator app, sign in with password +
// TOTP, add a passkey through Chrome's virtual authenticator (the
// DevTools WebAuthn domain) and sign in with the passkey alone; axe-core
// checks each page (WCAG 2.2 A/AA) at 1280 and 375 px, in English and
// Spanish, and screenshots are kept as test artifacts. SQLite only: the
// HTTP tests cover both engines; this one covers the browser.
func TestBrowserSignIn(t *testing.T) {
	d := dbtest.SQLite(t)
	s := startServe(t, d)
	c := seedLogin(t, s, "Bea")
	b := browsertest.Start(t, s.base)

	check := func(name string) {
		t.Helper()
		for _, w := range []int64{1280, 375} {
			b.Viewport(w, 900)
			for _, v := range b.Axe() {
				t.Errorf("%s at %d px: %s", name, w, v)
			}
			b.Screenshot(name + "-" + map[int64]string{1280: "desktop", 375: "phone"}[w])
		}
		b.Viewport(1280, 900)
		// Nothing on the page comes from another origin.
		if n := browsertest.Eval[int](b, `performance.getEntriesByType('resource').filter(e => !e.name.startsWith(location.origin)).length`); n != 0 {
			t.Errorf("%s: %d third-party requests", name, n)
		}
	}
	signOut := func() {
		t.Helper()
		b.Click(`header form[action="/logout"] button`)
		b.WaitPath("/login")
	}

	b.Go("/login")
	check("login")
	b.Fill("#email", c.email)
	b.Fill("#password", testPassword)
	b.Click(`form[action="/login"] button.primary`)
	b.WaitPath("/")
	if h := b.Text("h1"); h != "Welcome, Bea" {
		t.Fatalf("after sign-in: %q", h)
	}
	check("home")

	// Turn on an authenticator app.
	b.Go("/security/totp")
	check("totp-setup")
	secret := b.Text("code.secret")
	b.Fill("#code", totpCode(t, secret, s.clock.Now()))
	b.Click(`form[action="/security/totp"] button.primary`)
	b.WaitFor("ul.codes")
	check("recovery-codes")
	b.Go("/security")
	check("security")
	signOut()

	// Password, then the app's code.
	s.clock.Add(30 * time.Second)
	b.Fill("#email", c.email)
	b.Fill("#password", testPassword)
	b.Click(`form[action="/login"] button.primary`)
	b.WaitPath("/login/2fa")
	check("second-factor")
	b.Fill("#totp", totpCode(t, secret, s.clock.Now()))
	b.Click(`form[action="/login/2fa"] button.primary`)
	b.WaitPath("/")
	if h := b.Text("h1"); h != "Welcome, Bea" {
		t.Fatalf("after TOTP: %q", h)
	}

	// Add a passkey with the virtual authenticator, then use it alone.
	auth := b.AddVirtualAuthenticator()
	b.Go("/security")
	b.Click("#passkey-add")
	b.WaitPath("/security?notice=passkey_on")
	if n := b.Credentials(auth); n != 1 {
		t.Fatalf("authenticator holds %d credentials", n)
	}
	if txt := b.Text("main"); !strings.Contains(txt, "The passkey was added") || !strings.Contains(txt, "My passkey") {
		t.Fatalf("security page after adding a passkey: %s", txt)
	}
	signOut()

	// The passkey as the second factor after the password.
	b.Fill("#email", c.email)
	b.Fill("#password", testPassword)
	b.Click(`form[action="/login"] button.primary`)
	b.WaitPath("/login/2fa")
	b.Click("#passkey-2fa")
	b.WaitPath("/")
	if h := b.Text("h1"); h != "Welcome, Bea" {
		t.Fatalf("after password + passkey: %q", h)
	}
	signOut()

	// The passkey alone (passwordless).
	b.Click("#passkey-login")
	b.WaitPath("/")
	if h := b.Text("h1"); h != "Welcome, Bea" {
		t.Fatalf("after passkey sign-in: %q", h)
	}
	// While the password awaits a reset ("this wasn't me" blanks it), the
	// passkey does not sign in either.
	signOut()
	if _, err := d.SQL.Exec(`UPDATE logins SET password_hash = '' WHERE email = $1`, c.email); err != nil {
		t.Fatal(err)
	}
	b.Click("#passkey-login")
	b.WaitFor("#passkey-error:not([hidden])")
	if p := b.Location(); !strings.Contains(p, "/login") {
		t.Fatalf("a passkey signed in while the password awaits its reset: at %s", p)
	}
	if _, err := d.SQL.Exec(`UPDATE logins SET password_hash = $1 WHERE email = $2`, identity.HashPassword(testPassword, cheapParams), c.email); err != nil {
		t.Fatal(err)
	}
	b.Click("#passkey-login")
	b.WaitPath("/")

	// Remove the passkey (the passkey sign-in counts as a fresh proof).
	b.Go("/security")
	b.Click(`form[action^="/security/passkeys/"] button`)
	b.WaitPath("/security?notice=passkey_off")
	signOut()

	// Spanish, chosen with the switcher.
	b.Click(`form[action="/lang"] button`)
	b.WaitFor(`html[lang="es"] h1`)
	if h := b.Text("h1"); h != "Iniciar sesión" {
		t.Fatalf("Spanish sign-in page: %q", h)
	}
	check("login-es")
	b.Go("/enrol")
	check("enrol-es")
	b.Go("/forgot")
	check("forgot-es")
}
