package statements

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"carfin/calendar"
	"carfin/colour"
	"carfin/internal/cp1252"
	"carfin/locale"
	"carfin/money"
	"carfin/servicing"
)

// Page geometry (US Letter, millimetres). The customer's address sits
// where a No. 10 window envelope shows it once the sheet is folded in
// three: 7/8 in (22 mm) from the left edge and about 46 mm from the top
// (the USPS window is 4 1/2 × 1 1/8 in), so nothing else is printed in
// that window; the amount due box starts right of it.
const (
	pageW         = 215.9
	pageH         = 279.4
	margin        = 16.0
	contentW      = pageW - 2*margin
	windowX       = 22.0  // the address block's left edge
	windowY       = 46.0  // the address block's top
	windowRight   = 136.0 // 22 mm + 4 1/2 in: the window's right edge
	boxX          = 139.0 // the amount due box, right of the window
	boxW          = pageW - margin - boxX
	bodyBottom    = 20.0  // the automatic page break's margin: the footer is below
	footerY       = -12.0 // from the bottom
	couponTop     = 216.0 // the dashed cut line of the coupon on the last page
	contTop       = 24.0  // where a continuation page's body starts
	rowH          = 4.6   // an activity row
	factH         = 4.4   // a label–value row
	noteH         = 3.3   // a line of the notices' small print
	sectionGap    = 3.5
	colDate       = 24.0
	colAmount     = 24.0
	colSplit      = 22.5
	statementFont = "Helvetica"
)

// activityCols are the widths of the activity table's columns: date,
// description, amount, interest, principal (leases: to billed payments)
// and fees. They add up to contentW.
var activityCols = [6]float64{colDate, contentW - colDate - colAmount - 3*colSplit, colAmount, colSplit, colSplit, colSplit}

// Default brand colours, used when the lender configured none or a
// colour that is not "#rrggbb".
const (
	defaultPrimary = "#1f3a5f"
	defaultAccent  = "#dce6f0"
)

// Fixed colours: body text, secondary text, the rules of table rows, and
// the delinquency notice's red (a notice that must be noticed).
var (
	textRGB   = rgb{R: 33, G: 37, B: 41}
	greyRGB   = rgb{R: 96, G: 103, B: 110}
	ruleRGB   = rgb{R: 205, G: 210, B: 215}
	urgentRGB = rgb{R: 176, G: 0, B: 32}
)

// rgb is a colour; the contrast rules are the colour package's, shared
// with the portal's theme.
type rgb = colour.RGB

// parseColour reads "#rrggbb"; ok is false for anything else.
func parseColour(s string) (rgb, bool) {
	c, err := colour.Parse(s)
	return c, err == nil
}

// colourOr returns the lender's colour s, or def when s is not "#rrggbb".
func colourOr(s, def string) rgb {
	if c, ok := parseColour(s); ok {
		return c
	}
	c, _ := parseColour(def)
	return c
}

// dark reports whether text on c should be white: its relative luminance
// (Rec. 709 weights) is below the middle.
func dark(c rgb) bool { return 2126*c.R+7152*c.G+722*c.B < 128*10000 }

// textContrastMin is WCAG 2 AA's contrast for normal text (1.4.3).
const textContrastMin = colour.TextContrastMin

// bestText is whichever of pref, white and near-black reads best on bg.
func bestText(bg, pref rgb) rgb { return colour.BestText(bg, pref) }

// contrast is the WCAG 2 contrast ratio of two colours, 1 to 21.
func contrast(a, b rgb) float64 { return colour.Contrast(a, b) }

// Mask returns an account number as a statement shows it, the last four
// characters only ("••••0001"), so that a statement lost in the mail does
// not give the account away. Only the coupon, which the lockbox reads,
// carries the full number.
func Mask(account string) string {
	r := []rune(account)
	if len(r) > 4 {
		r = r[len(r)-4:]
	}
	return "••••" + string(r)
}

