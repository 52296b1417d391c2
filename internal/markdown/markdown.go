// Package markdown renders the small, safe subset of Markdown that a
// lender writes for the portal's FAQ and that carfin ships for its
// disclosures. It is the trust boundary for that text: whatever the
// source holds, the output is well-formed HTML made only of the elements
// below, with every other character escaped.
//
// The subset:
//
//	# Heading … ###### Heading    headings (the caller may shift their level)
//	text lines                    paragraphs, separated by blank lines
//	- item, * item, + item        bulleted lists (one level; indented lines continue an item)
//	1. item, 1) item              numbered lists
//	**strong**, *emphasis*        inline, nested at most nestingMax deep
//	`code`                        inline code, shown as written
//	[text](url)                   links, to http(s) or to a relative URL only
//	\*                            a backslash escapes punctuation
//
// Raw HTML is not HTML here: "<script>" is shown as the text "<script>".
// A link to any other scheme (javascript:, data:, vbscript:, mailto: …)
// or to a protocol-relative "//host" is shown as its text without a link.
// Parsing and rendering take time linear in the input (no backtracking),
// and input beyond SourceBytesMax is cut off.
package markdown

import (
	"html"
	"html/template"
	"strings"
)

// Limits.
const (
	// SourceBytesMax bounds the input; the rest is ignored.
	SourceBytesMax = 1 << 20
	// nestingMax bounds how deep emphasis and links nest.
	nestingMax = 4
	// urlBytesMax bounds a link's URL; longer ones are not linked.
	urlBytesMax = 2048
)

// Kind is a kind of block.
type Kind int

const (
	Paragraph Kind = iota + 1
	Heading
	List
	OrderedList
)

// Block is one block of a document. Text and Items hold inline Markdown
// source, rendered by Inline or stripped by PlainText.
type Block struct {
	Kind Kind
	// Level is a heading's level, 1–6.
	Level int
	// Text is a paragraph's or heading's inline source.
	Text string
	// Items are a list's items' inline source.
	Items []string
}

// Parse splits src into blocks.
func Parse(src string) []Block {
	if len(src) > SourceBytesMax {
		src = src[:SourceBytesMax] // a rune cut in two becomes U+FFFD below
	}
	src = strings.ToValidUTF8(src, "\uFFFD")
	src = strings.ReplaceAll(src, "\x00", "\uFFFD")
	src = strings.ReplaceAll(strings.ReplaceAll(src, "\r\n", "\n"), "\r", "\n")

	var out []Block
	var cur *Block
	flush := func() {
		if cur != nil {
			out = append(out, *cur)
			cur = nil
		}
	}
	for line := range strings.SplitSeq(src, "\n") {
		line = strings.ReplaceAll(line, "\t", "    ")
		trimmed := strings.TrimSpace(line)
		indent := len(line) - len(strings.TrimLeft(line, " "))
		if trimmed == "" {
			flush()
			continue
		}
		if indent < 4 {
			if level, text, ok := heading(trimmed); ok {
				flush()
				out = append(out, Block{Kind: Heading, Level: level, Text: text})
				continue
			}
			if kind, text, ok := listItem(trimmed); ok {
				if cur == nil || cur.Kind != kind {
					flush()
					cur = &Block{Kind: kind}
				}
				cur.Items = append(cur.Items, text)
				continue
			}
		}
		switch {
		case cur != nil && (cur.Kind == List || cur.Kind == OrderedList):
			// An indented or lazy line continues the last item.
			cur.Items[len(cur.Items)-1] += "\n" + trimmed
		case cur != nil && cur.Kind == Paragraph:
			cur.Text += "\n" + trimmed
		default:
			flush()
			cur = &Block{Kind: Paragraph, Text: trimmed}
		}
	}
	flush()
	return out
}

