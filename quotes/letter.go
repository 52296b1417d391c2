package quotes

import (
	"fmt"

	"codeberg.org/go-pdf/fpdf"

	"carfin/locale"
	"carfin/money"
	"carfin/servicing"
)

// letterTexts are the letters' words in each language. Amounts and dates
// are formatted by locale.
var letterTexts = map[string]map[string]string{
	"en": {
		"title.payoff":     "Payoff letter",
		"title.lease_end":  "Lease-end quote",
		"quote_number":     "Quote number",
		"date":             "Date",
		"account":          "Account number",
		"vehicle":          "Vehicle",
		"vin":              "VIN",
		"good_through":     "Payoff amount good through %s",
		"principal":        "Principal",
		"lease_balance":    "Lease balance",
		"lease_balance_is": "The lease balance is the adjusted capitalized cost less the depreciation in the monthly payments billed so far.",
		"interest":         "Interest to %s",
		"fees":             "Fees",
		"billed":           "Lease payments billed and unpaid",
		"credit":           "Credit on the account",
		"total":            "Total payoff amount",
		"per_diem":         "If your payment arrives after %s, add %s for each additional day (per diem).",
		"per_diem_none":    "This amount does not change from day to day until %s.",
		"how_to_pay":       "How to pay",
		"wire":             "By wire transfer",
		"mail":             "By mail (overnight or certified mail recommended)",
		"call":             "Call us at %s for wiring and mailing instructions.",
		"reference":        "Put the quote number %s and your account number on your payment.",
		"scheduled":        "Payments already scheduled on your account by %[1]s: %[2]s. The payoff amount above does not count them. Once they are collected, at most %[3]s is left to pay, and any overpayment is refunded. Payments scheduled after %[1]s are not collected once the account is paid off.",
		"payoff_note":      "This quote assumes no other payment is made or returned before the good-through date. A payment returned after this quote was issued increases the amount owed. When the contract is paid in full, we release our lien on the vehicle's title.",
		"lease_pay_note":   "This quote assumes no other payment is made or returned before the good-through date. A payment returned after this quote was issued increases the amount owed. Paying off the lease buys the vehicle: sales tax and registration fees may apply, and when it is paid in full we transfer the vehicle's title to you.",
		"lease_ends":       "Lease ends",
		"odometer":         "Odometer reading you gave us",
		"odometer_start":   "Odometer at signing",
		"miles_driven":     "Miles driven since signing",
		"allowance":        "Mileage allowance for the lease",
		"excess_miles":     "Miles over the allowance",
		"miles":            "%s miles",
		"buy":              "Buy the vehicle",
		"purchase_option":  "Purchase option price",
		"purchase_fee":     "Purchase fee",
		"unpaid":           "Payments and fees still owed",
		"purchase_total":   "Total to buy the vehicle",
		"turn_in":          "Turn the vehicle in",
		"disposition_fee":  "Disposition fee",
		"excess_charge":    "Excess mileage charge",
		"turn_in_total":    "Estimated total at turn-in",
		"lease_end_note":   "This is an estimate for the odometer reading you gave us. Excess wear and use is assessed when the vehicle is inspected at turn-in, and taxes and registration fees may apply to a purchase.",
		"greeting":         "Dear %s,",
		"payoff_intro":     "Here is the amount that pays off your account, as you asked.",
		"lease_end_intro":  "Here is what ending your lease would cost, either way, as you asked.",
		"sincerely":        "Sincerely,",
		"customer_service": "Customer service",
	},
	"es": {
		"title.payoff":     "Carta de liquidación",
		"title.lease_end":  "Cotización de fin de arrendamiento",
		"quote_number":     "Número de cotización",
		"date":             "Fecha",
		"account":          "Número de cuenta",
		"vehicle":          "Vehículo",
		"vin":              "VIN",
		"good_through":     "Monto de liquidación válido hasta el %s",
		"principal":        "Capital",
		"lease_balance":    "Saldo del arrendamiento",
		"lease_balance_is": "El saldo del arrendamiento es el costo capitalizado ajustado menos la depreciación de los pagos mensuales facturados hasta ahora.",
		"interest":         "Intereses hasta el %s",
		"fees":             "Cargos",
		"billed":           "Pagos de arrendamiento facturados y sin pagar",
		"credit":           "Saldo a favor en la cuenta",
		"total":            "Monto total de liquidación",
		"per_diem":         "Si su pago llega después del %s, sume %s por cada día adicional (interés diario).",
		"per_diem_none":    "Este monto no cambia de un día a otro hasta el %s.",
		"how_to_pay":       "Cómo pagar",
		"wire":             "Por transferencia bancaria",
		"mail":             "Por correo (recomendamos correo urgente o certificado)",
		"call":             "Llámenos al %s para recibir las instrucciones de transferencia y de envío por correo.",
		"reference":        "Anote el número de cotización %s y su número de cuenta en su pago.",
		"scheduled":        "Pagos ya programados en su cuenta hasta el %[1]s: %[2]s. El monto de liquidación de arriba no los cuenta. Una vez cobrados, queda por pagar como máximo %[3]s, y cualquier pago en exceso se reembolsa. Los pagos programados después del %[1]s no se cobran una vez liquidada la cuenta.",
		"payoff_note":      "Esta cotización supone que no se hace ni se devuelve ningún otro pago antes de la fecha de validez. Un pago devuelto después de emitir esta cotización aumenta el monto adeudado. Cuando el contrato quede pagado por completo, liberaremos el gravamen sobre el título del vehículo.",
		"lease_pay_note":   "Esta cotización supone que no se hace ni se devuelve ningún otro pago antes de la fecha de validez. Un pago devuelto después de emitir esta cotización aumenta el monto adeudado. Liquidar el arrendamiento es comprar el vehículo: pueden aplicarse impuestos sobre la venta y cargos de registro, y cuando quede pagado por completo le transferiremos el título del vehículo.",
		"lease_ends":       "El arrendamiento termina",
		"odometer":         "Lectura del odómetro que nos indicó",
		"odometer_start":   "Odómetro al firmar",
		"miles_driven":     "Millas recorridas desde la firma",
		"allowance":        "Millas permitidas en el arrendamiento",
		"excess_miles":     "Millas por encima de lo permitido",
		"miles":            "%s millas",
		"buy":              "Comprar el vehículo",
		"purchase_option":  "Precio de la opción de compra",
		"purchase_fee":     "Cargo por compra",
		"unpaid":           "Pagos y cargos pendientes",
		"purchase_total":   "Total para comprar el vehículo",
		"turn_in":          "Devolver el vehículo",
		"disposition_fee":  "Cargo por disposición",
		"excess_charge":    "Cargo por millaje excedente",
		"turn_in_total":    "Total estimado al devolverlo",
		"lease_end_note":   "Esto es un cálculo estimado para la lectura del odómetro que nos indicó. El desgaste excesivo se evalúa al inspeccionar el vehículo cuando lo devuelva, y una compra puede llevar impuestos y cargos de registro.",
		"greeting":         "Estimado(a) %s:",
		"payoff_intro":     "Este es el monto que liquida su cuenta, como lo solicitó.",
		"lease_end_intro":  "Esto es lo que costaría terminar su arrendamiento, de una u otra forma, como lo solicitó.",
		"sincerely":        "Atentamente,",
		"customer_service": "Servicio al cliente",
	},
}

