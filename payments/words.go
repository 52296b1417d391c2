package payments

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"carfin/notify"
	"carfin/payments/ach"
)

// messages are the emails and texts payments sends, and the phrases they
// and the receipt are made of, in each language (notify.Catalog: an
// email's subject, a blank line, then its body; data is a msg). The
// Spanish follows the portal's (web/locales/payments.es.json): cuota,
// pago automático, método de pago, número de confirmación.
var messages = notify.NewCatalog(withReturnTexts(map[string]map[string]string{
	"en": {
		"greeting": "Hello{{if .Name}} {{.Name}}{{end}},\n\n",

		"payment_method.added": "A payment method was added to your account\n\n{{.Method}} was added to your account as a payment method." +
			"{{if .Micro}}\n\nTo confirm the account, we will make two small deposits (under $1.00 each) in the next business days. " +
			"When you see them on your bank statement, enter the two amounts in the portal." +
			"{{else if .Prenote}}\n\nWe will confirm the account with your bank; you can pay from it in about three business days.{{end}}" +
			"\n\nIf you did not add it, contact us right away.",
		"payment_method.removed": "A payment method was removed from your account\n\n{{.Method}} was removed from your payment methods." +
			"\n\nIf you did not remove it, contact us right away.",
		"payment.scheduled": "Payment {{.Confirmation}}: {{money .Amount}} on {{shortDate .Date}}\n\n" +
			"{{if .Scheduled}}Your payment is scheduled.{{else}}We received your payment.{{end}}\n\n{{.Receipt}}" +
			"{{if not .Deadline.IsZero}}\nYou can change or cancel it in the portal until {{clock .Deadline}} on {{fullDate .DeadlineDay}}.{{end}}" +
			"\nYour receipt (PDF) is attached, and in the portal under Payments and Documents.",
		"payment.cancelled": "Payment {{.Confirmation}} cancelled\n\n" +
			"Your payment {{.Confirmation}} of {{money .Amount}} scheduled for {{fullDate .Date}} was cancelled.",
		"payment.changed": "Payment {{.Confirmation}} changed\n\nYour scheduled payment was changed.\n\n{{.Receipt}}",
		"payment.processed": "Payment {{.Confirmation}} processed\n\n" +
			"Your payment of {{money .Amount}} to account {{.Account}} was processed with the date {{fullDate .Date}}, from {{.Method}}." +
			"\n\nConfirmation number: {{.Confirmation}}" +
			"{{if .Refund}}\n\nThis payment paid off the account, which owed less than the payment: the remaining {{money .Refund}} will be refunded to your card, " +
			"and we will email you when it is.{{end}}",
		"payment.refunded": "Refund of {{money .Refund}} for payment {{.Confirmation}}\n\n" +
			"We refunded {{money .Refund}} to your card ({{.Method}}). Your payment {{.Confirmation}} of {{money .Amount}} dated {{fullDate .Date}} " +
			"to account {{.Account}} was {{if .Scheduled}}not needed: the account was already paid" +
			"{{else}}more than the account owed when it was processed; this is the difference{{end}}." +
			"\n\nA refund usually shows on your card statement within 5 to 10 business days.",
		"payment.declined": "Your card payment was declined\n\n" +
			"Your card payment of {{money .Amount}} scheduled for {{fullDate .Date}} could not be made: {{.Reason}}." +
			"\n\nPlease make the payment with another method.",
		"payment.failed": "Payment {{.Confirmation}} was not made\n\n" +
			"Your payment {{.Confirmation}} of {{money .Amount}} for {{fullDate .Date}} was not made: {{.Reason}}.",
		"payment.returned": "Your payment {{.Confirmation}} was returned\n\n" +
			"Your payment {{.Confirmation}} of {{money .Amount}} dated {{fullDate .Date}} was returned. {{.Reason}}{{if .Action}}\n\n{{.Action}}{{end}}",
		"payment.phone_authorization": "Your payment by telephone, {{.Confirmation}}\n\n" +
			"On {{moment .AuthorizedAt}} you authorized us by telephone to debit {{money .Amount}} once, on or after {{fullDate .Date}}, " +
			"from {{.Method}}. Confirmation number: {{.Confirmation}}.\n\nThis is the written confirmation of that authorization. " +
			"If it is not what you authorized, call us before {{fullDate .Date}}. What was read to you (version {{.Version}}):\n\n{{.Authorization}}",
		"autopay.enrolled": "Autopay is on for account {{.Account}}\n\n" +
			"Autopay is on for account {{.Account}}: {{.Terms}} from {{.Method}}, {{.Timing}}.\n\nYour first debit is on {{fullDate .Next.Date}}." +
			"\n\nThis is your copy of the authorization you accepted on {{moment .AuthorizedAt}} (version {{.Version}}):\n\n{{.Authorization}}",
		"autopay.changed": "Your autopay for account {{.Account}} changed\n\n" +
			`{{if eq .Change "stopped"}}Your autopay is stopped.{{else if eq .Change "back_on"}}Your autopay is back on.{{else}}Your autopay was changed.{{end}}` +
			`{{if .Locked}} The debit of {{money .Amount}} on {{fullDate .Date}} was already set and {{if eq .Change "stopped"}}still goes out{{else}}goes out as it was{{end}}.{{end}}` +
			"\n\nAccount {{.Account}}: {{.Terms}} from {{.Method}}, {{.Timing}}." +
			"{{if not .Next.Date.IsZero}}\n\nNext debit: {{money .Next.AmountCents}} on {{fullDate .Next.Date}}.{{end}}" +
			"{{if and .Active .Authorization}}\n\nThe authorization in force (version {{.Version}}):\n\n{{.Authorization}}{{end}}",
		"autopay.upcoming": "Upcoming autopay debit for account {{.Account}}\n\n" +
			"Reminder: we will debit {{money .Amount}} for account {{.Account}} on {{fullDate .Date}} from {{.Method}}." +
			"\n\nTo change or stop it, visit the portal at least three business days before the debit.",
		"autopay.amount_changes": "Your next autopay debit is a different amount\n\n" +
			"Your next autopay debit for account {{.Account}} will be {{money .Amount}}, a different amount from usual, on {{fullDate .Date}}, from {{.Method}}." +
			"\n\nTo change or stop it, visit the portal at least three business days before the debit.",
		"sms.payment.processed": "{{.Lender}}: your payment of {{money .Amount}} to account {{.Account}} was processed with the date {{dayMonth .Date}} " +
			"({{.Confirmation}}). Reply STOP to stop texts.",
		"sms.autopay.upcoming": "{{.Lender}}: autopay will debit {{money .Amount}} for account {{.Account}} on {{dayMonth .Date}}. Reply STOP to stop texts.",

		// The receipt.
		"receipt.title":        "Payment receipt",
		"receipt.customer":     "Customer",
		"receipt.issued":       "Issued",
		"receipt.confirmation": "Confirmation number",
		"receipt.account":      "Account",
		"receipt.amount":       "Amount",
		"receipt.fee":          "Convenience fee",
		"receipt.total":        "Total charged",
		"receipt.date":         "Payment date",
		"receipt.method":       "Paid from",
		"receipt.status":       "Status",
		"receipt.note":         "Keep this receipt for your records. Quote the confirmation number if you contact us about this payment.",
		"receipt.note_ach":     " A bank payment can still be returned by your bank for a few days after it is processed.",

		// Phrases.
		"fullDate":       "{{fullDate .Date}}",
		"checking":       "Checking",
		"savings":        "Savings",
		"bank_label":     "{{.Kind}} {{.Masked}}",
		"bank_label_at":  "{{.Kind}} at {{.Bank}} {{.Masked}}",
		"card_label":     "{{.Brand}} {{.Masked}}, expires {{.Expiry}}",
		"card":           "Card",
		"autopay.amount": "the installment ({{money .Installment}}){{if .Extra}} plus {{money .Extra}}{{end}}",
		"autopay.timing": "{{if eq .Days 0}}on each due date{{else if eq .Days 1}}1 day before each due date{{else}}{{.Days}} days before each due date{{end}} (the next business day if it is not one)",

		"status.scheduled":         "Scheduled for {{date .Date}}.",
		"status.authorized":        "Approved; the card is charged on {{date .Date}}.",
		"status.pending":           "Processed.",
		"status.pending_ach":       "Processed; your bank can still return it for a few days.",
		"status.settled":           "Completed.",
		"status.settled_refund":    "Completed; {{money .Refund}} was refunded to the card.",
		"status.cancelled":         "Cancelled by you.",
		"status.cancelled_because": "Cancelled: {{.Reason}}.",
		"status.declined":          "Declined: {{.Reason}}.",
		"status.failed":            "Not made: {{.Reason}}.",
		"status.skipped":           "Not needed: {{.Reason}}.",
		"status.returned":          "Returned. {{.Reason}}",

		"decline.insufficient_funds": "the card has insufficient funds",
		"decline.expired_card":       "the card has expired",
		"decline.incorrect_cvc":      "the security code was not correct",
		"decline.no_answer":          "the card processor did not answer",
		"decline.other":              "the card issuer declined it",

		"reason.cancelled_by_you":     "you cancelled it",
		"reason.account_unusable":     "the bank account can no longer be used",
		"reason.contract_closed":      "the account is closed",
		"reason.installment_paid":     "the installment was already paid",
		"reason.contract_paid":        "the account is already paid",
		"reason.not_applied":          "the payment could not be applied",
		"reason.refunded":             "the account was already paid, so the charge was refunded",
		"reason.processor_timeout":    "the card processor did not answer",
		"reason.processor_refused":    "the card processor refused the payment",
		"reason.covered":              "a payment you scheduled covers it",
		"reason.other":                "see your account's history",
		"return.other":                "Your bank returned the payment.",
		"action.fee":                  "The returned-payment fee in your contract was charged.",
		"action.retry":                "We will present the payment again on {{fullDate .Date}}.",
		"action.pay_again_other":      "Please make the payment again, with another account if you need to.",
		"action.account_stopped":      "We stopped using this bank account: autopay is paused and scheduled payments from it are cancelled. Please add a new account in the portal.",
		"action.autopay_paused_stop":  "Because you stopped it at your bank, we paused autopay: turn it back on in the portal when you want it to continue.",
		"action.pay_again":            "Please make the payment again.",
		"action.account_not_verified": "We could not confirm this bank account. Please check the numbers and add it again.",
	},
	"es": {
		"greeting": "Hola{{if .Name}}, {{.Name}}{{end}}:\n\n",

		"payment_method.added": "Se agregó un método de pago a su cuenta\n\nSe agregó {{.Method}} a su cuenta como método de pago." +
			"{{if .Micro}}\n\nPara confirmar la cuenta, le haremos dos depósitos pequeños (de menos de $1.00 cada uno) en los próximos días hábiles. " +
			"Cuando los vea en su estado de cuenta bancario, escriba los dos montos en el portal." +
			"{{else if .Prenote}}\n\nConfirmaremos la cuenta con su banco; podrá pagar con ella en unos tres días hábiles.{{end}}" +
			"\n\nSi no la agregó usted, comuníquese con nosotros de inmediato.",
		"payment_method.removed": "Se quitó un método de pago de su cuenta\n\nSe quitó {{.Method}} de sus métodos de pago." +
			"\n\nSi no lo quitó usted, comuníquese con nosotros de inmediato.",
		"payment.scheduled": "Pago {{.Confirmation}}: {{money .Amount}} el {{shortDate .Date}}\n\n" +
			"{{if .Scheduled}}Su pago está programado.{{else}}Recibimos su pago.{{end}}\n\n{{.Receipt}}" +
			"{{if not .Deadline.IsZero}}\nPuede cambiarlo o cancelarlo en el portal hasta las {{clock .Deadline}} del {{fullDate .DeadlineDay}}.{{end}}" +
			"\nSu recibo (PDF) va adjunto, y está en el portal, en Pagos y en Documentos.",
		"payment.cancelled": "Pago {{.Confirmation}} cancelado\n\n" +
			"Se canceló su pago {{.Confirmation}} de {{money .Amount}} programado para el {{fullDate .Date}}.",
		"payment.changed": "Pago {{.Confirmation}} cambiado\n\nSe cambió su pago programado.\n\n{{.Receipt}}",
		"payment.processed": "Pago {{.Confirmation}} procesado\n\n" +
			"Su pago de {{money .Amount}} a la cuenta {{.Account}} se procesó con fecha del {{fullDate .Date}}, con {{.Method}}." +
			"\n\nNúmero de confirmación: {{.Confirmation}}" +
			"{{if .Refund}}\n\nEste pago liquidó la cuenta, que debía menos que el pago: le reembolsaremos a su tarjeta los {{money .Refund}} restantes " +
			"y le avisaremos por correo electrónico cuando lo hagamos.{{end}}",
		"payment.refunded": "Reembolso de {{money .Refund}} del pago {{.Confirmation}}\n\n" +
			"Le reembolsamos {{money .Refund}} a su tarjeta ({{.Method}}). Su pago {{.Confirmation}} de {{money .Amount}} con fecha del {{fullDate .Date}} " +
			"a la cuenta {{.Account}} {{if .Scheduled}}no era necesario: la cuenta ya estaba pagada" +
			"{{else}}era mayor que lo que debía la cuenta cuando se procesó; esta es la diferencia{{end}}." +
			"\n\nUn reembolso suele aparecer en el estado de cuenta de su tarjeta en un plazo de 5 a 10 días hábiles.",
		"payment.declined": "Se rechazó su pago con tarjeta\n\n" +
			"No se pudo hacer su pago con tarjeta de {{money .Amount}} programado para el {{fullDate .Date}}: {{.Reason}}." +
			"\n\nPor favor, haga el pago con otro método.",
		"payment.failed": "El pago {{.Confirmation}} no se realizó\n\n" +
			"Su pago {{.Confirmation}} de {{money .Amount}} para el {{fullDate .Date}} no se realizó: {{.Reason}}.",
		"payment.returned": "Su pago {{.Confirmation}} fue devuelto\n\n" +
			"Su pago {{.Confirmation}} de {{money .Amount}} con fecha del {{fullDate .Date}} fue devuelto. {{.Reason}}{{if .Action}}\n\n{{.Action}}{{end}}",
		"payment.phone_authorization": "Su pago por teléfono, {{.Confirmation}}\n\n" +
			"El {{moment .AuthorizedAt}} usted nos autorizó por teléfono a debitar {{money .Amount}} una sola vez, el {{fullDate .Date}} o después, " +
			"de {{.Method}}. Número de confirmación: {{.Confirmation}}.\n\nEsta es la confirmación por escrito de esa autorización. " +
			"Si no es lo que autorizó, llámenos antes del {{fullDate .Date}}. Lo que se le leyó (versión {{.Version}})" +
			"{{if .ForeignAuthorization}}, en el idioma de la llamada{{end}}:\n\n{{.Authorization}}",
		"autopay.enrolled": "El pago automático está activado para la cuenta {{.Account}}\n\n" +
			"El pago automático está activado para la cuenta {{.Account}}: {{.Terms}} de {{.Method}}, {{.Timing}}.\n\nSu primer débito es el {{fullDate .Next.Date}}." +
			"\n\nEsta es su copia de la autorización que aceptó el {{moment .AuthorizedAt}} (versión {{.Version}})." +
			"{{if .ForeignAuthorization}} La autorización está en inglés, el idioma del registro que guardamos.{{end}}\n\n{{.Authorization}}",
		"autopay.changed": "Su pago automático de la cuenta {{.Account}} cambió\n\n" +
			`{{if eq .Change "stopped"}}Su pago automático está detenido.{{else if eq .Change "back_on"}}Su pago automático está activado de nuevo.{{else}}Se cambió su pago automático.{{end}}` +
			`{{if .Locked}} El débito de {{money .Amount}} del {{fullDate .Date}} ya estaba preparado y {{if eq .Change "stopped"}}se hará de todos modos{{else}}se hará como estaba{{end}}.{{end}}` +
			"\n\nCuenta {{.Account}}: {{.Terms}} de {{.Method}}, {{.Timing}}." +
			"{{if not .Next.Date.IsZero}}\n\nPróximo débito: {{money .Next.AmountCents}} el {{fullDate .Next.Date}}.{{end}}" +
			"{{if and .Active .Authorization}}\n\nLa autorización vigente (versión {{.Version}})." +
			"{{if .ForeignAuthorization}} La autorización está en inglés, el idioma del registro que guardamos.{{end}}\n\n{{.Authorization}}{{end}}",
		"autopay.upcoming": "Próximo débito del pago automático de la cuenta {{.Account}}\n\n" +
			"Recordatorio: debitaremos {{money .Amount}} para la cuenta {{.Account}} el {{fullDate .Date}} de {{.Method}}." +
			"\n\nPara cambiarlo o detenerlo, entre al portal al menos tres días hábiles antes del débito.",
		"autopay.amount_changes": "Su próximo débito del pago automático es de un monto diferente\n\n" +
			"Su próximo débito del pago automático para la cuenta {{.Account}} será de {{money .Amount}}, un monto diferente del habitual, el {{fullDate .Date}}, de {{.Method}}." +
			"\n\nPara cambiarlo o detenerlo, entre al portal al menos tres días hábiles antes del débito.",
		"sms.payment.processed": "{{.Lender}}: su pago de {{money .Amount}} a la cuenta {{.Account}} se procesó con fecha del {{dayMonth .Date}} " +
			"({{.Confirmation}}). Responda STOP para dejar de recibir mensajes.",
		"sms.autopay.upcoming": "{{.Lender}}: el pago automático debitará {{money .Amount}} para la cuenta {{.Account}} el {{dayMonth .Date}}. Responda STOP para dejar de recibir mensajes.",

		"receipt.title":        "Recibo de pago",
		"receipt.customer":     "Cliente",
		"receipt.issued":       "Emitido",
		"receipt.confirmation": "Número de confirmación",
		"receipt.account":      "Cuenta",
		"receipt.amount":       "Monto",
		"receipt.fee":          "Cargo por conveniencia",
		"receipt.total":        "Total cobrado",
		"receipt.date":         "Fecha del pago",
		"receipt.method":       "Pagado con",
		"receipt.status":       "Estado",
		"receipt.note":         "Guarde este recibo para sus registros. Indique el número de confirmación si se comunica con nosotros sobre este pago.",
		"receipt.note_ach":     " Su banco todavía puede devolver un pago bancario durante unos días después de procesarlo.",

		"fullDate":       "{{fullDate .Date}}",
		"checking":       "Cuenta de cheques",
		"savings":        "Cuenta de ahorros",
		"bank_label":     "{{.Kind}} {{.Masked}}",
		"bank_label_at":  "{{.Kind}} en {{.Bank}} {{.Masked}}",
		"card_label":     "{{.Brand}} {{.Masked}}, vence {{.Expiry}}",
		"card":           "Tarjeta",
		"autopay.amount": "su cuota ({{money .Installment}}){{if .Extra}} más {{money .Extra}}{{end}}",
		"autopay.timing": "{{if eq .Days 0}}en cada fecha de vencimiento{{else if eq .Days 1}}1 día antes de cada fecha de vencimiento{{else}}{{.Days}} días antes de cada fecha de vencimiento{{end}} (el siguiente día hábil si no lo es)",

		"status.scheduled":         "Programado para el {{date .Date}}.",
		"status.authorized":        "Aprobado; la tarjeta se cobra el {{date .Date}}.",
		"status.pending":           "Procesado.",
		"status.pending_ach":       "Procesado; su banco todavía puede devolverlo durante unos días.",
		"status.settled":           "Completado.",
		"status.settled_refund":    "Completado; se reembolsaron {{money .Refund}} a la tarjeta.",
		"status.cancelled":         "Cancelado por usted.",
		"status.cancelled_because": "Cancelado: {{.Reason}}.",
		"status.declined":          "Rechazado: {{.Reason}}.",
		"status.failed":            "No realizado: {{.Reason}}.",
		"status.skipped":           "No necesario: {{.Reason}}.",
		"status.returned":          "Devuelto. {{.Reason}}",

		"decline.insufficient_funds": "la tarjeta no tiene fondos suficientes",
		"decline.expired_card":       "la tarjeta está vencida",
		"decline.incorrect_cvc":      "el código de seguridad no era correcto",
		"decline.no_answer":          "el procesador de tarjetas no respondió",
		"decline.other":              "el emisor de la tarjeta lo rechazó",

		"reason.cancelled_by_you":     "usted lo canceló",
		"reason.account_unusable":     "la cuenta bancaria ya no se puede usar",
		"reason.contract_closed":      "la cuenta está cerrada",
		"reason.installment_paid":     "la cuota ya estaba pagada",
		"reason.contract_paid":        "la cuenta ya está pagada",
		"reason.not_applied":          "no se pudo aplicar el pago",
		"reason.refunded":             "la cuenta ya estaba pagada, así que se reembolsó el cobro",
		"reason.processor_timeout":    "el procesador de tarjetas no respondió",
		"reason.processor_refused":    "el procesador de tarjetas rechazó el pago",
		"reason.covered":              "un pago que usted programó lo cubre",
		"reason.other":                "vea el historial de su cuenta",
		"return.other":                "Su banco devolvió el pago.",
		"action.fee":                  "Se cobró el cargo por pago devuelto de su contrato.",
		"action.retry":                "Presentaremos el pago de nuevo el {{fullDate .Date}}.",
		"action.pay_again_other":      "Por favor, haga el pago de nuevo, con otra cuenta si es necesario.",
		"action.account_stopped":      "Dejamos de usar esta cuenta bancaria: el pago automático está en pausa y los pagos programados con ella están cancelados. Por favor, agregue una cuenta nueva en el portal.",
		"action.autopay_paused_stop":  "Como usted lo detuvo en su banco, pausamos el pago automático: vuelva a activarlo en el portal cuando quiera que continúe.",
		"action.pay_again":            "Por favor, haga el pago de nuevo.",
		"action.account_not_verified": "No pudimos confirmar esta cuenta bancaria. Por favor, revise los números y agréguela de nuevo.",
	},
}))