// heading recognises "# text" to "###### text" (closing #s dropped).
func heading(s string) (int, string, bool) {
	n := 0
	for n < len(s) && s[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || (n < len(s) && s[n] != ' ') {
		return 0, "", false
	}
	text := strings.TrimSpace(s[n:])
	if t := strings.TrimRight(text, "#"); t != text && (t == "" || strings.HasSuffix(t, " ")) {
		text = strings.TrimSpace(t)
	}
	return n, text, true
}

// listItem recognises "- ", "* ", "+ " and "1. ", "1) " items.
func listItem(s string) (Kind, string, bool) {
	if len(s) >= 2 && (s[0] == '-' || s[0] == '*' || s[0] == '+') && s[1] == ' ' {
		return List, strings.TrimSpace(s[2:]), true
	}
	n := 0
	for n < len(s) && n < 9 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n > 0 && n+1 < len(s) && (s[n] == '.' || s[n] == ')') && s[n+1] == ' ' {
		return OrderedList, strings.TrimSpace(s[n+2:]), true
	}
	return 0, "", false
}

// Render parses and renders src.
func Render(src string) template.HTML { return HTML(Parse(src), 0) }

// HTML renders blocks. Headings are shifted by shift levels (a document's
// "#" becomes <h3> with shift 2), kept within 1–6.
func HTML(blocks []Block, shift int) template.HTML {
	var b strings.Builder
	for _, bl := range blocks {
		switch bl.Kind {
		case Heading:
			level := min(max(bl.Level+shift, 1), 6)
			tag := string(rune('0' + level))
			b.WriteString("<h" + tag + ">")
			b.WriteString(string(Inline(bl.Text)))
			b.WriteString("</h" + tag + ">\n")
		case Paragraph:
			b.WriteString("<p>")
			b.WriteString(string(Inline(bl.Text)))
			b.WriteString("</p>\n")
		case List, OrderedList:
			tag := "ul"
			if bl.Kind == OrderedList {
				tag = "ol"
			}
			b.WriteString("<" + tag + ">\n")
			for _, it := range bl.Items {
				b.WriteString("<li>")
				b.WriteString(string(Inline(it)))
				b.WriteString("</li>\n")
			}
			b.WriteString("</" + tag + ">\n")
		}
	}
	return template.HTML(b.String()) //nolint:gosec // built only from escaped text and fixed tags
}

// Inline renders inline source as HTML.
func Inline(s string) template.HTML {
	var b strings.Builder
	in := inliner{out: &b}
	in.run(s, 0, true)
	return template.HTML(b.String()) //nolint:gosec // built only from escaped text and fixed tags
}

// PlainText returns inline source as text without markup (for search and
// for headings used as titles); the caller escapes it.
func PlainText(s string) string {
	var b strings.Builder
	in := inliner{out: &b, text: true}
	in.run(s, 0, true)
	return strings.Join(strings.Fields(b.String()), " ")
}

// inliner renders inline markup. Delimiter searches run forward from the
// opener; once a closer is not found, none is found from any later
// position either, so it is remembered and never searched again: the
// whole run is linear in the input.
type inliner struct {
	out  *strings.Builder
	text bool
}

// noCloser remembers, per call of run, the delimiters without a closer
// after some position (and so after every later one).
type noCloser struct{ tick, strong, em, bracket, paren bool }

func (in *inliner) run(s string, depth int, links bool) {
	var nc noCloser
	lit := 0 // start of pending literal text
	flushTo := func(i int) {
		in.literal(s[lit:i])
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && isPunct(s[i+1]):
			flushTo(i)
			in.literal(s[i+1 : i+2])
			i += 2
			lit = i
			continue
		case c == '`' && !nc.tick:
			if j := strings.IndexByte(s[i+1:], '`'); j >= 0 {
				flushTo(i)
				code := s[i+1 : i+1+j]
				if in.text {
					in.out.WriteString(code)
				} else {
					in.out.WriteString("<code>" + html.EscapeString(code) + "</code>")
				}
				i += j + 2
				lit = i
				continue
			}
			nc.tick = true
		case c == '*' && i+1 < len(s) && s[i+1] == '*' && !nc.strong && depth < nestingMax:
			if j := strings.Index(s[i+2:], "**"); j >= 0 {
				// In a run of three or more, the last two close: "**a *b***".
				for i+2+j+2 < len(s) && s[i+2+j+2] == '*' {
					j++
				}
				if inner := s[i+2 : i+2+j]; inner != "" && !startsOrEndsSpace(inner) {
					flushTo(i)
					in.wrap("strong", inner, depth, links)
					i += j + 4
					lit = i
					continue
				}
				// "** x**": not emphasis; look again from the next character.
				i += 2
				continue
			}
			nc.strong = true
			i += 2
			continue
		case c == '*' && !nc.em && depth < nestingMax:
			if j := strings.IndexByte(s[i+1:], '*'); j >= 0 {
				if inner := s[i+1 : i+1+j]; inner != "" && !startsOrEndsSpace(inner) {
					flushTo(i)
					in.wrap("em", inner, depth, links)
					i += j + 2
					lit = i
					continue
				}
			} else {
				nc.em = true
			}
		case c == '[' && links && !nc.bracket && !nc.paren && depth < nestingMax:
			j := strings.Index(s[i+1:], "](")
			if j < 0 {
				nc.bracket = true
				break
			}
			start := i + 1 + j + 2
			k := strings.IndexByte(s[start:], ')')
			if k < 0 {
				nc.paren = true
				break
			}
			// Balanced parentheses belong to the URL: "(x(1))".
			for strings.Count(s[start:start+k], "(") > strings.Count(s[start:start+k], ")") && k < urlBytesMax {
				more := strings.IndexByte(s[start+k+1:], ')')
				if more < 0 {
					break
				}
				k += more + 1
			}
			label := s[i+1 : i+1+j]
			// A destination with a space is no link, unless a title follows.
			target, title, _ := strings.Cut(strings.TrimSpace(s[start:start+k]), " ")
			linked := title == "" || strings.HasPrefix(strings.TrimSpace(title), `"`)
			flushTo(i)
			if u, ok := SafeURL(target); ok && linked && !in.text {
				in.out.WriteString(`<a href="` + html.EscapeString(u) + `"`)
				if !strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "#") && strings.Contains(u, "://") {
					in.out.WriteString(` rel="noopener noreferrer"`)
				}
				in.out.WriteString(">")
				in.run(label, depth+1, false)
				in.out.WriteString("</a>")
			} else {
				in.run(label, depth+1, false)
			}
			i = start + k + 1
			lit = i
			continue
		}
		i++
	}
	flushTo(len(s))
}

