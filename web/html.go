package web

import (
	"bytes"
	"fmt"
	"html/template"
	"strconv"
	"strings"
)

// htmlOut writes markup escaped exactly as html/template escapes the same
// value in the same place. The hottest pages (the layout around every
// page, and the dashboard) are written with it instead of executing their
// templates, which cost a third of a dashboard's CPU in reflection; the
// templates stay the description of those pages, and TestFastPagesMatch*
// hold the two byte-equal.
type htmlOut struct{ *bytes.Buffer }

// raw writes trusted markup.
func (o htmlOut) raw(s string) { o.WriteString(s) }

// html writes markup already escaped (an icon, a pre-rendered part).
func (o htmlOut) html(h template.HTML) { o.WriteString(string(h)) }

// text writes s as element text or a quoted attribute's value
// (html/template's htmlEscaper and attrEscaper for a string).
func (o htmlOut) text(s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var repl string
		switch s[i] {
		case 0:
			repl = "\uFFFD"
		case '"':
			repl = "&#34;"
		case '&':
			repl = "&amp;"
		case '\'':
			repl = "&#39;"
		case '+':
			repl = "&#43;"
		case '<':
			repl = "&lt;"
		case '>':
			repl = "&gt;"
		default:
			continue
		}
		o.WriteString(s[last:i])
		o.WriteString(repl)
		last = i + 1
	}
	o.WriteString(s[last:])
}

// int writes n as text or in an attribute.
func (o htmlOut) int(n int64) { o.WriteString(strconv.FormatInt(n, 10)) }

// url writes s as a whole URL attribute's value (href, src, action): a
// scheme other than http, https or mailto becomes "#ZgotmplZ", bytes
// outside URLs are percent-encoded, then the value is escaped for the
// attribute (html/template's urlFilter, urlNormalizer, attrEscaper).
func (o htmlOut) url(s string) {
	if scheme, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(scheme, "/") &&
		!strings.EqualFold(scheme, "http") && !strings.EqualFold(scheme, "https") && !strings.EqualFold(scheme, "mailto") {
		s = "#ZgotmplZ"
	}
	o.text(normalizeURL(s))
}

// normalizeURL percent-encodes the bytes that may not appear in a URL,
// leaving reserved characters and valid escapes alone (html/template's
// urlNormalizer).
func normalizeURL(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			continue
		case strings.IndexByte("!#$&*+,/:;=?@[]-._~", c) >= 0:
			continue
		case c == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]):
			continue
		}
		if last == 0 {
			b.Grow(len(s) + 16)
		}
		b.WriteString(s[last:i])
		fmt.Fprintf(&b, "%%%02x", c)
		last = i + 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// fragment writes s as the part of a URL after its '#' (html/template's
// urlEscaper: everything but unreserved characters percent-encoded).
func (o htmlOut) fragment(s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			o.WriteByte(c)
			continue
		}
		fmt.Fprintf(o, "%%%02x", c)
	}
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
