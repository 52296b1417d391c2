package payments_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/money"
	"carfin/notify"
	"carfin/payments"
	"carfin/payments/cardtest"
	"carfin/servicing"
)

// flaky is the test processor seen through a failing connection: a call
// to an operation that is down returns its error without reaching the
// processor (the request never arrived), and a call whose answer is lost
// reaches the processor, which acts on it, and then times out (the answer
// never came back). Everything else is the test processor's own
// behaviour.
type flaky struct {
	payments.Processor
	mu   sync.Mutex
	down map[string]error
	lost map[string]bool
}

// newFlakyEnv is newEnv with the processor behind a flaky connection.
func newFlakyEnv(t *testing.T, d *db.DB, today string, tweak ...func(*payments.Config)) (*env, *flaky) {
	f := &flaky{down: map[string]error{}, lost: map[string]bool{}}
	e := newEnv(t, d, today, append(tweak, func(c *payments.Config) { f.Processor, c.Processor = c.Processor, f })...)
	return e, f
}

// fail makes op's calls fail with err (nil: reach the processor again).
func (f *flaky) fail(op string, err error) { f.mu.Lock(); defer f.mu.Unlock(); f.down[op] = err }

// lose makes op's answers lost (false: delivered again).
func (f *flaky) lose(op string, lost bool) { f.mu.Lock(); defer f.mu.Unlock(); f.lost[op] = lost }

func (f *flaky) state(op string) (error, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.down[op], f.lost[op]
}

// call runs op's call to the processor through the connection.
func (f *flaky) call(op string, do func() error) error {
	down, lost := f.state(op)
	if down != nil {
		return down
	}
	err := do()
	if lost {
		return fmt.Errorf("%s: %w", op, payments.ErrProcessorTimeout)
	}
	return err
}

func (f *flaky) Authorize(ctx context.Context, r payments.AuthRequest) (a payments.Authorization, err error) {
	err = f.call("authorize", func() error { a, err = f.Processor.Authorize(ctx, r); return err })
	if err != nil {
		return payments.Authorization{}, err
	}
	return a, nil
}

func (f *flaky) Capture(ctx context.Context, authID string, amount money.Cents, key string) (id string, err error) {
	err = f.call("capture", func() error { id, err = f.Processor.Capture(ctx, authID, amount, key); return err })
	if err != nil {
		return "", err
	}
	return id, nil
}

func (f *flaky) Void(ctx context.Context, authID, key string) error {
	return f.call("void", func() error { return f.Processor.Void(ctx, authID, key) })
}

func (f *flaky) Refund(ctx context.Context, captureID string, amount money.Cents, key string) (id string, err error) {
	err = f.call("refund", func() error { id, err = f.Processor.Refund(ctx, captureID, amount, key); return err })
	if err != nil {
		return "", err
	}
	return id, nil
}

// errUnavailable is a processor failure that is neither a decline nor a
// time-out.
var errUnavailable = errors.New("card processor: 503 service unavailable")

