package payments_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/internal/cp1252"
	"carfin/money"
	"carfin/payments"
)

// TestReceiptsRenderConcurrently: receipts are rendered by many requests
// at once (run with -race). A code-page translator shared between them
// once made receipts panic under load; each must come out whole, with the
// customer's accented name in the lender's code page.
func TestReceiptsRenderConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 40 {
				p := payments.Payment{ID: int64(w*100 + i + 1), Confirmation: fmt.Sprintf("PTEST%04d", w*100+i), ContractAccount: "NW-000001",
					MethodLabel: "Checking at Peña Bank ••••1234", Rail: payments.RailACH, Kind: "one_time", Status: "scheduled",
					AmountCents: money.Cents(10000 + i), Date: calendar.New(2026, 11, 20), CreatedAt: time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC)}
				pdf, err := payments.RenderReceipt("Financiera Núñez", payments.Receipt{Payment: p, Customer: "Ana Peña", Issued: p.CreatedAt, Lang: "es"})
				if err != nil {
					t.Error(err)
					return
				}
				if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf, []byte("Financiera N\xfa\xf1ez")) || !bytes.Contains(pdf, []byte(p.Confirmation)) {
					t.Errorf("receipt %s is not whole", p.Confirmation)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestReceiptSaysWhoAndWhen: a receipt names the customer it was issued
// to and when (in the lender's zone), in the customer's language.
func TestReceiptSaysWhoAndWhen(t *testing.T) {
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	p := payments.Payment{ID: 1, Confirmation: "PTEST0001", ContractAccount: "NW-000001", MethodLabel: "Checking ••••1234",
		PaidFrom: payments.Method{Kind: payments.KindBank, AccountType: "checking", BankName: "Prairie Gate Savings Bank", Last4: "1234"},
		Rail:     payments.RailACH, Kind: payments.OneTimePayment, Status: payments.StatusScheduled, AmountCents: money.MustParse("412.50"),
		Date: calendar.New(2026, 11, 20)}
	issued := time.Date(2026, 11, 18, 22, 5, 0, 0, time.UTC).In(newYork)
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"en", []string{"Payment receipt", "Customer", "Ana Peña", "Issued", "November 18, 2026 at 5:05 PM EST", "Confirmation number", "PTEST0001",
			"Friday, November 20, 2026", "Checking at Prairie Gate Savings Bank ••••1234", "Scheduled for November 20, 2026."}},
		{"es", []string{"Recibo de pago", "Cliente", "Ana Peña", "Emitido", "18 de noviembre de 2026, 17:05 EST", "Número de confirmación", "PTEST0001",
			"viernes 20 de noviembre de 2026", "Cuenta de cheques en Prairie Gate Savings Bank ••••1234", "Programado para el 20 de noviembre de 2026."}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			pdf, err := payments.RenderReceipt("Northwind Motor Finance", payments.Receipt{Payment: p, Customer: "Ana Peña", Issued: issued, Lang: tc.lang})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !bytes.Contains(pdf, []byte(cp1252.Text(w))) {
					t.Errorf("the receipt lacks %q", w)
				}
			}
		})
	}
}

// TestReceiptsList: the receipts a customer can find among their
// documents are their one-time payments' (issued when made) and their
// processed autopay debits' (issued when first downloaded), never another
// customer's; a contract filter keeps that contract's.
func TestReceiptsList(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-11-02")
		ada, bob := e.customer("Ada"), e.customer("Bob")
		loan, other := e.loan(ada, "12000", 36, "2026-10-15", "2026-11-20"), e.loan(ada, "9000", 36, "2026-10-15", "2026-11-25")
		bobLoan := e.loan(bob, "9000", 36, "2026-10-15", "2026-11-25")
		bank, bobBank := e.bank(ada, "112601818", "123456789"), e.bank(bob, "112601818", "987654321")
		once := e.payOther(ada, other, bank.ID, "75.00", 0, "once")
		e.payOther(bob, bobLoan, bobBank.ID, "60.00", 0, "bob")
		e.enrol(ada, loan, bank.ID, "", 0)
		e.runDays("2026-11-02", "2026-11-20")
		list := func(customer, contract int64) []payments.ReceiptEntry {
			t.Helper()
			rs, err := e.pay.Receipts(e.ctx, customer, contract)
			if err != nil {
				t.Fatal(err)
			}
			return rs
		}
		rs := list(ada, 0)
		if len(rs) != 2 {
			t.Fatalf("%d receipts: %+v", len(rs), rs)
		}
		debit, made := rs[0], rs[1]
		if made.Payment.Confirmation != once.Confirmation || made.Payment.ContractID != other || made.Payment.AmountCents != once.AmountCents ||
			made.Issued.IsZero() || made.SizeBytes == 0 {
			t.Errorf("one-time payment's receipt %+v", made)
		}
		if debit.Payment.ContractID != loan || debit.Payment.Date != day("2026-11-20") || !debit.Issued.IsZero() || debit.SizeBytes != 0 {
			t.Errorf("autopay debit's receipt before it is asked for %+v", debit)
		}
		if _, err := e.pay.Receipt(e.ctx, ada, debit.Payment.ID); err != nil {
			t.Fatal(err)
		}
		if rs := list(ada, loan); len(rs) != 1 || rs[0].Payment.ID != debit.Payment.ID || rs[0].Issued.IsZero() || rs[0].SizeBytes == 0 {
			t.Errorf("the loan's receipts after the download %+v", rs)
		}
		if rs := list(bob, 0); len(rs) != 1 || rs[0].Payment.CustomerID != bob || rs[0].Payment.ContractID != bobLoan {
			t.Errorf("Bob's receipts %+v", rs)
		}
		if rs := list(bob, loan); len(rs) != 0 {
			t.Errorf("Bob sees Ada's loan's receipts %+v", rs)
		}
	})
}
