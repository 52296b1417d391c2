package web

import (
	"bytes"
	"html/template"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"carfin/identity"
	"carfin/webcore"
)

// The layout and the dashboard are written by hand (htmlOut) rather than
// by executing their templates; the templates stay their description.
// These tests hold the two byte-equal over every branch and over hostile
// strings, so that a change to one without the other fails here.

// viewsWith returns views whose brand (and logo) are given, for the
// layout's branches.
func viewsWith(t *testing.T, brand webcore.Brand, logo bool) *views {
	t.Helper()
	cat, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Log: slog.New(slog.DiscardHandler), Brand: brand}
	if logo {
		cfg.Logo = &webcore.Logo{}
	}
	v, err := newViews(cfg, cat)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// byTemplate renders name the way render did before writeLayout: the
// whole page through the layout template.
func byTemplate(t *testing.T, v *views, name string, p *page) string {
	t.Helper()
	var b bytes.Buffer
	if err := v.pages[name].ExecuteTemplate(&b, "layout", p); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// byHand renders name as render does now.
func byHand(t *testing.T, v *views, name string, p *page) string {
	t.Helper()
	var b bytes.Buffer
	content := fastContent[name]
	if content == nil {
		content = func(o htmlOut, p *page) error { return v.pages[name].ExecuteTemplate(o.Buffer, "content", p) }
	}
	if err := v.writeLayout(&b, p, func(o htmlOut) error { return content(o, p) }); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// sameHTML fails with the first difference between the two renderings.
func sameHTML(t *testing.T, what, want, got string) {
	t.Helper()
	if want == got {
		return
	}
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	from := max(0, i-80)
	t.Fatalf("%s: the hand-written page differs from the template at byte %d:\ntemplate: …%q\nby hand:  …%q",
		what, i, want[from:min(len(want), i+80)], got[from:min(len(got), i+80)])
}

// hostile are strings that each escaper treats differently.
var hostile = []string{"", "plain", `<script>alert("x")</script>`, `a&b 'c' "d" 1+1 <e>`, "nul\x00byte", "naïve €5 ✓",
	"javascript:alert(1)", "JavaScript:x", "/a b?c=d&e=<f>#g", "%zz %41%4", "mailto:a@b.example", "https://x.example/?q=1+2",
	"data:text/html,x", "/p/q:r", "\xff\xfe bad utf-8", "#frag ment"}

func TestFastPagesMatchLayout(t *testing.T) {
	brands := []webcore.Brand{
		{Name: "Northwind Motor Finance", Primary: "#0b5394", Accent: "#e69138", SupportPhone: "1-800-555-0100", SupportHours: "Mon–Fri 8–8"},
		{Name: `O'Brien & Sons "Auto" <Credit>+`, Primary: "#112233", Accent: "#445566", SupportPhone: "+1 (800) 555-0199", SupportHours: "24/7", SupportHoursES: "24/7 (es)"},
	}
	session := &identity.Session{Login: &identity.Login{Realm: identity.Customer, DisplayName: "Ana"},
		LastSeenAt: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC), ExpiresAt: time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC)}
	for bi, brand := range brands {
		for _, logo := range []bool{false, true} {
			v := viewsWith(t, brand, logo)
			for _, lang := range webcore.Languages {
				for _, ss := range []*identity.Session{nil, session} {
					for _, narrow := range []bool{false, true} {
						for _, path := range []string{"/", "/payments?x=1&y=<z>", "/contracts/7/pay", "/faq", `/"quoted'+path`} {
							for _, errs := range []map[string]string{{}, {"": "err.email_required", "amount": "pay.err_accept", `we"ird<field>`: "err.email_required"}} {
								p := &page{v: v, Lang: lang, Nonce: "n0nce+/=", Brand: brand, Path: path, Title: "home.title",
									Narrow: narrow, Session: ss, Errors: errs, Form: map[string]string{}, Notice: "", Data: map[string]string{"Text": "Hello", "Href": "/", "Link": "Home"}}
								if len(errs) > 0 {
									p.Notice = "login.timed_out"
								}
								what := strings.Join([]string{"brand", string(rune('0' + bi)), lang, path}, " ")
								sameHTML(t, what, byTemplate(t, v, "message", p), byHand(t, v, "message", p))
							}
						}
					}
				}
			}
		}
	}
}