// Render returns the statement as a Letter-size PDF in s.Lang (English
// unless "es"): the letterhead and the customer's address placed for a
// window envelope; the amount due with its parts, the late-fee warning,
// autopay and paid-ahead notes (or, on a final statement, the account's
// closing); the period's activity with each payment's split, the
// balances at the period's bounds; the year-to-date totals; the account's
// state; the delinquency notice from 30 days past due; the notices (how
// payments are applied, where to send disputes, the FCRA negative
// information notice); and, at the bottom of the last page, the payment
// coupon (not on a final statement). Pages are numbered "Page 1 of 2".
//
// It uses the core Helvetica font (not embedded, text in cp1252, so
// Spanish accents and the mask's bullets print) with compressed pages, so
// a one-page statement is a few kilobytes. The same statement renders the
// same bytes: the document's dates are the statement date at noon UTC.
// Render shares no mutable state and is safe for concurrent use. It
// returns an error only when the PDF cannot be produced.
func Render(l Lender, s Statement) ([]byte, error) {
	r := newRenderer(l, s)
	r.page1()
	r.delinquency()
	r.activity()
	r.yearAndAccount()
	r.notices()
	r.coupon()
	var b bytes.Buffer
	b.Grow(8 << 10)
	if err := r.pdf.Output(&b); err != nil {
		return nil, fmt.Errorf("render statement of contract %d for %s: %w", s.ContractID, s.CycleDue, err)
	}
	return packPDF(b.Bytes())
}

// renderer holds one statement's PDF while it is drawn; one per Render.
type renderer struct {
	pdf             *fpdf.Fpdf
	l               Lender
	s               Statement
	lang            string
	lease           bool
	primary, accent rgb
	accentText      rgb // text on the bands' shading
	bandFill        rgb // the bands' shading: the accent, or the primary when no text reads on the accent
	// The font last set by font.
	fontSet   bool
	fontStyle string
	fontSize  float64
}

func newRenderer(l Lender, s Statement) *renderer {
	r := &renderer{l: l, s: s, lang: langOf(s.Lang), lease: s.Kind == servicing.KindLease,
		primary: colourOr(l.Primary, defaultPrimary), accent: colourOr(l.Accent, defaultAccent)}
	// Text on the accent shading: whichever of the primary colour, white
	// and near-black reads best on it (WCAG contrast), since a lender's
	// accent may be light or dark.
	r.bandFill, r.accentText = r.accent, bestText(r.accent, r.primary)
	if contrast(r.accentText, r.bandFill) < textContrastMin {
		r.bandFill, r.accentText = r.primary, bestText(r.primary, rgb{R: 255, G: 255, B: 255})
	}
	pdf := fpdf.New("P", "mm", "Letter", "")
	r.pdf = pdf
	at := s.StatementDate.Time()
	noon := time.Date(at.Year(), at.Month(), at.Day(), 12, 0, 0, 0, time.UTC)
	pdf.SetCreationDate(noon)
	pdf.SetModificationDate(noon)
	pdf.SetCatalogSort(true)
	pdf.SetCompression(false) // packPDF compresses the pages (pack.go)
	pdf.SetTitle(r.w("title")+" "+locale.Date(r.lang, s.StatementDate), true)
	pdf.SetAuthor(l.Name, true)
	pdf.SetProducer("carfin", false)
	pdf.SetLang(r.lang)
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(true, bodyBottom)
	pdf.AliasNbPages("")
	// fpdf restores the body's font around the header and footer, behind
	// font's back: forget what font set on either side of them.
	pdf.SetHeaderFunc(func() { r.fontSet = false; r.header(); r.fontSet = false })
	pdf.SetFooterFunc(func() { r.fontSet = false; r.footer(); r.fontSet = false })
	pdf.SetTextColor(textRGB.R, textRGB.G, textRGB.B)
	pdf.AddPage()
	return r
}

// w returns the statement's words for key in its language.
func (r *renderer) w(key string, args ...any) string { return word(r.lang, key, args...) }

func (r *renderer) money(c money.Cents) string  { return locale.Money(r.lang, c) }
func (r *renderer) date(d calendar.Date) string { return locale.Date(r.lang, d) }
func (r *renderer) long(d calendar.Date) string { return locale.LongDate(r.lang, d) }

