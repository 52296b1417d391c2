package webcore

import (
	"encoding/xml"
	"net/http/httptest"
	"strings"
	"testing"

	"carfin/colour"
)

// A lender's primary colour must read on white (links, button labels) and
// under white (buttons, the monogram): one that fails WCAG AA is refused
// at start with a passing shade named.
func TestBrandValidate(t *testing.T) {
	ok := DefaultBrand
	for _, tc := range []struct {
		name    string
		mutate  func(*Brand)
		wantErr string
	}{
		{"the demo lender", func(*Brand) {}, ""},
		{"a dark red", func(b *Brand) { b.Primary = "#8b1a1a" }, ""},
		{"any accent", func(b *Brand) { b.Accent = "#ffff00" }, ""},
		{"yellow primary", func(b *Brand) { b.Primary = "#ffcc00" }, "contrast of 1.51:1"},
		{"light sky blue", func(b *Brand) { b.Primary = "#4da3ff" }, "use a darker shade such as #"},
		{"#777777 just fails", func(b *Brand) { b.Primary = "#777777" }, "need 4.5:1"},
		{"not hex", func(b *Brand) { b.Primary = "blue" }, "want #rrggbb"},
		{"short hex accent", func(b *Brand) { b.Accent = "#fff" }, "want #rrggbb"},
		{"no name", func(b *Brand) { b.Name = "  " }, "name is empty"},
		{"long name", func(b *Brand) { b.Name = strings.Repeat("Finance ", 10) }, "at most 60"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := ok
			tc.mutate(&b)
			err := b.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "darker shade such as ") {
				// The shade it names passes.
				hex := err.Error()[strings.LastIndex(err.Error(), "#"):]
				c, perr := colour.Parse(hex)
				if perr != nil || colour.Contrast(c, colour.White) < colour.TextContrastMin {
					t.Errorf("suggested %s does not pass", hex)
				}
				b.Primary = hex
				if err := b.Validate(); err != nil {
					t.Errorf("the suggested shade is refused: %v", err)
				}
			}
		})
	}
}

func TestBrandInitialsAndTheme(t *testing.T) {
	for name, want := range map[string]string{"Northwind Motor Finance": "NM", "acme": "A", "1st Auto Credit": "1A", "— Élan Auto": "ÉA"} {
		if got := (Brand{Name: name}).Initials(); got != want {
			t.Errorf("Initials(%q) = %q, want %q", name, got, want)
		}
	}
	// Text on the accent reads whatever the accent is.
	for _, accent := range []string{"#ffff00", "#000080", "#e69138", "#808080"} {
		b := DefaultBrand
		b.Accent = accent
		css := b.Theme()
		i := strings.Index(css, "--accent-ink:")
		ink, _ := colour.Parse(css[i+len("--accent-ink:") : i+len("--accent-ink:")+7])
		bg, _ := colour.Parse(accent)
		if c := colour.Contrast(ink, bg); c < colour.TextContrastMin {
			t.Errorf("accent %s: ink contrast %.2f in %s", accent, c, css)
		}
	}
}

// The tab's icon is the monogram, well-formed SVG that runs nothing.
func TestFavicon(t *testing.T) {
	b := DefaultBrand
	b.Name = `<Acme> & "Sons" Auto`
	w := httptest.NewRecorder()
	Favicon(b).ServeHTTP(w, httptest.NewRequest("GET", "/favicon.ico", nil))
	body := w.Body.String()
	if w.Code != 200 || w.Header().Get("Content-Type") != "image/svg+xml" || !strings.Contains(w.Header().Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("%d %v", w.Code, w.Header())
	}
	if err := xml.Unmarshal([]byte(body), new(struct{})); err != nil {
		t.Errorf("not well-formed: %v\n%s", err, body)
	}
	// Words that start with a mark give no initial: no markup reaches the SVG.
	if !strings.Contains(body, `fill="#0b5394"`) || !strings.Contains(body, ">A</text>") {
		t.Errorf("favicon: %s", body)
	}
}
