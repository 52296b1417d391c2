package payments_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"carfin/calendar"
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
				pdf, err := payments.RenderReceipt("Financiera Núñez", p)
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