// font sets the font unless it is set already: fpdf's SetFont hashes
// the font's name on every call, a tenth of a statement's drawing.
func (r *renderer) font(style string, size float64) {
	if r.fontSet && style == r.fontStyle && size == r.fontSize {
		return
	}
	r.pdf.SetFont(statementFont, style, size)
	r.fontSet, r.fontStyle, r.fontSize = true, style, size
}
func (r *renderer) ink(c rgb) { r.pdf.SetTextColor(c.R, c.G, c.B) }

// cell writes one line of text in a cell of width w at the current
// position; ln as fpdf (0 right, 1 next line).
func (r *renderer) cell(w, h float64, text, align string, ln int) {
	r.pdf.CellFormat(w, h, cp1252.Text(text), "", ln, align, false, 0, "")
}

// para writes wrapped text of width w at x from the current y.
func (r *renderer) para(x, w, h float64, text string) {
	r.pdf.SetX(x)
	r.pdf.MultiCell(w, h, cp1252.Text(text), "", "L", false)
}

// lines returns how many lines text wraps to in width w in the current
// font.
func (r *renderer) lines(w float64, text string) int {
	return len(r.pdf.SplitText(cp1252.Text(text), w))
}

// room starts a new page unless h millimetres fit above the body's
// bottom, and reports whether it did.
func (r *renderer) room(h float64) bool {
	if r.pdf.GetY()+h <= pageH-bodyBottom {
		return false
	}
	r.pdf.AddPage()
	r.fontSet = false
	return true
}

func (r *renderer) hours() string {
	if r.lang == "es" && r.l.HoursES != "" {
		return r.l.HoursES
	}
	return r.l.Hours
}

// header draws the short letterhead of a continuation page: the lender,
// the title, the masked account and the statement date.
func (r *renderer) header() {
	pdf := r.pdf
	if pdf.PageNo() == 1 {
		return
	}
	pdf.SetXY(margin, 10)
	r.font("B", 11)
	r.ink(r.primary)
	r.cell(contentW/2, 6, r.l.Name, "L", 0)
	r.font("", 8)
	r.ink(greyRGB)
	r.cell(contentW/2, 6, r.w("title")+" · "+r.w("account")+" "+Mask(r.s.AccountNumber)+" · "+r.date(r.s.StatementDate), "R", 1)
	r.rule(16.5, 0.4)
	r.ink(textRGB)
	pdf.SetY(contTop)
}

// footer numbers the pages: "Page 1 of 2".
func (r *renderer) footer() {
	pdf := r.pdf
	pdf.SetY(footerY)
	r.font("", 7.5)
	r.ink(greyRGB)
	left := r.l.Name
	if r.l.Phone != "" {
		left += " · " + r.l.Phone
	}
	r.cell(contentW/2, 4, left, "L", 0)
	// "{nb}" is fpdf's alias for the page count, replaced at output.
	r.cell(contentW/2, 4, r.w("page", pdf.PageNo(), "{nb}"), "R", 0)
	r.ink(textRGB)
}

// rule draws a line across the page in the accent colour, or the primary
// when the accent is too light to see as a line.
func (r *renderer) rule(y, width float64) {
	c := r.accent
	if !dark(c) {
		c = r.primary
	}
	r.pdf.SetDrawColor(c.R, c.G, c.B)
	r.pdf.SetLineWidth(width)
	r.pdf.Line(margin, y, pageW-margin, y)
}

// band draws a section heading: text on the accent shading, w wide.
func (r *renderer) band(x, w float64, text string) {
	pdf := r.pdf
	pdf.SetX(x)
	pdf.SetFillColor(r.bandFill.R, r.bandFill.G, r.bandFill.B)
	r.font("B", 9.5)
	r.ink(r.accentText)
	pdf.CellFormat(w, 6.5, cp1252.Text(" "+text), "", 1, "L", true, 0, "")
	r.ink(textRGB)
}