// returnTextsES say in Spanish why a bank returned a payment, by return
// code; the English words are package ach's (ach.ReturnReason.Customer).
// Other codes read "return.other".
var returnTextsES = map[string]string{
	"R01": "Su banco devolvió el pago porque la cuenta no tenía fondos suficientes.",
	"R02": "Su banco devolvió el pago porque la cuenta está cerrada.",
	"R03": "Su banco devolvió el pago porque no pudo encontrar la cuenta.",
	"R04": "Su banco devolvió el pago porque el número de cuenta no es válido.",
	"R05": "Su banco devolvió el pago como no autorizado.",
	"R06": "Nuestro banco retiró el pago.",
	"R07": "Su banco devolvió el pago porque se revocó la autorización.",
	"R08": "Su banco devolvió el pago porque se ordenó suspenderlo.",
	"R09": "Su banco devolvió el pago porque el dinero de la cuenta todavía no estaba disponible.",
	"R10": "Su banco devolvió el pago como no autorizado.",
	"R11": "Su banco devolvió el pago porque no coincide con lo que usted autorizó.",
	"R12": "Su banco devolvió el pago porque la cuenta pasó a otro banco.",
	"R13": "Su banco devolvió el pago porque el número de ruta del banco no es válido para estos pagos.",
	"R16": "Su banco devolvió el pago porque la cuenta está congelada.",
	"R20": "Su banco devolvió el pago porque la cuenta no permite estos pagos.",
	"R24": "Su banco devolvió el pago por estar duplicado.",
	"R29": "Su banco devolvió el pago como no autorizado.",
}

