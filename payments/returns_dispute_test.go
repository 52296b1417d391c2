package payments_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"carfin/db"
	"carfin/db/dbtest"
	"carfin/payments"
	"carfin/payments/ach"
)

// TestDisputeReturnsGoToReview: the dishonored return R62 and the
// contested dishonored returns R71–R77, which carfin did not know, go to
// staff review as R61 and R67–R70 do: the payments stay as they were,
// the ledger does not move, the customer is told nothing, and the
// payment's page shows no return.
func TestDisputeReturnsGoToReview(t *testing.T) {
	codes := []string{"R62", "R71", "R72", "R73", "R74", "R75", "R76", "R77"}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-10-30")
		customer := e.customer("Dispute")
		loan := e.loan(customer, "12000", 36, "2026-10-15", "2026-11-15")
		e.at("2026-11-02", 9, 0)
		method := e.bank(customer, "129083018", "50004321")
		paid := make([]payments.Payment, len(codes))
		for i := range codes {
			paid[i] = e.payOther(customer, loan, method.ID, fmt.Sprint(20+i), 0, fmt.Sprint("pay-", i))
		}
		e.at("2026-11-02", 18, 0)
		if _, err := e.pay.RunDay(e.ctx, day("2026-11-02")); err != nil {
			t.Fatal(err)
		}
		after := e.balances(loan)
		mails := len(e.outbox(e.email(customer)))
		e.at("2026-11-04", 9, 0)
		var rets []ach.ReturnedEntry
		for i, code := range codes {
			rets = append(rets, ret(e.sentPayment(paid[i].ID), ach.KindReturn, code, ""))
		}
		st, err := e.pay.ImportReturns(e.ctx, "disputes.ach", e.returnsFile(rets...))
		if err != nil || st.Returns != 0 || st.Review != len(codes) || st.Unmatched != 0 {
			t.Fatalf("import: %+v %v", st, err)
		}
		for i, code := range codes {
			p, err := e.pay.Payment(e.ctx, customer, paid[i].ID)
			if err != nil || p.Status != payments.StatusPending || p.Return != nil {
				t.Errorf("%s: payment %s %+v %v", code, p.Status, p.Return, err)
			}
		}
		if m, _ := e.pay.Method(e.ctx, customer, method.ID); m.Status != payments.MethodActive {
			t.Errorf("method %s after disputes", m.Status)
		}
		if !sameBalances(e.balances(loan), after) {
			t.Errorf("the ledger moved: %v, was %v", e.balances(loan), after)
		}
		if n := len(e.outbox(e.email(customer))); n != mails {
			t.Errorf("%d messages to the customer about the banks' disputes", n-mails)
		}
		review, err := e.pay.ReturnsForReview(e.ctx, 50)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]payments.Return{}
		for _, r := range review {
			seen[r.Code] = r
		}
		for i, code := range codes {
			r, ok := seen[code]
			contested := code != "R62"
			if !ok || r.PaymentID != paid[i].ID || r.Title != ach.Reason(code).Title ||
				strings.HasPrefix(r.Description, "Contested") != contested || !strings.Contains(r.Action, "staff review") {
				t.Errorf("%s in review: %+v (found %v)", code, r, ok)
			}
		}
		e.checks()
	})
}

// TestImportRefusesUnknownCodes: a bank file with a code the Nacha rules
// do not define (R00, R96, R99, C92) is refused whole, with the code and
// its line in the error, and nothing is recorded or changed.
func TestImportRefusesUnknownCodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-10-30")
		customer := e.customer("Unknown")
		loan := e.loan(customer, "12000", 36, "2026-10-15", "2026-11-15")
		e.at("2026-11-02", 9, 0)
		method := e.bank(customer, "129083018", "50004321")
		paid := e.payOther(customer, loan, method.ID, "250", 0, "pay")
		e.at("2026-11-02", 18, 0)
		if _, err := e.pay.RunDay(e.ctx, day("2026-11-02")); err != nil {
			t.Fatal(err)
		}
		e.at("2026-11-04", 9, 0)
		sent := e.sentPayment(paid.ID)
		for _, tc := range []struct {
			code, corrected, what string
			kind                  ach.ReturnKind
		}{
			{"R00", "", "return reason code", ach.KindReturn},
			{"R96", "", "return reason code", ach.KindReturn},
			{"R99", "", "return reason code", ach.KindReturn},
			{"C92", "50009999", "change code", ach.KindNOC},
		} {
			t.Run(tc.code, func(t *testing.T) {
				want := fmt.Sprintf("%q is not a %s of the Nacha Operating Rules", tc.code, tc.what)
				for name, data := range map[string][]byte{
					"nacha": e.returnsFile(ret(sent, tc.kind, tc.code, tc.corrected)),
					"csv":   []byte("trace_number,code,corrected_data\n" + sent.trace + "," + tc.code + "," + tc.corrected + "\n"),
				} {
					st, err := e.pay.ImportReturns(e.ctx, tc.code+"."+name, data)
					if !errors.Is(err, ach.ErrReturnFile) || !strings.Contains(err.Error(), want) || st.Returns+st.NOCs+st.Review != 0 {
						t.Errorf("%s: %+v, err = %v; want %q", name, st, err, want)
					}
				}
			})
		}
		if n := e.count(`SELECT count(*) FROM ach_return_files`) + e.count(`SELECT count(*) FROM ach_returns`); n != 0 {
			t.Errorf("%d rows recorded for refused files", n)
		}
		if p, _ := e.pay.Payment(e.ctx, customer, paid.ID); p.Status != payments.StatusPending {
			t.Errorf("payment %s", p.Status)
		}
		e.checks()
	})
}
