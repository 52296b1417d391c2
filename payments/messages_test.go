package payments

import (
	"strings"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/money"
	"carfin/notify"
	"carfin/payments/ach"
)

// TestMessagesInEachLanguage: every message payments sends is written in
// the customer's language, English or Spanish, from the same catalog:
// the subject, the greeting, the body and the words it is made of (the
// method, the status, the reason, the dates).
func TestMessagesInEachLanguage(t *testing.T) {
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{LenderName: "Northwind Motor Finance", PortalURL: "https://portal.northwind.example", Cutoff: calendar.Cutoff{Location: newYork}}
	bank := Method{Kind: KindBank, AccountType: "checking", BankName: "Prairie Gate Savings Bank", Last4: "6789"}
	card := Method{Kind: KindCard, Brand: "visa", Last4: "4242", ExpMonth: 8, ExpYear: 2029}
	date := calendar.New(2026, 11, 20) // a Friday
	p := Payment{ID: 1, Confirmation: "PKRVQKEBZ", CustomerID: 1, ContractAccount: "NW-100001", PaidFrom: bank, MethodLabel: bank.Label(),
		Rail: RailACH, Kind: OneTimePayment, Status: StatusScheduled, AmountCents: money.MustParse("412.50"), Date: date,
		ChangeDeadline: time.Date(2026, 11, 19, 22, 0, 0, 0, time.UTC)}
	cardPay := p
	cardPay.PaidFrom, cardPay.Rail, cardPay.Status = card, RailCard, StatusFailed
	a := Autopay{ContractAccount: "NW-100001", Method: bank, Status: AutopayActive, InstallmentCents: money.MustParse("412.50"),
		ExtraCents: money.MustParse("50"), DaysBefore: 3, AuthorizationText: "I authorize Northwind Motor Finance to debit…",
		AuthorizationVersion: AuthorizationVersion, AuthorizedAt: time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC),
		NextDebit: Debit{Date: date, AmountCents: money.MustParse("462.50")}}
	stopped := a
	stopped.Status = AutopayStopped
	r01 := ach.Reason("R01")
	returned := []phrase{{key: "action.fee"}, {key: "action.retry", data: msg{Date: calendar.New(2026, 11, 27)}}}

	for _, tc := range []struct {
		kind string
		make func(c contact) notify.Message
		// want holds what the English and the Spanish message say.
		en, es []string
	}{
		{"payment_method.added", func(c contact) notify.Message { return msgMethodAdded(cfg, c, bank, MicroDeposits) },
			[]string{"A payment method was added to your account", "Checking at Prairie Gate Savings Bank ••••6789 was added", "two small deposits"},
			[]string{"Se agregó un método de pago a su cuenta", "Se agregó Cuenta de cheques en Prairie Gate Savings Bank ••••6789", "dos depósitos pequeños"}},
		{"payment_method.removed", func(c contact) notify.Message { return msgMethodRemoved(cfg, c, card) },
			[]string{"A payment method was removed from your account", "Visa ••••4242, expires 08/2029 was removed"},
			[]string{"Se quitó un método de pago de su cuenta", "Se quitó Visa ••••4242, vence 08/2029"}},
		{"payment.scheduled", func(c contact) notify.Message { return msgScheduled(cfg, c, p) },
			[]string{"Payment PKRVQKEBZ: $412.50 on Nov 20, 2026", "Your payment is scheduled.", "Confirmation number: PKRVQKEBZ",
				"Payment date:        Friday, November 20, 2026", "Scheduled for November 20, 2026.", "until 5:00 PM EST on Thursday, November 19, 2026"},
			[]string{"Pago PKRVQKEBZ: $412.50 el 20 nov 2026", "Su pago está programado.", "Número de confirmación: PKRVQKEBZ",
				"Fecha del pago:         viernes 20 de noviembre de 2026", "Programado para el 20 de noviembre de 2026.",
				"hasta las 17:00 EST del jueves 19 de noviembre de 2026", "Pagado con:             Cuenta de cheques en Prairie Gate"}},
		{"payment.cancelled", func(c contact) notify.Message { return msgCancelled(cfg, c, p) },
			[]string{"Payment PKRVQKEBZ cancelled", "of $412.50 scheduled for Friday, November 20, 2026 was cancelled"},
			[]string{"Pago PKRVQKEBZ cancelado", "Se canceló su pago PKRVQKEBZ de $412.50 programado para el viernes 20 de noviembre de 2026"}},
		{"payment.changed", func(c contact) notify.Message { return msgChanged(cfg, c, p) },
			[]string{"Payment PKRVQKEBZ changed", "Your scheduled payment was changed."},
			[]string{"Pago PKRVQKEBZ cambiado", "Se cambió su pago programado."}},
		{"payment.processed", func(c contact) notify.Message {
			return msgProcessed(cfg, c.lang, c.name, "NW-100001", "PKRVQKEBZ", p.AmountCents, date, methodLabel(c.lang, card), money.MustParse("12.34"))
		},
			[]string{"Payment PKRVQKEBZ processed", "was processed with the date Friday, November 20, 2026, from Visa ••••4242", "$12.34 will be refunded to your card"},
			[]string{"Pago PKRVQKEBZ procesado", "se procesó con fecha del viernes 20 de noviembre de 2026, con Visa ••••4242", "le reembolsaremos a su tarjeta los $12.34"}},
		{"payment.refunded", func(c contact) notify.Message { return msgRefunded(cfg, c, cardPay, money.MustParse("12.34")) },
			[]string{"Refund of $12.34 for payment PKRVQKEBZ", "We refunded $12.34 to your card (Visa ••••4242, expires 08/2029)", "not needed: the account was already paid"},
			[]string{"Reembolso de $12.34 del pago PKRVQKEBZ", "Le reembolsamos $12.34 a su tarjeta (Visa ••••4242, vence 08/2029)", "no era necesario: la cuenta ya estaba pagada"}},
		{"payment.declined", func(c contact) notify.Message { return msgDeclined(cfg, c, cardPay, "insufficient_funds") },
			[]string{"Your card payment was declined", "could not be made: the card has insufficient funds."},
			[]string{"Se rechazó su pago con tarjeta", "No se pudo hacer su pago con tarjeta de $412.50", "la tarjeta no tiene fondos suficientes"}},
		{"payment.failed", func(c contact) notify.Message { return msgFailed(cfg, c, p, "the bank account can no longer be used") },
			[]string{"Payment PKRVQKEBZ was not made", "was not made: the bank account can no longer be used."},
			[]string{"El pago PKRVQKEBZ no se realizó", "no se realizó: la cuenta bancaria ya no se puede usar."}},
		{"payment.returned", func(c contact) notify.Message { return msgReturned(cfg, c, p, r01, returned) },
			[]string{"Your payment PKRVQKEBZ was returned", "did not have enough money", "The returned-payment fee in your contract was charged. " +
				"We will present the payment again on Friday, November 27, 2026."},
			[]string{"Su pago PKRVQKEBZ fue devuelto", "la cuenta no tenía fondos suficientes", "Se cobró el cargo por pago devuelto de su contrato. " +
				"Presentaremos el pago de nuevo el viernes 27 de noviembre de 2026."}},
		{"autopay.enrolled", func(c contact) notify.Message { return msgAutopayEnrolled(cfg, c, a) },
			[]string{"Autopay is on for account NW-100001", "the installment ($412.50) plus $50.00 from Checking at Prairie Gate Savings Bank ••••6789, " +
				"3 days before each due date", "accepted on November 2, 2026 at 10:00 AM EST", "I authorize"},
			[]string{"El pago automático está activado para la cuenta NW-100001", "su cuota ($412.50) más $50.00 de Cuenta de cheques en Prairie Gate Savings Bank ••••6789, " +
				"3 días antes de cada fecha de vencimiento", "aceptó el 2 de noviembre de 2026, 10:00 EST", "La autorización está en inglés", "I authorize"}},
		{"autopay.changed", func(c contact) notify.Message { return msgAutopayChanged(cfg, c, a, autopayBackOn, Debit{}) },
			[]string{"Your autopay for account NW-100001 changed", "Your autopay is back on.", "Next debit: $462.50 on Friday, November 20, 2026."},
			[]string{"Su pago automático de la cuenta NW-100001 cambió", "Su pago automático está activado de nuevo.", "Próximo débito: $462.50 el viernes 20 de noviembre de 2026."}},
		{"autopay.changed", func(c contact) notify.Message { return msgAutopayChanged(cfg, c, stopped, autopayStopped, a.NextDebit) },
			[]string{"Your autopay is stopped. The debit of $462.50 on Friday, November 20, 2026 was already set and still goes out."},
			[]string{"Su pago automático está detenido. El débito de $462.50 del viernes 20 de noviembre de 2026 ya estaba preparado y se hará de todos modos."}},
		{"autopay.upcoming", func(c contact) notify.Message {
			return autopayUpcomingMessage(cfg, c.lang, c.name, "NW-100001", money.MustParse("462.50"), date, methodLabel(c.lang, bank), false)
		},
			[]string{"Upcoming autopay debit for account NW-100001", "Reminder: we will debit $462.50 for account NW-100001 on Friday, November 20, 2026"},
			[]string{"Próximo débito del pago automático de la cuenta NW-100001", "Recordatorio: debitaremos $462.50 para la cuenta NW-100001 el viernes 20 de noviembre de 2026"}},
		{"autopay.amount_changes", func(c contact) notify.Message {
			return autopayUpcomingMessage(cfg, c.lang, c.name, "NW-100001", money.MustParse("401.17"), date, methodLabel(c.lang, bank), true)
		},
			[]string{"Your next autopay debit is a different amount", "will be $401.17, a different amount from usual"},
			[]string{"Su próximo débito del pago automático es de un monto diferente", "será de $401.17, un monto diferente del habitual"}},
		{"payment.processed", func(c contact) notify.Message {
			return smsProcessed(cfg, c.lang, "+15555550100", "NW-100001", "PKRVQKEBZ", p.AmountCents, date)
		},
			[]string{"Northwind Motor Finance: your payment of $412.50 to account NW-100001 was processed with the date Nov 20", "Reply STOP"},
			[]string{"Northwind Motor Finance: su pago de $412.50 a la cuenta NW-100001 se procesó con fecha del 20 nov", "Responda STOP"}},
		{"payment.phone_authorization", func(c contact) notify.Message {
			sc := PhoneScript{Version: PhoneScriptVersion, Lang: "en", Text: "Ana Ruiz, do you authorize Northwind Motor Finance to debit $412.50?"}
			return msgPhoneAuthorization(cfg, c, p, sc, time.Date(2026, 11, 18, 15, 4, 0, 0, time.UTC))
		},
			[]string{"Your payment by telephone, PKRVQKEBZ", "On November 18, 2026 at 10:04 AM EST you authorized us by telephone to debit $412.50 once, on or after Friday, November 20, 2026",
				"Checking at Prairie Gate Savings Bank ••••6789", "written confirmation", "do you authorize Northwind Motor Finance to debit $412.50?"},
			[]string{"Su pago por teléfono, PKRVQKEBZ", "usted nos autorizó por teléfono a debitar $412.50 una sola vez, el viernes 20 de noviembre de 2026 o después",
				"confirmación por escrito", "en el idioma de la llamada"}},
		{"autopay.upcoming", func(c contact) notify.Message {
			return autopayReminderSMS(cfg, c.lang, "+15555550100", "NW-100001", money.MustParse("462.50"), date)
		},
			[]string{"autopay will debit $462.50 for account NW-100001 on Nov 20."},
			[]string{"el pago automático debitará $462.50 para la cuenta NW-100001 el 20 nov."}},
	} {
		for _, lang := range []string{"en", "es"} {
			t.Run(tc.kind+"/"+lang, func(t *testing.T) {
				m := tc.make(contact{customerID: 1, email: "ana@example.com", name: "Ana Ruiz", lang: lang})
				if m.Kind != tc.kind {
					t.Errorf("kind %q", m.Kind)
				}
				all := m.Subject + "\n" + m.Text
				want, greeting, foreign := tc.en, "Hello Ana Ruiz,\n\n", "Hola"
				if lang == "es" {
					want, greeting, foreign = tc.es, "Hola, Ana Ruiz:\n\n", "Hello"
				}
				if m.Channel == notify.SMS {
					greeting = ""
				} else if !strings.HasSuffix(m.Text, "— Northwind Motor Finance\nhttps://portal.northwind.example") {
					t.Errorf("no signature:\n%s", m.Text)
				}
				if !strings.HasPrefix(m.Text, greeting) || strings.Contains(all, foreign) {
					t.Errorf("not in %s:\n%s", lang, all)
				}
				for _, w := range want {
					if !strings.Contains(all, w) {
						t.Errorf("lacks %q:\n%s", w, all)
					}
				}
			})
		}
	}
}