// page1 draws the letterhead, the customer's address for the window, the
// amount due box and its notes.
func (r *renderer) page1() {
	pdf, s, l := r.pdf, r.s, r.l
	// Letterhead, left: the lender; right: the title and the statement's
	// identity.
	pdf.SetXY(margin, 11)
	r.font("B", 16)
	r.ink(r.primary)
	r.cell(100, 8, l.Name, "L", 1)
	r.font("", 8)
	r.ink(greyRGB)
	var contact []string
	if len(l.Address) > 0 {
		contact = append(contact, strings.Join(l.Address, " · "))
	}
	var call []string
	if l.Phone != "" {
		call = append(call, l.Phone)
	}
	if h := r.hours(); h != "" {
		call = append(call, r.w("hours", h))
	}
	if len(call) > 0 {
		contact = append(contact, strings.Join(call, " · "))
	}
	if l.Portal != "" {
		contact = append(contact, l.Portal)
	}
	for _, c := range contact {
		r.cell(105, 3.8, c, "L", 1)
	}

	right := margin + 100.0
	rw := contentW - 100
	pdf.SetXY(right, 11)
	r.font("B", 14)
	r.ink(r.primary)
	r.cell(rw, 8, r.w("title"), "R", 1)
	r.font("", 8.5)
	r.ink(textRGB)
	for _, f := range [][2]string{
		{r.w("statement_date"), r.long(s.StatementDate)},
		{r.w("period"), r.date(s.PeriodFrom) + " – " + r.date(s.PeriodTo)},
		{r.w("account"), Mask(s.AccountNumber)},
	} {
		pdf.SetX(right)
		r.cell(rw, 4.2, f[0]+": "+f[1], "R", 1)
	}
	v := s.Vehicle
	pdf.SetX(right - 20)
	r.cell(rw+20, 4.2, r.w("vehicle", v.Year, v.Make, v.Model, v.VINLast6), "R", 1)
	r.rule(36, 0.6)

	// The addressee, for the envelope's window.
	pdf.SetXY(windowX, windowY)
	r.font("B", 10)
	r.cell(windowRight-windowX, 4.6, strings.ToUpper(s.Customer.Name), "L", 1)
	r.font("", 10)
	for _, a := range s.Customer.Address {
		pdf.SetX(windowX)
		r.cell(windowRight-windowX, 4.6, strings.ToUpper(a), "L", 1)
	}
	addrEnd := pdf.GetY()

	boxEnd := r.dueBox()

	// Notes beside the box, below the window.
	pdf.SetY(max(addrEnd+6, 74))
	noteW := boxX - 4 - margin
	var notes []string
	switch {
	case s.Final && s.Status == servicing.StatusChargedOff:
		notes = append(notes, r.w("closed_charged_off", r.l.Phone))
	case s.Final:
		notes = append(notes, r.w("closed_paid", r.money(0)))
	default:
		d := s.Due
		if d.LateFeeCents > 0 && !d.LateFeeAfter.IsZero() {
			notes = append(notes, r.w("late_fee", r.money(d.TotalCents), r.long(d.LateFeeAfter), r.money(d.LateFeeCents)))
		}
		if a := s.Autopay; a != nil {
			notes = append(notes, r.w("autopay", r.money(a.AmountCents), r.long(a.Date), a.Account)+" "+r.w("autopay_once"))
		}
		if d.PaidAheadCents > 0 {
			notes = append(notes, r.w("paid_ahead", r.money(d.PaidAheadCents)))
		}
	}
	for i, n := range notes {
		r.font(pick(i == 0, "B", ""), 8.5)
		r.para(margin, noteW, 4, n)
		pdf.Ln(1.2)
	}
	pdf.SetY(max(pdf.GetY(), boxEnd) + sectionGap)
}

