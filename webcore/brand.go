package webcore

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"carfin/colour"
)

// Brand is the lender's white-label identity.
type Brand struct {
	// Name is the lender's name, e.g. "Northwind Motor Finance".
	Name string
	// Primary and Accent are CSS hex colours (#rrggbb).
	Primary string
	Accent  string
	// SupportPhone and SupportHours are shown in the footer;
	// SupportHoursES is the hours in Spanish (SupportHours when empty).
	SupportPhone   string
	SupportHours   string
	SupportHoursES string
}

// Hours is the support hours in lang.
func (b Brand) Hours(lang string) string {
	if lang == "es" && b.SupportHoursES != "" {
		return b.SupportHoursES
	}
	return b.SupportHours
}

// DefaultBrand is the fictional demo lender.
var DefaultBrand = Brand{Name: "Northwind Motor Finance", Primary: "#0b5394", Accent: "#e69138",
	SupportPhone: "1-800-555-0199", SupportHours: "Mon–Fri 8am–8pm ET", SupportHoursES: "lun.–vie., 8 a. m.–8 p. m. (hora del Este)"}

// Validate reports a colour that is not #rrggbb (it goes into CSS), and a
// primary colour too light to read: the portal writes links and button
// labels in it on white and white text on it, so it needs WCAG 2 AA's
// 4.5:1 against white (1.4.3). The message names the nearest darker shade
// of the same hue that passes. The accent needs no check: the portal
// writes on it in whichever of white or black reads best (Theme).
func (b Brand) Validate() error {
	if strings.TrimSpace(b.Name) == "" {
		return fmt.Errorf("lender name is empty")
	}
	if utf8.RuneCountInString(b.Name) > brandNameMax {
		return fmt.Errorf("lender name %q: at most %d characters (it is the header's wordmark)", b.Name, brandNameMax)
	}
	primary, err := colour.Parse(b.Primary)
	if err != nil {
		return fmt.Errorf("primary %w", err)
	}
	if _, err := colour.Parse(b.Accent); err != nil {
		return fmt.Errorf("accent %w", err)
	}
	if c := colour.Contrast(primary, colour.White); c < colour.TextContrastMin {
		fix, _ := colour.Darken(primary, colour.White, colour.TextContrastMin)
		return fmt.Errorf("primary colour %s has a contrast of %.2f:1 against white; links and buttons need %.1f:1 (WCAG 2 AA): use a darker shade such as %s",
			b.Primary, c, colour.TextContrastMin, fix.Hex())
	}
	return nil
}

// Initials are the monogram of the default wordmark, when the lender has
// no logo: the first letters of the name's first two words that start
// with a letter or digit ("Northwind Motor Finance" → "NM").
func (b Brand) Initials() string {
	var out []rune
	for _, w := range strings.Fields(b.Name) {
		r, _ := utf8.DecodeRuneInString(w)
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			out = append(out, unicode.ToUpper(r))
		}
		if len(out) == 2 {
			break
		}
	}
	return string(out)
}

// brandNameMax bounds the lender's name, which the header prints as its
// wordmark when there is no logo.
const brandNameMax = 60

// Theme is the stylesheet of the lender's colours: the primary, its text
// colour and a light tint for backgrounds, and the accent with the text
// colour that reads best on it. Validate has checked the colours.
func (b Brand) Theme() string {
	primary, _ := colour.Parse(b.Primary)
	accent, _ := colour.Parse(b.Accent)
	return fmt.Sprintf(":root{--brand:%s;--brand-ink:%s;--brand-tint:%s;--brand-soft:%s;--accent:%s;--accent-ink:%s}\n",
		primary.Hex(), colour.BestText(primary, colour.White).Hex(), colour.Mix(primary, colour.White, 92).Hex(),
		colour.Mix(primary, colour.White, 80).Hex(), accent.Hex(), colour.BestText(accent, colour.Ink).Hex())
}

// Logo is an image served at /logo.
type Logo struct {
	ContentType string
	Data        []byte
}
