package web

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"carfin/preferences"
	"carfin/support"
	"carfin/webcore"
)

// TestSupportCatalogs: every key the profile and support pages use,
// literally or built from a kind, field or reason, exists in English and
// Spanish (TestCatalogs checks that both languages have the same keys).
func TestSupportCatalogs(t *testing.T) {
	cat, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	used := regexp.MustCompile(`"((?:profile|consent|alerts|faq|contact|messages)\.[a-z0-9_]+)"`)
	keys := map[string]bool{}
	var sources []string
	for _, pattern := range []string{"templates/profile*.html", "templates/messages*.html", "templates/faq.html", "templates/contact.html"} {
		names, _ := fs.Glob(templateFS, pattern)
		for _, n := range names {
			b, _ := fs.ReadFile(templateFS, n)
			sources = append(sources, string(b))
		}
	}
	for _, pattern := range []string{"profile_*.go", "consent_*.go", "preferences_*.go", "faq_*.go", "contact_show.go", "messages_*.go", "routes_support.go"} {
		names, _ := fs.Glob(osDir("."), pattern)
		for _, n := range names {
			b, _ := fs.ReadFile(osDir("."), n)
			sources = append(sources, string(b))
		}
	}
	for _, src := range sources {
		for _, m := range used.FindAllStringSubmatch(src, -1) {
			if !strings.HasSuffix(m[1], "_") { // a prefix: the keys built from it are listed below
				keys[m[1]] = true
			}
		}
	}
	if len(keys) < 100 {
		t.Errorf("found only %d keys: the scan is broken", len(keys))
	}
	// Keys built at run time.
	for _, k := range append(preferences.Kinds, preferences.Security) {
		keys["alerts.kind_"+string(k)] = true
		if k != preferences.Security {
			keys["alerts.hint_"+string(k)] = true
		}
	}
	for _, kind := range []string{"email", "phone"} {
		keys["profile."+kind+"_title"] = true
		keys["profile.verify_"+kind+"_title"] = true
		keys["profile.err_"+kind+"_invalid"] = true
		keys["profile.err_"+kind+"_same"] = true
	}
	for _, f := range addressFields {
		keys[addressErrorKey(f, "invalid")] = true
		keys[addressErrorKey(f, "too_long")] = true
		if f != "line2" {
			keys[addressErrorKey(f, "required")] = true
		}
	}
	for field, reasons := range map[string][]string{"subject": {support.Required, support.TooLong}, "body": {support.Required, support.TooLong},
		"attachments": {support.TooLarge, support.WrongType, support.TooMany}} {
		for _, reason := range reasons {
			keys[messageErrors(support.FieldErrors{field: reason})[field]] = true
		}
	}
	for _, kind := range MailingAddressKinds {
		keys["contact.addr_"+kind] = true
	}
	for _, k := range profileNotices {
		keys[k] = true
	}
	for _, k := range fileTypeKeys {
		keys[k] = true
	}
	for _, k := range []string{"nav.profile", "nav.messages", "nav.help", "footer.contact"} {
		keys[k] = true
	}
	for k := range keys {
		for _, lang := range webcore.Languages {
			if len(cat.Texts(lang, k)) == 0 {
				t.Errorf("%s lacks %q", lang, k)
			}
		}
	}
}
