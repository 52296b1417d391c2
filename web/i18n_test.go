package web

import (
	"io/fs"
	"maps"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"carfin/webcore"
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
		_, ok := en[k]
		if _, plural := en[k+".other"]; !ok && !plural {
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
			r.Header.Set("Cookie", webcore.LangCookie+"="+tc.cookie)
		}
		if got := webcore.Negotiate(r); got != tc.want {
			t.Errorf("Accept-Language %q, cookie %q: %s, want %s", tc.accept, tc.cookie, got, tc.want)
		}
	}
}

// TestSafeNext: known open-redirect bypasses (raw and percent-encoded
// control and space characters, backslashes, scheme-relative and
// scheme-only forms, dot segments) all end at "/"; paths of this site
// come back as they were, rebuilt.
func TestSafeNext(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/security", "/security"},
		{"/contracts/7?tab=schedule", "/contracts/7?tab=schedule"},
		{"/messages/", "/messages/"},
		{"/a/../security", "/security"},
		{"/%7Euser", "/~user"},
		{"", "/"},
		{"//evil.example", "/"},
		{"///evil.example", "/"},
		{"////evil.example", "/"},
		{"/.//evil.example", "/"},
		{"/./evil.example", "/evil.example"}, // a path here, not a host
		{"https://evil.example", "/"},
		{"https:evil.example", "/"},
		{"https:x", "/"},
		{"javascript:alert(1)", "/"},
		{`/\evil.example`, "/"},
		{`\\evil.example`, "/"},
		{`/\/evil.example`, "/"},
		{"/\t/evil.example/", "/"},
		{"/\v/evil.example/", "/"},
		{"/\f/evil.example/", "/"},
		{"/\x00/evil.example/", "/"},
		{"/\r/evil.example/", "/"},
		{"/\n/evil.example/", "/"},
		{"/ /evil.example/", "/"},
		{"/\u3000/evil.example/", "/"}, // ideographic space
		{"/\u00a0/evil.example/", "/"}, // no-break space
		{"/\u2028/evil.example/", "/"}, // line separator
		{"/%09/evil.example/", "/"},
		{"/%0b/evil.example/", "/"},
		{"/%0c/evil.example/", "/"},
		{"/%00/evil.example/", "/"},
		{"/%0d%0a/evil.example/", "/"},
		{"/%20/evil.example/", "/"},
		{"/%E3%80%80/evil.example/", "/"},
		{"/%2509/evil.example/", "/"}, // encoded twice
		{"/%2f/evil.example", "/"},
		{"/%2f%2fevil.example", "/"},
		{"%2f%2fevil.example", "/"},
		{"/%5cevil.example", "/"},
		{"/%5c/evil.example", "/"},
		{"/%zz", "/"},
		{"/\xff\xfe", "/"},
		{"/security?next=%09", "/"},
		{"/" + strings.Repeat("a", webcore.NextBytesMax), "/"},
	} {
		if got := webcore.SafeNext(tc.in); got != tc.want {
			t.Errorf("safeNext(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzSafeNext: whatever comes in, what goes out is "/" or a path that
// a browser resolves on this site: it starts with one "/", and has no
// control or space character or backslash, raw or decoded.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/security", "/\t/evil", "/%09/x", "//x", "/.//x", "/%2f%2fx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := webcore.SafeNext(in)
		if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") {
			t.Fatalf("safeNext(%q) = %q", in, out)
		}
		dec, err := url.PathUnescape(out)
		if err != nil {
			t.Fatalf("safeNext(%q) = %q, not decodable", in, out)
		}
		for _, s := range []string{out, dec} {
			if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) || r == '\\' }) || strings.HasPrefix(s, "//") {
				t.Fatalf("safeNext(%q) = %q", in, out)
			}
		}
		u, err := url.Parse(out)
		if err != nil || u.Host != "" || u.Scheme != "" {
			t.Fatalf("safeNext(%q) = %q parses as %+v", in, out, u)
		}
	})
}