func (in *inliner) wrap(tag, inner string, depth int, links bool) {
	if !in.text {
		in.out.WriteString("<" + tag + ">")
	}
	in.run(inner, depth+1, links)
	if !in.text {
		in.out.WriteString("</" + tag + ">")
	}
}

func (in *inliner) literal(s string) {
	if in.text {
		in.out.WriteString(s)
		return
	}
	in.out.WriteString(html.EscapeString(s))
}

func startsOrEndsSpace(s string) bool {
	return s[0] == ' ' || s[0] == '\n' || s[len(s)-1] == ' ' || s[len(s)-1] == '\n'
}

func isPunct(c byte) bool { return strings.IndexByte("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", c) >= 0 }

// SafeURL reports whether u may be a link's target: an absolute http(s)
// URL, or a relative one (a path, "?query" or "#fragment") without a
// scheme. It refuses every other scheme, protocol-relative "//host" (and
// "/\host", which browsers read the same), control characters, spaces,
// quotes and angle brackets, and URLs over urlBytesMax. It returns u
// trimmed; the caller escapes it for HTML.
func SafeURL(u string) (string, bool) {
	u = strings.TrimSpace(u)
	if u == "" || len(u) > urlBytesMax {
		return "", false
	}
	for _, r := range u {
		if r < 0x21 || r == 0x7f || r == '\\' || r == '"' || r == '\'' || r == '<' || r == '>' || r == '`' || (r >= 0x80 && r <= 0x9f) {
			return "", false
		}
	}
	if strings.HasPrefix(u, "//") {
		return "", false
	}
	// A relative URL starts like a path, a query or a fragment (not with
	// "&", which could read as an entity, nor with anything else unusual).
	if c := u[0]; !isAlnum(c) && strings.IndexByte("/#?._-~", c) < 0 {
		return "", false
	}
	if i := strings.IndexAny(u, ":/?#"); i >= 0 && u[i] == ':' {
		lower := strings.ToLower(u)
		if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
			return "", false
		}
		if len(u) == len("https://") || len(u) == len("http://") {
			return "", false
		}
	}
	return u, true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
