package console

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"carfin/approvals"
	"carfin/calendar"
	"carfin/complaints"
	"carfin/db"
	"carfin/locale"
	"carfin/money"
	"carfin/servicing"
	"carfin/staff"
	"carfin/webcore"
)

// views renders the console's pages, each parsed with the layout. The
// console is in English (the servicing team's language); its texts are
// in the templates.
type views struct {
	cfg   Config
	pages map[string]*template.Template
	// cookie is the staff session cookie's name, apart from the portal's:
	// under TLS the __Host- prefix binds it to this host, path / and
	// Secure (RFC 6265bis §4.1.3.2).
	cookie string
	loc    *time.Location
}

func newViews(cfg Config) (*views, error) {
	v := &views{cfg: cfg, pages: map[string]*template.Template{}, cookie: "carfin_staff", loc: time.UTC}
	if cfg.TLS {
		v.cookie = "__Host-carfin_staff"
	}
	funcs := template.FuncMap{"icon": webcore.Icon,
		// dict hands a partial the page and the name of its field.
		"dict": func(p *page, field string) fieldOf { return fieldOf{P: p, Field: field} }}
	layout, err := fs.ReadFile(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	verifyForm, err := fs.ReadFile(templateFS, "templates/verify_form.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" || name == "verify_form" {
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
		if _, err := t.New("verify-form").Parse(string(verifyForm)); err != nil {
			return nil, fmt.Errorf("template verify_form: %w", err)
		}
		if _, err := t.New(name).Parse(string(body)); err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		v.pages[name] = t
	}
	return v, nil
}

// fieldOf is a page and one of its fields, for a partial that renders
// the field.
type fieldOf struct {
	P     *page
	Field string
}

// page is what every template gets.
type page struct {
	v     *views
	Nonce string
	Brand webcore.Brand
	Path  string
	Title string
	// Member is the signed-in staff member (nil on the sign-in pages).
	Member *staff.Member
	// Narrow centres a one-form page.
	Narrow bool
	// Errors maps a field name (or "" for the form) to its message.
	Errors map[string]string
	// Form holds the submitted values to show again (never passwords).
	Form map[string]string
	// Notice is a confirmation shown at the top.
	Notice string
	Data   any
}

func (v *views) page(r *http.Request, title string) *page {
	return &page{v: v, Nonce: webcore.Nonce(r), Brand: v.cfg.Brand, Path: r.URL.RequestURI(), Title: title,
		Member: memberOf(r), Errors: map[string]string{}, Form: map[string]string{}, Notice: noticeOf(r)}
}

// Err is a field's error, or "".
func (p *page) Err(field string) string { return p.Errors[field] }

// Val is a submitted value to show again.
func (p *page) Val(field string) string { return p.Form[field] }

// May reports whether the signed-in member may take action (the pages
// show only the actions the role has).
func (p *page) May(action string) bool { return p.Member != nil && p.Member.May(staff.Action(action)) }

// Section is the navigation's current section.
func (p *page) Section() string {
	rest := strings.TrimPrefix(p.Path, Prefix+"/")
	first, _, _ := strings.Cut(rest, "/")
	first, _, _ = strings.Cut(first, "?")
	return first
}

// Money, Date and the others format for the console (US English).
func (p *page) Money(c money.Cents) string  { return locale.Money("en", c) }
func (p *page) Date(d calendar.Date) string { return locale.Date("en", d) }
func (p *page) DateTime(t time.Time) string { return t.In(p.v.loc).Format("Jan 2, 2006 3:04 PM") }
func (p *page) Percent(r money.Rate) string { return locale.Percent("en", r) }
func (p *page) ISO(d calendar.Date) string  { return d.String() }
func (p *page) Since(t time.Time) string    { return age(time.Since(t)) }
func (p *page) Plural(n int, one, other string) string {
	if n == 1 {
		return one
	}
	return other
}

// KindLabel names a request's kind ("Fee waiver").
func (p *page) KindLabel(k approvals.Kind) string { return kindLabel(k) }

// CategoryLabel names a complaint's category ("Credit reporting").
func (p *page) CategoryLabel(v string) string { return choiceLabel(complaints.Categories, v) }

// itemLabels name the lines of a contract's history.
var itemLabels = map[servicing.ItemType]string{
	servicing.ItemFunded: "Funded", servicing.ItemPayment: "Payment", servicing.ItemPayoff: "Payoff",
	servicing.ItemReturnedPayment: "Payment returned", servicing.ItemLateFee: "Late fee", servicing.ItemNSFFee: "Returned-payment fee",
	servicing.ItemFeeWaiver: "Fee waived", servicing.ItemAdjustment: "Balance adjustment", servicing.ItemLeaseCharge: "Lease charge",
	servicing.ItemChargeOff: "Charged off", servicing.ItemTurnIn: "Vehicle turned in", servicing.ItemCorrection: "Correction",
}

// ItemLabel names a history line's type ("Late fee").
func (p *page) ItemLabel(t servicing.ItemType) string {
	if l, ok := itemLabels[t]; ok {
		return l
	}
	return string(t)
}

// age says how long ago, in the largest unit: "3 min", "5 h", "2 d".
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "now"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d/time.Hour))
	}
	return fmt.Sprintf("%d d", int(d/(24*time.Hour)))
}