func letterText(lang, key string, args ...any) string {
	s, ok := letterTexts[langOf(lang)][key]
	if !ok {
		panic("quotes: no letter text " + key) // a programming error: TestLetterTexts covers every key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Page geometry of the letters (US Letter, millimetres).
const (
	letterMargin   = 18.0
	letterLabelW   = 95.0
	letterAmountW  = 45.0
	letterLineH    = 5.0
	letterFontSize = 10.5
)

// RenderLetter renders a quote's letter as a one-page PDF in the quote's
// language: the lender's letterhead, the quote number and date, the
// customer's name and address, the account, vehicle and VIN, the figures,
// and for payoffs the per diem after the good-through date and the wiring
// and mailing instructions. It uses core PDF fonts (Helvetica, not
// embedded, text in cp1252 so that Spanish accents print), so a letter is
// a few kilobytes and renders in about a millisecond.
func RenderLetter(cfg Config, a servicing.Addressee, q Quote) ([]byte, error) {
	lang := langOf(q.Lang)
	T := func(key string, args ...any) string { return letterText(lang, key, args...) }
	amount := func(c money.Cents) string { return locale.Money(lang, c) }
	w := startLetter(cfg, T("title."+string(q.Kind)), T("quote_number"), q.Number, T("date")+": "+locale.LongDate(lang, q.QuotedOn), q.CreatedAt)
	pdf, tr := w.pdf, w.tr

	// Addressee.
	lines := []string{a.FirstName + " " + a.LastName, a.AddressLine1}
	if a.AddressLine2 != "" {
		lines = append(lines, a.AddressLine2)
	}
	lines = append(lines, a.City+", "+a.State+" "+a.ZIP)
	w.lines(lines)
	pdf.Ln(3)
	row, facts, section, note := w.row, w.facts, w.section, w.note
	facts(T("account"), a.AccountNumber)
	facts(T("vehicle"), fmt.Sprintf("%d %s %s", a.VehicleYear, a.Make, a.Model))
	facts(T("vin"), a.VIN)
	if q.Kind == KindLeaseEnd {
		facts(T("lease_ends"), locale.LongDate(lang, a.MaturityDate))
	}
	pdf.Ln(2)
	w.paragraph(T("greeting", a.FirstName+" "+a.LastName))
	pdf.Ln(1)

	switch q.Kind {
	case KindPayoff:
		note(T("payoff_intro"))
		w.payoffFigures(T, lang, a, q)
		lease := a.Kind == servicing.KindLease
		if lease {
			note(T("lease_balance_is"))
		}
		if q.ScheduledCents > 0 {
			note(T("scheduled", locale.LongDate(lang, q.GoodThrough), amount(q.ScheduledCents), amount(q.LeftCents())))
		}
		section(T("how_to_pay"))
		instructions(pdf, tr, cfg, T, q)
		pdf.Ln(2)
		if lease {
			note(T("lease_pay_note"))
		} else {
			note(T("payoff_note"))
		}
	case KindLeaseEnd:
		note(T("lease_end_intro"))
		pdf.Ln(1)
		row(T("odometer"), T("miles", locale.Number(lang, q.Odometer)), false)
		row(T("odometer_start"), T("miles", locale.Number(lang, a.OdometerStart)), false)
		row(T("miles_driven"), T("miles", locale.Number(lang, q.Odometer-a.OdometerStart)), false)
		row(T("allowance"), T("miles", locale.Number(lang, a.MileageAllowance)), false)
		row(T("excess_miles"), T("miles", locale.Number(lang, q.ExcessMiles)), false)
		section(T("buy"))
		row(T("purchase_option"), amount(q.PurchaseOptionCents), false)
		row(T("purchase_fee"), amount(q.PurchaseFeeCents), false)
		row(T("unpaid"), amount(q.UnpaidCents), false)
		row(T("purchase_total"), amount(q.PurchaseCents), true)
		section(T("turn_in"))
		row(T("disposition_fee"), amount(q.DispositionFeeCents), false)
		row(T("excess_charge"), amount(q.ExcessMileageCents), false)
		row(T("unpaid"), amount(q.UnpaidCents), false)
		row(T("turn_in_total"), amount(q.TurnInCents), true)
		pdf.Ln(2)
		note(T("lease_end_note"))
		section(T("how_to_pay"))
		instructions(pdf, tr, cfg, T, q)
	}
	w.signature(cfg, T("sincerely"), T("customer_service"))
	return w.output(q.Number)
}

// instructions prints the wiring and mailing instructions, or asks the
// customer to call when the lender configured none.
func instructions(pdf *fpdf.Fpdf, tr func(string) string, cfg Config, T func(string, ...any) string, q Quote) {
	// Wire and mail side by side: a column each, from one top. A page
	// break inside a column would part them, so when they do not fit in
	// what is left of the page (a long name or address pushed them down)
	// they start on the next.
	const colW = 82.0
	need := 0.0
	for _, b := range []struct {
		title string
		lines []string
	}{{T("wire"), cfg.Wire}, {T("mail"), cfg.Mail}} {
		if len(b.lines) == 0 {
			continue
		}
		pdf.SetFont("Helvetica", "B", letterFontSize)
		h := float64(len(pdf.SplitText(tr(b.title), colW))) * letterLineH
		pdf.SetFont("Helvetica", "", letterFontSize)
		for _, l := range b.lines {
			h += float64(len(pdf.SplitText(tr(l), colW))) * 4.8
		}
		need = max(need, h)
	}
	_, pageH := pdf.GetPageSize()
	if _, margin := pdf.GetAutoPageBreak(); pdf.GetY()+need > pageH-margin {
		pdf.AddPage()
	}
	top := pdf.GetY()
	bottom := top
	col := 0
	block := func(title string, lines []string) {
		x := letterMargin + float64(col)*(colW+6)
		pdf.SetXY(x, top)
		pdf.SetFont("Helvetica", "B", letterFontSize)
		pdf.MultiCell(colW, letterLineH, tr(title), "", "L", false)
		pdf.SetFont("Helvetica", "", letterFontSize)
		for _, l := range lines {
			pdf.SetX(x)
			pdf.MultiCell(colW, 4.8, tr(l), "", "L", false)
		}
		bottom = max(bottom, pdf.GetY())
		col++
	}
	if len(cfg.Wire) > 0 {
		block(T("wire"), cfg.Wire)
	}
	if len(cfg.Mail) > 0 {
		block(T("mail"), cfg.Mail)
	}
	pdf.SetXY(letterMargin, bottom+1.5)
	pdf.SetFont("Helvetica", "", 9.5)
	if len(cfg.Wire) == 0 && len(cfg.Mail) == 0 {
		pdf.MultiCell(0, 4.8, tr(T("call", cfg.Letterhead.Phone)), "", "L", false)
	}
	pdf.MultiCell(0, 4.8, tr(T("reference", q.Number)), "", "L", false)
}
