package webcore

import (
	"testing"
)

// TestPluralForm: CLDR's cardinal categories of whole numbers in English
// and Spanish: "one" is exactly 1 (and -1), everything else "other".
func TestPluralForm(t *testing.T) {
	for _, tc := range []struct {
		lang string
		n    int64
		want string
	}{
		{"en", 0, "other"}, {"en", 1, "one"}, {"en", 2, "other"}, {"en", 11, "other"}, {"en", 21, "other"}, {"en", 101, "other"}, {"en", -1, "one"},
		{"es", 0, "other"}, {"es", 1, "one"}, {"es", 2, "other"}, {"es", 21, "other"}, {"es", 1_000_000, "other"},
		{"fr", 1, "one"}, // an unknown language counts as English
	} {
		if got := pluralForm(tc.lang, tc.n); got != tc.want {
			t.Errorf("pluralForm(%s, %d) = %s, want %s", tc.lang, tc.n, got, tc.want)
		}
	}
}

// TestTranslatePlural: TN picks the form by the count and puts the count
// first; T picks it by its first integer argument; a language without a
// form, or without the key, falls back to "other" and to English.
func TestTranslatePlural(t *testing.T) {
	c := Catalogs{
		"en": {"faq.results.one": "%d answer for “%s”.", "faq.results.other": "%d answers for “%s”.",
			"x.late.one": "%s is %d day late", "x.late.other": "%s is %d days late", "x.only_en.one": "one %d", "x.only_en.other": "other %d",
			"x.plain": "plain %d"},
		"es": {"faq.results.one": "%d respuesta para “%s”.", "faq.results.other": "%d respuestas para “%s”.",
			"x.late.one": "%s tiene %d día de atraso", "x.late.other": "%s tiene %d días de atraso", "x.plain": "simple %d"},
	}
	for _, tc := range []struct {
		name string
		got  string
		want string
	}{
		{"TN one", c.TranslateN("en", "faq.results", 1, "payoff"), "1 answer for “payoff”."},
		{"TN zero", c.TranslateN("en", "faq.results", 0, "payoff"), "0 answers for “payoff”."},
		{"TN other", c.TranslateN("en", "faq.results", 12, "payoff"), "12 answers for “payoff”."},
		{"TN Spanish one", c.TranslateN("es", "faq.results", 1, "pago"), "1 respuesta para “pago”."},
		{"TN Spanish other", c.TranslateN("es", "faq.results", 1_000_000, "pago"), "1000000 respuestas para “pago”."},
		{"TN English fallback", c.TranslateN("es", "x.only_en", 1), "one 1"},
		{"TN of a plain key", c.TranslateN("es", "x.plain", 1), "simple 1"},
		{"TN of a missing key", c.TranslateN("en", "x.nothing", 1), "x.nothing"},
		{"T by the first integer", c.Translate("en", "x.late", "$5.00", 1), "$5.00 is 1 day late"},
		{"T by the first integer, other", c.Translate("es", "x.late", "$5,00", 3), "$5,00 tiene 3 días de atraso"},
		{"T int64", c.Translate("en", "x.late", "$5.00", int64(1)), "$5.00 is 1 day late"},
		{"T plain", c.Translate("en", "x.plain", 1), "plain 1"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

// TestCheckPlurals: plural forms need "other", and a key is a string or
// plural forms, not both.
func TestCheckPlurals(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    map[string]string
		ok   bool
	}{
		{"forms", map[string]string{"a.b.one": "x", "a.b.other": "y"}, true},
		{"other alone", map[string]string{"a.b.other": "y"}, true},
		{"a key named other", map[string]string{"twofa.other": "Use another way"}, true},
		{"one without other", map[string]string{"a.b.one": "x"}, false},
		{"many without other", map[string]string{"a.b.many": "x", "a.b.one": "y"}, false},
		{"string and forms", map[string]string{"a.b": "x", "a.b.one": "x", "a.b.other": "y"}, false},
	} {
		if err := checkPlurals(tc.m); (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
