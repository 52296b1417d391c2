package devices

import (
	"strings"
	"testing"
	"time"
)

// Real User-Agent headers, as the browsers send them.
const (
	chromeWindows  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	safariIPhone   = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1"
	safariIPad     = "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1"
	safariMac      = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15"
	firefoxLinux   = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
	edgeWindows    = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86"
	samsungAndroid = "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36"
	chromeAndroid  = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
	curl           = "curl/8.5.0"
	googlebot      = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		name, ua, en, es string
	}{
		{"Chrome on Windows", chromeWindows, "Chrome on Windows", "Chrome en Windows"},
		{"Safari on iPhone", safariIPhone, "Safari on iPhone", "Safari en iPhone"},
		{"Safari on iPad", safariIPad, "Safari on iPad", "Safari en iPad"},
		{"Safari on a Mac", safariMac, "Safari on macOS", "Safari en macOS"},
		{"Firefox on Linux", firefoxLinux, "Firefox on Linux", "Firefox en Linux"},
		{"Edge, not Chrome", edgeWindows, "Edge on Windows", "Edge en Windows"},
		{"Samsung Internet, not Chrome", samsungAndroid, "Samsung Internet on Android", "Samsung Internet en Android"},
		{"Chrome on Android", chromeAndroid, "Chrome on Android", "Chrome en Android"},
		{"curl", curl, "Unknown browser", "Navegador desconocido"},
		{"a crawler", googlebot, "Unknown browser", "Navegador desconocido"},
		{"empty", "", "Unknown browser", "Navegador desconocido"},
		{"blank", "   ", "Unknown browser", "Navegador desconocido"},
		{"garbage", "\x00\xff not a browser at all", "Unknown browser", "Navegador desconocido"},
		{"the portal's 200-byte clip of a long header", (chromeWindows + strings.Repeat(" extension/1.0", 20))[:200], "Chrome on Windows", "Chrome en Windows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Describe("en", tc.ua); got != tc.en {
				t.Errorf("en: %q, want %q", got, tc.en)
			}
			if got := Describe("es", tc.ua); got != tc.es {
				t.Errorf("es: %q, want %q", got, tc.es)
			}
		})
	}
}

func TestWords(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    Device
		lang string
		want string
	}{
		{"browser only", Device{Browser: "Firefox"}, "en", "Firefox"},
		{"system only", Device{System: "Linux"}, "en", "Unknown browser on Linux"},
		{"system only, Spanish", Device{System: "Linux"}, "es", "Navegador desconocido en Linux"},
		{"another language reads English", Device{Browser: "Chrome", System: "Windows"}, "fr", "Chrome on Windows"},
		{"nothing", Device{}, "", "Unknown browser"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.d.Words(tc.lang); got != tc.want {
				t.Errorf("%q, want %q", got, tc.want)
			}
		})
	}
}

// TestParseIsCheap: the sessions page parses up to 50 headers; once the
// parser is built each costs microseconds.
func TestParseIsCheap(t *testing.T) {
	Parse(chromeWindows) // builds the parser
	start := time.Now()
	for range 1000 {
		Parse(samsungAndroid)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("1000 parses took %s", d)
	}
}
