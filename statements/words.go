package statements

import (
	"fmt"

	"carfin/servicing"
)

// words are the statement's words in each language, one map per language
// with the same keys (TestWords holds them equal). Amounts, dates and rates
// are formatted by package locale and passed in as %s.
//
// The Spanish is the Spanish of US consumer finance (the CFPB's Spanish
// materials): "estado de cuenta", "cargo por pago tardío", "agencias de
// informes de crédito".
var words = map[string]map[string]string{
	"en": {
		"title":               "Monthly statement",
		"statement_date":      "Statement date",
		"period":              "Statement period",
		"account":             "Account",
		"vehicle":             "%d %s %s · VIN ending %s",
		"hours":               "Hours: %s",
		"continued":           "(continued)",
		"page":                "Page %d of %s",
		"amount_due":          "Amount due",
		"due_date":            "Payment due date",
		"installment":         "Current installment",
		"past_due":            "Past-due amount",
		"fees_due":            "Unpaid fees",
		"total_due":           "Total amount due",
		"late_fee":            "If %s is not received by %s, a late charge of %s will be assessed.",
		"autopay":             "Autopay will debit %s on %s from %s.",
		"autopay_once":        "You do not need to send a payment: paying this amount yourself as well would pay it twice.",
		"paid_ahead":          "You have paid %s ahead, toward installments not yet due.",
		"closed":              "Account closed",
		"status.closed":       "Balance: $0.00",
		"status.charged_off":  "Charged off: no further statements",
		"closed_paid":         "This account is closed. Balance: %s. Thank you for your business.",
		"closed_charged_off":  "This account has been charged off: we have written the balance off as a loss in our books, and you will not receive further monthly statements. A charge-off does not cancel the debt; the balance is still owed. Call us at %s to discuss it.",
		"activity":            "Activity since your last statement",
		"col.date":            "Date",
		"col.description":     "Description",
		"col.amount":          "Amount",
		"col.interest":        "Interest",
		"col.principal":       "Principal",
		"col.billed":          "Payments",
		"col.fees":            "Fees",
		"no_activity":         "No activity this period.",
		"opening.loan":        "Principal balance on %s",
		"closing.loan":        "Principal balance on %s",
		"opening.lease":       "Billed and unpaid on %s",
		"closing.lease":       "Billed and unpaid on %s",
		"activity_note":       "Amounts you paid are positive; charges to your account are negative.",
		"line.payment":        "Payment",
		"line.payment_n":      "Payment, installment %d",
		"line.payoff":         "Payoff payment",
		"line.returned":       "Returned payment",
		"line.late_fee":       "Late charge",
		"line.nsf_fee":        "Returned-payment fee",
		"line.fee_waiver":     "Fee waived (credit)",
		"line.adjustment":     "Adjustment to your account",
		"line.lease_charge":   "Monthly lease payment billed",
		"line.lease_charge_n": "Lease payment %d billed",
		"line.charge_off":     "Balance charged off",
		"line.turn_in":        "Vehicle turned in",
		"line.correction":     "Correction (reversal of an entry)",
		"line.funded":         "Contract funded",
		"ytd":                 "Year to date (%d)",
		"ytd.paid":            "Total paid",
		"ytd.interest":        "Interest paid",
		"ytd.principal":       "Principal paid",
		"ytd.billed":          "Applied to lease payments",
		"ytd.fees":            "Fees paid",
		"acct":                "Your account on %s",
		"acct.principal":      "Principal balance",
		"acct.apr":            "Annual percentage rate",
		"acct.payoff":         "Payoff amount",
		"acct.per_diem":       "Interest per day (per diem)",
		"acct.payments_left":  "Payments left",
		"acct.maturity":       "Final payment due",
		"acct.lease_end":      "Lease ends",
		"acct.paid_ahead":     "Paid ahead",

		"acct.purchase":    "Purchase-option price",
		"acct.miles":       "Mileage allowance",
		"acct.miles_n":     "%s miles",
		"acct.disposition": "Disposition fee",
		"acct.payoff_note": "The payoff amount is good on the statement date only; ask us for a quote for another date.",
		"dq.title":         "Delinquency notice",
		"dq.since":         "Your account has been past due since %s (%d days).",
		"dq.to_current":    "To bring your account current, pay %s.",
		"dq.next":          "If you do not bring your account current: further late charges may be assessed; we may report the late payments to the credit bureaus, which can harm your credit; and if the default continues, the vehicle may be repossessed as your contract and the law allow.",
		"dq.help":          "If you are having trouble paying, call us at %s (%s). Ask about payment options such as a due-date change or an extension; we would rather help than repossess.",
		"notices":          "Important information",
		"waterfall":        "How we apply your payments, in this order: %s.",

		"bucket.interest":      "interest accrued and unpaid",
		"bucket.principal_due": "principal of installments due",
		"bucket.fees":          "late and returned-payment fees",
		"bucket.principal":     "remaining principal",
		"bucket.billed":        "billed lease payments",
		"bucket.prepaid":       "credit toward future lease payments",
		"disputes":             "Errors and disputes: if you think this statement is wrong, or that information we reported to a credit bureau is inaccurate, write to us at %s. Give your name, your account number and what you believe is wrong.",
		"credit_report":        "We may report information about your account to credit bureaus. Late payments, missed payments, or other defaults on your account may be reflected in your credit report.",
		"coupon.detach":        "Detach and return with your payment",
		"coupon.title":         "Payment coupon",
		"coupon.account":       "Account number",
		"coupon.customer":      "Customer",
		"coupon.enclosed":      "Amount enclosed",
		"coupon.send_to":       "Send your payment to:",
		"coupon.payable":       "Make your check payable to %s. Write your account number on it. Do not send cash.",
		"coupon.online":        "Pay online: %s",
	},
	"es": {
		"title":               "Estado de cuenta mensual",
		"statement_date":      "Fecha del estado de cuenta",
		"period":              "Período",
		"account":             "Cuenta",
		"vehicle":             "%d %s %s · VIN que termina en %s",
		"hours":               "Horario: %s",
		"continued":           "(continuación)",
		"page":                "Página %d de %s",
		"amount_due":          "Monto a pagar",
		"due_date":            "Fecha de vencimiento",
		"installment":         "Cuota actual",
		"past_due":            "Monto vencido",
		"fees_due":            "Cargos no pagados",
		"total_due":           "Monto total a pagar",
		"late_fee":            "Si no recibimos %s a más tardar el %s, se cobrará un cargo por pago tardío de %s.",
		"autopay":             "El pago automático debitará %s el %s de su cuenta %s.",
		"autopay_once":        "No necesita enviar un pago: si además paga este monto usted mismo, lo pagaría dos veces.",
		"paid_ahead":          "Ha pagado %s por adelantado, para cuotas que aún no vencen.",
		"closed":              "Cuenta cerrada",
		"status.closed":       "Saldo: $0.00",
		"status.charged_off":  "Cancelada como pérdida: no habrá más estados de cuenta",
		"closed_paid":         "Esta cuenta está cerrada. Saldo: %s. Gracias por su preferencia.",
		"closed_charged_off":  "Esta cuenta fue cancelada como pérdida (castigada) en nuestros libros y no recibirá más estados de cuenta mensuales. Esto no cancela la deuda: el saldo se sigue adeudando. Llámenos al %s para hablar de ello.",
		"activity":            "Movimientos desde su último estado de cuenta",
		"col.date":            "Fecha",
		"col.description":     "Descripción",
		"col.amount":          "Monto",
		"col.interest":        "Intereses",
		"col.principal":       "Capital",
		"col.billed":          "Pagos",
		"col.fees":            "Cargos",
		"no_activity":         "No hubo movimientos en este período.",
		"opening.loan":        "Saldo de capital al %s",
		"closing.loan":        "Saldo de capital al %s",
		"opening.lease":       "Facturado y sin pagar al %s",
		"closing.lease":       "Facturado y sin pagar al %s",
		"activity_note":       "Los montos que usted pagó son positivos; los cargos a su cuenta son negativos.",
		"line.payment":        "Pago",
		"line.payment_n":      "Pago, cuota %d",
		"line.payoff":         "Pago de liquidación",
		"line.returned":       "Pago devuelto",
		"line.late_fee":       "Cargo por pago tardío",
		"line.nsf_fee":        "Cargo por pago devuelto",
		"line.fee_waiver":     "Cargo condonado (crédito)",
		"line.adjustment":     "Ajuste a su cuenta",
		"line.lease_charge":   "Pago mensual de arrendamiento facturado",
		"line.lease_charge_n": "Pago de arrendamiento %d facturado",
		"line.charge_off":     "Saldo cancelado como pérdida",
		"line.turn_in":        "Vehículo devuelto",
		"line.correction":     "Corrección (reversión de un movimiento)",
		"line.funded":         "Contrato financiado",
		"ytd":                 "En lo que va del año (%d)",
		"ytd.paid":            "Total pagado",
		"ytd.interest":        "Intereses pagados",
		"ytd.principal":       "Capital pagado",
		"ytd.billed":          "Aplicado a pagos de arrendamiento",
		"ytd.fees":            "Cargos pagados",
		"acct":                "Su cuenta al %s",
		"acct.principal":      "Saldo de capital",
		"acct.apr":            "Tasa de porcentaje anual",
		"acct.payoff":         "Monto de liquidación",
		"acct.per_diem":       "Interés diario",
		"acct.payments_left":  "Pagos restantes",
		"acct.maturity":       "Vencimiento del último pago",
		"acct.lease_end":      "El arrendamiento termina",
		"acct.paid_ahead":     "Pagado por adelantado",

		"acct.purchase":    "Precio de la opción de compra",
		"acct.miles":       "Millas permitidas",
		"acct.miles_n":     "%s millas",
		"acct.disposition": "Cargo por disposición",
		"acct.payoff_note": "El monto de liquidación vale solo en la fecha del estado de cuenta; para otra fecha, pida una cotización.",
		"dq.title":         "Aviso de morosidad",
		"dq.since":         "Su cuenta tiene pagos vencidos desde el %s (%d días).",
		"dq.to_current":    "Para poner su cuenta al día, pague %s.",
		"dq.next":          "Si no pone su cuenta al día: se pueden cobrar más cargos por pago tardío; podemos reportar los pagos atrasados a las agencias de informes de crédito, lo que puede perjudicar su crédito; y, si el incumplimiento continúa, el vehículo puede ser recuperado (embargado) según lo permitan su contrato y la ley.",
		"dq.help":          "Si tiene dificultades para pagar, llámenos al %s (%s). Pregunte por las opciones de pago, como un cambio de la fecha de vencimiento o una prórroga; preferimos ayudarle antes que recuperar el vehículo.",
		"notices":          "Información importante",
		"waterfall":        "Cómo aplicamos sus pagos, en este orden: %s.",

		"bucket.interest":      "intereses acumulados no pagados",
		"bucket.principal_due": "capital de las cuotas vencidas",
		"bucket.fees":          "cargos por pago tardío y por pago devuelto",
		"bucket.principal":     "capital restante",
		"bucket.billed":        "pagos de arrendamiento facturados",
		"bucket.prepaid":       "crédito para pagos de arrendamiento futuros",
		"disputes":             "Errores y disputas: si cree que este estado de cuenta tiene un error, o que la información que reportamos a una agencia de informes de crédito es inexacta, escríbanos a %s. Indique su nombre, su número de cuenta y lo que considera incorrecto.",
		"credit_report":        "Podemos reportar información sobre su cuenta a las agencias de informes de crédito. Los pagos atrasados, los pagos no realizados u otros incumplimientos en su cuenta pueden reflejarse en su informe de crédito.",
		"coupon.detach":        "Desprenda esta parte y devuélvala con su pago",
		"coupon.title":         "Cupón de pago",
		"coupon.account":       "Número de cuenta",
		"coupon.customer":      "Cliente",
		"coupon.enclosed":      "Monto adjunto",
		"coupon.send_to":       "Envíe su pago a:",
		"coupon.payable":       "Haga su cheque a nombre de %s y anote en él su número de cuenta. No envíe efectivo.",
		"coupon.online":        "Pague en línea: %s",
	},
}