// withReturnTexts adds returnTextsES to texts as "return.CODE", the
// English text being the reason's own ({{.Reason}}).
func withReturnTexts(texts map[string]map[string]string) map[string]map[string]string {
	for code, es := range returnTextsES {
		texts["en"]["return."+code] = "{{.Reason}}"
		texts["es"]["return."+code] = es
	}
	return texts
}

// phrase is a catalog phrase and its data, rendered in the reader's
// language when the message is written (what the lender did about a
// return: stored in English for the history, emailed in the customer's
// language).
type phrase struct {
	key  string
	data msg
}

// sentences renders phrases in lang, one after another.
func sentences(lang string, ps []phrase) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = word(lang, p.key, p.data)
	}
	return strings.Join(out, " ")
}

// methodLabel names a payment method in lang: "Checking at Prairie Gate
// Savings Bank ••••1234", "Visa ••••4242, expires 12/2028"
// (Method.Label, Method.LabelIn).
func methodLabel(lang string, m Method) string {
	if m.Kind == KindCard {
		brand := brandName(m.Brand)
		if brand == "" {
			brand = word(lang, "card", nil)
		}
		return word(lang, "card_label", map[string]string{"Brand": brand, "Masked": m.Masked(), "Expiry": fmt.Sprintf("%02d/%d", m.ExpMonth, m.ExpYear)})
	}
	kind := word(lang, "checking", nil)
	if m.AccountType == "savings" {
		kind = word(lang, "savings", nil)
	}
	if m.BankName != "" {
		return word(lang, "bank_label_at", map[string]string{"Kind": kind, "Bank": m.BankName, "Masked": m.Masked()})
	}
	return word(lang, "bank_label", map[string]string{"Kind": kind, "Masked": m.Masked()})
}

