package main

import (
	"testing"
	"time"

	"carfin/db"
	"carfin/db/dbtest"
)

// TestNotFoundNavigation (issue 13): a page that does not exist shows a
// signed-in customer the signed-in navigation, and everyone else the
// signed-out one; it never sends anyone to sign in, and it does not keep
// an idle session alive (it peeks at the session, as the idle warning
// does). On both engines, in both languages.
func TestNotFoundNavigation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		c := seedLogin(t, s, "Nadia")
		signedIn := []string{`action="/logout"`, `href="/payments"`, `href="/profile"`, "Page not found"}
		signedOut := []string{`class="top-link" href="/faq"`, "Page not found"}
		lastSeen := func() time.Time {
			t.Helper()
			var at time.Time
			if err := d.Read.QueryRow(`SELECT s.last_seen_at FROM sessions s JOIN logins l ON l.id = s.login_id
				WHERE l.customer_id = $1 AND s.level = 'full' ORDER BY s.id DESC LIMIT 1`, c.id).Scan(&at); err != nil {
				t.Fatal(err)
			}
			return at
		}

		anon := s.browser("198.51.100.130")
		for _, path := range []string{"/no-such-page", "/static/no-such.css", "/contracts/7/nothing"} {
			r := anon.get(path)
			r.must(t, 404, signedOut...)
			r.mustNot(t, `action="/logout"`, `href="/payments"`)
			if r.url != path {
				t.Errorf("signed out, %s ended at %s", path, r.url)
			}
		}

		b := s.browser("198.51.100.131")
		b.mustSignIn(c.email, testPassword)
		seen := lastSeen()
		s.clock.Add(5 * time.Minute) // past the interval at which a page touches the session
		for _, tc := range []struct {
			name, path, lang string
			want             []string
		}{
			{"unknown path", "/no-such-page", "", signedIn},
			{"unknown static file", "/static/no-such.css", "", signedIn},
			{"Spanish", "/no-such-page", "es", []string{`action="/logout"`, `href="/payments"`, "Página no encontrada"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b.lang = tc.lang
				defer func() { b.lang = "" }()
				r := b.get(tc.path)
				r.must(t, 404, tc.want...)
				r.mustNot(t, `class="top-link" href="/faq"`)
				if r.url != tc.path {
					t.Errorf("%s ended at %s", tc.path, r.url)
				}
				if c := r.header.Values("Set-Cookie"); len(c) != 0 {
					t.Errorf("the not-found page set cookies %q", c)
				}
			})
		}
		if got := lastSeen(); !got.Equal(seen) {
			t.Errorf("the not-found page kept the session alive: last seen %s, was %s", got, seen)
		}
		// A page behind sign-in does keep it alive (the test can tell).
		b.get("/").must(t, 200)
		if got := lastSeen(); !got.After(seen) {
			t.Errorf("a signed-in page did not touch the session: %s", got)
		}

		// Idle past the timeout: the not-found page is signed out, and
		// still a 404 where it was asked, not the sign-in page.
		s.clock.Add(20 * time.Minute)
		r := b.get("/no-such-page")
		r.must(t, 404, signedOut...)
		r.mustNot(t, `action="/logout"`)
		if r.url != "/no-such-page" {
			t.Errorf("an idle session's not-found page ended at %s", r.url)
		}
	})
}