// calls returns the test processor's calls of one operation.
func calls(p *cardtest.Processor, op string) []cardtest.Call {
	var out []cardtest.Call
	for _, c := range p.Calls() {
		if c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

// messages returns the texts of the messages of one kind.
func messages(q []notify.Queued, kind string) []string {
	var out []string
	for _, m := range q {
		if m.Message.Kind == kind {
			out = append(out, m.Message.Text)
		}
	}
	return out
}

// TestCardRefundRetried: a card payment captured after the contract was
// paid off (in part, or in full) owes the rest back to the card. The
// processor's refunds are down during that day's run: the run still
// writes the day's NACHA file, the refund stays owed, and the customer is
// told it will be refunded, not that it was. The next run refunds it,
// once: the processor sees one refund under the payment's key, the
// payment shows it, and the customer is told then.
func TestCardRefundRetried(t *testing.T) {
	cases := []struct {
		name string
		// paidFirst is what the customer paid another way before the card
		// payment went out ("": the whole payoff).
		paidFirst  string
		wantStatus payments.Status
		wantReason [2]string // before and after the refund
	}{
		{name: "more than the payoff", paidFirst: "500", wantStatus: payments.StatusSettled},
		{name: "contract already paid off", wantStatus: payments.StatusFailed,
			wantReason: [2]string{"the contract is already paid", "the contract was already paid; the charge was refunded"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, d *db.DB) {
				e, f := newFlakyEnv(t, d, "2026-11-02", func(c *payments.Config) { c.ConvenienceFeeCents = cents("2.50") })
				ada := e.customer("Ada")
				small := e.loan(ada, "1000", 12, "2026-10-20", "2026-11-20")
				big := e.loan(ada, "12000", 36, "2026-10-15", "2026-11-15")
				visa := e.card(ada, "4242424242424242")
				bank := e.bank(ada, "112601818", "123456789")
				// A bank payment going out in Friday's NACHA file.
				debit, err := e.pay.Pay(e.ctx, ada, payments.OneTime{ContractID: big, MethodID: bank.ID, Choice: payments.PayOther, Other: "100",
					Date: day("2026-11-06"), IdempotencyKey: "ach-1"})
				if err != nil {
					t.Fatal(err)
				}
				// A card payment made Thursday after the cut-off (authorized
				// now, captured Friday), then the contract is paid another
				// way. (One only scheduled for a later date would be skipped
				// with the card never touched: TestPayoffWithScheduled.)
				e.at("2026-11-05", 17, 30)
				card, err := e.pay.Pay(e.ctx, ada, payments.OneTime{ContractID: small, MethodID: visa.ID, Choice: payments.PayOther, Other: "900",
					Date: day("2026-11-06"), IdempotencyKey: "card-1"})
				if err != nil || card.Status != payments.StatusAuthorized {
					t.Fatalf("card payment: %+v %v", card, err)
				}
				paid := cents("500")
				if tc.paidFirst == "" {
					q, err := e.sv.QuotePayoff(e.ctx, small, day("2026-11-04"))
					if err != nil {
						t.Fatal(err)
					}
					paid = q.PayoffCents
				}
				if _, err := e.sv.PostPayment(e.ctx, servicing.Request{ContractID: small, Date: day("2026-11-04"), IdempotencyKey: "lockbox-1", Actor: "test"}, paid); err != nil {
					t.Fatal(err)
				}
				// What goes back: the charge beyond Friday's payoff, or all
				// of it (the fee too) when nothing is owed.
				want := card.AmountCents + card.FeeCents
				if tc.paidFirst != "" {
					q, err := e.sv.QuotePayoff(e.ctx, small, day("2026-11-06"))
					if err != nil || q.PayoffCents <= 0 || q.PayoffCents >= card.AmountCents {
						t.Fatalf("payoff %+v %v", q, err)
					}
					want = card.AmountCents - q.PayoffCents
				}

				// Friday: the refund fails, the NACHA file goes out anyway.
				f.fail("refund", errUnavailable)
				e.at("2026-11-06", 17, 30)
				st, err := e.pay.RunDay(e.ctx, day("2026-11-06"))
				if err != nil {
					t.Fatalf("run with the refund failing: %v", err)
				}
				if st.File.Debits != 1 || st.File.DebitCents != cents("100") || readFile(t, st.File.Path) == "" {
					t.Errorf("NACHA file: %+v", st.File)
				}
				if debit, _ = e.pay.Payment(e.ctx, ada, debit.ID); debit.Status != payments.StatusPending {
					t.Errorf("bank payment not sent: %+v", debit)
				}
				if st.Cards.Charged != 1 || st.Reversals != (payments.ReversalStats{Failed: 1}) {
					t.Errorf("cards %+v, reversals %+v", st.Cards, st.Reversals)
				}
				card, _ = e.pay.Payment(e.ctx, ada, card.ID)
				if card.Status != tc.wantStatus || card.RefundedCents != 0 || card.StatusReason != tc.wantReason[0] {
					t.Errorf("before the refund: %+v", card)
				}
				if n := len(calls(e.proc, "refund")); n != 0 {
					t.Errorf("%d refunds reached the processor while it was down", n)
				}
				out := e.outbox(e.email(ada))
				if len(messages(out, "payment.refunded")) != 0 {
					t.Errorf("told the customer of a refund not made: %s", kinds(out))
				}
				var told bool
				for _, m := range out {
					told = told || strings.Contains(m.Message.Text, "will be refunded to your card")
					if strings.Contains(m.Message.Text, "was refunded") || strings.Contains(m.Message.Text, "We refunded") {
						t.Errorf("%s claims a refund not made:\n%s", m.Message.Kind, m.Message.Text)
					}
				}
				if !told {
					t.Errorf("the customer was not told of the refund to come: %s", kinds(out))
				}

				// Monday: the processor is back; the run refunds it, once.
				f.fail("refund", nil)
				e.at("2026-11-09", 17, 30)
				if st, err = e.pay.RunDay(e.ctx, day("2026-11-09")); err != nil || st.Reversals != (payments.ReversalStats{Refunded: 1}) {
					t.Fatalf("next run: %+v %v", st.Reversals, err)
				}
				card, _ = e.pay.Payment(e.ctx, ada, card.ID)
				if card.RefundedCents != want || card.StatusReason != tc.wantReason[1] {
					t.Errorf("after the refund: %+v, want %s refunded", card, want)
				}
				if e.proc.Captured() != card.AmountCents+card.FeeCents-want {
					t.Errorf("kept %s of %s charged, refunded %s", e.proc.Captured(), card.AmountCents+card.FeeCents, want)
				}

				// A third run does nothing more.
				e.at("2026-11-10", 17, 30)
				if st, err = e.pay.RunDay(e.ctx, day("2026-11-10")); err != nil || st.Reversals != (payments.ReversalStats{}) {
					t.Fatalf("third run: %+v %v", st.Reversals, err)
				}
				refunds := calls(e.proc, "refund")
				key := fmt.Sprintf("payment-%d-refund", card.ID)
				if len(refunds) != 1 || refunds[0].IdempotencyKey != key || refunds[0].Err != nil || refunds[0].Repeated || refunds[0].AmountCents != want {
					t.Errorf("refunds the processor saw: %+v", refunds)
				}
				texts := messages(e.outbox(e.email(ada)), "payment.refunded")
				if len(texts) != 1 || !strings.Contains(texts[0], "We refunded "+want.Dollars()+" to your card") {
					t.Errorf("refund emails: %q", texts)
				}
				e.checks()
			})
		})
	}
}

