package payments_test

import (
	"strings"
	"testing"

	"carfin/payments"
)

// TestStatusReason: the why of a payment's status, as a sentence that
// does not repeat the status a page shows beside it (a doubled "Declined:
// Declined: the card has expired." was the bug), in both languages.
func TestStatusReason(t *testing.T) {
	for _, tc := range []struct {
		name     string
		p        payments.Payment
		en, es   string
		notLabel []string // the status words the reason must not repeat
	}{
		{"declined, expired", payments.Payment{Status: payments.StatusDeclined, StatusReason: "expired_card"},
			"The card has expired.", "La tarjeta está vencida.", []string{"Declined", "Rechazado"}},
		{"declined, funds", payments.Payment{Status: payments.StatusDeclined, StatusReason: "insufficient_funds"},
			"The card has insufficient funds.", "La tarjeta no tiene fondos suficientes.", []string{"Declined", "Rechazado"}},
		{"declined, no answer", payments.Payment{Status: payments.StatusDeclined},
			"The card processor did not answer.", "El procesador de tarjetas no respondió.", []string{"Declined", "Rechazado"}},
		{"failed", payments.Payment{Status: payments.StatusFailed, StatusReason: "the contract is closed"},
			"The account is closed.", "La cuenta está cerrada.", []string{"Not made", "No realizado"}},
		{"skipped", payments.Payment{Status: payments.StatusSkipped, StatusReason: "covered by a payment you scheduled"},
			"A payment you scheduled covers it.", "Un pago que usted programó lo cubre.", []string{"Not needed", "No necesario"}},
		{"cancelled by the lender", payments.Payment{Status: payments.StatusCancelled, StatusReason: "the bank account can no longer be used"},
			"The bank account can no longer be used.", "La cuenta bancaria ya no se puede usar.", []string{"Cancelled", "Cancelado"}},
		{"cancelled by you", payments.Payment{Status: payments.StatusCancelled, StatusReason: "cancelled by you"}, "", "", nil},
		{"returned R01", payments.Payment{Status: payments.StatusReturned, Return: &payments.ReturnInfo{Code: "R01",
			Description: "Your bank returned the payment because the account did not have enough money."}},
			"Your bank returned the payment because the account did not have enough money.",
			"Su banco devolvió el pago porque la cuenta no tenía fondos suficientes.", []string{"Returned. ", "Devuelto. "}},
		{"returned, no details", payments.Payment{Status: payments.StatusReturned},
			"Your bank returned the payment.", "Su banco devolvió el pago.", []string{"Returned. ", "Devuelto. "}},
		{"settled", payments.Payment{Status: payments.StatusSettled}, "", "", nil},
		{"scheduled", payments.Payment{Status: payments.StatusScheduled}, "", "", nil},
		{"pending", payments.Payment{Status: payments.StatusPending, Rail: payments.RailACH}, "", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			en, es := payments.StatusReason("en", tc.p), payments.StatusReason("es", tc.p)
			if en != tc.en || es != tc.es {
				t.Errorf("StatusReason = %q / %q, want %q / %q", en, es, tc.en, tc.es)
			}
			for _, l := range tc.notLabel {
				if strings.HasPrefix(en, l) || strings.HasPrefix(es, l) {
					t.Errorf("%q / %q repeats the status %q", en, es, l)
				}
			}
		})
	}
}
