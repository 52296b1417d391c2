package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"carfin/db"
	"carfin/db/dbtest"
)

// remainingAnswer is GET /session/remaining's (and a script's POST
// /session/extend's) answer.
type remainingAnswer struct {
	Seconds  int    `json:"seconds"`
	Absolute bool   `json:"absolute"`
	Ended    string `json:"ended"`
}

// remaining asks the server how long b's session has left, as the idle
// warning's script does.
func (b *browser) remaining(method, path string) (int, remainingAnswer) {
	b.t.Helper()
	r := b.do(method, path, nil, http.Header{"Accept": {"application/json"}})
	var a remainingAnswer
	if r.status == 200 || r.status == 401 {
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			b.t.Fatalf("%s %s: %d %s\n%s", method, path, r.status, ct, clip(r.body))
		}
		if err := json.Unmarshal([]byte(r.body), &a); err != nil {
			b.t.Fatalf("%s %s: %v\n%s", method, path, err, r.body)
		}
	}
	return r.status, a
}

// TestSessionRemaining: the idle warning's source of truth. The server
// records activity at most once a minute, so the time left is the
// server's record, not 15 minutes from the page's load; asking does not
// count as activity (a forgotten page asking must still time out);
// "Stay signed in" from script extends the session and answers with the
// new time left, and a cross-site POST cannot; near the 12-hour limit the
// answer says no activity will help. Issue 13.
func TestSessionRemaining(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		c := seedLogin(t, s, "Remy")
		b := s.browser("198.51.100.80")
		b.mustSignIn(c.email, testPassword)
		want := func(t *testing.T, method, path string, status int, w remainingAnswer) {
			t.Helper()
			if st, got := b.remaining(method, path); st != status || got != w {
				t.Fatalf("%s %s: %d %+v, want %d %+v", method, path, st, got, status, w)
			}
		}

		t.Run("the server's record, not the page's guess", func(t *testing.T) {
			want(t, "GET", "/session/remaining", 200, remainingAnswer{Seconds: 900})
			s.clock.Add(30 * time.Second)
			b.get("/").must(t, 200, "Welcome, Remy") // within the minute: not recorded
			want(t, "GET", "/session/remaining", 200, remainingAnswer{Seconds: 870})
			s.clock.Add(40 * time.Second)
			b.get("/").must(t, 200, "Welcome, Remy") // recorded
			want(t, "GET", "/session/remaining", 200, remainingAnswer{Seconds: 900})
		})

		t.Run("asking is not activity", func(t *testing.T) {
			for range 14 {
				s.clock.Add(time.Minute)
				b.remaining("GET", "/session/remaining")
			}
			want(t, "GET", "/session/remaining", 200, remainingAnswer{Seconds: 60})
			s.clock.Add(59 * time.Second)
			want(t, "GET", "/session/remaining", 200, remainingAnswer{Seconds: 1})
		})

		t.Run("stay signed in, from script", func(t *testing.T) {
			// A POST from another site is refused and extends nothing.
			r := b.do("POST", "/session/extend", nil, http.Header{"Accept": {"application/json"}, "Sec-Fetch-Site": {"cross-site"}})
			if r.status != http.StatusForbidden {
				t.Fatalf("cross-site extend: %d", r.status)
			}
			want(t, "GET", "/session/remaining", 200, remainingAnswer{Seconds: 1})
			want(t, "POST", "/session/extend", 200, remainingAnswer{Seconds: 900})
			want(t, "GET", "/session/remaining", 200, remainingAnswer{Seconds: 900})
			s.clock.Add(14 * time.Minute)
			b.get("/").must(t, 200, "Welcome, Remy")
		})

		t.Run("ended: why, and the sign-in page says it", func(t *testing.T) {
			s.clock.Add(15 * time.Minute)
			want(t, "GET", "/session/remaining", 401, remainingAnswer{Ended: "idle"})
			want(t, "POST", "/session/extend", 401, remainingAnswer{Ended: "idle"})
			r := s.browser("198.51.100.80")
			want := remainingAnswer{Ended: "other"}
			if st, got := r.remaining("GET", "/session/remaining"); st != 401 || got != want {
				t.Errorf("no cookie: %d %+v", st, got)
			}
		})

		t.Run("the 12-hour limit comes first", func(t *testing.T) {
			b.mustSignIn(c.email, testPassword)
			for range 12*6 - 1 {
				s.clock.Add(10 * time.Minute)
				b.get("/").must(t, 200, "Welcome, Remy")
			}
			want(t, "GET", "/session/remaining", 200, remainingAnswer{Seconds: 600, Absolute: true})
			want(t, "POST", "/session/extend", 200, remainingAnswer{Seconds: 600, Absolute: true})
		})

		t.Run("the page carries the dialog's words", func(t *testing.T) {
			b.mustSignIn(c.email, testPassword)
			for _, tc := range []struct{ lang, stay, left string }{
				{"en", "Stay signed in", "%d seconds left"},
				{"es", "Seguir conectado", "Quedan %d segundos"},
			} {
				b.lang = tc.lang
				r := b.get("/")
				i := strings.Index(r.body, `data-idle-texts="`)
				if i < 0 {
					t.Fatalf("%s: no data-idle-texts", tc.lang)
				}
				attr := r.body[i+len(`data-idle-texts="`):]
				attr = strings.NewReplacer("&#34;", `"`, "&quot;", `"`).Replace(attr[:strings.Index(attr, `"`)])
				var texts map[string]string
				if err := json.Unmarshal([]byte(attr), &texts); err != nil {
					t.Fatalf("%s: %v in %s", tc.lang, err, attr)
				}
				if texts["stay"] != tc.stay || texts["left_other"] != tc.left || texts["title"] == "" || texts["signout"] == "" {
					t.Errorf("%s: %v", tc.lang, texts)
				}
			}
			b.lang = ""
		})
	})
}
