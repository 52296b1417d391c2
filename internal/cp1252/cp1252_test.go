package cp1252

import (
	"sync"
	"testing"

	"codeberg.org/go-pdf/fpdf"
)

// Text agrees with fpdf's own cp1252 translator on every rune it maps,
// on ASCII, and on runes the code page lacks.
func TestTextMatchesFpdf(t *testing.T) {
	want := fpdf.New("P", "mm", "Letter", "").UnicodeTranslatorFromDescriptor("")
	cases := []string{"", "Plain ASCII 123", "Señora Pérez, ¿año?", "•••• 1234", "€ 5 — “quotes” ‘ok’ …", "日本 ✓ 😀", "Müller & Søn ÆØÅ œ Ÿ ž"}
	for r := rune(0x80); r < 0x3000; r++ {
		cases = append(cases, string(r))
	}
	for _, s := range cases {
		if got, w := Text(s), want(s); got != w {
			t.Errorf("Text(%q) = %q, fpdf gives %q", s, got, w)
		}
	}
}

// Text is safe for concurrent use (run with -race): fpdf's translator is
// not, and sharing one made receipts panic under load.
func TestTextConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 500 {
				if got := Text("Pérez ••••" + string(rune('0'+(i+j)%10))); len(got) != 11 {
					t.Errorf("Text gave %q", got)
					return
				}
			}
		})
	}
	wg.Wait()
}