// quickTimeouts makes the time-out card's calls give up sooner: the test
// processor answers the other cards at once.
func quickTimeouts(c *payments.Config) { c.ProcessorTimeout = 100 * time.Millisecond }

// TestCardVoids: an authorization that will not be captured is released.
// A capture the issuer declines voids the hold at once (or, if the void
// fails, with the next run); an authorization whose answer was lost is
// found by replaying it under its key and voided by the run; one the
// processor never answered is tried until the hold would have lapsed.
func TestCardVoids(t *testing.T) {
	declined := &payments.Decline{Code: "declined", Message: "The capture was declined."}
	cases := []struct {
		name string
		card string
		// down and lost are the processor's failures while paying; voidDown
		// fails voids until the second run.
		down     map[string]error
		lost     string
		voidDown bool
		payErr   error
		// heldAfterPay is what is still held when Pay returns; runs are
		// the reversal stats of the runs that follow, one a day from the
		// day of the payment.
		heldAfterPay money.Cents
		runs         []payments.ReversalStats
	}{
		{name: "declined capture", card: "4242424242424242", down: map[string]error{"capture": declined}, payErr: payments.ErrCardDeclined,
			runs: []payments.ReversalStats{{}}},
		{name: "declined capture, void failing once", card: "4242424242424242", down: map[string]error{"capture": declined}, voidDown: true,
			payErr: payments.ErrCardDeclined, heldAfterPay: cents("300"), runs: []payments.ReversalStats{{Failed: 1}, {Voided: 1}, {}}},
		{name: "authorization answer lost", card: "4242424242424242", lost: "authorize", payErr: payments.ErrProcessorTimeout,
			heldAfterPay: cents("300"), runs: []payments.ReversalStats{{Voided: 1}, {}}},
		{name: "authorization never answered", card: "4000000000000408", payErr: payments.ErrProcessorTimeout,
			runs: []payments.ReversalStats{{Failed: 1}, {Failed: 1}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, d *db.DB) {
				e, f := newFlakyEnv(t, d, "2026-11-02", quickTimeouts)
				ada := e.customer("Ada")
				loan := e.loan(ada, "12000", 36, "2026-10-15", "2026-11-15")
				m := e.card(ada, tc.card)
				for op, err := range tc.down {
					f.fail(op, err)
				}
				if tc.lost != "" {
					f.lose(tc.lost, true)
				}
				if tc.voidDown {
					f.fail("void", errUnavailable)
				}
				p, err := e.pay.Pay(e.ctx, ada, payments.OneTime{ContractID: loan, MethodID: m.ID, Choice: payments.PayOther, Other: "300", IdempotencyKey: "v1"})
				if !errors.Is(err, tc.payErr) {
					t.Fatalf("pay: %+v %v", p, err)
				}
				for op := range tc.down {
					f.fail(op, nil)
				}
				f.lose(tc.lost, false)
				if held := e.proc.Held(); held != tc.heldAfterPay {
					t.Errorf("held after pay: %s, want %s", held, tc.heldAfterPay)
				}
				for i, want := range tc.runs {
					date := day("2026-11-02") + calendar.Date(i)
					e.at(date.String(), 17, 30)
					st, err := e.pay.RunDay(e.ctx, date)
					if err != nil || st.Reversals != want {
						t.Errorf("run %s: %+v %v, want %+v", date, st.Reversals, err, want)
					}
					f.fail("void", nil)
				}
				if held := e.proc.Held(); held != 0 {
					t.Errorf("still held: %s", held)
				}
				if p, _ = e.pay.Payment(e.ctx, ada, p.ID); p.Status == payments.StatusSettled || p.Status == payments.StatusAuthorized {
					t.Errorf("payment %+v", p)
				}
				// A hold is voided once, and only a hold carfin made: the
				// replayed authorization returned the first one.
				var voids int
				for _, c := range calls(e.proc, "void") {
					if c.Err == nil && !c.Repeated {
						voids++
					}
				}
				auths := calls(e.proc, "authorize")
				var holds int
				for _, c := range auths {
					if c.ID != "" && !c.Repeated {
						holds++
					}
				}
				if voids != holds {
					t.Errorf("%d holds, %d voids: %+v", holds, voids, e.proc.Calls())
				}
				if tc.lost == "authorize" && (len(auths) != 2 || !auths[1].Repeated) {
					t.Errorf("the lost authorization was not replayed under its key: %+v", auths)
				}
				if n := e.count(`SELECT count(*) FROM servicing_events WHERE kind = 'payment'`); n != 0 {
					t.Errorf("a refused card posted: %d events", n)
				}
			})
		})
	}

	// Voids the processor never answers: a run stops asking after three
	// time-outs in a row (the rest wait for the next run, so the day's
	// ACH file does not wait for them), and a void is given up once the
	// hold would have lapsed at the issuer, and not tried again.
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-11-02", quickTimeouts)
		ada := e.customer("Ada")
		loan := e.loan(ada, "12000", 36, "2026-10-15", "2026-11-15")
		slow := e.card(ada, "4000000000000408")
		for i := range 4 {
			if _, err := e.pay.Pay(e.ctx, ada, payments.OneTime{ContractID: loan, MethodID: slow.ID, Choice: payments.PayOther, Other: "100",
				IdempotencyKey: fmt.Sprint("s", i)}); !errors.Is(err, payments.ErrProcessorTimeout) {
				t.Fatalf("pay: %v", err)
			}
		}
		for _, r := range []struct {
			date string
			want payments.ReversalStats
		}{{"2026-11-06", payments.ReversalStats{Failed: 3, Deferred: 1}}, {"2026-11-10", payments.ReversalStats{Dropped: 4}}, {"2026-11-11", payments.ReversalStats{}}} {
			e.at(r.date, 17, 30)
			if st, err := e.pay.RunDay(e.ctx, day(r.date)); err != nil || st.Reversals != r.want {
				t.Errorf("run %s: %+v %v, want %+v", r.date, st.Reversals, err, r.want)
			}
		}
	})
}

