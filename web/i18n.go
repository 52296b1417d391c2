package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// Languages are the portal's languages, the first being the default. Each
// has a message catalog, locales/LANG.json plus locales/AREA.LANG.json
// per area: flat objects of keys to strings (fmt verbs for arguments). Every string a page shows comes from
// a catalog; a test checks both catalogs have the same keys and that every
// key a template uses exists.
var Languages = []string{"en", "es"}

var langMatcher = language.NewMatcher([]language.Tag{language.English, language.Spanish})

// langCookie remembers a language chosen with the switcher.
const langCookie = "carfin_lang"

type catalogs map[string]map[string]string

// loadCatalogs reads locales/LANG.json and every locales/AREA.LANG.json
// (one file per area of the portal, so that areas grow independently); a
// key defined twice for one language is an error.
func loadCatalogs() (catalogs, error) {
	c := catalogs{}
	for _, lang := range Languages {
		files, err := fs.Glob(localeFS, "locales/*"+lang+".json")
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		for _, f := range files {
			if name := path.Base(f); name != lang+".json" && !strings.HasSuffix(name, "."+lang+".json") {
				continue
			}
			b, err := localeFS.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("catalog %s: %w", f, err)
			}
			part := map[string]string{}
			if err := json.Unmarshal(b, &part); err != nil {
				return nil, fmt.Errorf("catalog %s: %w", f, err)
			}
			for k, v := range part {
				if _, dup := m[k]; dup {
					return nil, fmt.Errorf("catalog %s: key %q defined twice", f, k)
				}
				m[k] = v
			}
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("catalog %s: no locales/%s.json", lang, lang)
		}
		c[lang] = m
	}
	return c, nil
}

// negotiate picks the language: the cookie if it names one of ours,
// else the best match for Accept-Language, else English.
func negotiate(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && slices.Contains(Languages, c.Value) {
		return c.Value
	}
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return Languages[0]
	}
	_, i, conf := langMatcher.Match(tags...)
	if conf == language.No {
		return Languages[0]
	}
	return Languages[i]
}

func withLang(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Language, Cookie")
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxLang, negotiate(r))))
	})
}

func langOf(r *http.Request) string {
	if s, ok := r.Context().Value(ctxLang).(string); ok {
		return s
	}
	return Languages[0]
}

// translate looks key up in lang's catalog, falling back to English and
// then to the key itself (a missing key is visible, never a blank).
func (c catalogs) translate(lang, key string, args ...any) string {
	s, ok := c[lang][key]
	if !ok {
		if s, ok = c[Languages[0]][key]; !ok {
			return key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// nextBytesMax bounds a "next" path (it is echoed into forms and URLs).
const nextBytesMax = 2048

// safeNext returns next, rebuilt from its parse, if it is a path on this
// site, else "/". Browsers forgive much in a Location header or in
// location.assign: they drop tabs and newlines, read "\\" as "/" and
// "/\t/host" as "//host", another site. So a path with any control or
// space character, or a backslash, raw or percent-encoded at any depth,
// is refused, as is one whose path (decoded) holds "//"; what is
// left is parsed and rebuilt from its cleaned path and its query.
func safeNext(next string) string {
	if len(next) > nextBytesMax || !strings.HasPrefix(next, "/") {
		return "/"
	}
	for s, depth := next, 0; ; depth++ {
		if strings.ContainsFunc(s, func(r rune) bool {
			return unicode.IsControl(r) || unicode.IsSpace(r) || r == '\\' || r == utf8.RuneError
		}) {
			return "/"
		}
		d, err := url.PathUnescape(s)
		if err != nil || depth > 3 {
			return "/" // malformed, or encoded deeper than any real link
		}
		if d == s {
			break
		}
		s = d
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.Contains(u.Path, "//") || strings.HasPrefix(u.EscapedPath(), "//") {
		// An empty segment anywhere: "/.//host" resolves to "//host".
		return "/"
	}
	clean := path.Clean(u.Path)
	if strings.HasSuffix(u.Path, "/") && clean != "/" {
		clean += "/"
	}
	out := (&url.URL{Path: clean, RawQuery: u.RawQuery}).String()
	if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") {
		return "/"
	}
	return out
}
