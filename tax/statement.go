package tax

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"carfin/calendar"
	"carfin/internal/cp1252"
	"carfin/locale"
	"carfin/money"
	"carfin/notify"
	"carfin/servicing"
)

// statementTexts are the statements' words in each language; amounts and
// dates are formatted by locale.
var statementTexts = map[string]map[string]string{
	"en": {
		"title":            "Vehicle Loan Interest Statement",
		"form":             "Form 1098-VLI for calendar year %d",
		"corrected":        "CORRECTED",
		"copy_b":           "Copy B, for the borrower",
		"lender":           "Lender",
		"lender_tin":       "Lender's TIN",
		"borrower":         "Borrower",
		"borrower_tin":     "Borrower's TIN",
		"account":          "Account number",
		"box1":             "1  Interest received from borrower",
		"box2a":            "2a  Vehicle year",
		"box2b":            "2b  Vehicle make",
		"box2c":            "2c  Vehicle model",
		"box2d":            "2d  Vehicle identification number (VIN)",
		"box3a":            "3a  Loan origination date",
		"box3b":            "3b  Date the lender acquired the loan",
		"box4":             "4  Outstanding principal at the start of the year (or when originated or acquired in the year)",
		"box5":             "5  Refund of overpaid interest",
		"box6":             "6  Original use of the vehicle began with the borrower",
		"box7":             "7  Final assembly of the vehicle in the United States",
		"yes":              "Yes",
		"no":               "No",
		"none":             "None",
		"withdrawn":        "This corrected statement replaces the one we sent you earlier for %d: the loan does not qualify for that year, so we report no interest for it.",
		"replaces":         "This corrected statement replaces the one we sent you earlier for %d.",
		"note_heading":     "About this statement",
		"note_decision":    "This statement reports the interest you paid us on this loan in %d. It is not a decision that you may deduct it: whether you may is for you and your tax adviser under the tax law.",
		"note_limit":       "The deduction for qualified passenger vehicle loan interest is limited by law to %s a year, and reduced when your modified adjusted gross income is over $100,000 ($200,000 on a joint return). Leases do not qualify.",
		"note_irs":         "We furnish this information to the IRS (26 USC 6050AA).",
		"note_irs_2025":    "For 2025 the IRS does not ask lenders to file this return (Notice 2025-57): keep this statement with your tax records.",
		"summary_title":    "Year-end interest summary",
		"summary_year":     "Payments in calendar year %d",
		"vehicle":          "Vehicle",
		"vin":              "VIN",
		"paid":             "Payments received",
		"to_interest":      "Paid to interest",
		"to_principal":     "Paid to principal",
		"to_lease":         "Paid to lease payments",
		"to_fees":          "Paid to fees",
		"summary_loan":     "Interest paid is what your payments dated in %d paid to interest, after any payment that was returned. This summary is not a tax form: if your loan qualifies, you also receive Form 1098-VLI.",
		"summary_lease":    "A lease charges no interest: the rent charge is part of each monthly payment. Leases do not qualify for the vehicle loan interest deduction.",
		"customer_service": "Customer service",
	},
	"es": {
		"title":            "Declaración de intereses de préstamo de vehículo",
		"form":             "Formulario 1098-VLI del año calendario %d",
		"corrected":        "CORREGIDO",
		"copy_b":           "Copia B, para el prestatario",
		"lender":           "Prestamista",
		"lender_tin":       "TIN del prestamista",
		"borrower":         "Prestatario",
		"borrower_tin":     "TIN del prestatario",
		"account":          "Número de cuenta",
		"box1":             "1  Intereses recibidos del prestatario",
		"box2a":            "2a  Año del vehículo",
		"box2b":            "2b  Marca del vehículo",
		"box2c":            "2c  Modelo del vehículo",
		"box2d":            "2d  Número de identificación del vehículo (VIN)",
		"box3a":            "3a  Fecha de originación del préstamo",
		"box3b":            "3b  Fecha en que el prestamista adquirió el préstamo",
		"box4":             "4  Capital pendiente al inicio del año (o al originarse o adquirirse en el año)",
		"box5":             "5  Reembolso de intereses pagados en exceso",
		"box6":             "6  El uso original del vehículo comenzó con el prestatario",
		"box7":             "7  Ensamblaje final del vehículo en los Estados Unidos",
		"yes":              "Sí",
		"no":               "No",
		"none":             "Ninguna",
		"withdrawn":        "Esta declaración corregida reemplaza la que le enviamos antes para %d: el préstamo no califica para ese año, así que no declaramos intereses.",
		"replaces":         "Esta declaración corregida reemplaza la que le enviamos antes para %d.",
		"note_heading":     "Sobre esta declaración",
		"note_decision":    "Esta declaración informa los intereses que nos pagó por este préstamo en %d. No es una decisión sobre si puede deducirlos: eso le corresponde a usted y a su asesor fiscal según la ley tributaria.",
		"note_limit":       "La ley limita la deducción de intereses de préstamos para vehículos de pasajeros calificados a %s al año, y la reduce cuando su ingreso bruto ajustado modificado supera $100,000 ($200,000 en una declaración conjunta). Los arrendamientos no califican.",
		"note_irs":         "Enviamos esta información al IRS (26 USC 6050AA).",
		"note_irs_2025":    "Para 2025 el IRS no pide a los prestamistas presentar esta declaración (Aviso 2025-57): guárdela con sus documentos de impuestos.",
		"summary_title":    "Resumen anual de intereses",
		"summary_year":     "Pagos del año calendario %d",
		"vehicle":          "Vehículo",
		"vin":              "VIN",
		"paid":             "Pagos recibidos",
		"to_interest":      "Aplicado a intereses",
		"to_principal":     "Aplicado a capital",
		"to_lease":         "Aplicado a pagos del arrendamiento",
		"to_fees":          "Aplicado a cargos",
		"summary_loan":     "Los intereses pagados son lo que sus pagos con fecha en %d aplicaron a intereses, descontado cualquier pago devuelto. Este resumen no es un formulario de impuestos: si su préstamo califica, también recibe el Formulario 1098-VLI.",
		"summary_lease":    "Un arrendamiento no cobra intereses: el cargo de renta es parte de cada pago mensual. Los arrendamientos no califican para la deducción de intereses de préstamos de vehículos.",
		"customer_service": "Servicio al cliente",
	},
}