// TestWordsInEachLanguage: the phrases messages and receipts are made of
// (statuses, reasons, declines, returns) exist in every language for
// every status, recorded reason, decline code and worded return code.
func TestWordsInEachLanguage(t *testing.T) {
	var texts []string
	for _, lang := range notify.Languages {
		for _, s := range []Status{StatusScheduled, StatusAuthorized, StatusPending, StatusSettled, StatusCancelled, StatusDeclined, StatusFailed,
			StatusSkipped, StatusReturned} {
			texts = append(texts, statusText(lang, Payment{Status: s, Rail: RailACH, Date: calendar.New(2026, 11, 20), StatusReason: "x"}))
		}
		for reason := range reasonKeys {
			texts = append(texts, reasonText(lang, reason))
		}
		for _, code := range []string{"insufficient_funds", "expired_card", "incorrect_cvc", "", "stolen"} {
			texts = append(texts, declineIn(lang, code))
		}
		for code := range returnTextsES {
			r := ach.Reason(code)
			texts = append(texts, returnText(lang, r))
		}
	}
	for _, s := range texts {
		if strings.TrimSpace(s) == "" || strings.Contains(s, "<no value>") {
			t.Errorf("phrase %q", s)
		}
	}
	if got := reasonText("es", "a reason carfin never records"); got != "vea el historial de su cuenta" {
		t.Errorf("unknown reason in Spanish: %q", got)
	}
	if got := returnText("es", ach.ReturnReason{Code: "R99", Customer: "Your bank returned the payment."}); got != "Su banco devolvió el pago." {
		t.Errorf("unworded return code in Spanish: %q", got)
	}
}
