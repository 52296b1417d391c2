package webcore

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// Languages are the customer portal's languages, the first being the default. Each
// has a message catalog, locales/LANG.json plus locales/AREA.LANG.json
// per area: flat objects of keys to strings (fmt verbs for arguments). Every string a page shows comes from
// a catalog; a test checks both catalogs have the same keys and that every
// key a template uses exists.
//
// A text that shows a count has plural forms instead of a string of its
// own: "KEY.one" and "KEY.other" (CLDR's category names; "KEY.many" and
// the others where a language needs them), chosen by the count under
// CLDR's cardinal rules for the language: in English and Spanish "one" is
// exactly 1 and "other" everything else ("1 answer", "0 answers", "2
// respuestas"). A page asks with TN; T finds them too, chosen by its
// first integer argument, so that a text gains plural forms without a
// change to every template that shows it.
var pluralForms = []string{"zero", "one", "two", "few", "many", "other"}
var Languages = []string{"en", "es"}

var langMatcher = language.NewMatcher([]language.Tag{language.English, language.Spanish})

// LangCookie remembers a language chosen with the switcher.
const LangCookie = "carfin_lang"

// Catalogs are the message catalogs, language → key → text.
type Catalogs map[string]map[string]string

// LoadCatalogs reads locales/LANG.json and every locales/AREA.LANG.json
// of fsys (one file per area of a realm, so that areas grow
// independently); a key defined twice for one language is an error.
func LoadCatalogs(localeFS fs.ReadFileFS) (Catalogs, error) {
	c := Catalogs{}
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
		if err := checkPlurals(m); err != nil {
			return nil, fmt.Errorf("catalog %s: %w", lang, err)
		}
		c[lang] = m
	}
	return c, nil
}

// Negotiate picks the language: the cookie if it names one of ours,
// else the best match for Accept-Language, else English.
func Negotiate(r *http.Request) string {
	if c, err := r.Cookie(LangCookie); err == nil && slices.Contains(Languages, c.Value) {
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

// WithLang negotiates each request's language (LangOf).
func WithLang(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Language, Cookie")
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxLang, Negotiate(r))))
	})
}

// WithLangOf returns ctx carrying lang, as WithLang leaves it (tests
// render a page in a language without the middleware).
func WithLangOf(ctx context.Context, lang string) context.Context {
	return context.WithValue(ctx, ctxLang, lang)
}

// LangOf is the request's language, as WithLang negotiated it.
func LangOf(r *http.Request) string {
	if s, ok := r.Context().Value(ctxLang).(string); ok {
		return s
	}
	return Languages[0]
}

// checkPlurals refuses a catalog whose plural forms lack "other" (the
// form every language has, and the one any count falls back to), or
// whose key has both a string and plural forms.
func checkPlurals(m map[string]string) error {
	for k := range m {
		base, form, ok := CutPluralForm(k)
		if !ok || form == "other" {
			continue
		}
		if _, ok := m[base+".other"]; !ok {
			return fmt.Errorf("key %q has no %q", k, base+".other")
		}
		if _, ok := m[base]; ok {
			return fmt.Errorf("key %q has a string and plural forms", base)
		}
	}
	return nil
}

// CutPluralForm splits "faq.results.one" into "faq.results" and "one".
func CutPluralForm(key string) (base, form string, ok bool) {
	i := strings.LastIndexByte(key, '.')
	if i < 0 || !slices.Contains(pluralForms, key[i+1:]) || !strings.Contains(key[:i], ".") {
		return "", "", false
	}
	return key[:i], key[i+1:], true
}

// Texts returns key's string in lang, or its plural forms ("one" before
// "other"); none when lang has neither. Tests use it to check that a key
// in use exists.
func (c Catalogs) Texts(lang, key string) []string {
	if s, ok := c[lang][key]; ok {
		return []string{s}
	}
	var out []string
	for _, f := range pluralForms {
		if s, ok := c[lang][key+"."+f]; ok {
			out = append(out, s)
		}
	}
	if len(out) > 0 && c[lang][key+".other"] == "" {
		return nil // forms without "other" (loadCatalogs refuses them)
	}
	return out
}

// pluralForm is the CLDR cardinal category of the whole number n in lang
// ("one", "other", …).
func pluralForm(lang string, n int64) string {
	tag := language.English
	if lang == "es" {
		tag = language.Spanish
	}
	if n < 0 {
		n = -n
	}
	switch plural.Cardinal.MatchPlural(tag, int(n), 0, 0, 0, 0) {
	case plural.Zero:
		return "zero"
	case plural.One:
		return "one"
	case plural.Two:
		return "two"
	case plural.Few:
		return "few"
	case plural.Many:
		return "many"
	}
	return "other"
}

// lookup finds key in lang's catalog, then in English's.
func (c Catalogs) lookup(lang, key string) (string, bool) {
	if s, ok := c[lang][key]; ok {
		return s, true
	}
	s, ok := c[Languages[0]][key]
	return s, ok
}

// plural finds key's form for the count n in lang (its "other" when the
// language has no string for n's category), falling back to English.
func (c Catalogs) plural(lang, key string, n int64) (string, bool) {
	for _, l := range []string{lang, Languages[0]} {
		if s, ok := c[l][key+"."+pluralForm(l, n)]; ok {
			return s, true
		}
		if s, ok := c[l][key+".other"]; ok {
			return s, true
		}
	}
	return "", false
}

// Translate looks key up in lang's catalog, falling back to English and
// then to the key itself (a missing key is visible, never a blank). A key
// with plural forms is chosen by the first integer among args.
func (c Catalogs) Translate(lang, key string, args ...any) string {
	s, ok := c.lookup(lang, key)
	if !ok {
		n, _ := FirstCount(args) // none: the "other" form
		if s, ok = c.plural(lang, key, n); !ok {
			return key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// TranslateN is key's plural form for the count n in lang, formatted with
// n and then args (so "%d" or "%[1]d" is the count): "1 answer for
// “title”", "3 answers for “title”".
func (c Catalogs) TranslateN(lang, key string, n int64, args ...any) string {
	s, ok := c.plural(lang, key, n)
	if !ok {
		if s, ok = c.lookup(lang, key); !ok {
			return key
		}
	}
	return fmt.Sprintf(s, append([]any{n}, args...)...)
}

// FirstCount is the first integer among args, the count a text with
// plural forms agrees with.
func FirstCount(args []any) (int64, bool) {
	for _, a := range args {
		switch n := a.(type) {
		case int:
			return int64(n), true
		case int64:
			return n, true
		case int32:
			return int64(n), true
		case int16:
			return int64(n), true
		case int8:
			return int64(n), true
		case uint:
			return int64(min(uint64(n), math.MaxInt64)), true
		case uint64:
			return int64(min(n, math.MaxInt64)), true
		case uint32:
			return int64(n), true
		case uint16:
			return int64(n), true
		case uint8:
			return int64(n), true
		}
	}
	return 0, false
}

// NextBytesMax bounds a "next" path (it is echoed into forms and URLs).
const NextBytesMax = 2048

// SafeNext returns next, rebuilt from its parse, if it is a path on this
// site, else "/". Browsers forgive much in a Location header or in
// location.assign: they drop tabs and newlines, read "\\" as "/" and
// "/\t/host" as "//host", another site. So a path with any control or
// space character, or a backslash, raw or percent-encoded at any depth,
// is refused, as is one whose path (decoded) holds "//"; what is
// left is parsed and rebuilt from its cleaned path and its query.
func SafeNext(next string) string {
	if len(next) > NextBytesMax || !strings.HasPrefix(next, "/") {
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
