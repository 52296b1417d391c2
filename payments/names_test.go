package payments_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"carfin/db"
	"carfin/db/dbtest"
	"carfin/payments"
	"carfin/payments/ach"
)

// TestHolderNamesNACHACannotCarry: a bank account whose holder name would
// keep fewer than two letters A–Z in the ACH character set is refused
// where it is entered, writing nothing; a Latin name with letters ACH has
// no room for (Ł, Ż, ó, ć) is transliterated in the entries, not blanked;
// an account stored before the check cannot pay or start autopay; and a
// C04 correction to such a name is not applied but sent to staff review.
func TestHolderNamesNACHACannotCarry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-10-30")
		c := e.customer("Lukasz")
		loan := e.loan(c, "12000", 36, "2026-10-15", "2026-11-15")
		e.at("2026-11-02", 9, 0)
		written := func() [3]int {
			return [3]int{e.count(`SELECT count(*) FROM payment_methods`), e.count(`SELECT count(*) FROM outbox`), e.count(`SELECT count(*) FROM audit_events`)}
		}
		before := written()
		for _, name := range []string{"李小龍", "Иван Петров", "Ελένη", "محمد علي", "X", "Ю 7", "12345", "-- ..", "李 X"} {
			t.Run(name, func(t *testing.T) {
				_, err := e.pay.AddBankAccount(e.ctx, c, payments.NewBankAccount{HolderName: name, AccountType: "checking", Routing: "112601818",
					Account: "123456789", ConfirmAccount: "123456789"})
				if !errors.Is(err, payments.ErrHolderNameLetters) || errors.Is(err, payments.ErrHolderName) {
					t.Errorf("err = %v, want ErrHolderNameLetters", err)
				}
			})
		}
		if after := written(); after != before {
			t.Errorf("refused names wrote rows: methods/outbox/audit %v → %v", before, after)
		}

		// Łukasz Żółć reaches the bank as LUKASZ ZOLC, in the
		// micro-deposits' entries and in the payment's.
		m, err := e.pay.AddBankAccount(e.ctx, c, payments.NewBankAccount{HolderName: "Łukasz Żółć", AccountType: "checking", Routing: "112601818",
			Account: "123456789", ConfirmAccount: "123456789"})
		if err != nil {
			t.Fatal(err)
		}
		if m.HolderName != "Łukasz Żółć" {
			t.Errorf("the name on file is %q, not as typed", m.HolderName)
		}
		e.validate(c, m.ID)
		paid := e.payOther(c, loan, m.ID, "250", 0, "pay")
		paid2 := e.payOther(c, loan, m.ID, "260", 0, "pay-2")
		e.at("2026-11-02", 18, 0)
		res, err := e.pay.OriginateACH(e.ctx, day("2026-11-02"))
		if err != nil || res.Debits != 2 {
			t.Fatalf("file: %+v %v", res, err)
		}
		files := 0
		rows, err := d.Read.QueryContext(e.ctx, `SELECT path FROM ach_files WHERE status = 'written'`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var path string
			if err := rows.Scan(&path); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range strings.Split(string(data), "\n") {
				if strings.HasPrefix(l, "6") && l[54:76] != "LUKASZ ZOLC           " {
					t.Errorf("%s: entry name %q", path, l[54:76])
				}
			}
			files++
		}
		rows.Close()
		if files != 2 {
			t.Errorf("%d files", files)
		}

		// An account stored before names were checked cannot pay.
		legacy := e.bank(c, "129083018", "50004321")
		if _, err := d.SQL.ExecContext(e.ctx, `UPDATE payment_methods SET holder_name = $1 WHERE id = $2`, "李小龍", legacy.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.pay.Pay(e.ctx, c, payments.OneTime{ContractID: loan, MethodID: legacy.ID, Choice: payments.PayOther, Other: "40", IdempotencyKey: "legacy"})
		if !errors.Is(err, payments.ErrMethodUnusable) || !errors.Is(err, payments.ErrHolderNameLetters) {
			t.Errorf("payment from the legacy account: %v", err)
		}
		if _, err := e.pay.AutopayTerms(e.ctx, c, payments.AutopayRequest{ContractID: loan, MethodID: legacy.ID}); !errors.Is(err, payments.ErrHolderNameLetters) {
			t.Errorf("autopay from the legacy account: %v", err)
		}

		// C04: a corrected name that cannot be carried is not applied.
		e.at("2026-11-04", 9, 0)
		st, err := e.pay.ImportReturns(e.ctx, "c04.ach", e.returnsFile(ret(e.sentPayment(paid.ID), ach.KindNOC, "C04", "X 1")))
		if err != nil || st.NOCs != 1 || st.Review != 1 {
			t.Fatalf("C04: %+v %v", st, err)
		}
		if m, _ := e.pay.Method(e.ctx, c, m.ID); m.HolderName != "Łukasz Żółć" {
			t.Errorf("the name became %q", m.HolderName)
		}
		review, err := e.pay.ReturnsForReview(e.ctx, 10)
		if err != nil || len(review) != 1 || review[0].Code != "C04" || !strings.Contains(review[0].Action, "cannot be sent to the bank") {
			t.Errorf("review %+v %v", review, err)
		}
		// One it can carry is, as the bank wrote it.
		st, err = e.pay.ImportReturns(e.ctx, "c04-ok.ach", e.returnsFile(ret(e.sentPayment(paid2.ID), ach.KindNOC, "C04", "LUKASZ ZOLC-NOWAK")))
		if err != nil || st.NOCs != 1 || st.Review != 0 {
			t.Fatalf("C04: %+v %v", st, err)
		}
		if m, _ := e.pay.Method(e.ctx, c, m.ID); m.HolderName != "LUKASZ ZOLC-NOWAK" {
			t.Errorf("the name is %q", m.HolderName)
		}
		e.checks()
	})
}