// dueBox draws the amount due box (or the account's closing on a final
// statement) right of the window and returns its bottom.
func (r *renderer) dueBox() float64 {
	pdf, s := r.pdf, r.s
	top := 40.0
	pdf.SetXY(boxX, top)
	inner := boxW - 4
	if s.Final {
		// Nothing is due; the note beside the box says why.
		r.band(boxX, boxW, r.w("closed"))
		pdf.Ln(1.5)
		r.font("B", 9)
		status := r.w("status.closed")
		if s.Status == servicing.StatusChargedOff {
			status = r.w("status.charged_off")
		}
		r.para(boxX+2, inner, 4.2, status)
	} else {
		d := s.Due
		r.band(boxX, boxW, r.w("amount_due"))
		pdf.Ln(1)
		row := func(label, value string, bold bool) {
			r.font(pick(bold, "B", ""), pick(bold, 10.0, 8.5))
			pdf.SetX(boxX + 2)
			r.cell(inner-26, factH+pick(bold, 1.0, 0), label, "L", 0)
			r.cell(26, factH+pick(bold, 1.0, 0), value, "R", 1)
		}
		row(r.w("due_date"), r.date(d.DueDate), false)
		row(r.w("installment"), r.money(d.InstallmentCents), false)
		row(r.w("past_due"), r.money(d.PastDueCents), false)
		row(r.w("fees_due"), r.money(d.FeesCents), false)
		y := pdf.GetY() + 0.8
		pdf.SetDrawColor(ruleRGB.R, ruleRGB.G, ruleRGB.B)
		pdf.SetLineWidth(0.3)
		pdf.Line(boxX+2, y, boxX+boxW-2, y)
		pdf.SetY(y + 0.8)
		r.ink(r.primary)
		row(r.w("total_due"), r.money(d.TotalCents), true)
		r.ink(textRGB)
	}
	bottom := pdf.GetY() + 1.5
	pdf.SetDrawColor(r.accent.R, r.accent.G, r.accent.B)
	if !dark(r.accent) {
		pdf.SetDrawColor(r.primary.R, r.primary.G, r.primary.B)
	}
	pdf.SetLineWidth(0.4)
	pdf.Rect(boxX, top, boxW, bottom-top, "D")
	return bottom
}

// activityHeader draws the activity table's column headings.
func (r *renderer) activityHeader() {
	pdf := r.pdf
	pdf.SetFillColor(r.bandFill.R, r.bandFill.G, r.bandFill.B)
	r.font("B", 8)
	r.ink(r.accentText)
	principal := r.w("col.principal")
	if r.lease {
		principal = r.w("col.billed")
	}
	heads := []string{r.w("col.date"), r.w("col.description"), r.w("col.amount"), r.w("col.interest"), principal, r.w("col.fees")}
	pdf.SetX(margin)
	for i, h := range heads {
		align := "R"
		if i < 2 {
			align = "L"
		}
		pdf.CellFormat(activityCols[i], rowH+0.5, cp1252.Text(" "+h+" "), "", 0, align, true, 0, "")
	}
	pdf.Ln(-1)
	r.ink(textRGB)
}

// activity draws the period's activity: the opening balance, a row per
// line with its split, the closing balance. A long activity breaks over
// pages with the headings repeated.
func (r *renderer) activity() {
	pdf, s := r.pdf, r.s
	r.room(6.5 + 3*rowH + 6)
	r.band(margin, contentW, r.w("activity"))
	pdf.Ln(0.5)
	kind := pick(r.lease, "lease", "loan")
	balance := func(key string, d calendar.Date, c money.Cents) {
		r.font("B", 8.5)
		pdf.SetX(margin)
		r.cell(activityCols[0]+activityCols[1], rowH, r.w(key+"."+kind, r.date(d)), "L", 0)
		r.cell(activityCols[2], rowH, r.money(c), "R", 1)
	}
	opening := s.PeriodFrom
	if !opening.IsZero() {
		opening = opening.AddDays(-1) // the balance at the end of the day before the period
	}
	balance("opening", opening, s.OpeningBalanceCents)
	if len(s.Activity) == 0 {
		r.font("", 8.5)
		r.ink(greyRGB)
		pdf.SetX(margin)
		r.cell(contentW, rowH+1, r.w("no_activity"), "L", 1)
		r.ink(textRGB)
	} else {
		r.activityHeader()
		split := func(c money.Cents) string {
			if c == 0 {
				return ""
			}
			return r.money(c)
		}
		for i, ln := range s.Activity {
			if r.room(rowH) {
				r.font("B", 8)
				r.ink(greyRGB)
				r.cell(contentW, rowH, r.w("activity")+" "+r.w("continued"), "L", 1)
				r.ink(textRGB)
				r.activityHeader()
			}
			r.font("", 8)
			if i%2 == 1 {
				pdf.SetFillColor(246, 247, 249)
			}
			cells := []string{r.date(ln.Date), r.describe(ln), r.money(ln.AmountCents), split(ln.InterestCents),
				split(ln.PrincipalCents), split(ln.FeesCents)}
			pdf.SetX(margin)
			for j, c := range cells {
				align := "R"
				if j < 2 {
					align = "L"
				}
				pdf.CellFormat(activityCols[j], rowH, cp1252.Text(" "+c+" "), "", 0, align, i%2 == 1, 0, "")
			}
			pdf.Ln(-1)
		}
		y := pdf.GetY()
		pdf.SetDrawColor(ruleRGB.R, ruleRGB.G, ruleRGB.B)
		pdf.SetLineWidth(0.3)
		pdf.Line(margin, y, pageW-margin, y)
	}
	r.room(rowH * 2)
	balance("closing", s.PeriodTo, s.ClosingBalanceCents)
	if len(s.Activity) > 0 {
		r.font("", 7)
		r.ink(greyRGB)
		pdf.SetX(margin)
		r.cell(contentW, 3.5, r.w("activity_note"), "L", 1)
		r.ink(textRGB)
	}
	pdf.Ln(sectionGap)
}

