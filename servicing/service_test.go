package servicing_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/ledger"
	"carfin/money"
	"carfin/servicing"
)

var (
	c = money.MustParse
	d = calendar.MustParse
)

// newService returns a service over dbx, a dbtest database, whose clock
// it stops at 15:00 UTC on date today; the clock is returned to move.
func newService(t *testing.T, dbx *db.DB, today string) (*servicing.Service, *dbtest.Clock) {
	t.Helper()
	clk := dbtest.ClockOf(dbx)
	clk.Set(d(today).Time().Add(15 * time.Hour))
	return servicing.New(dbx, func(t time.Time) calendar.Date { return calendar.Of(t) }), clk
}

var vinSeq int

func testVIN() string {
	vinSeq++
	return servicing.WithCheckDigit(fmt.Sprintf("1HGCM8263%c%07d", 'A', vinSeq))
}

func openLoan(t *testing.T, sv *servicing.Service, amount, apr string, term int, start, firstDue string) int64 {
	t.Helper()
	ctx := context.Background()
	cust, err := sv.CreateCustomer(ctx, servicing.NewCustomer{FirstName: "Ada", LastName: "Quinn", Email: "ada@example.com",
		AddressLine1: "1 Main St", City: "Springfield", State: "IL", ZIP: "62701", BirthDate: d("1980-02-29"), SSNLast4: "1234"})
	if err != nil {
		t.Fatal(err)
	}
	vinSeq++
	id, err := sv.OpenContract(ctx, servicing.NewContract{
		AccountNumber: fmt.Sprintf("NW-%07d", vinSeq), CustomerID: cust, VIN: testVIN(), VehicleYear: 2023, Make: "Subaru", Model: "Outback",
		Kind: servicing.KindLoan, AmountFinancedCents: c(amount), APR: money.MustParseRate(apr), TermMonths: term,
		ContractDate: d(start), FirstDue: d(firstDue), GraceDays: 10,
		LateFee:     servicing.LateFeeRule{Kind: "greater", FixedCents: c("15"), Rate: money.MustParseRate("5"), CapCents: c("25")},
		NSFFeeCents: c("25"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func req(id int64, date, key string) servicing.Request {
	return servicing.Request{ContractID: id, Date: d(date), IdempotencyKey: key, Actor: "test"}
}

func mustCheck(t *testing.T, dbx *db.DB) {
	t.Helper()
	ctx := context.Background()
	if f, err := servicing.Check(ctx, dbx); err != nil || len(f) > 0 {
		t.Fatalf("servicing check: %v %v", f, err)
	}
	if f, err := ledger.Check(ctx, dbx.Read); err != nil || len(f) > 0 {
		t.Fatalf("ledger check: %v %v", f, err)
	}
}

func TestWorkedExampleOnBothEngines(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dbx *db.DB) {
		ctx := context.Background()
		sv, _ := newService(t, dbx, "2024-05-01")
		id := openLoan(t, sv, "20000", "6.99", 60, "2024-01-15", "2024-02-15")
		for i, date := range []string{"2024-02-15", "2024-03-15", "2024-04-15"} {
			res, err := sv.PostPayment(ctx, req(id, date, fmt.Sprintf("pay-%d", i)), c("395.93"))
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 && (res.Applied.InterestCents != c("118.73") || res.Applied.PrincipalCents != c("277.20")) {
				t.Errorf("first payment applied %+v", res.Applied)
			}
		}
		q, err := sv.QuotePayoff(ctx, id, d("2024-05-01"))
		if err != nil {
			t.Fatal(err)
		}
		if q.PayoffCents != c("19214.56") || q.InterestCents != c("58.70") || q.PerDiemCents != c("3.67") {
			t.Errorf("quote %+v", q)
		}
		bal, _ := ledger.Balances(ctx, dbx.Read, id)
		if bal[servicing.AccountPrincipal] != c("19155.86") {
			t.Errorf("principal account = %s", bal[servicing.AccountPrincipal])
		}
		// Paying the quote closes the loan.
		res, err := sv.Payoff(ctx, req(id, "2024-05-01", "payoff"), q.PayoffCents)
		if err != nil || res.Status != servicing.StatusPaidOff {
			t.Fatalf("payoff: %+v %v", res, err)
		}
		if _, err := sv.PostPayment(ctx, req(id, "2024-05-01", "late"), c("1")); !errors.Is(err, servicing.ErrClosed) {
			t.Errorf("payment after payoff: %v", err)
		}
		mustCheck(t, dbx)
	})
}

// TestBadInputWritesNothing: each bad request is a typed error and leaves
// the ledger and events untouched.
func TestBadInputWritesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dbx *db.DB) {
		ctx := context.Background()
		sv, _ := newService(t, dbx, "2024-06-01")
		id := openLoan(t, sv, "10000", "9", 36, "2024-01-10", "2024-02-10")
		if _, err := sv.PostPayment(ctx, req(id, "2024-02-10", "good"), c("300")); err != nil {
			t.Fatal(err)
		}
		count := func() (n int) {
			_ = dbx.Read.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM ledger_postings) + (SELECT count(*) FROM servicing_events)`).Scan(&n)
			return n
		}
		before := count()
		tests := []struct {
			name string
			run  func() error
			err  error
		}{
			{"zero amount", func() error { _, err := sv.PostPayment(ctx, req(id, "2024-03-10", "k1"), 0); return err }, servicing.ErrAmount},
			{"negative amount", func() error { _, err := sv.PostPayment(ctx, req(id, "2024-03-10", "k2"), -100); return err }, servicing.ErrAmount},
			{"before funding", func() error { _, err := sv.PostPayment(ctx, req(id, "2024-01-09", "k3"), 100); return err }, servicing.ErrBeforeFunding},
			{"future date", func() error { _, err := sv.PostPayment(ctx, req(id, "2024-06-02", "k4"), 100); return err }, servicing.ErrFutureDate},
			{"over payoff", func() error { _, err := sv.PostPayment(ctx, req(id, "2024-03-10", "k5"), c("20000")); return err }, servicing.ErrOverpayment},
			{"unknown contract", func() error { _, err := sv.PostPayment(ctx, req(id+999, "2024-03-10", "k6"), 100); return err }, servicing.ErrNotFound},
			{"same key, other body", func() error { _, err := sv.PostPayment(ctx, req(id, "2024-02-10", "good"), c("301")); return err }, servicing.ErrIdempotencyConflict},
			{"missing key", func() error { _, err := sv.PostPayment(ctx, req(id, "2024-03-10", ""), 100); return err }, servicing.ErrInvalid},
			{"waive fees not owed", func() error { _, err := sv.WaiveFee(ctx, req(id, "2024-03-10", "k7"), c("100")); return err }, servicing.ErrNoFees},
			{"reverse funding", func() error { _, err := sv.Reverse(ctx, req(id, "2024-03-10", "k8"), 1); return err }, servicing.ErrNotReversible},
			{"payoff wrong amount", func() error { _, err := sv.Payoff(ctx, req(id, "2024-03-10", "k9"), c("5")); return err }, servicing.ErrPayoffAmount},
		}
		for _, tc := range tests {
			if err := tc.run(); !errors.Is(err, tc.err) {
				t.Errorf("%s: err = %v, want %v", tc.name, err, tc.err)
			}
		}
		if after := count(); after != before {
			t.Errorf("bad input wrote %d rows", after-before)
		}
		// The same key with the same body is the first result, nothing more.
		res, err := sv.PostPayment(ctx, req(id, "2024-02-10", "good"), c("300"))
		if err != nil || !res.Duplicate || res.Applied.PrincipalCents == 0 {
			t.Errorf("replayed request: %+v %v", res, err)
		}
		if after := count(); after != before {
			t.Errorf("duplicate wrote %d rows", after-before)
		}
		mustCheck(t, dbx)
	})
}

// balancesOf returns a contract's account balances and cached state
// figures, for comparing two contracts' histories.
func balancesOf(t *testing.T, dbx *db.DB, id int64) string {
	t.Helper()
	bal, err := ledger.Balances(context.Background(), dbx.Read, id)
	if err != nil {
		t.Fatal(err)
	}
	var row string
	err = dbx.Read.QueryRowContext(context.Background(), `SELECT principal_cents || '/' || interest_cents || '/' || fees_cents || '/' ||
		credited_cents || '/' || next_unpaid_number || '/' || days_past_due || '/' || paid_interest_cents FROM contract_balances WHERE contract_id = $1`, id).Scan(&row)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{servicing.AccountPrincipal, servicing.AccountInterest, servicing.AccountFees} {
		row += fmt.Sprintf(" %s=%s", a, bal[a])
	}
	return row
}

// TestBackdatedReversalReplay is the replay's main property: returning a
// payment (reversing it as of its date, with later payments and late fees
// replayed) leaves exactly the balances of a twin contract on which the
// payment never happened. Histories are random, on both engines.
func TestBackdatedReversalReplay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dbx *db.DB) {
		ctx := context.Background()
		sv, _ := newService(t, dbx, "2025-12-31")
		rng := rand.New(rand.NewPCG(21, 22))
		for round := range 12 {
			a := openLoan(t, sv, "15000", "8.5", 48, "2024-01-05", "2024-02-05")
			b := openLoan(t, sv, "15000", "8.5", 48, "2024-01-05", "2024-02-05")
			type pay struct {
				date   calendar.Date
				amount money.Cents
			}
			var pays []pay
			date := d("2024-01-05")
			for range 6 + rng.IntN(10) {
				date = date.AddDays(10 + rng.IntN(40))
				pays = append(pays, pay{date, money.Cents(20000 + rng.Int64N(60000))})
			}
			victim := rng.IntN(len(pays))
			var victimEvent int64
			for i, p := range pays {
				res, err := sv.PostPayment(ctx, req(a, p.date.String(), fmt.Sprintf("a%d-%d", round, i)), p.amount)
				if err != nil {
					t.Fatalf("round %d: pay a: %v", round, err)
				}
				if i == victim {
					victimEvent = res.EventID
					continue // the twin never gets this payment
				}
				if _, err := sv.PostPayment(ctx, req(b, p.date.String(), fmt.Sprintf("b%d-%d", round, i)), p.amount); err != nil {
					t.Fatalf("round %d: pay b: %v", round, err)
				}
			}
			// Advance both to the same date (late fees, delinquency).
			through := date.AddDays(5)
			for _, id := range []int64{a, b} {
				if err := sv.AdvanceContract(ctx, id, through); err != nil {
					t.Fatal(err)
				}
			}
			res, err := sv.Reverse(ctx, req(a, through.String(), fmt.Sprintf("ret%d", round)), victimEvent)
			if err != nil {
				t.Fatalf("round %d: reverse: %v", round, err)
			}
			if res.Reversed == 0 {
				t.Errorf("round %d: the reversal reversed nothing", round)
			}
			if ga, gb := balancesOf(t, dbx, a), balancesOf(t, dbx, b); ga != gb {
				t.Fatalf("round %d: reversing payment %d of %d\n with reversal %s\n never paid     %s", round, victim+1, len(pays), ga, gb)
			}
			if _, err := sv.Reverse(ctx, req(a, through.String(), fmt.Sprintf("ret%d-again", round)), victimEvent); !errors.Is(err, servicing.ErrAlreadyReversed) {
				t.Errorf("second reversal: %v", err)
			}
		}
		mustCheck(t, dbx)
	})
}

// TestBackdatedPayment: a payment dated before later activity is replayed
// into place: the twin that got it in order has the same balances.
func TestBackdatedPayment(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dbx *db.DB) {
		ctx := context.Background()
		sv, _ := newService(t, dbx, "2024-08-01")
		a := openLoan(t, sv, "12000", "7", 36, "2024-01-01", "2024-02-01")
		b := openLoan(t, sv, "12000", "7", 36, "2024-01-01", "2024-02-01")
		inOrder := []struct {
			date, amount string
		}{{"2024-02-01", "370.52"}, {"2024-03-01", "370.52"}, {"2024-04-20", "370.52"}, {"2024-05-01", "370.52"}}
		for i, p := range inOrder {
			if _, err := sv.PostPayment(ctx, req(b, p.date, fmt.Sprintf("b%d", i)), c(p.amount)); err != nil {
				t.Fatal(err)
			}
			if i == 2 {
				continue
			}
			if _, err := sv.PostPayment(ctx, req(a, p.date, fmt.Sprintf("a%d", i)), c(p.amount)); err != nil {
				t.Fatal(err)
			}
		}
		// The April payment arrives late in the system, dated April 20.
		res, err := sv.PostPayment(ctx, req(a, "2024-04-20", "a2"), c("370.52"))
		if err != nil {
			t.Fatal(err)
		}
		if res.Reversed == 0 {
			t.Errorf("backdated payment corrected nothing: %+v", res)
		}
		for _, id := range []int64{a, b} {
			if err := sv.AdvanceContract(ctx, id, d("2024-06-01")); err != nil {
				t.Fatal(err)
			}
		}
		if ga, gb := balancesOf(t, dbx, a), balancesOf(t, dbx, b); ga != gb {
			t.Fatalf("backdated %s\n in order  %s", ga, gb)
		}
		mustCheck(t, dbx)
	})
}

// TestInCallersTransaction: the Tx variants post inside the caller's
// transaction (rolled back with it), and a refused payment leaves the
// transaction usable with nothing of it written.
func TestInCallersTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dbx *db.DB) {
		ctx := context.Background()
		sv, _ := newService(t, dbx, "2024-06-01")
		id := openLoan(t, sv, "10000", "9", 36, "2024-01-10", "2024-02-10")
		before := countRows(t, dbx)
		rollback := errors.New("rollback")
		err := dbx.InTx(ctx, func(tx *db.Tx) error {
			if _, err := sv.PostPaymentTx(ctx, tx, req(id, "2024-02-10", "tx1"), c("300")); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) || countRows(t, dbx) != before {
			t.Fatalf("rolled-back posting left rows: %v", err)
		}
		err = dbx.InTx(ctx, func(tx *db.Tx) error {
			if _, err := sv.PostPaymentTx(ctx, tx, req(id, "2024-02-10", "tx2"), c("99999")); !errors.Is(err, servicing.ErrOverpayment) {
				t.Errorf("overpayment: %v", err)
			}
			res, err := sv.PostPaymentsTx(ctx, tx, []servicing.PaymentRequest{{Request: req(id, "2024-03-10", "tx3"), AmountCents: c("300")}})
			if err != nil || res[0].Err != nil {
				t.Errorf("batch in tx: %v %+v", err, res)
			}
			pay, err := sv.PostPaymentTx(ctx, tx, req(id, "2024-02-10", "tx4"), c("300"))
			if err != nil {
				return err
			}
			if _, err := sv.ReverseTx(ctx, tx, req(id, "2024-03-12", "tx5"), pay.EventID); err != nil {
				return err
			}
			_, err = sv.AssessNSFFeeTx(ctx, tx, req(id, "2024-03-12", "tx6"))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var events int
		_ = dbx.Read.QueryRowContext(ctx, `SELECT count(*) FROM servicing_events WHERE idempotency_key LIKE 'tx%'`).Scan(&events)
		if events != 4 { // tx3, tx4, its reversal tx5, the NSF fee tx6
			t.Errorf("%d events recorded, want 4", events)
		}
		mustCheck(t, dbx)
	})
}

// TestOpenContractRefusals: bad contracts are refused with ErrInvalid (or
// ErrVIN) naming the problem, and nothing is written.
func TestOpenContractRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dbx *db.DB) {
		ctx := context.Background()
		sv, _ := newService(t, dbx, "2024-06-01")
		id := openLoan(t, sv, "10000", "9", 36, "2024-01-10", "2024-02-10")
		var cust int64
		_ = dbx.Read.QueryRowContext(ctx, `SELECT customer_id FROM contracts WHERE id = $1`, id).Scan(&cust)
		good := func() servicing.NewContract {
			return servicing.NewContract{AccountNumber: "NEW-1", CustomerID: cust, VIN: testVIN(), VehicleYear: 2024, Make: "Kia", Model: "Niro",
				Kind: servicing.KindLoan, AmountFinancedCents: c("9000"), APR: money.MustParseRate("5"), TermMonths: 36,
				ContractDate: d("2024-05-01"), FirstDue: d("2024-06-01"), GraceDays: 10, LateFee: servicing.LateFeeRule{Kind: "none"}}
		}
		var existingVIN, existingAccount string
		_ = dbx.Read.QueryRowContext(ctx, `SELECT vin FROM vehicles LIMIT 1`).Scan(&existingVIN)
		_ = dbx.Read.QueryRowContext(ctx, `SELECT account_number FROM contracts LIMIT 1`).Scan(&existingAccount)
		tests := []struct {
			name string
			edit func(*servicing.NewContract)
			err  error
		}{
			{"bad VIN check digit", func(n *servicing.NewContract) { n.VIN = "1M8GDM9A1KP042788" }, servicing.ErrVIN},
			{"VIN already financed", func(n *servicing.NewContract) { n.VIN = existingVIN }, servicing.ErrInvalid},
			{"account number taken", func(n *servicing.NewContract) { n.AccountNumber = existingAccount }, servicing.ErrInvalid},
			{"zero amount", func(n *servicing.NewContract) { n.AmountFinancedCents = 0 }, servicing.ErrInvalid},
			{"APR over 100", func(n *servicing.NewContract) { n.APR = money.MustParseRate("101") }, servicing.ErrInvalid},
			{"term 0", func(n *servicing.NewContract) { n.TermMonths = 0 }, servicing.ErrInvalid},
			{"first due before signing", func(n *servicing.NewContract) { n.FirstDue = d("2024-04-01") }, servicing.ErrInvalid},
			{"signed in the future", func(n *servicing.NewContract) { n.ContractDate = d("2024-07-01") }, servicing.ErrInvalid},
			{"unknown customer", func(n *servicing.NewContract) { n.CustomerID = 999 }, servicing.ErrInvalid},
			{"bad kind", func(n *servicing.NewContract) { n.Kind = "rental" }, servicing.ErrInvalid},
			{"lease without terms", func(n *servicing.NewContract) { n.Kind = servicing.KindLease }, servicing.ErrInvalid},
			{"bad late fee rule", func(n *servicing.NewContract) { n.LateFee.Kind = "sometimes" }, servicing.ErrInvalid},
			{"grace too long", func(n *servicing.NewContract) { n.GraceDays = 90 }, servicing.ErrInvalid},
		}
		before := countRows(t, dbx)
		for _, tc := range tests {
			nc := good()
			tc.edit(&nc)
			if _, err := sv.OpenContract(ctx, nc); !errors.Is(err, tc.err) {
				t.Errorf("%s: err = %v, want %v", tc.name, err, tc.err)
			}
		}
		if countRows(t, dbx) != before {
			t.Error("a refused contract wrote rows")
		}
		if _, err := sv.OpenContract(ctx, good()); err != nil {
			t.Errorf("the good contract: %v", err)
		}
	})
}