// paidFrom names a payment's method in lang (its label as recorded when
// the method is not known).
func paidFrom(lang string, p Payment) string {
	if p.PaidFrom.Kind == "" {
		return p.MethodLabel
	}
	return methodLabel(lang, p.PaidFrom)
}

// StatusText is a payment's status in a sentence, in lang: "Scheduled
// for December 2, 2026.", "Returned. Your bank returned the payment
// because …". The portal's pages and the messages and receipts word it
// the same.
func StatusText(lang string, p Payment) string { return statusText(lang, p) }

func statusText(lang string, p Payment) string {
	m := msg{Date: p.Date, Refund: p.RefundedCents}
	switch p.Status {
	case StatusPending:
		if p.Rail == RailACH {
			return word(lang, "status.pending_ach", m)
		}
	case StatusSettled:
		if p.RefundedCents > 0 {
			return word(lang, "status.settled_refund", m)
		}
	case StatusCancelled:
		if p.StatusReason != reasonCancelledByYou {
			m.Reason = reasonText(lang, p.StatusReason)
			return word(lang, "status.cancelled_because", m)
		}
	case StatusDeclined:
		m.Reason = declineIn(lang, p.StatusReason)
	case StatusFailed, StatusSkipped:
		m.Reason = reasonText(lang, p.StatusReason)
	case StatusReturned:
		m.Reason = word(lang, "return.other", nil)
		if p.Return != nil {
			m.Reason = returnText(lang, ach.ReturnReason{Code: p.Return.Code, Customer: p.Return.Description})
		}
	case StatusScheduled, StatusAuthorized:
	default:
		return string(p.Status)
	}
	return word(lang, "status."+string(p.Status), m)
}

