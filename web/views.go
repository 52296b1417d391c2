package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"carfin/identity"
	"carfin/webcore"
)

// views renders pages: each page template is parsed with the layout.
type views struct {
	cfg   Config
	cat   webcore.Catalogs
	pages map[string]*template.Template
	// cookie names: the __Host- prefix under TLS binds them to this host,
	// path / and Secure (RFC 6265bis §4.1.3.2).
	sessionCookie string
	deviceCookie  string
	// loc is the lender's time zone, in which pages show moments.
	loc *time.Location
	// chrome holds the navigation of each language and section, and the
	// footer of each language, rendered once: every page prints them, and
	// a dozen translated strings through the template engine were a tenth
	// of the dashboard's cost.
	chrome map[string]chrome
}

// chrome is a language's pre-rendered signed-in navigation, one per
// section (the section's link marked as the current page), and footer.
type chrome struct {
	nav    map[string]template.HTML
	footer template.HTML
	texts  layoutTexts
}

// sections are the parts of the portal the navigation links to.
var sections = []string{"", "home", "payments", "documents", "messages", "profile", "security", "help"}

// sectionOf is the navigation's section of a path: the link marked as the
// current page ("" for pages outside every section).
func sectionOf(path string) string {
	first, rest, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	first, _, _ = strings.Cut(first, "?")
	switch first {
	case "":
		return "home"
	case "contracts":
		// A contract's payment and autopay pages belong to payments.
		if _, tail, ok := strings.Cut(rest, "/"); ok {
			if t, _, _ := strings.Cut(tail, "/"); t == "pay" || t == "autopay" {
				return "payments"
			}
		}
		return "home"
	case "payments", "pay", "payment-methods":
		return "payments"
	case "documents":
		return "documents"
	case "messages":
		return "messages"
	case "profile", "consent":
		return "profile"
	case "security", "reauth":
		return "security"
	case "faq", "contact":
		return "help"
	}
	return ""
}

