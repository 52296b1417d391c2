package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"carfin/db"
	"carfin/db/dbtest"
)

// redirectBypasses are "next" values that browsers have been made to read
// as another site (issue 11, item 2).
var redirectBypasses = []string{
	"/\t/evil.example/", "/\v/evil.example/", "/\f/evil.example/", "/\x00/evil.example/", "/\u3000/evil.example/",
	"/\\evil.example", `\\evil.example`, "https:evil.example", "//evil.example", "///evil.example", "/.//evil.example",
	"/%09/evil.example/", "/%2f%2fevil.example", "/%5cevil.example", "%2f%2fevil.example",
}

// TestNextNeverLeavesSite: every endpoint that redirects to a "next" it
// is given (/login, /login/2fa, /reauth, /session/extend, /lang, and the
// passkey sign-in's JSON redirect, whose rule safeNext's table
// covers) answers with a path on this site for
// each known bypass.
func TestNextNeverLeavesSite(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		c := seedLogin(t, s, "Nia")
		b := s.browser("198.51.100.70")
		b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		onSite := func(what string, r response, next string) {
			t.Helper()
			loc := r.header.Get("Location")
			if r.status != http.StatusSeeOther {
				t.Fatalf("%s with next=%q: status %d\n%s", what, next, r.status, clip(r.body))
			}
			u, err := url.Parse(loc)
			if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") ||
				strings.ContainsAny(loc, "\\\t\v\f\x00") || strings.Contains(loc, "evil") {
				t.Errorf("%s with next=%q redirects to %q", what, next, loc)
			}
		}
		for _, next := range redirectBypasses {
			onSite("POST /lang", b.post("/lang", url.Values{"lang": {"en"}, "next": {next}}), next)
			r := b.post("/login", url.Values{"email": {c.email}, "password": {testPassword}, "next": {next}})
			onSite("POST /login", r, next)
			onSite("POST /session/extend", b.post("/session/extend", url.Values{"next": {next}}), next)
			onSite("POST /reauth", b.post("/reauth", url.Values{"password": {testPassword}, "next": {next}}), next)
			b.post("/logout", url.Values{})
		}

		// The second step.
		_, secret := withTOTPFor(t, s, c, "198.51.100.70")
		for _, next := range redirectBypasses[:4] {
			s.clock.Add(time.Minute)
			b.post("/login", url.Values{"email": {c.email}, "password": {testPassword}})
			onSite("POST /login/2fa", b.post("/login/2fa", url.Values{"method": {"totp"}, "code": {totpCode(t, secret, s.clock.Now())}, "next": {next}}), next)
			b.post("/logout", url.Values{})
		}
	})
}