// StatusReason says in lang why a payment stands where it does, as a
// sentence that does not repeat the status, for a page that shows the
// status in a word beside it ("Declined" and "The card has expired.", not
// "Declined: Declined: the card has expired."): why a card was declined,
// why a bank returned the payment, why the lender cancelled it or it was
// not made or not needed. "" when there is no more to say (scheduled,
// processing, completed, cancelled by the customer).
func StatusReason(lang string, p Payment) string {
	switch p.Status {
	case StatusDeclined:
		return sentence(declineIn(lang, p.StatusReason))
	case StatusFailed, StatusSkipped:
		return sentence(reasonText(lang, p.StatusReason))
	case StatusCancelled:
		if p.StatusReason != reasonCancelledByYou && p.StatusReason != "" {
			return sentence(reasonText(lang, p.StatusReason))
		}
	case StatusReturned:
		if p.Return != nil {
			return returnText(lang, ach.ReturnReason{Code: p.Return.Code, Customer: p.Return.Description})
		}
		return word(lang, "return.other", nil)
	}
	return ""
}

// sentence makes a phrase ("the card has expired") a sentence ("The card
// has expired.").
func sentence(phrase string) string {
	phrase = strings.TrimSpace(phrase)
	if phrase == "" {
		return ""
	}
	r, n := utf8.DecodeRuneInString(phrase)
	phrase = string(unicode.ToUpper(r)) + phrase[n:]
	if !strings.HasSuffix(phrase, ".") {
		phrase += "."
	}
	return phrase
}

