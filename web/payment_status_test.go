package web

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/identity"
	"carfin/payments"
	"carfin/webcore"
)

// doubled finds a status word said twice in a row ("Declined: Declined",
// "cancelled: Cancelled", "Returned. Returned"), markup between them or
// not.
var doubled = regexp.MustCompile(`(?i)\b(declined|rechazado|cancel+ed|cancelado|cancelar|returned|devuelto|completed|completado)\b[^A-Za-zÁ-ú]*(?:<[^>]*>[^A-Za-zÁ-ú]*)*\b(declined|rechazado|cancel+ed|cancelado|returned|devuelto|completed|completado)\b`)

// TestPaymentStatusNotDoubled: the payments page and the page of a
// payment that can no longer be changed say each payment's status once,
// and why in words of their own, in both languages (issue 13: "Declined:
// Declined: the card has expired.").
func TestPaymentStatusNotDoubled(t *testing.T) {
	v := testViews(t)
	day := calendar.MustParse("2026-11-18")
	pays := []payments.Payment{
		{Confirmation: "PAAAAAAAA", Status: payments.StatusDeclined, StatusReason: "expired_card", Rail: payments.RailCard, Kind: payments.OneTimePayment,
			AmountCents: 62_00, Date: day, ContractAccount: "NW-L000001"},
		{Confirmation: "PBBBBBBBB", Status: payments.StatusCancelled, StatusReason: "cancelled by you", Kind: payments.OneTimePayment,
			AmountCents: 64_00, Date: day, ContractAccount: "NW-L000001"},
		{Confirmation: "PCCCCCCCC", Status: payments.StatusReturned, Kind: payments.AutopayPayment, AmountCents: 99_00, Date: day,
			ContractAccount: "NW-L000001", Return: &payments.ReturnInfo{Code: "R01", Description: "Your bank returned the payment because the account did not have enough money."}},
		{Status: payments.StatusSettled, Kind: payments.PostedPayment, AmountCents: 100_00, Date: day, ContractAccount: "NW-L000001"},
	}
	for _, lang := range webcore.Languages {
		render := func(name string, data any) string {
			r := httptest.NewRequest("GET", "/payments", nil)
			r = r.WithContext(webcore.WithLangOf(r.Context(), lang))
			p := v.page(r, "pay.payments_title")
			p.Session = &identity.Session{}
			p.Data = data
			w := httptest.NewRecorder()
			v.render(w, 200, name, p)
			if w.Code != 200 {
				t.Fatalf("%s %s: %d %s", lang, name, w.Code, w.Body)
			}
			return w.Body.String()
		}
		hub := render("payments", &paymentsData{History: payments.History{Payments: pays, Page: 1, Pages: 1, Total: len(pays)},
			FirstShown: 1, LastShown: len(pays), Now: time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC), Loc: time.UTC})
		if m := doubled.FindString(hub); m != "" {
			t.Errorf("%s payments page: %q", lang, m)
		}
		want := map[string][]string{
			"en": {`<span class="status status-bad">Declined</span> The card has expired.`, `<span class="status status-warn">Cancelled</span></td>`,
				`<span class="status status-bad">Returned</span> Your bank returned the payment because the account did not have enough money.`,
				"Received by us (mail, phone or your bank)"},
			"es": {`<span class="status status-bad">Rechazado</span> La tarjeta está vencida.`, `<span class="status status-warn">Cancelado</span></td>`},
		}[lang]
		for _, s := range want {
			if !strings.Contains(hub, s) {
				t.Errorf("%s payments page lacks %q", lang, s)
			}
		}
		for _, pm := range pays[:3] {
			locked := render("payment_locked", pm)
			if m := doubled.FindString(locked); m != "" {
				t.Errorf("%s locked page of a %s payment: %q", lang, pm.Status, m)
			}
		}
	}
}