// describe returns an activity line's description in the statement's
// language.
func (r *renderer) describe(ln Line) string {
	switch {
	case ln.Type == LinePayment && ln.Installment > 0:
		return r.w("line.payment_n", ln.Installment)
	case ln.Type == LineLeaseCharge && ln.Installment > 0:
		return r.w("line.lease_charge_n", ln.Installment)
	}
	if k, ok := lineKeys[ln.Type]; ok {
		return r.w(k)
	}
	return string(ln.Type) // a type added without words: TestWords fails
}

// yearAndAccount draws the year-to-date totals and the account's state
// side by side.
func (r *renderer) yearAndAccount() {
	pdf, s := r.pdf, r.s
	colW := (contentW - 6) / 2
	y := s.YearToDate
	ytd := [][2]string{
		{r.w("ytd.paid"), r.money(y.PaidCents)},
		{r.w("ytd.interest"), r.money(y.InterestCents)},
		{r.w(pick(r.lease, "ytd.billed", "ytd.principal")), r.money(y.PrincipalCents)},
		{r.w("ytd.fees"), r.money(y.FeesCents)},
	}
	a := s.Account
	var acct [][2]string
	var note string
	switch {
	case s.Final:
	case r.lease:
		acct = [][2]string{
			{r.w("acct.payments_left"), strconv.Itoa(a.PaymentsLeft)},
			{r.w("acct.lease_end"), r.date(a.MaturityDate)},
			{r.w("acct.purchase"), r.money(a.PurchaseOptionCents)},
			{r.w("acct.miles"), r.w("acct.miles_n", locale.Number(r.lang, a.MileageAllowance))},
			{r.w("acct.disposition"), r.money(a.DispositionFeeCents)},
		}
	default:

		acct = [][2]string{
			{r.w("acct.principal"), r.money(a.PrincipalCents)},
			{r.w("acct.apr"), locale.Percent(r.lang, a.APR)},
			{r.w("acct.payoff"), r.money(a.PayoffCents)},
			{r.w("acct.per_diem"), r.money(a.PerDiemCents)},
			{r.w("acct.payments_left"), strconv.Itoa(a.PaymentsLeft)},
			{r.w("acct.maturity"), r.date(a.MaturityDate)},
		}
		if s.Due.PaidAheadCents > 0 {
			acct = append(acct, [2]string{r.w("acct.paid_ahead"), r.money(s.Due.PaidAheadCents)})
		}
		note = r.w("acct.payoff_note")
	}
	r.font("", 7)
	noteLines := 0
	if note != "" {
		noteLines = r.lines(colW, note)
	}
	h := 6.5 + 1 + float64(max(len(ytd), len(acct)))*factH + float64(noteLines)*3.3 + 2
	r.room(h)
	top := pdf.GetY()
	block := func(x float64, title string, facts [][2]string) float64 {
		pdf.SetXY(x, top)
		r.band(x, colW, title)
		pdf.Ln(1)
		for _, f := range facts {
			pdf.SetX(x)
			r.font("", 8.5)
			r.cell(colW-38, factH, " "+f[0], "L", 0)
			r.font("B", 8.5)
			r.cell(38, factH, f[1]+" ", "R", 1)
		}
		return pdf.GetY()
	}
	bottom := block(margin, r.w("ytd", s.StatementDate.Year()), ytd)
	if len(acct) > 0 {
		right := margin + colW + 6
		bottom = max(bottom, block(right, r.w("acct", r.date(s.StatementDate)), acct))
		if note != "" {
			r.font("", 7)
			r.ink(greyRGB)
			pdf.SetY(pdf.GetY() + 0.5)
			r.para(right, colW, 3.3, note)
			r.ink(textRGB)
			bottom = max(bottom, pdf.GetY())
		}
	}
	pdf.SetY(bottom + sectionGap)
}

