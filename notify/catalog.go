package notify

import (
	"fmt"
	"slices"
	"strings"
	"text/template"
	"time"

	"carfin/calendar"
	"carfin/locale"
	"carfin/money"
)

// Languages are the languages carfin writes to customers in, the first
// being the default: the portal's languages (web.Languages).
var Languages = []string{"en", "es"}

// Lang returns lang if carfin writes in it, else the default language.
func Lang(lang string) string {
	if slices.Contains(Languages, lang) {
		return lang
	}
	return Languages[0]
}

// Catalog is one capability's customer messages in every language: the
// one way carfin words an email or a text. Each text is a text/template;
// an email's is its subject, a blank line, then its body, and a text
// message's is only its body. A catalog may also hold phrases that
// messages are built from (a payment's status, a reason), read with
// Text.
//
// Templates format in their own language with these functions:
//
//	money     money.Cents   "$1,234.56"
//	date      calendar.Date "November 25, 2026" / "25 de noviembre de 2026"
//	fullDate  calendar.Date "Wednesday, November 25, 2026" /
//	          "miércoles 25 de noviembre de 2026"
//	shortDate calendar.Date "Nov 25, 2026" / "25 nov 2026"
//	dayMonth  calendar.Date "Nov 25" / "25 nov"
//	moment    time.Time, already in the lender's zone: "November 24, 2026
//	          at 5:00 PM EST" / "24 de noviembre de 2026, 17:00 EST"
//	clock     time.Time "5:00 PM EST" / "17:00 EST"
//
// Data given as a map must hold every key a template names
// (missingkey=error), so a text never goes out with "<no value>".
type Catalog struct {
	t map[string]*template.Template // "lang/key"
}

// NewCatalog parses texts, by language then key. It panics if a text
// does not parse or a key is missing in one of Languages: catalogs are
// package variables, and a message that cannot be written in the
// customer's language is a bug found when the program starts.
func NewCatalog(texts map[string]map[string]string) *Catalog {
	c := &Catalog{t: map[string]*template.Template{}}
	for _, lang := range Languages {
		if texts[lang] == nil {
			panic(fmt.Sprintf("notify: catalog without language %q", lang))
		}
	}
	for lang, keys := range texts {
		if !slices.Contains(Languages, lang) {
			panic(fmt.Sprintf("notify: catalog language %q is not one of %v", lang, Languages))
		}
		for key, text := range keys {
			for _, other := range Languages {
				if _, ok := texts[other][key]; !ok {
					panic(fmt.Sprintf("notify: catalog key %q has no %s text", key, other))
				}
			}
			c.t[lang+"/"+key] = template.Must(template.New(key).Option("missingkey=error").Funcs(funcs(lang)).Parse(text))
		}
	}
	return c
}

// funcs are the formatting functions of lang's templates.
func funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"money":     func(c money.Cents) string { return locale.Money(lang, c) },
		"date":      func(d calendar.Date) string { return locale.LongDate(lang, d) },
		"fullDate":  func(d calendar.Date) string { return locale.FullDate(lang, d) },
		"shortDate": func(d calendar.Date) string { return locale.Date(lang, d) },
		"dayMonth":  func(d calendar.Date) string { return locale.DayMonth(lang, d) },
		"moment":    func(t time.Time) string { return locale.Moment(lang, t) },
		"clock":     func(t time.Time) string { return locale.Clock(lang, t) },
	}
}

// Text renders key in lang (the default language when lang is not one of
// Languages). Returns an error for an unknown key or data that lacks a
// field the text names.
func (c *Catalog) Text(lang, key string, data any) (string, error) {
	t := c.t[Lang(lang)+"/"+key]
	if t == nil {
		return "", fmt.Errorf("no text %q", key)
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("text %s: %w", key, err)
	}
	return b.String(), nil
}

// Email renders key in lang as an email of that kind: the text's first
// paragraph is the subject, the rest the body. The caller sets To.
func (c *Catalog) Email(lang, key string, data any) (Message, error) {
	s, err := c.Text(lang, key, data)
	if err != nil {
		return Message{}, err
	}
	subject, body, _ := strings.Cut(s, "\n\n")
	return Message{Channel: Email, Kind: key, Subject: subject, Text: body}, nil
}

// SMS renders key in lang as a text message of that kind. The caller
// sets To.
func (c *Catalog) SMS(lang, key string, data any) (Message, error) {
	s, err := c.Text(lang, key, data)
	if err != nil {
		return Message{}, err
	}
	return Message{Channel: SMS, Kind: key, Text: strings.TrimSpace(s)}, nil
}
