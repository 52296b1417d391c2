package web

import (
	"io/fs"
	"maps"
	"net/http/httptest"
	"regexp"
	"slices"
	"testing"
)

// TestCatalogs: both languages have the same keys, no empty string, and
// every key a template or handler uses exists.
func TestCatalogs(t *testing.T) {
	cat, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	en, es := cat["en"], cat["es"]
	for k := range en {
		if es[k] == "" {
			t.Errorf("es lacks %q", k)
		}
		if en[k] == "" {
			t.Errorf("en has an empty %q", k)
		}
	}
	for k := range es {
		if _, ok := en[k]; !ok {
			t.Errorf("en lacks %q", k)
		}
	}
	used := regexp.MustCompile(`"((?:nav|footer|field|password|err|error|notfound|link|login|twofa|enrol|forgot|reset|unlock|wasntme|idle|reauth|home|security|totp|recovery)\.[a-z0-9_]+)"`)
	var sources []string
	_ = fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(templateFS, p)
			sources = append(sources, string(b))
		}
		return nil
	})
	goFiles, _ := fs.Glob(osDir("."), "*.go")
	for _, f := range goFiles {
		b, _ := fs.ReadFile(osDir("."), f)
		sources = append(sources, string(b))
	}
	seen := map[string]bool{}
	for _, src := range sources {
		for _, m := range used.FindAllStringSubmatch(src, -1) {
			seen[m[1]] = true
		}
	}
	for _, k := range slices.Sorted(maps.Keys(seen)) {
		if _, ok := en[k]; !ok {
			t.Errorf("key %q is used but not in the catalogs", k)
		}
	}
	if len(seen) < 100 {
		t.Errorf("found only %d keys in use: the scan is broken", len(seen))
	}
}

func TestNegotiate(t *testing.T) {
	for _, tc := range []struct{ accept, cookie, want string }{
		{"", "", "en"},
		{"es-MX,es;q=0.9", "", "es"},
		{"fr-FR,es;q=0.5,en;q=0.4", "", "es"},
		{"de", "", "en"},
		{"es", "en", "en"},
		{"en", "xx", "en"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Language", tc.accept)
		if tc.cookie != "" {
			r.Header.Set("Cookie", langCookie+"="+tc.cookie)
		}
		if got := negotiate(r); got != tc.want {
			t.Errorf("Accept-Language %q, cookie %q: %s, want %s", tc.accept, tc.cookie, got, tc.want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{"/security": "/security", "//evil.example": "/", "https://evil.example": "/", `/\evil`: "/", "": "/", "javascript:alert(1)": "/"} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