// delinquency draws the delinquency notice, modelled on Regulation Z
// §1026.41(d)(8) for mortgages (no rule requires one on an auto
// statement): since when the account is past due, what brings it
// current, what may happen next, and how to get help.
func (r *renderer) delinquency() {
	d := r.s.Delinquency
	if d == nil || r.s.Final {
		return
	}
	pdf := r.pdf
	var help string
	if h := r.hours(); h != "" {
		help = r.w("dq.help", r.l.Phone, h)
	} else {
		help = strings.Replace(r.w("dq.help", r.l.Phone, ""), " ()", "", 1)
	}
	paras := []struct {
		text  string
		style string
	}{
		{r.w("dq.since", r.long(d.Since), d.DaysPastDue), "B"},
		{r.w("dq.to_current", r.money(d.ToCurrentCents)), "B"},
		{r.w("dq.next"), ""},
		{help, ""},
	}
	inner := contentW - 8
	h := 7.0 + 4
	for _, p := range paras {
		r.font(p.style, 8.5)
		h += float64(r.lines(inner, p.text))*4 + 1
	}
	r.room(h)
	top := pdf.GetY()
	pdf.SetXY(margin+4, top+2)
	r.font("B", 10)
	r.ink(urgentRGB)
	r.cell(inner, 5, strings.ToUpper(r.w("dq.title")), "L", 1)
	r.ink(textRGB)
	pdf.Ln(1)
	for _, p := range paras {
		r.font(p.style, 8.5)
		r.para(margin+4, inner, 4, p.text)
		pdf.Ln(1)
	}
	bottom := pdf.GetY() + 1
	pdf.SetDrawColor(urgentRGB.R, urgentRGB.G, urgentRGB.B)
	pdf.SetLineWidth(0.6)
	pdf.Rect(margin, top, contentW, bottom-top, "D")
	pdf.SetY(bottom + sectionGap)
}

// notices draws the small print every statement carries: how payments are
// applied, where to write about errors, and the FCRA §623(a)(7) notice
// that negative information may be reported, in the model text of
// 12 CFR part 1022, appendix B (Model Notice B-1), given before any
// negative information is furnished.
func (r *renderer) notices() {
	pdf, s, l := r.pdf, r.s, r.l
	var texts []string
	if len(s.Waterfall) > 0 {
		names := make([]string, 0, len(s.Waterfall))
		for _, b := range s.Waterfall {
			if k, ok := bucketKeys[b]; ok {
				names = append(names, r.w(k))
			} else {
				names = append(names, string(b))
			}
		}
		for i := range names {
			names[i] = "(" + strconv.Itoa(i+1) + ") " + names[i]
		}
		texts = append(texts, r.w("waterfall", strings.Join(names, "; ")))
	}
	dispute := l.DisputeAddress
	if len(dispute) == 0 {
		dispute = l.Address
	}
	texts = append(texts, r.w("disputes", strings.Join(append([]string{l.Name}, dispute...), ", ")))
	texts = append(texts, r.w("credit_report"))
	r.font("", 7)
	h := 6.5 + 1.5
	for _, t := range texts {
		h += float64(r.lines(contentW, t))*noteH + 1.2
	}
	r.room(h)
	r.band(margin, contentW, r.w("notices"))
	pdf.Ln(1.5)
	for _, t := range texts {
		r.font("", 7)
		r.para(margin, contentW, noteH, t)
		pdf.Ln(1.2)
	}
}

