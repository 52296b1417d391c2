package main

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"carfin/db"
	"carfin/db/dbtest"
)

// TestDashboardOneRoundTrip: the home page reads the session and the
// dashboard together, keyed by the session's token (db.ReadPipelined on
// PostgreSQL), so on both engines it must still show each customer only
// their own contracts, keep the session alive as every signed-in page
// does, and answer any session that is not a live customer's as the
// other pages do.
func TestDashboardOneRoundTrip(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		ann, bob := seedLogin(t, s, "Ann"), seedLogin(t, s, "Bob")
		a, b := s.browser("198.51.100.61"), s.browser("198.51.100.62")
		a.mustSignIn(ann.email, testPassword)
		b.mustSignIn(bob.email, testPassword)
		for _, c := range []struct {
			br         *browser
			own, other customer
		}{{a, ann, bob}, {b, bob, ann}} {
			r := c.br.get("/")
			r.must(t, 200, "Welcome, "+c.own.first, c.own.account[len(c.own.account)-4:])
			if strings.Contains(r.body, c.other.account[len(c.other.account)-4:]) {
				t.Errorf("%s's home shows %s's account", c.own.first, c.other.first)
			}
		}

		// A visit home restarts the idle timeout: 10 minutes, home, 10
		// more (20 in all, past the 15 of idle) and still signed in.
		s.clock.Add(10 * time.Minute)
		a.get("/").must(t, 200, "Welcome, Ann")
		s.clock.Add(10 * time.Minute)
		a.get("/").must(t, 200, "Welcome, Ann")
		var seen time.Time
		if err := d.Read.QueryRowContext(context.Background(), `SELECT s.last_seen_at FROM sessions s JOIN logins l ON l.id = s.login_id
			WHERE l.customer_id = $1 ORDER BY s.last_seen_at DESC LIMIT 1`, ann.id).Scan(&seen); err != nil {
			t.Fatal(err)
		}
		if !seen.Equal(d.Now()) {
			t.Errorf("Ann's session last seen %v, want %v", seen, d.Now())
		}
		// Bob, untouched for 20 minutes, is idle: sent to sign in, told why.
		r := b.get("/")
		if r.url != "/login?ended=idle&next=%2F" {
			t.Errorf("Bob idle at %s", r.url)
		}
		r.must(t, 200, "signed out after 15 minutes")

		// Signed out, the same cookie opens nothing.
		token := a.cookie("carfin_session")
		a.post("/logout", url.Values{})
		a.setCookie("carfin_session", token)
		if r := a.get("/"); !strings.HasPrefix(r.url, "/login") || strings.Contains(r.body, "Welcome, Ann") {
			t.Errorf("after logout, home with the old cookie: %s", r.url)
		}
		// Nor does a made-up one, of any length.
		for _, tok := range []string{"x", strings.Repeat("a", 64), strings.Repeat("a", 65)} {
			a.setCookie("carfin_session", tok)
			if r := a.get("/"); !strings.HasPrefix(r.url, "/login") {
				t.Errorf("home with cookie %q: %s", tok, r.url)
			}
		}
	})
}