// reasonCancelledByYou is the reason of a payment the customer cancelled.
const reasonCancelledByYou = "cancelled by you"

// reasonKeys are the catalog phrases of the reasons payments records for
// a payment that was not made (status_reason).
var reasonKeys = map[string]string{
	reasonCancelledByYou:                     "reason.cancelled_by_you",
	"the bank account can no longer be used": "reason.account_unusable",
	"the contract is closed":                 "reason.contract_closed",
	"the installment was already paid":       "reason.installment_paid",
	reasonContractPaid:                       "reason.contract_paid",
	"the payment could not be applied":       "reason.not_applied",
	reasonRefunded:                           "reason.refunded",
	reasonProcessorTimeout:                   "reason.processor_timeout",
	"the card processor refused the payment": "reason.processor_refused",
	"covered by a payment you scheduled":     "reason.covered",
}

// ReasonText words in lang a reason payments records for a payment that
// was not made (Payment.StatusReason). A reason without a phrase is shown
// as recorded in English, and as "see your account's history" in another
// language.
func ReasonText(lang, reason string) string { return reasonText(lang, reason) }

func reasonText(lang, reason string) string {
	if k, ok := reasonKeys[reason]; ok {
		return word(lang, k, nil)
	}
	if notify.Lang(lang) == "en" && reason != "" {
		return reason
	}
	return word(lang, "reason.other", nil)
}

