package webcore

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"regexp"
	"strings"
)

// The icons of both realms are Lucide's (ISC licence, icons/LICENSE), one SVG
// file each under icons/, inlined into the page where they are used: no
// icon font, no sprite request, nothing from another origin. They are
// decorative (aria-hidden): every icon sits beside a word that says the
// same thing. Their stroke and fill are the stylesheet's (.icon), which
// keeps each one small.
//
//go:embed icons/*.svg
var iconFS embed.FS

// Icons maps an icon's name ("house") to its inline SVG.
var Icons = mustLoadIcons()

var (
	svgComment = regexp.MustCompile(`(?s)<!--.*?-->`)
	svgOpen    = regexp.MustCompile(`(?s)^\s*<svg[^>]*>`)
	svgSpace   = regexp.MustCompile(`\s+`)
)

func mustLoadIcons() map[string]template.HTML {
	names, err := fs.Glob(iconFS, "icons/*.svg")
	if err != nil {
		panic(err)
	}
	m := map[string]template.HTML{}
	for _, n := range names {
		b, err := iconFS.ReadFile(n)
		if err != nil {
			panic(err)
		}
		s := svgComment.ReplaceAllString(string(b), "")
		if !svgOpen.MatchString(s) || !strings.HasSuffix(strings.TrimSpace(s), "</svg>") {
			panic(fmt.Sprintf("icon %s: not an <svg> element", n))
		}
		inner := strings.TrimSuffix(strings.TrimSpace(svgOpen.ReplaceAllString(s, "")), "</svg>")
		inner = strings.ReplaceAll(svgSpace.ReplaceAllString(inner, " "), "> <", "><")
		inner = strings.ReplaceAll(inner, " />", "/>")
		name := strings.TrimSuffix(path.Base(n), ".svg")
		m[name] = template.HTML(`<svg class="icon" viewBox="0 0 24 24" aria-hidden="true">` +
			strings.TrimSpace(inner) + `</svg>`) // our own files, checked above
	}
	return m
}

// Icon returns the named icon's inline SVG. An unknown name panics: the
// names are in the templates, so a typo fails every test that renders
// the page.
func Icon(name string) template.HTML {
	s, ok := Icons[name]
	if !ok {
		panic("webcore: no icon " + name)
	}
	return s
}