func text(lang, key string, args ...any) string {
	s, ok := statementTexts[lang][key]
	if !ok {
		panic("tax: no statement text " + key) // a programming error: TestStatementTexts covers every key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Borrower is whom a statement is addressed to.
type Borrower struct {
	Name                       string
	AddressLine1, AddressLine2 string
	City, State, ZIP           string
	TINLast4                   string // shown masked
}

// Page geometry (US Letter, millimetres).
const (
	pageMargin   = 18.0
	labelW       = 120.0
	valueW       = 60.0
	lineH        = 5.6
	bodyFontSize = 10
)

// page starts a one-page PDF with the lender's letterhead, a title and
// the addressee; the caller adds the figures and calls finish.
type page struct {
	pdf  *fpdf.Fpdf
	lang string
}

func newPage(l Lender, lang, title, subtitle string, at time.Time, b Borrower) *page {
	pdf := fpdf.New("P", "mm", "Letter", "")
	pdf.SetCreationDate(at)
	pdf.SetModificationDate(at)
	pdf.SetCatalogSort(true) // the same statement renders the same bytes
	pdf.SetTitle(title+" "+subtitle, true)
	pdf.SetAuthor(l.Name, true)
	pdf.SetProducer("carfin", false)
	pdf.SetLang(lang)
	pdf.SetMargins(pageMargin, pageMargin, pageMargin)
	pdf.SetAutoPageBreak(true, 12)
	pdf.AddPage()
	tr := cp1252.Text
	pdf.SetFont("Helvetica", "B", 15)
	pdf.CellFormat(0, 8, tr(l.Name), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 9)
	head := append([]string{}, l.Address...)
	if l.Phone != "" {
		head = append(head, l.Phone)
	}
	pdf.CellFormat(0, 4.5, tr(strings.Join(head, "  ·  ")), "B", 1, "L", false, 0, "")
	pdf.Ln(4)
	pdf.SetFont("Helvetica", "B", 13)
	pdf.CellFormat(0, 7, tr(title), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", bodyFontSize)
	pdf.CellFormat(0, 5, tr(subtitle), "", 1, "L", false, 0, "")
	pdf.Ln(3)
	lines := []string{b.Name, b.AddressLine1}
	if b.AddressLine2 != "" {
		lines = append(lines, b.AddressLine2)
	}
	lines = append(lines, b.City+", "+b.State+" "+b.ZIP)
	for _, line := range lines {
		pdf.CellFormat(0, 5, tr(line), "", 1, "L", false, 0, "")
	}
	pdf.Ln(3)
	return &page{pdf: pdf, lang: lang}
}

func (p *page) row(label, value string, bold bool) {
	style := ""
	if bold {
		style = "B"
	}
	p.pdf.SetFont("Helvetica", style, bodyFontSize)
	tr := cp1252.Text
	x, y := p.pdf.GetXY()
	p.pdf.MultiCell(labelW, lineH, tr(label), "B", "L", false)
	bottom := p.pdf.GetY()
	p.pdf.SetXY(x+labelW, y)
	p.pdf.CellFormat(valueW, bottom-y, tr(value), "B", 1, "R", false, 0, "")
	p.pdf.SetXY(x, bottom)
}

func (p *page) heading(s string) {
	p.pdf.Ln(3)
	p.pdf.SetFont("Helvetica", "B", 11)
	p.pdf.CellFormat(labelW+valueW, 6, cp1252.Text(s), "", 1, "L", false, 0, "")
}

func (p *page) note(s string) {
	p.pdf.SetFont("Helvetica", "", 9.5)
	p.pdf.MultiCell(labelW+valueW, 4.8, cp1252.Text(s), "", "L", false)
	p.pdf.Ln(1)
}

func (p *page) finish(l Lender, what string) ([]byte, error) {
	p.pdf.Ln(4)
	p.pdf.SetFont("Helvetica", "", 9)
	p.pdf.CellFormat(0, 5, cp1252.Text(l.Name+" · "+text(p.lang, "customer_service")+" "+l.Phone), "", 1, "L", false, 0, "")
	var b bytes.Buffer
	if err := p.pdf.Output(&b); err != nil {
		return nil, fmt.Errorf("render %s: %w", what, err)
	}
	return b.Bytes(), nil
}

// RenderStatement renders a return's borrower statement (Form 1098-VLI,
// copy B) as a one-page PDF in lang ("en" or "es"; others read English):
// the lender with its taxpayer id, the borrower with theirs masked, the
// account, every box, the CORRECTED mark on a correction, and the plain
// notes: the form is not a decision on the deduction, the deduction's
// limits, and that leases do not qualify. Core Helvetica, text in cp1252.
func RenderStatement(l Lender, b Borrower, r Return, lang string, at time.Time) ([]byte, error) {
	lang = notify.Lang(lang)
	T := func(key string, args ...any) string { return text(lang, key, args...) }
	amount := func(c money.Cents) string { return locale.Money(lang, c) }
	yesNo := func(v bool) string {
		if v {
			return T("yes")
		}
		return T("no")
	}
	date := func(d calendar.Date) string {
		if d == 0 {
			return T("none")
		}
		return locale.Date(lang, d)
	}
	subtitle := T("form", r.Year)
	if r.Corrected {
		subtitle = T("corrected") + " · " + subtitle
	}
	p := newPage(l, lang, T("title"), subtitle, at, b)
	pdf := p.pdf
	if r.Corrected {
		pdf.SetFont("Helvetica", "B", 12)
		pdf.SetTextColor(160, 0, 0)
		pdf.CellFormat(0, 7, T("corrected"), "1", 1, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
		pdf.Ln(2)
		if r.Eligible {
			p.note(T("replaces", r.Year))
		} else {
			p.note(T("withdrawn", r.Year))
		}
	}
	p.row(T("copy_b"), "", true)
	p.row(T("lender"), l.Name, false)
	if l.TIN != "" {
		p.row(T("lender_tin"), l.TIN[:2]+"-"+l.TIN[2:], false)
	}
	p.row(T("borrower"), b.Name, false)
	if b.TINLast4 != "" {
		p.row(T("borrower_tin"), MaskTIN(b.TINLast4), false)
	}
	p.row(T("account"), r.AccountNumber, false)
	p.pdf.Ln(2)
	p.row(T("box1"), amount(r.Box1InterestCents), true)
	p.row(T("box2a"), fmt.Sprint(r.VehicleYear), false)
	p.row(T("box2b"), r.Make, false)
	p.row(T("box2c"), r.Model, false)
	p.row(T("box2d"), r.VIN, false)
	p.row(T("box3a"), date(r.OriginationDate), false)
	p.row(T("box3b"), date(r.AcquisitionDate), false)
	p.row(T("box4"), amount(r.Box4PrincipalCents), false)
	p.row(T("box5"), amount(r.Box5RefundCents), false)
	p.row(T("box6"), yesNo(r.OriginalUse), false)
	p.row(T("box7"), yesNo(r.USFinalAssembly), false)
	p.heading(T("note_heading"))
	p.note(T("note_decision", r.Year))
	p.note(T("note_limit", locale.Money(lang, DeductionLimitCents)))
	if r.Year == FirstTaxYear {
		p.note(T("note_irs_2025"))
	} else {
		p.note(T("note_irs"))
	}
	return p.finish(l, fmt.Sprintf("1098-VLI of contract %d for %d", r.ContractID, r.Year))
}

// Summary is what a year-end interest summary shows of a contract.
type Summary struct {
	ContractID    int64
	Kind          servicing.Kind
	AccountNumber string
	Year          int
	VehicleYear   int
	Make, Model   string
	VIN           string
	Totals        YearTotals
}

// RenderSummary renders a contract's year-end interest-paid summary as a
// one-page PDF in lang: the payments with an effective date in the year
// and what they paid to interest, principal (leases: lease payments) and
// fees, with a note that it is not a tax form (loans) or that a lease
// charges no interest.
func RenderSummary(l Lender, b Borrower, s Summary, lang string, at time.Time) ([]byte, error) {
	lang = notify.Lang(lang)
	T := func(key string, args ...any) string { return text(lang, key, args...) }
	amount := func(c money.Cents) string { return locale.Money(lang, c) }
	p := newPage(l, lang, T("summary_title")+" "+fmt.Sprint(s.Year), T("summary_year", s.Year), at, b)
	p.row(T("account"), s.AccountNumber, false)
	p.row(T("vehicle"), fmt.Sprintf("%d %s %s", s.VehicleYear, s.Make, s.Model), false)
	p.row(T("vin"), s.VIN, false)
	p.pdf.Ln(2)
	p.row(T("paid"), amount(s.Totals.PaidCents), true)
	lease := s.Kind == servicing.KindLease
	if !lease {
		p.row(T("to_interest"), amount(s.Totals.InterestCents), true)
		p.row(T("to_principal"), amount(s.Totals.PrincipalCents), false)
	} else {
		p.row(T("to_lease"), amount(s.Totals.PrincipalCents), false)
	}
	p.row(T("to_fees"), amount(s.Totals.FeesCents), false)
	p.pdf.Ln(2)
	if lease {
		p.note(T("summary_lease"))
	} else {
		p.note(T("summary_loan", s.Year))
	}
	return p.finish(l, fmt.Sprintf("interest summary of contract %d for %d", s.ContractID, s.Year))
}