// racing is a processor whose first capture lets the day's run charge the
// same payment before the capture answers: the customer's confirmation
// and the day's run working on one authorized payment at once.
type racing struct {
	payments.Processor
	fired atomic.Bool
	run   func()
}

func (r *racing) Capture(ctx context.Context, authID string, amount money.Cents, key string) (string, error) {
	if r.fired.CompareAndSwap(false, true) { // the run's own capture goes straight through
		r.run()
	}
	return r.Processor.Capture(ctx, authID, amount, key)
}

// TestCardCaptureRecordedOnce: when the confirmation and the day's run
// capture the same card payment at once, it is posted, fee-booked and
// announced once: the second to record it finds it done.
func TestCardCaptureRecordedOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := &racing{}
		e := newEnv(t, d, "2026-11-02", func(c *payments.Config) {
			c.ConvenienceFeeCents = cents("2.50")
			r.Processor, c.Processor = c.Processor, r
		})
		ada := e.customer("Ada")
		loan := e.loan(ada, "12000", 36, "2026-10-15", "2026-11-15")
		visa := e.card(ada, "4242424242424242")
		r.run = func() {
			if _, err := e.pay.ChargeDueCards(e.ctx, e.today()); err != nil {
				t.Errorf("the day's run: %v", err)
			}
		}
		p, err := e.pay.Pay(e.ctx, ada, payments.OneTime{ContractID: loan, MethodID: visa.ID, Choice: payments.PayOther, Other: "300", IdempotencyKey: "race"})
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != payments.StatusSettled {
			t.Fatalf("payment %s", p.Status)
		}
		if n := e.count(`SELECT count(*) FROM servicing_events WHERE kind = 'payment'`); n != 1 {
			t.Errorf("%d postings", n)
		}
		if n := countKind(e.outbox(e.email(ada)), "payment.processed"); n != 1 {
			t.Errorf("%d \"processed\" emails", n)
		}
		if fee, _ := ledgerBalance(e, payments.AccountConvenienceFees); fee != -cents("2.50") {
			t.Errorf("fee income %s", fee)
		}
		e.checks()
	})
}