func TestFastPagesMatchDashboard(t *testing.T) {
	v := viewsWith(t, webcore.Brand{Name: "Northwind Motor Finance", Primary: "#0b5394", Accent: "#e69138",
		SupportPhone: "1-800-555-0100", SupportHours: "Mon–Fri 8–8"}, false)
	session := &identity.Session{Login: &identity.Login{Realm: identity.Customer, DisplayName: "Ana"},
		LastSeenAt: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC), ExpiresAt: time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC)}
	render := func(what string, d *dashboardData) {
		t.Helper()
		p := &page{v: v, Lang: "en", Nonce: "n", Brand: v.cfg.Brand, Path: "/", Title: "home.title", Session: session,
			Errors: map[string]string{}, Form: map[string]string{}, Data: d}
		sameHTML(t, what, byTemplate(t, v, "dashboard", p), byHand(t, v, "dashboard", p))
	}
	// Every branch, with ordinary words.
	full := dashCard{ID: 42, Href: "/contracts/42", Title: "2024 Ford Escape", Kind: "Loan", Account: "Account 1234",
		VIN: "VIN ending 123456", Status: "Open", AlertsLabel: "Alerts", ActionsLabel: "Actions for 1234",
		Alerts:   []alert{{Text: "Past due", Warn: true, Href: "/contracts/42/pay", Link: "Pay"}, {Text: "New statement"}},
		Due:      &dueBox{Label: "Amount due", Amount: "$557.50", When: "by December 25", Note: "Nothing due", PayHref: "/contracts/42/pay", PayLabel: "Pay"},
		Progress: &progress{Ring: template.HTML(`<svg viewBox="0 0 10 10"><circle r="4"/></svg>`), Paid: "$1,000 paid", Left: "$9,000 left"},
		Facts:    []fact{{Label: "Balance", Value: "$9,000.00"}, {Label: "Payoff", Value: "$9,100.00", Note: "today", Big: true}},
		Actions:  []action{{Href: "/contracts/42", Label: "Details", Icon: "calendar"}, {Href: "/documents?contract=42", Label: "Statements", Icon: "file-text"}},
		Hint:     "Call us to pay"}
	bare := dashCard{ID: 7, Href: "/contracts/7", Title: "Lease", Actions: []action{{Href: "/contracts/7/history", Label: "History", Icon: "clock"}}}
	render("no contracts", &dashboardData{Welcome: "Welcome, Ana", Empty: "You have no contracts."})
	render("one full card and unread replies", &dashboardData{Welcome: "Welcome", Unread: &alert{Text: "2 replies", Href: "/messages", Link: "Read"}, Cards: []dashCard{full}})
	render("a bare card after a full one", &dashboardData{Welcome: "Welcome", Cards: []dashCard{full, bare}})

	// Hostile strings in every field, many times over.
	rng := rand.New(rand.NewPCG(1, 2))
	s := func() string {
		if rng.IntN(3) == 0 {
			return hostile[rng.IntN(len(hostile))] + hostile[rng.IntN(len(hostile))]
		}
		return hostile[rng.IntN(len(hostile))]
	}
	for i := range 300 {
		c := dashCard{ID: rng.Int64N(1 << 40), Href: s(), Title: s(), Kind: s(), Account: s(), VIN: s(), Status: s(),
			AlertsLabel: s(), ActionsLabel: s(), Hint: s()}
		for range rng.IntN(3) {
			c.Alerts = append(c.Alerts, alert{Text: s(), Href: s(), Link: s(), Warn: rng.IntN(2) == 0})
		}
		if rng.IntN(2) == 0 {
			c.Due = &dueBox{Label: s(), Amount: s(), When: s(), Note: s(), PayHref: s(), PayLabel: s()}
		}
		if rng.IntN(2) == 0 {
			c.Progress = &progress{Ring: template.HTML("<svg>" + s() + "</svg>"), Paid: s(), Left: s()}
		}
		for range rng.IntN(4) {
			c.Facts = append(c.Facts, fact{Label: s(), Value: s(), Note: s(), Big: rng.IntN(2) == 0})
		}
		for range rng.IntN(4) {
			c.Actions = append(c.Actions, action{Href: s(), Label: s(), Icon: "clock"})
		}
		d := &dashboardData{Welcome: s(), Empty: s(), Cards: []dashCard{c}}
		if rng.IntN(2) == 0 {
			d.Unread = &alert{Text: s(), Href: s(), Link: s()}
		}
		render("random dashboard "+string(rune('a'+i%26)), d)
	}
}

// TestNormalizeURL pins the URL normaliser to html/template's on bytes of
// every kind (the page tests above compare whole pages; this one names
// the byte that differs).
func TestNormalizeURL(t *testing.T) {
	tmpl := template.Must(template.New("u").Parse(`<a href="{{.}}">`))
	for c := range 256 {
		for _, s := range []string{string(rune(c)), "/a" + string([]byte{byte(c)}) + "b", "%4" + string([]byte{byte(c)}) + "0"} {
			var want, got bytes.Buffer
			if err := tmpl.Execute(&want, s); err != nil {
				t.Fatal(err)
			}
			got.WriteString(`<a href="`)
			htmlOut{&got}.url(s)
			got.WriteString(`">`)
			if want.String() != got.String() {
				t.Errorf("url(%q) = %q, html/template %q", s, got.String(), want.String())
			}
		}
	}
}
