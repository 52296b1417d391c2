package web

import (
	"encoding/xml"
	"os"
	"regexp"
	"strings"
	"testing"

	"carfin/webcore"
)

// Every icon is well-formed SVG, decorative and self-contained, and every
// icon a template names exists.
func TestIcons(t *testing.T) {
	if len(webcore.Icons) < 20 {
		t.Fatalf("%d icons", len(webcore.Icons))
	}
	for name, svg := range webcore.Icons {
		s := string(svg)
		if err := xml.Unmarshal([]byte(s), new(struct{})); err != nil {
			t.Errorf("icon %s is not well-formed: %v", name, err)
		}
		for _, bad := range []string{"<script", "href", "style", "<!--", "\n"} {
			if strings.Contains(s, bad) {
				t.Errorf("icon %s contains %q", name, bad)
			}
		}
		if !strings.Contains(s, `aria-hidden="true"`) || len(s) > 1200 {
			t.Errorf("icon %s: %d bytes, %s", name, len(s), s)
		}
	}
	used := regexp.MustCompile(`icon "([a-z-]+)"`)
	files, _ := os.ReadDir("templates")
	for _, f := range files {
		b, err := os.ReadFile("templates/" + f.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range used.FindAllStringSubmatch(string(b), -1) {
			if _, ok := webcore.Icons[m[1]]; !ok {
				t.Errorf("%s uses icon %q, which is not in icons/", f.Name(), m[1])
			}
		}
	}
}
