package profile_test

import (
	"strings"
	"testing"

	"carfin/profile"
)

// TestDisclosure: both languages fill in every field and hold each part
// 15 USC 7001(c)(1) asks for; the hash identifies the text shown.
func TestDisclosure(t *testing.T) {
	info := profile.DisclosureInfo{Lender: "Northwind", Phone: "1-800-555-0199", Hours: "Mon–Fri", Address: "PO Box 4100, Columbus, OH 43216"}
	for lang, parts := range map[string][]string{
		"en": {"What this consent covers", "Your right to paper", "free of charge", "How to withdraw your consent", "Keep your contact details up to date", "What you need", "PDF"},
		"es": {"Qué cubre este consentimiento", "Su derecho a recibir papel", "sin cargo", "Cómo retirar su consentimiento", "Mantenga sus datos de contacto al día", "Lo que necesita", "PDF"},
	} {
		d := profile.NewDisclosure(lang, info)
		if d.Lang != lang || d.Version != profile.DisclosureVersion || len(d.SHA256) != 64 {
			t.Fatalf("%s: %+v", lang, d)
		}
		for _, want := range append(parts, info.Lender, info.Phone, info.Address, profile.DisclosureVersion) {
			if !strings.Contains(d.Markdown, want) || !strings.Contains(string(d.HTML), want) {
				t.Errorf("%s disclosure lacks %q", lang, want)
			}
		}
		if strings.Contains(d.Markdown, "{{") || strings.Contains(string(d.HTML), "<h1>") {
			t.Errorf("%s: unfilled field or a second <h1>", lang)
		}
		if again := profile.NewDisclosure(lang, info); again.SHA256 != d.SHA256 {
			t.Error("the hash is not stable")
		}
	}
	if profile.NewDisclosure("fr", info).Lang != "en" {
		t.Error("an unknown language is not English")
	}
	other := profile.NewDisclosure("en", profile.DisclosureInfo{Lender: "Other"})
	if other.SHA256 == profile.NewDisclosure("en", info).SHA256 {
		t.Error("the hash does not cover the lender's details")
	}
}

func TestAddress(t *testing.T) {
	ok := profile.Address{Line1: " 1  Main St ", City: "Columbus", State: "oh", ZIP: "43215-1234"}.Normalized()
	if ok.Line1 != "1 Main St" || ok.State != "OH" || ok.Validate() != nil {
		t.Fatalf("%+v: %v", ok, ok.Validate())
	}
	for _, tc := range []struct {
		a             profile.Address
		field, reason string
	}{
		{profile.Address{City: "C", State: "OH", ZIP: "43215"}, "line1", profile.Required},
		{profile.Address{Line1: "1", City: "C", State: "ZZ", ZIP: "43215"}, "state", profile.Invalid},
		{profile.Address{Line1: "1", City: "C", State: "PR", ZIP: "0091"}, "zip", profile.Invalid},
		{profile.Address{Line1: "1", City: "C", State: "OH", ZIP: "43215 1234"}, "zip", profile.Invalid},
		{profile.Address{Line1: "1", City: "<b>", State: "OH", ZIP: "43215"}, "city", profile.Invalid},
		{profile.Address{Line1: "1", Line2: strings.Repeat("é", 201), City: "C", State: "OH", ZIP: "43215"}, "line2", profile.TooLong},
		{profile.Address{Line1: "1\a2", City: "C", State: "OH", ZIP: "43215"}, "line1", profile.Invalid},
		// The Postal Service's limits (package postal), which the letters are laid out for.
		{profile.Address{Line1: strings.Repeat("W", 41), City: "C", State: "OH", ZIP: "43215"}, "line1", profile.TooLong},
		{profile.Address{Line1: strings.Repeat("W", 40), City: "C", State: "OH", ZIP: "43215"}, "line1", ""},
		{profile.Address{Line1: strings.Repeat("1 Main St ", 50), City: "C", State: "OH", ZIP: "43215"}, "line1", profile.TooLong},
		{profile.Address{Line1: "1", Line2: strings.Repeat("é", 41), City: "C", State: "OH", ZIP: "43215"}, "line2", profile.TooLong},
		{profile.Address{Line1: "1", City: strings.Repeat("x", 29), State: "OH", ZIP: "43215"}, "city", profile.TooLong},
		{profile.Address{Line1: "1", City: strings.Repeat("x", 28), State: "OH", ZIP: "43215"}, "city", ""},
		{profile.Address{Line1: "1 Peña Blvd", City: "Española", State: "NM", ZIP: "87532"}, "line1", ""},
		{profile.Address{Line1: "1 Łódź St", City: "C", State: "OH", ZIP: "43215"}, "line1", profile.Invalid},
		{profile.Address{Line1: "1", City: "東京", State: "OH", ZIP: "43215"}, "city", profile.Invalid},
		{profile.Address{Line1: "1", City: "C", State: "XX", ZIP: "43215"}, "state", profile.Invalid},
		{profile.Address{Line1: "1", City: "C", State: "OH", ZIP: "43215-12"}, "zip", profile.Invalid},
	} {
		if got := tc.a.Normalized().Validate(); got[tc.field] != tc.reason {
			t.Errorf("%+v: %v, want %s %s", tc.a, got, tc.field, tc.reason)
		}
	}
	if profile.SampleCode(1) == profile.SampleCode(2) || len(profile.SampleCode(1)) != 6 {
		t.Error("sample codes")
	}
	pdf, err := profile.SamplePDF("es", "Northwind", "ABC234")
	if err != nil || !strings.HasPrefix(string(pdf), "%PDF-") || !strings.Contains(string(pdf), "ABC234") {
		t.Fatalf("sample PDF: %v", err)
	}
}
