// Package devices names the browser and system a customer signed in
// with, in words they recognise ("Chrome on Windows", "Safari on
// iPhone"), in the language they read carfin in. The sessions page and
// the new-sign-in alert show it instead of the raw User-Agent header,
// which customers cannot read and which would let them miss a sign-in
// that was not theirs.
//
// The header is parsed by github.com/medama-io/go-useragent (a trie built
// once, at first use, from the user agents it embeds); anything it does
// not recognise is "Unknown browser", never a guess. The package is pure:
// no I/O, no clock.
package devices

import (
	"strings"
	"sync"

	"github.com/medama-io/go-useragent"
	"github.com/medama-io/go-useragent/agents"
)

// Device is what a User-Agent header says about the customer's device.
// Empty fields were not recognised.
type Device struct {
	// Browser is the browser's product name ("Chrome", "Samsung Internet").
	Browser string
	// System is the operating system, or the Apple device for iOS
	// ("Windows", "macOS", "iPhone", "iPad", "Android").
	System string
}

// words are the few words of a description per language; browser and
// system names are product names and stay as they are.
var words = map[string]struct{ on, unknown string }{
	"en": {on: " on ", unknown: "Unknown browser"},
	"es": {on: " en ", unknown: "Navegador desconocido"},
}

// browsers maps the parser's names to the names their makers use.
var browsers = map[agents.Browser]string{
	agents.BrowserAndroid:   "Android Browser",
	agents.BrowserChrome:    "Chrome",
	agents.BrowserEdge:      "Edge",
	agents.BrowserFirefox:   "Firefox",
	agents.BrowserIE:        "Internet Explorer",
	agents.BrowserOpera:     "Opera",
	agents.BrowserOperaMini: "Opera Mini",
	agents.BrowserSafari:    "Safari",
	agents.BrowserVivaldi:   "Vivaldi",
	agents.BrowserSilk:      "Silk",
	agents.BrowserSamsung:   "Samsung Internet",
	agents.BrowserFalkon:    "Falkon",
	agents.BrowserNintendo:  "Nintendo Browser",
	agents.BrowserYandex:    "Yandex Browser",
	agents.BrowserHuawei:    "Huawei Browser",
}

// systems maps the parser's operating systems to their makers' names.
var systems = map[agents.OS]string{
	agents.OSAndroid:  "Android",
	agents.OSChromeOS: "ChromeOS",
	agents.OSIOS:      "iOS",
	agents.OSLinux:    "Linux",
	agents.OSFreeBSD:  "FreeBSD",
	agents.OSOpenBSD:  "OpenBSD",
	agents.OSMacOS:    "macOS",
	agents.OSWindows:  "Windows",
}

// userAgentBytesMax bounds the header parsed: the portal stores 200
// bytes of it, and no browser needs more than this to be recognised.
const userAgentBytesMax = 512

var parser = sync.OnceValue(useragent.NewParser)

// Parse reads a User-Agent header. A bot or an unrecognised header gives
// an empty Browser.
func Parse(ua string) Device {
	if len(ua) > userAgentBytesMax {
		ua = ua[:userAgentBytesMax]
	}
	ua = strings.TrimSpace(ua)
	if ua == "" {
		return Device{}
	}
	a := parser().Parse(ua)
	if a.IsBot() {
		return Device{}
	}
	d := Device{Browser: browsers[a.Browser()], System: systems[a.OS()]}
	if a.OS() == agents.OSIOS {
		// Customers know their iPhone or iPad, not "iOS".
		switch {
		case strings.Contains(ua, "iPad"):
			d.System = "iPad"
		case strings.Contains(ua, "iPhone"):
			d.System = "iPhone"
		case strings.Contains(ua, "iPod"):
			d.System = "iPod"
		}
	}
	return d
}

// Describe words a User-Agent header in lang ("en" or "es"; English for
// any other): "Chrome on Windows", "Chrome en Windows", just "Firefox"
// when the system is unknown, and "Unknown browser" ("Navegador
// desconocido") when the browser is, with " on <system>" when that is
// known.
func Describe(lang, ua string) string {
	return Parse(ua).Words(lang)
}

// Words is Describe for a parsed Device.
func (d Device) Words(lang string) string {
	w, ok := words[lang]
	if !ok {
		w = words["en"]
	}
	b := d.Browser
	if b == "" {
		b = w.unknown
	}
	if d.System == "" {
		return b
	}
	return b + w.on + d.System
}
