package notify_test

import (
	"testing"
	"time"

	"carfin/calendar"
	"carfin/money"
	"carfin/notify"
)

func TestCatalog(t *testing.T) {
	cat := notify.NewCatalog(map[string]map[string]string{
		"en": {"paid": "Payment of {{money .Amount}}\n\nHello {{.Name}},\n\nPaid on {{date .Date}} at {{clock .At}} ({{fullDate .Date}}, {{shortDate .Date}}).\n", "sms": "\n\nDebit on {{dayMonth .Date}}."},
		"es": {"paid": "Pago de {{money .Amount}}\n\nHola, {{.Name}}:\n\nPagado el {{date .Date}} a las {{clock .At}} ({{fullDate .Date}}, {{shortDate .Date}}).\n", "sms": "\n\nDébito el {{dayMonth .Date}}."},
	})
	data := map[string]any{"Amount": money.MustParse("1234.5"), "Name": "Ana", "Date": calendar.MustParse("2026-11-05"),
		"At": time.Date(2026, 11, 5, 17, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		name, lang, subject, body, sms string
	}{
		{"English", "en", "Payment of $1,234.50", "Hello Ana,\n\nPaid on November 5, 2026 at 5:00 PM UTC (Thursday, November 5, 2026, Nov 5, 2026).\n", "Debit on Nov 5."},
		{"Spanish", "es", "Pago de $1,234.50", "Hola, Ana:\n\nPagado el 5 de noviembre de 2026 a las 17:00 UTC (jueves 5 de noviembre de 2026, 5 nov 2026).\n", "Débito el 5 nov."},
		{"unknown language is English", "fr", "Payment of $1,234.50", "Hello Ana,\n\nPaid on November 5, 2026 at 5:00 PM UTC (Thursday, November 5, 2026, Nov 5, 2026).\n", "Debit on Nov 5."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := cat.Email(tc.lang, "paid", data)
			if err != nil {
				t.Fatal(err)
			}
			if m.Channel != notify.Email || m.Kind != "paid" || m.Subject != tc.subject || m.Text != tc.body {
				t.Errorf("email %+v", m)
			}
			s, err := cat.SMS(tc.lang, "sms", data)
			if err != nil {
				t.Fatal(err)
			}
			if s.Channel != notify.SMS || s.Subject != "" || s.Text != tc.sms {
				t.Errorf("sms %+v", s)
			}
		})
	}
	if _, err := cat.Email("en", "paid", map[string]any{"Name": "Ana"}); err == nil {
		t.Error("a missing field rendered")
	}
	if _, err := cat.Text("en", "nope", nil); err == nil {
		t.Error("an unknown key rendered")
	}
}

func TestCatalogNeedsEveryLanguage(t *testing.T) {
	for _, tc := range []struct {
		name  string
		texts map[string]map[string]string
	}{
		{"a language missing", map[string]map[string]string{"en": {"a": "x"}}},
		{"a key missing in one language", map[string]map[string]string{"en": {"a": "x", "b": "y"}, "es": {"a": "x"}}},
		{"an unknown language", map[string]map[string]string{"en": {"a": "x"}, "es": {"a": "x"}, "fr": {"a": "x"}}},
		{"a text that does not parse", map[string]map[string]string{"en": {"a": "{{"}, "es": {"a": "x"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			notify.NewCatalog(tc.texts)
		})
	}
}