// ReturnText says in lang why a bank returned a payment with code;
// english is the return's own words (ReturnInfo.Description; "" for
// package ach's).
func ReturnText(lang, code, english string) string {
	if english == "" {
		english = ach.Reason(code).Customer
	}
	return returnText(lang, ach.ReturnReason{Code: code, Customer: english})
}

// returnText says in lang why a bank returned a payment: in English the
// reason's own words (package ach's), in Spanish returnTextsES.
func returnText(lang string, r ach.ReturnReason) string {
	if _, ok := returnTextsES[r.Code]; ok {
		return word(lang, "return."+r.Code, msg{Reason: r.Customer})
	}
	if notify.Lang(lang) == "en" && r.Customer != "" {
		return r.Customer
	}
	return word(lang, "return.other", nil)
}

// autopayAmount words an enrolment's amount in lang: "the installment
// ($412.50) plus $50.00".
func autopayAmount(lang string, a Autopay) string {
	return word(lang, "autopay.amount", map[string]any{"Installment": a.InstallmentCents, "Extra": a.ExtraCents})
}

// autopayTiming words when the debits go out, in lang: "3 days before
// each due date (the next business day if it is not one)".
func autopayTiming(lang string, daysBefore int) string {
	return word(lang, "autopay.timing", map[string]int{"Days": daysBefore})
}