// narrowPages are shown as one centred column.
var narrowPages = map[string]bool{"login": true, "login_2fa": true, "enrol": true, "enrolled": true}

// render writes the page with status, through a buffer so that a
// template error is a clean 500.
func (v *views) render(w http.ResponseWriter, status int, name string, p *page) {
	t := v.pages[name]
	if t == nil {
		panic("console: no template " + name)
	}
	p.Narrow = narrowPages[name]
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", p); err != nil {
		v.cfg.Log.Error("render", "template", name, "err", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// message renders the generic message page.
func (v *views) message(w http.ResponseWriter, r *http.Request, status int, title, text string) {
	p := v.page(r, title)
	p.Data = text
	v.render(w, status, "message", p)
}

// serverError logs err and shows the error page: 500, or 503 with
// Retry-After when the database is unreachable, shutting down, full or
// read-only (db.IsUnavailable), which passes by itself.
func (v *views) serverError(w http.ResponseWriter, r *http.Request, err error) {
	if db.IsUnavailable(err) {
		v.cfg.Log.WarnContext(r.Context(), "console request failed: database unavailable", "route", r.Pattern, "err", err)
		webcore.SetUnavailable(w)
		v.message(w, r, http.StatusServiceUnavailable, "Temporarily unavailable",
			"The database is temporarily unavailable. Nothing was changed; try again in a few seconds.")
		return
	}
	v.cfg.Log.ErrorContext(r.Context(), "console request failed", "route", r.Pattern, "err", err)
	v.message(w, r, http.StatusInternalServerError, "Something went wrong", "The request could not be completed. Nothing was changed; try again, and tell IT if it keeps happening.")
}

// notFound is the answer for a record that does not exist, or that the
// member may not see: the same, so that ids cannot be probed.
func (v *views) notFound(w http.ResponseWriter, r *http.Request) {
	v.message(w, r, http.StatusNotFound, "Not found", "There is no such record.")
}

// forbidden is the answer for an action the member's role does not have.
func (v *views) forbidden(w http.ResponseWriter, r *http.Request) {
	v.message(w, r, http.StatusForbidden, "Not allowed", "Your role does not allow this. Ask a supervisor.")
}

func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// done redirects after a change with a notice for the next page (a
// query parameter naming one of the fixed notices: never free text from
// the request, which would let a link put words on the page).
func done(w http.ResponseWriter, r *http.Request, to, notice string) {
	to, frag, _ := strings.Cut(to, "#")
	sep := "?"
	if strings.Contains(to, "?") {
		sep = "&"
	}
	if frag != "" {
		frag = "#" + frag
	}
	redirect(w, r, to+sep+"done="+notice+frag)
}

// notices are the confirmations a redirect may ask for.
var notices = map[string]string{
	"unlocked":      "The sign-in is unlocked: the customer can sign in again now.",
	"factor_reset":  "Two-step verification was reset, the customer's sessions ended, and the customer was emailed.",
	"sessions":      "Every session of the customer ended.",
	"invite":        "The enrolment invitation was emailed to the customer.",
	"note":          "Note added.",
	"verified":      "Caller verified. The account is open until the call's time limit.",
	"opened":        "Account opened for back-office work; the reason is in the audit log.",
	"replied":       "Reply sent. The customer was emailed that a reply is waiting.",
	"assigned":      "Message assigned.",
	"closed":        "Message closed.",
	"requested":     "Request sent for a supervisor's approval.",
	"approved":      "Approved and posted.",
	"rejected":      "Rejected. Nothing was posted.",
	"complaint":     "Complaint logged.",
	"acknowledged":  "Complaint acknowledged.",
	"resolved":      "Complaint closed with its resolution.",
	"paid":          "Payment taken.",
	"staff_added":   "Staff member added. Give them the enrolment link.",
	"staff_changed": "Staff member changed.",
	"code_sent":     "A code was sent to the customer.",
}

func noticeOf(r *http.Request) string { return notices[r.URL.Query().Get("done")] }
