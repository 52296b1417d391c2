package main

import (
	"strings"
	"testing"

	"carfin/db"
	"carfin/db/dbtest"
)

// TestDevicesInWords: the sessions page and the new-sign-in alert name
// the browser and system in words, in the customer's language ("Chrome on
// Windows", "Safari en iPhone"), never the raw User-Agent header; a
// header nothing recognises is "Unknown browser". Issue 13.
func TestDevicesInWords(t *testing.T) {
	t.Parallel()
	const (
		chromeWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
		safariIPhone  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1"
		curl          = "curl/8.5.0"
	)
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d)
		c := seedLogin(t, s, "Dev")
		home := s.browser("198.51.100.70")
		home.header.Set("User-Agent", chromeWindows)
		home.mustSignIn(c.email, testPassword) // the first device: no alert

		for _, tc := range []struct {
			name, ua, lang string
			want           []string // in the alert
		}{
			{"Safari on an iPhone, in Spanish", safariIPhone, "es", []string{"Dispositivo: Safari en iPhone\n", "Lugar: desconocido (198.51.100.71)"}},
			{"curl, in English", curl, "", []string{"Device: Unknown browser\n", "Place: unknown (198.51.100.71)"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b := s.browser("198.51.100.71")
				b.header.Set("User-Agent", tc.ua)
				b.lang = tc.lang
				r := b.login(c.email, testPassword)
				r.must(t, 200)
				q := s.mail(c.email)
				if len(q) == 0 || q[len(q)-1].Message.Kind != "identity.login_alert" {
					t.Fatalf("no alert for a new device")
				}
				text := q[len(q)-1].Message.Text
				for _, w := range tc.want {
					if !strings.Contains(text, w) {
						t.Errorf("alert lacks %q:\n%s", w, text)
					}
				}
				if strings.Contains(text, tc.ua) {
					t.Errorf("alert shows the raw User-Agent:\n%s", text)
				}
			})
		}

		r := home.get("/security")
		r.must(t, 200, "<strong>This device</strong> · Chrome on Windows ·", "Safari on iPhone", "Unknown browser")
		if strings.Contains(r.body, "Mozilla/5.0") || strings.Contains(r.body, "curl/8.5.0") {
			t.Error("the sessions page shows a raw User-Agent")
		}
		home.lang = "es"
		home.header.Set("Accept-Language", "es")
		home.get("/security").must(t, 200, "Chrome en Windows", "Safari en iPhone", "Navegador desconocido")
	})
}