// coupon draws the payment coupon below a dashed cut line at the bottom
// of the last page (a new page when the body reaches it): the lender,
// the full account number (the lockbox matches the payment by it), the
// customer, due date and total due, a space for the amount enclosed, and
// the payment address placed to show in a return envelope's window. A
// final statement has none: nothing is due.
func (r *renderer) coupon() {
	pdf, s, l := r.pdf, r.s, r.l
	if s.Final {
		return
	}
	if pdf.GetY() > couponTop-6 {
		pdf.AddPage()
		r.fontSet = false
	}
	pdf.SetAutoPageBreak(false, 0) // the coupon is placed, never broken
	defer pdf.SetAutoPageBreak(true, bodyBottom)
	r.font("", 7)
	r.ink(greyRGB)
	pdf.SetXY(margin, couponTop-4.5)
	r.cell(contentW, 3.5, r.w("coupon.detach"), "C", 1)
	pdf.SetDrawColor(greyRGB.R, greyRGB.G, greyRGB.B)
	pdf.SetLineWidth(0.3)
	pdf.SetDashPattern([]float64{2, 1.5}, 0)
	pdf.Line(0, couponTop, pageW, couponTop)
	pdf.SetDashPattern(nil, 0)

	// Left: who sends it and where it goes.
	top := couponTop + 5
	pdf.SetXY(margin, top)
	r.font("B", 12)
	r.ink(r.primary)
	r.cell(100, 6, l.Name, "L", 1)
	r.font("", 8.5)
	r.ink(greyRGB)
	pdf.SetX(margin)
	r.cell(100, 4.2, r.w("coupon.title"), "L", 1)
	r.ink(textRGB)
	if l.Portal != "" {
		pdf.SetX(margin)
		r.font("B", 8.5)
		r.cell(100, 4.5, r.w("coupon.online", l.Portal), "L", 1)
	}
	// The remittance address, where a No. 9 return envelope's window
	// shows it (the same left edge as the customer's).
	pdf.SetXY(windowX, top+22)
	r.font("", 7.5)
	r.ink(greyRGB)
	r.cell(90, 4, r.w("coupon.send_to"), "L", 1)
	r.ink(textRGB)
	r.font("B", 10)
	pay := l.PaymentAddress
	if len(pay) == 0 {
		pay = l.Address
	}
	pdf.SetX(windowX)
	r.cell(100, 4.6, l.Name, "L", 1)
	r.font("", 10)
	for _, a := range pay {
		pdf.SetX(windowX)
		r.cell(100, 4.6, a, "L", 1)
	}

	// Right: the remittance figures.
	x := boxX - 18
	w := pageW - margin - x
	pdf.SetXY(x, top)
	row := func(label, value string, bold bool) {
		pdf.SetX(x)
		r.font("", 8.5)
		r.cell(w-42, 6, label, "L", 0)
		r.font(pick(bold, "B", ""), pick(bold, 10.5, 9.0))
		r.cell(42, 6, value, "R", 1)
	}
	row(r.w("coupon.account"), s.AccountNumber, true)
	row(r.w("coupon.customer"), s.Customer.Name, false)
	row(r.w("due_date"), r.date(s.Due.DueDate), false)
	row(r.w("total_due"), r.money(s.Due.TotalCents), true)
	pdf.Ln(2)
	pdf.SetX(x)
	r.font("B", 9)
	r.cell(w-42, 8, r.w("coupon.enclosed"), "L", 0)
	bx, by := pdf.GetX(), pdf.GetY()
	pdf.SetDrawColor(textRGB.R, textRGB.G, textRGB.B)
	pdf.SetLineWidth(0.3)
	pdf.Rect(bx, by, 42, 8, "D")
	r.font("", 10)
	r.cell(42, 8, "$", "L", 1)
	pdf.Ln(2)
	r.font("", 7)
	r.ink(greyRGB)
	r.para(x, w, 3.2, r.w("coupon.payable", l.Name))
	r.ink(textRGB)
}

// pick returns a if cond, else b.
func pick[T any](cond bool, a, b T) T {
	if cond {
		return a
	}
	return b
}
