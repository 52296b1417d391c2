package quotes

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"carfin/internal/cp1252"
	"carfin/locale"
	"carfin/money"
	"carfin/servicing"
)

// letterPage is a letter being written, with the pieces the customer's
// letter (RenderLetter) and the dealer's (RenderDealerLetter) share:
// letterhead, title, rows of figures, facts, sections and notes.
type letterPage struct {
	pdf *fpdf.Fpdf
	// tr writes text in the core fonts' code page (cp1252): accents, ñ, ¿.
	tr func(string) string
}

// startLetter opens a one-page US Letter PDF dated created (the same
// quote renders the same bytes) and writes the lender's letterhead, the
// title, and the quote number and date on the right.
func startLetter(cfg Config, title, numberLabel, number, dateLine string, created time.Time) letterPage {
	pdf := fpdf.New("P", "mm", "Letter", "")
	pdf.SetCreationDate(created)
	pdf.SetModificationDate(created)
	pdf.SetCatalogSort(true) // the same quote renders the same bytes
	p := letterPage{pdf: pdf, tr: cp1252.Text}
	tr := p.tr
	pdf.SetTitle(title+" "+number, true)
	pdf.SetAuthor(cfg.Letterhead.Name, true)
	pdf.SetProducer("carfin", false)
	pdf.SetMargins(letterMargin, letterMargin, letterMargin)
	pdf.SetAutoPageBreak(true, 12)
	pdf.AddPage()

	// Letterhead.
	pdf.SetFont("Helvetica", "B", 16)
	pdf.CellFormat(0, 8, tr(cfg.Letterhead.Name), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 9)
	head := append([]string{}, cfg.Letterhead.Address...)
	if cfg.Letterhead.Phone != "" {
		head = append(head, cfg.Letterhead.Phone)
	}
	if len(head) > 0 {
		pdf.CellFormat(0, 4.5, tr(strings.Join(head, "  ·  ")), "B", 1, "L", false, 0, "")
	} else {
		pdf.CellFormat(0, 1, "", "B", 1, "L", false, 0, "")
	}
	pdf.Ln(3)

	// Title, number and date.
	pdf.SetFont("Helvetica", "B", 14)
	pdf.CellFormat(110, 7, tr(title), "", 0, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", letterFontSize)
	pdf.CellFormat(0, 7, tr(numberLabel+": "+number), "", 1, "R", false, 0, "")
	pdf.CellFormat(0, letterLineH, tr(dateLine), "", 1, "R", false, 0, "")
	pdf.Ln(1)
	return p
}

// lines writes an address block, a line each. Each address line fits on
// one: package postal bounds a line to 40 characters and a city to 28,
// at most 140 mm of the widest letter at this size, of the 180 mm
// between the margins (TestLetterFitsPage renders the widest). A longer
// name wraps rather than run off the page.
func (p letterPage) lines(ls []string) {
	for _, l := range ls {
		p.pdf.MultiCell(0, 5, p.tr(l), "", "L", false)
	}
}

// row writes a label and an amount.
func (p letterPage) row(label, value string, bold bool) {
	style := ""
	if bold {
		style = "B"
	}
	p.pdf.SetFont("Helvetica", style, letterFontSize)
	p.pdf.CellFormat(letterLabelW, letterLineH, p.tr(label), "", 0, "L", false, 0, "")
	p.pdf.CellFormat(letterAmountW, letterLineH, p.tr(value), "", 1, "R", false, 0, "")
}

// facts writes a bold label and its value.
func (p letterPage) facts(label, value string) {
	p.pdf.SetFont("Helvetica", "B", letterFontSize)
	p.pdf.CellFormat(50, letterLineH, p.tr(label), "", 0, "L", false, 0, "")
	p.pdf.SetFont("Helvetica", "", letterFontSize)
	p.pdf.MultiCell(0, letterLineH, p.tr(value), "", "L", false) // a long make and model wraps
	p.pdf.SetX(letterMargin)
}

// section writes a section's underlined title.
func (p letterPage) section(title string) {
	p.pdf.Ln(1.5)
	p.pdf.SetFont("Helvetica", "B", 11.5)
	p.pdf.CellFormat(letterLabelW+letterAmountW, 6.5, p.tr(title), "B", 1, "L", false, 0, "")
	p.pdf.Ln(1)
}

// note writes a paragraph in the small size.
func (p letterPage) note(text string) {
	p.pdf.SetFont("Helvetica", "", 9.5)
	p.pdf.MultiCell(0, 4.8, p.tr(text), "", "L", false)
}

// paragraph writes a paragraph in the letter's size.
func (p letterPage) paragraph(text string) {
	p.pdf.SetFont("Helvetica", "", letterFontSize)
	p.pdf.MultiCell(0, 5, p.tr(text), "", "L", false)
}

// payoffFigures writes a payoff quote's figures good through its date
// and the per diem after it, in lang with the words T gives.
func (p letterPage) payoffFigures(T func(string, ...any) string, lang string, a servicing.Addressee, q Quote) {
	amount := func(c money.Cents) string { return locale.Money(lang, c) }
	p.section(T("good_through", locale.LongDate(lang, q.GoodThrough)))
	// A lessee owes no principal: a lease's payoff is what is left of
	// the adjusted capitalized cost (the net investment), and paying
	// it buys the vehicle.
	if a.Kind == servicing.KindLease {
		p.row(T("lease_balance"), amount(q.PrincipalCents), false)
	} else {
		p.row(T("principal"), amount(q.PrincipalCents), false)
	}
	if q.InterestCents != 0 || q.PerDiemCents != 0 {
		p.row(T("interest", locale.LongDate(lang, q.GoodThrough)), amount(q.InterestCents), false)
	}
	p.row(T("fees"), amount(q.FeesCents), false)
	if q.BilledCents > 0 {
		p.row(T("billed"), amount(q.BilledCents), false)
	} else if q.BilledCents < 0 {
		p.row(T("credit"), amount(q.BilledCents), false)
	}
	p.row(T("total"), amount(q.TotalCents), true)
	p.pdf.Ln(2)
	if q.PerDiemCents > 0 {
		p.note(T("per_diem", locale.LongDate(lang, q.GoodThrough), amount(q.PerDiemCents)))
	} else {
		p.note(T("per_diem_none", locale.LongDate(lang, q.GoodThrough)))
	}
}

// signature writes the closing and the lender's name with signedBy (a
// department).
func (p letterPage) signature(cfg Config, sincerely, signedBy string) {
	p.pdf.Ln(3)
	p.pdf.SetFont("Helvetica", "", letterFontSize)
	p.pdf.CellFormat(0, 5, p.tr(sincerely), "", 1, "L", false, 0, "")
	p.pdf.CellFormat(0, 5, p.tr(cfg.Letterhead.Name+" · "+signedBy), "", 1, "L", false, 0, "")
}

// output returns the PDF.
func (p letterPage) output(number string) ([]byte, error) {
	var b bytes.Buffer
	if err := p.pdf.Output(&b); err != nil {
		return nil, fmt.Errorf("render letter %s: %w", number, err)
	}
	return b.Bytes(), nil
}