func newViews(cfg Config, cat webcore.Catalogs) (*views, error) {
	v := &views{cfg: cfg, cat: cat, pages: map[string]*template.Template{}, sessionCookie: "carfin_session", deviceCookie: "carfin_device", loc: time.UTC}
	if cfg.TLS {
		v.sessionCookie, v.deviceCookie = "__Host-carfin_session", "__Host-carfin_device"
	}
	funcs := template.FuncMap{
		"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"icon": webcore.Icon,
	}
	layout, err := fs.ReadFile(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	partials, err := fs.ReadFile(templateFS, "templates/partials.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		body, err := fs.ReadFile(templateFS, n)
		if err != nil {
			return nil, err
		}
		t, err := template.New("layout").Funcs(funcs).Parse(string(layout))
		if err != nil {
			return nil, fmt.Errorf("template layout: %w", err)
		}
		if _, err := t.New("partials").Parse(string(partials)); err != nil {
			return nil, fmt.Errorf("template partials: %w", err)
		}
		if _, err := t.New(name).Parse(string(body)); err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		v.pages[name] = t
	}
	if err := v.renderChrome(); err != nil {
		return nil, err
	}
	return v, nil
}

// renderChrome renders each language's navigation (per section) and
// footer.
func (v *views) renderChrome() error {
	t := v.pages["dashboard"]
	if t == nil {
		return fmt.Errorf("template dashboard missing")
	}
	exec := func(name string, p *page) (template.HTML, error) {
		var b bytes.Buffer
		if err := t.ExecuteTemplate(&b, name, p); err != nil {
			return "", fmt.Errorf("template %s: %w", name, err)
		}
		return template.HTML(b.String()), nil // html/template escaped it
	}
	v.chrome = map[string]chrome{}
	for _, lang := range webcore.Languages {
		c := chrome{nav: map[string]template.HTML{}}
		for _, sec := range sections {
			nav, err := exec("nav-items", &page{v: v, Lang: lang, Brand: v.cfg.Brand, Session: &identity.Session{}, Section: sec})
			if err != nil {
				return err
			}
			c.nav[sec] = nav
		}
		footer, err := exec("footer", &page{v: v, Lang: lang, Brand: v.cfg.Brand})
		if err != nil {
			return err
		}
		c.footer = footer
		c.texts = v.layoutTexts(lang)
		v.chrome[lang] = c
	}
	return nil
}

// NavItems is the signed-in navigation's links for the page's language,
// the page's section marked current.
func (p *page) NavItems() template.HTML {
	return p.v.chrome[p.Lang].nav[sectionOf(p.Path)]
}

// Footer is the footer for the page's language.
func (p *page) Footer() template.HTML { return p.v.chrome[p.Lang].footer }

// page is what every template gets.
type page struct {
	v     *views
	Lang  string
	Nonce string
	Brand webcore.Brand
	Path  string
	Title string // catalog key
	// Section is the navigation's current section, when pre-rendering it.
	Section string
	// Narrow is set by render for the pages that are one short form
	// (signing in, enrolling, resetting): a centred column.
	Narrow  bool
	Session *identity.Session
	// Errors maps a field name (or "" for the form) to a catalog key.
	Errors map[string]string
	// Form holds the submitted values to show again (never passwords).
	Form map[string]string
	// Notice is a catalog key for a confirmation shown at the top.
	Notice string
	Data   any
}

// T translates key into the page's language.
func (p *page) T(key string, args ...any) string { return p.v.cat.Translate(p.Lang, key, args...) }

// Err returns the translated error of a field, or "".
func (p *page) Err(field string) string {
	if k, ok := p.Errors[field]; ok {
		return p.T(k)
	}
	return ""
}

// Val returns a submitted form value to show again.
func (p *page) Val(field string) string { return p.Form[field] }

// HasLogo reports whether the lender configured a logo.
func (p *page) HasLogo() bool { return p.v.cfg.Logo != nil }

// IdleCheck is when the idle-warning script first asks the server how
// long the session has left, in seconds after the page loads: two minutes
// before the earliest it can end. The session was read for this request,
// so its last activity is at most a minute old (identity records activity
// once a minute): what is left now is at least the shorter of the idle
// timeout and the time to the absolute limit, less that minute.
func (p *page) IdleCheck() int {
	if p.Session == nil {
		return 0
	}
	left := p.Session.Idle()
	if abs := p.Session.ExpiresAt.Sub(p.Session.LastSeenAt); abs < left {
		left = abs
	}
	return max(1, int((left-2*time.Minute)/time.Second))
}

// OtherLang is the language the switcher offers.
func (p *page) OtherLang() string {
	if p.Lang == "es" {
		return "en"
	}
	return "es"
}

func (v *views) page(r *http.Request, title string) *page {
	return &page{v: v, Lang: webcore.LangOf(r), Nonce: webcore.Nonce(r), Brand: v.cfg.Brand, Path: r.URL.RequestURI(), Title: title,
		Errors: map[string]string{}, Form: map[string]string{}}
}

// narrowPages are the templates shown as one centred column.
var narrowPages = map[string]bool{"login": true, "login_2fa": true, "enrol": true, "enrol_password": true, "forgot": true,
	"reset": true, "reset_code": true, "reauth": true, "idle": true, "confirm": true}

// fastContent writes the content of the pages rendered without their
// template (see htmlOut).
var fastContent = map[string]func(htmlOut, *page) error{"dashboard": writeDashboard}

// render writes the page with status: the layout (writeLayout) around
// the page's content template. Rendering goes to a buffer first,
// so a template error becomes a clean 500.
func (v *views) render(w http.ResponseWriter, status int, name string, p *page) {
	t := v.pages[name]
	if t == nil {
		panic("web: no template " + name)
	}
	p.Narrow = narrowPages[name]
	content := fastContent[name]
	if content == nil {
		content = func(o htmlOut, p *page) error { return t.ExecuteTemplate(o.Buffer, "content", p) }
	}
	var b bytes.Buffer
	if err := v.writeLayout(&b, p, func(o htmlOut) error { return content(o, p) }); err != nil {
		v.cfg.Log.Error("render", "template", name, "err", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", p.Lang)
	// With its length known the page goes out in one piece, not chunked
	// (a write less per page; compression drops it when it compresses).
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// message renders the generic message page.
func (v *views) message(w http.ResponseWriter, r *http.Request, status int, title, text, linkHref, linkText string) {
	p := v.page(r, title)
	// Signed in (a route behind requireSession), the page keeps the
	// account's navigation, for a found and a not-found answer alike.
	if p.Session == nil {
		p.Session = sessionOf(r)
	}
	p.Data = map[string]string{"Text": text, "Href": linkHref, "Link": linkText}
	v.render(w, status, "message", p)
}

// setSession sets the session cookie: HttpOnly, SameSite=Lax, Secure and
// __Host- under TLS. It is a browser-session cookie: the server enforces
// the idle and absolute timeouts, whatever the cookie says.
func (v *views) setSession(w http.ResponseWriter, iss identity.Issued) {
	http.SetCookie(w, &http.Cookie{Name: v.sessionCookie, Value: iss.Token, Path: "/",
		HttpOnly: true, Secure: v.cfg.TLS, SameSite: http.SameSiteLaxMode})
}

func (v *views) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: v.sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: v.cfg.TLS, SameSite: http.SameSiteLaxMode})
}

func (v *views) sessionToken(r *http.Request) string {
	c, err := r.Cookie(v.sessionCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

// deviceCookieMaxAge: browsers cap cookie lifetimes at 400 days.
const deviceCookieMaxAge = 400 * 24 * 60 * 60

// device returns the device cookie, setting a new one if there is none,
// so that sign-ins can be told apart by browser (new-device alerts and
// "remember this device").
func (v *views) device(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(v.deviceCookie); err == nil && len(c.Value) >= 32 && len(c.Value) <= 64 {
		return c.Value
	}
	d := identity.NewDeviceToken()
	http.SetCookie(w, &http.Cookie{Name: v.deviceCookie, Value: d, Path: "/", MaxAge: deviceCookieMaxAge,
		HttpOnly: true, Secure: v.cfg.TLS, SameSite: http.SameSiteLaxMode})
	return d
}

// client describes the request for identity.
func (v *views) client(w http.ResponseWriter, r *http.Request) identity.Client {
	return identity.Client{IP: webcore.ClientIP(r), UserAgent: r.UserAgent(), Device: v.device(w, r), Lang: webcore.LangOf(r)}
}

func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// TN translates key's plural form for the count n into the page's
// language, formatted with n and then args: {{$.TN "faq.results" (len
// .Results) .Query}} is "1 answer for “payoff”.". n is any integer type
// (a template passes int from len, int64 from a field); anything else is
// a programming error.
func (p *page) TN(key string, n any, args ...any) string {
	count, ok := webcore.FirstCount([]any{n})
	if !ok {
		panic(fmt.Sprintf("web: TN %s: count %T is not an integer", key, n))
	}
	return p.v.cat.TranslateN(p.Lang, key, count, args...)
}
