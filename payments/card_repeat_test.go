package payments_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"carfin/db"
	"carfin/db/dbtest"
	"carfin/payments"
)

// stalledProcessor holds the first authorization until released, as a
// process that recorded a card payment and then died (or still waits on
// the processor) would leave it; every other call goes straight through.
type stalledProcessor struct {
	payments.Processor
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

func (p *stalledProcessor) Authorize(ctx context.Context, r payments.AuthRequest) (payments.Authorization, error) {
	first := false
	p.once.Do(func() { first = true })
	if first {
		close(p.entered)
		<-p.release // deaf to ctx: the answer comes late, as a dead process's never does
	}
	return p.Processor.Authorize(ctx, r)
}

// TestCardPaymentRepeatedBeforeAuthorized: a same-day card payment whose
// first submission recorded it but never authorized it (its instance was
// killed, or is still waiting on the processor) is authorized by the
// repeat of the form: the customer who sends it again sees it settled,
// is charged once and gets one receipt; and the first attempt's late
// answer neither charges again, nor sends another receipt, nor undoes it.
// On both engines.
func TestCardPaymentRepeatedBeforeAuthorized(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		stalled := &stalledProcessor{entered: make(chan struct{}), release: make(chan struct{})}
		e := newEnv(t, d, "2026-11-02", func(c *payments.Config) {
			stalled.Processor = c.Processor
			c.Processor = stalled
			c.ProcessorTimeout = 5 * time.Second
		})
		ada := e.customer("Ada")
		loan := e.loan(ada, "12000", 36, "2026-10-15", "2026-11-15")
		visa := e.card(ada, "4242424242424242")
		mails := len(e.outbox(e.email(ada)))
		form := payments.OneTime{ContractID: loan, MethodID: visa.ID, Choice: payments.PayOther, Other: "300", IdempotencyKey: "r1"}

		type result struct {
			p   payments.Payment
			err error
		}
		first := make(chan result, 1)
		go func() {
			p, err := e.pay.Pay(e.ctx, ada, form)
			first <- result{p, err}
		}()
		<-stalled.entered // recorded, not authorized
		again, err := e.pay.Pay(e.ctx, ada, form)
		if err != nil || again.Status != payments.StatusSettled || !again.Duplicate {
			t.Fatalf("the repeat: %+v %v; want the payment authorized, captured and settled", again, err)
		}
		close(stalled.release)
		late := <-first
		if late.err != nil || late.p.ID != again.ID || late.p.Status != payments.StatusSettled {
			t.Errorf("the first attempt's late answer: %+v %v", late.p, late.err)
		}
		if got := e.proc.Captured(); got != cents("300") {
			t.Errorf("captured %s, want 300.00 once", got)
		}
		if n := e.count(`SELECT count(*) FROM servicing_events WHERE kind = 'payment' AND contract_id = $1`, loan); n != 1 {
			t.Errorf("%d payment postings, want 1", n)
		}
		// One receipt (at the authorization) and one notice of the posting,
		// as a payment made once gets.
		if got := kinds(e.outbox(e.email(ada))[mails:]); got != "payment.scheduled,payment.processed" {
			t.Errorf("messages to the customer: %s, want one receipt and one posting notice", got)
		}
		e.checks()
	})
}
