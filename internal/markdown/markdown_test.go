package markdown

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestRender(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"paragraphs", "one\ntwo\n\nthree", "<p>one\ntwo</p>\n<p>three</p>\n"},
		{"headings", "# Title #\n## How do I pay?\n####### seven", "<h1>Title</h1>\n<h2>How do I pay?</h2>\n<p>####### seven</p>\n"},
		{"hash without space is text", "#hashtag", "<p>#hashtag</p>\n"},
		{"bullets", "- a\n* b\n  more\n+ c", "<ul>\n<li>a</li>\n<li>b\nmore</li>\n<li>c</li>\n</ul>\n"},
		{"numbered", "1. first\n2) second", "<ol>\n<li>first</li>\n<li>second</li>\n</ol>\n"},
		{"list then paragraph", "- a\n\ntext", "<ul>\n<li>a</li>\n</ul>\n<p>text</p>\n"},
		{"emphasis", "**bold** and *em* and **nested *em***", "<p><strong>bold</strong> and <em>em</em> and <strong>nested <em>em</em></strong></p>\n"},
		{"not emphasis", "2 * 3 * 4 and ** x ** and *", "<p>2 * 3 * 4 and ** x ** and *</p>\n"},
		{"code", "use `<b>` here", "<p>use <code>&lt;b&gt;</code> here</p>\n"},
		{"escapes", `\*not em\* and \[x\]`, "<p>*not em* and [x]</p>\n"},
		{"https link", "[Pay](https://pay.example/a?b=1&c=2)", `<p><a href="https://pay.example/a?b=1&amp;c=2" rel="noopener noreferrer">Pay</a></p>` + "\n"},
		{"relative link", "[contact](/contact) [top](#top) [q](?q=x) [faq](faq.html)", `<p><a href="/contact">contact</a> <a href="#top">top</a> <a href="?q=x">q</a> <a href="faq.html">faq</a></p>` + "\n"},
		{"link title ignored", `[a](/x "title")`, `<p><a href="/x">a</a></p>` + "\n"},
		{"emphasis in link", "[**go**](/go)", `<p><a href="/go"><strong>go</strong></a></p>` + "\n"},
		{"no link in link", "[a [b](/b)](/a)", `<p><a href="/b">a [b</a>](/a)</p>` + "\n"},
		{"unclosed", "[a](/b and `x and **y", "<p>[a](/b and `x and **y</p>\n"},
		{"crlf", "a\r\nb\r\rc", "<p>a\nb</p>\n<p>c</p>\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(Render(tc.in)); got != tc.want {
				t.Errorf("Render(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestHostile: whatever the source, the output holds no element or
// attribute but the subset's, and no link to another scheme.
func TestHostile(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"script tag", "<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"},
		{"img onerror", `<img src=x onerror="alert(1)">`, "<p>&lt;img src=x onerror=&#34;alert(1)&#34;&gt;</p>\n"},
		{"html comment", "<!-- x --><b>b</b>", "<p>&lt;!-- x --&gt;&lt;b&gt;b&lt;/b&gt;</p>\n"},
		{"javascript link", "[click](javascript:alert(1))", "<p>click</p>\n"},
		{"javascript upper", "[click](JaVaScRiPt:alert(1))", "<p>click</p>\n"},
		{"javascript tab", "[click](java\tscript:alert(1))", "<p>click</p>\n"},
		{"javascript entity", "[click](&#106;avascript:alert(1))", "<p>click</p>\n"},
		{"parens in url", "[w](https://en.example/wiki/A_(b))", `<p><a href="https://en.example/wiki/A_(b)" rel="noopener noreferrer">w</a></p>` + "\n"},
		{"javascript colon entity", "[click](javascript&colon;alert(1))", `<p><a href="javascript&amp;colon;alert(1)">click</a></p>` + "\n"},
		{"data link", "[x](data:text/html;base64,PHNjcmlwdD4=)", "<p>x</p>\n"},
		{"vbscript link", "[x](vbscript:msgbox)", "<p>x</p>\n"},
		{"mailto refused", "[x](mailto:a@b.example)", "<p>x</p>\n"},
		{"protocol relative", "[x](//evil.example/)", "<p>x</p>\n"},
		{"backslash host", `[x](/\evil.example/)`, "<p>x</p>\n"},
		{"quote breakout", `[x](/a"onmouseover="alert(1))`, "<p>x</p>\n"},
		{"angle in url", "[x](/a<script>)", "<p>x</p>\n"},
		{"bare scheme", "[x](https://)", "<p>x</p>\n"},
		{"script in label", "[<script>](/x)", `<p><a href="/x">&lt;script&gt;</a></p>` + "\n"},
		{"nul and bad utf8", "a\x00b\xffc", "<p>a\uFFFDb\uFFFDc</p>\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(Render(tc.in))
			if got != tc.want {
				t.Errorf("Render(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			checkTags(t, got)
		})
	}
}

var tagRE = regexp.MustCompile(`<(/?)([A-Za-z0-9]+)([^>]*)>`)

// checkTags fails unless every tag in out is one of the subset's, with
// attributes only on links (href to http(s) or relative, and rel).
func checkTags(t *testing.T, out string) {
	t.Helper()
	allowed := map[string]bool{"p": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
		"ul": true, "ol": true, "li": true, "strong": true, "em": true, "code": true, "a": true}
	attrRE := regexp.MustCompile(`^( href="[^"]*")?( rel="noopener noreferrer")?$`)
	for _, m := range tagRE.FindAllStringSubmatch(out, -1) {
		if !allowed[m[2]] {
			t.Errorf("element <%s> in %s", m[2], out)
		}
		if m[3] != "" && (m[2] != "a" || !attrRE.MatchString(m[3])) {
			t.Errorf("attributes %q on <%s> in %s", m[3], m[2], out)
		}
		if strings.Contains(strings.ToLower(m[3]), "javascript:") {
			t.Errorf("script URL in %s", out)
		}
	}
}

func TestSafeURL(t *testing.T) {
	for u, want := range map[string]bool{
		"https://a.example/x": true, "http://a.example": true, "HTTPS://A.EXAMPLE": true,
		"/contact": true, "contact": true, "#q-1": true, "?q=pay": true, "a/b:c": true,
		"": false, "javascript:x": false, " javascript:x": false, "ftp://a": false, "mailto:a@b": false,
		"tel:+15551234567": false, "//a.example": false, `\\a.example`: false, "/a b": false,
		"https://a.example/\u0085x": false, "&#106;x": false, strings.Repeat("a", urlBytesMax+1): false,
	} {
		if _, got := SafeURL(u); got != want {
			t.Errorf("SafeURL(%q) = %v, want %v", u, got, want)
		}
	}
}

func TestPlainText(t *testing.T) {
	in := "How do I **change** my `email`? See [the *profile*](/profile) <b>now</b>"
	if got, want := PlainText(in), "How do I change my email? See the profile <b>now</b>"; got != want {
		t.Errorf("PlainText = %q, want %q", got, want)
	}
}

// TestLongInput: pathological inputs render in linear time, and input past
// SourceBytesMax is cut off.
func TestLongInput(t *testing.T) {
	for name, in := range map[string]string{
		"openers":     strings.Repeat("**[`*", SourceBytesMax/5),
		"brackets":    strings.Repeat("[", SourceBytesMax/2) + "](",
		"emphasis":    strings.Repeat("*a ", SourceBytesMax/3),
		"list":        strings.Repeat("- item\n", SourceBytesMax/7),
		"one line":    strings.Repeat("x", 4*SourceBytesMax),
		"nested":      strings.Repeat("**a *b [c", 1000) + strings.Repeat("](/x)* b**", 1000),
		"many links":  strings.Repeat("[a](/b)", SourceBytesMax/7),
		"many blanks": strings.Repeat("\n", SourceBytesMax),
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			out := Render(in)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %s", d)
			}
			if len(out) < 64<<10 {
				checkTags(t, string(out))
			}
			if name == "one line" && len(out) > SourceBytesMax+100 {
				t.Errorf("output of %d bytes: input not cut off", len(out))
			}
		})
	}
}