// lineKeys names each activity line type's words. Every LineType has one
// (TestWords).
var lineKeys = map[LineType]string{
	LinePayment:         "line.payment",
	LinePayoff:          "line.payoff",
	LineReturnedPayment: "line.returned",
	LineLateFee:         "line.late_fee",
	LineNSFFee:          "line.nsf_fee",
	LineFeeWaiver:       "line.fee_waiver",
	LineAdjustment:      "line.adjustment",
	LineLeaseCharge:     "line.lease_charge",
	LineChargeOff:       "line.charge_off",
	LineTurnIn:          "line.turn_in",
	LineCorrection:      "line.correction",
	LineFunded:          "line.funded",
}

// bucketKeys names each waterfall bucket's words.
var bucketKeys = map[servicing.Bucket]string{
	servicing.BucketInterest:     "bucket.interest",
	servicing.BucketPrincipalDue: "bucket.principal_due",
	servicing.BucketFees:         "bucket.fees",
	servicing.BucketPrincipal:    "bucket.principal",
	servicing.BucketBilled:       "bucket.billed",
	servicing.BucketPrepaid:      "bucket.prepaid",
}

// langOf returns lang if the statements speak it, else English.
func langOf(lang string) string {
	if _, ok := words[lang]; ok {
		return lang
	}
	return "en"
}

// word returns the words of key in lang with args formatted in. A
// missing key is a programming error (TestWords covers every key), so it
// panics.
func word(lang, key string, args ...any) string {
	s, ok := words[langOf(lang)][key]
	if !ok {
		panic("statements: no words for " + key)
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}
