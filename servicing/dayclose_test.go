package servicing_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/ledger"
	"carfin/money"
	"carfin/servicing"
)

func openLease(t *testing.T, sv *servicing.Service, start, firstDue string) int64 {
	t.Helper()
	ctx := context.Background()
	cust, err := sv.CreateCustomer(ctx, servicing.NewCustomer{FirstName: "Lee", LastName: "Sato", Email: "lee@example.com",
		AddressLine1: "2 Oak Ave", City: "Dayton", State: "OH", ZIP: "45402", BirthDate: d("1975-07-04"), SSNLast4: "9876"})
	if err != nil {
		t.Fatal(err)
	}
	vinSeq++
	id, err := sv.OpenContract(ctx, servicing.NewContract{
		AccountNumber: fmt.Sprintf("NL-%07d", vinSeq), CustomerID: cust, VIN: testVIN(), VehicleYear: 2024, Make: "Mazda", Model: "CX-5",
		Kind: servicing.KindLease, TermMonths: 36, ContractDate: d(start), FirstDue: d(firstDue), GraceDays: 10,
		LateFee: servicing.LateFeeRule{Kind: "fixed", FixedCents: c("20")}, NSFFeeCents: c("25"),
		Lease: &servicing.NewLease{GrossCapCostCents: c("32000"), CapCostReductionCents: c("2000"), ResidualCents: c("18000"),
			MoneyFactor: 125000, TaxRate: money.MustParseRate("6.25"), MileageAllowance: 36000, ExcessMileRateCents: c("0.25"),
			PurchaseOptionCents: c("18000"), PurchaseFeeCents: c("350"), DispositionFeeCents: c("395"), OdometerStart: 12},
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// closeDays runs day close for every date from first through last.
func closeDays(t *testing.T, sv *servicing.Service, first, last calendar.Date) servicing.DayCloseStats {
	t.Helper()
	var total servicing.DayCloseStats
	for day := first; day <= last; day++ {
		st, err := sv.DayClose(context.Background(), day)
		if err != nil {
			t.Fatalf("day close %s: %v", day, err)
		}
		total.LateFees += st.LateFees
		total.Chunks += st.Chunks
	}
	return total
}

func countRows(t *testing.T, dbx *db.DB) int {
	var n int
	if err := dbx.Read.QueryRowContext(context.Background(), `SELECT (SELECT count(*) FROM ledger_postings) + (SELECT count(*) FROM servicing_events)`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDayClose(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dbx *db.DB) {
		ctx := context.Background()
		sv, _ := newService(t, dbx, "2024-06-30")
		good := openLoan(t, sv, "18000", "5.9", 60, "2024-01-10", "2024-02-10")
		late := openLoan(t, sv, "9000", "11.5", 48, "2024-01-10", "2024-02-10")
		lease := openLease(t, sv, "2024-01-10", "2024-02-10")
		// The good loan pays each month on the due date, the lease too;
		// the late loan pays nothing.
		var leasePayment, goodPayment money.Cents
		_ = dbx.Read.QueryRowContext(ctx, `SELECT payment_cents FROM contracts WHERE id = $1`, lease).Scan(&leasePayment)
		_ = dbx.Read.QueryRowContext(ctx, `SELECT payment_cents FROM contracts WHERE id = $1`, good).Scan(&goodPayment)
		for day := d("2024-01-10"); day <= d("2024-04-30"); day++ {
			if day.Day() == 10 && day > d("2024-01-10") {
				if _, err := sv.PostPayment(ctx, req(good, day.String(), "g"+day.String()), goodPayment); err != nil {
					t.Fatal(err)
				}
				if _, err := sv.PostPayment(ctx, req(lease, day.String(), "l"+day.String()), leasePayment); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := sv.DayClose(ctx, day); err != nil {
				t.Fatal(err)
			}
		}
		var dpd int
		var bucket string
		var fees money.Cents
		_ = dbx.Read.QueryRowContext(ctx, `SELECT days_past_due, bucket, fees_cents FROM contract_balances WHERE contract_id = $1`, late).Scan(&dpd, &bucket, &fees)
		// Unpaid since Feb 10: on Apr 30 that is 80 days past due, three
		// late fees (Feb, Mar, Apr installments, each after 10 days' grace).
		if dpd != 80 || bucket != "60-89" {
			t.Errorf("late loan: %d days past due, bucket %s", dpd, bucket)
		}
		// Worked by hand: the installment of $9,000 at 11.5 % over 48
		// months is $234.80; 5 % of it is $11.74, under the $15 floor, so
		// each fee is $15.00.
		if fees != c("45") {
			t.Errorf("late loan fees %s, want 3 × $15.00", fees)
		}
		_ = dbx.Read.QueryRowContext(ctx, `SELECT days_past_due FROM contract_balances WHERE contract_id = $1`, good).Scan(&dpd)
		if dpd != 0 {
			t.Errorf("good loan %d days past due", dpd)
		}
		// The lease billed four payments and was paid for each.
		var billed, leaseAsset money.Cents
		bal, _ := ledger.Balances(ctx, dbx.Read, lease)
		billed, leaseAsset = bal[servicing.AccountBilled], bal[servicing.AccountLeaseAsset]
		if billed != 0 || leaseAsset >= c("30000") {
			t.Errorf("lease billed %s, net investment %s", billed, leaseAsset)
		}
		// The general-ledger accrual is the late loan's interest since
		// funding plus the good loan's since its last payment, each
		// rounded down, worked by hand (365/365):
		//   late: $9,000.00 × 11.5 % × 111 days (Jan 10 – Apr 30, 2024) / 365 = $314.7534… → $314.75
		//   good: $18,000 at 5.9 %, $347.15 a month, paid Feb 10, Mar 10, Apr 10:
		//     interest $90.20, $83.17, $87.59 → principal $17,743.05, $17,479.07, $17,219.51;
		//     then $17,219.51 × 5.9 % × 20 days / 365 = $55.6667… → $55.66
		//   total $370.41.
		var goodPrincipal money.Cents
		_ = dbx.Read.QueryRowContext(ctx, `SELECT principal_cents FROM contract_balances WHERE contract_id = $1`, good).Scan(&goodPrincipal)
		if goodPrincipal != c("17219.51") {
			t.Errorf("good loan principal %s, want $17,219.51", goodPrincipal)
		}
		gl, _ := ledger.AccountBalance(ctx, dbx.Read, servicing.AccountAccruedInterest)
		if gl != c("370.41") {
			t.Errorf("accrued interest receivable %s, want $370.41", gl)
		}
		// Closing a closed day again changes nothing.
		before := countRows(t, dbx)
		st, err := sv.DayClose(ctx, d("2024-04-30"))
		if err != nil || st.Chunks != 0 || st.Skipped == 0 || countRows(t, dbx) != before {
			t.Errorf("rerun: %+v %v", st, err)
		}
		// Day close refuses the future.
		if _, err := sv.DayClose(ctx, d("2024-07-01")); !errors.Is(err, servicing.ErrFutureDate) {
			t.Errorf("future day close: %v", err)
		}
		mustCheck(t, dbx)
	})
}

// TestDayCloseRestart: a day close that dies half-way through leaves whole
// chunks done or not done; rerunning finishes the rest exactly once, with
// the same result as an uninterrupted run on an identical book.
func TestDayCloseRestart(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dbx *db.DB) {
		ctx := context.Background()
		var books [2]*servicing.Service
		var dbs [2]*db.DB
		dbs[0] = dbx
		if dbx.Engine == db.SQLite {
			dbs[1] = dbtest.SQLite(t)
		} else {
			dbs[1] = dbtest.Postgres(t)
		}
		for i := range books {
			books[i], _ = newService(t, dbs[i], "2024-03-31")
			books[i].SetDayCloseChunkSize(4)
			for j := range 14 {
				openLoan(t, books[i], fmt.Sprint(8000+100*j), "7.5", 36, "2024-01-15", "2024-02-15")
			}
			closeDays(t, books[i], d("2024-01-15"), d("2024-03-29"))
		}
		// Book 0 crashes in its third chunk of March 30 (after the accrual,
		// before the chunk is recorded), then restarts.
		crash := errors.New("killed")
		var seen atomic.Int32
		servicing.SetCrashPointForTest(books[0], func(servicing.Chunk) error {
			if seen.Add(1) == 3 {
				return crash
			}
			return nil
		})
		if _, err := books[0].DayClose(ctx, d("2024-03-30")); !errors.Is(err, crash) {
			t.Fatalf("crash run: %v", err)
		}
		var chunksDone int
		_ = dbs[0].Read.QueryRowContext(ctx, `SELECT count(*) FROM day_close_chunks WHERE business_date = $1`, d("2024-03-30")).Scan(&chunksDone)
		// 14 contracts in chunks of 4: 4 chunks. The third failed; others
		// may have finished beside it (PostgreSQL closes chunks in parallel).
		if chunksDone < 2 || chunksDone > 3 {
			t.Errorf("%d chunks recorded after the crash, want 2 or 3 of 4", chunksDone)
		}
		servicing.SetCrashPointForTest(books[0], nil)
		st, err := books[0].DayClose(ctx, d("2024-03-30"))
		if err != nil || st.Skipped != chunksDone || st.Chunks != 4-chunksDone {
			t.Fatalf("restart after %d chunks: %+v %v", chunksDone, st, err)
		}
		if _, err := books[1].DayClose(ctx, d("2024-03-30")); err != nil {
			t.Fatal(err)
		}
		for _, account := range []string{servicing.AccountAccruedInterest, servicing.AccountFees, servicing.AccountFeeIncome, servicing.AccountPrincipal} {
			a, _ := ledger.AccountBalance(ctx, dbs[0].Read, account)
			b, _ := ledger.AccountBalance(ctx, dbs[1].Read, account)
			if a != b {
				t.Errorf("%s: restarted %s, uninterrupted %s", account, a, b)
			}
		}
		if countRows(t, dbs[0]) != countRows(t, dbs[1]) {
			t.Errorf("restarted book has %d rows, uninterrupted %d", countRows(t, dbs[0]), countRows(t, dbs[1]))
		}
		mustCheck(t, dbs[0])
	})
}

// TestLeaseThroughStore: billing, payments, payoff quote and lease-end.
func TestLeaseThroughStore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dbx *db.DB) {
		ctx := context.Background()
		sv, now := newService(t, dbx, "2027-03-01")
		id := openLease(t, sv, "2024-01-10", "2024-02-10")
		var payment money.Cents
		_ = dbx.Read.QueryRowContext(ctx, `SELECT payment_cents FROM contracts WHERE id = $1`, id).Scan(&payment)
		// 30.000 cap − 18,000 residual over 36 = 333.33; rent (30,000 + 18,000) × 0.00125 = 60.00;
		// base 393.33 + 6.25 % tax 24.58 = 417.91.
		if payment != c("417.91") {
			t.Errorf("lease payment %s", payment)
		}
		for k := range 36 {
			due := calendar.MonthlyOn(2024, time.Month(2+k), 10)
			if _, err := sv.PostPayment(ctx, req(id, due.String(), fmt.Sprint("p", k)), payment); err != nil {
				t.Fatalf("payment %d: %v", k, err)
			}
		}
		if err := sv.AdvanceContract(ctx, id, d("2027-01-20")); err != nil {
			t.Fatal(err)
		}
		q, err := sv.QuoteLeaseEnd(ctx, id, 40012)
		if err != nil {
			t.Fatal(err)
		}
		// 40,000 miles driven on a 36,000 allowance: 4,000 × 0.25 = 1,000.
		if q.ExcessMiles != 4000 || q.ExcessMileageCents != c("1000") || q.TurnInCents != c("1395") || q.PurchaseCents != c("18350") {
			t.Errorf("lease-end quote %+v", q)
		}
		pq, err := sv.QuotePayoff(ctx, id, d("2027-01-20"))
		if err != nil || pq.PayoffCents != c("18000") {
			t.Errorf("lease payoff %+v %v", pq, err)
		}
		if _, err := sv.QuoteLeaseEnd(ctx, id, 5); !errors.Is(err, servicing.ErrInvalid) {
			t.Errorf("odometer below signing: %v", err)
		}
		res, err := sv.TurnIn(ctx, req(id, "2027-01-25", "turnin"), 40012)
		if err != nil || res.Status != servicing.StatusTerminated {
			t.Fatalf("turn-in: %+v %v", res, err)
		}
		// The turn-in charges are still owed and payable.
		if _, err := sv.PostPayment(ctx, req(id, "2027-02-01", "fees"), c("1395")); err != nil {
			t.Fatal(err)
		}
		now.Set(d("2027-03-01").Time())
		mustCheck(t, dbx)
	})
}

// TestNSFWaiverWriteOff covers the fee operations and charge-off.
func TestNSFWaiverWriteOff(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dbx *db.DB) {
		ctx := context.Background()
		sv, _ := newService(t, dbx, "2024-09-30")
		id := openLoan(t, sv, "6000", "6", 36, "2024-01-01", "2024-02-01")
		pay, err := sv.PostPayment(ctx, req(id, "2024-02-01", "p1"), c("182.53"))
		if err != nil {
			t.Fatal(err)
		}
		// The payment is returned: reverse it and charge the NSF fee.
		if _, err := sv.Reverse(ctx, req(id, "2024-02-05", "ret"), pay.EventID); err != nil {
			t.Fatal(err)
		}
		if _, err := sv.AssessNSFFee(ctx, req(id, "2024-02-05", "nsf")); err != nil {
			t.Fatal(err)
		}
		if err := sv.AdvanceContract(ctx, id, d("2024-02-20")); err != nil {
			t.Fatal(err)
		}
		bal, _ := ledger.Balances(ctx, dbx.Read, id)
		// NSF 25.00 + late fee 15.00 (5 % of 182.53 = 9.13, so the 15.00 minimum).
		if bal[servicing.AccountFees] != c("40") {
			t.Errorf("fees %s", bal[servicing.AccountFees])
		}
		if _, err := sv.WaiveFee(ctx, req(id, "2024-02-20", "waive"), c("15")); err != nil {
			t.Fatal(err)
		}
		res, err := sv.WriteOff(ctx, req(id, "2024-09-30", "chargeoff"))
		if err != nil || res.Status != servicing.StatusChargedOff {
			t.Fatalf("write-off: %+v %v", res, err)
		}
		bal, _ = ledger.Balances(ctx, dbx.Read, id)
		if bal[servicing.AccountPrincipal] != 0 || bal[servicing.AccountFees] != 0 || bal[servicing.AccountInterest] != 0 {
			t.Errorf("after write-off: %v", bal)
		}
		loss, _ := ledger.AccountBalance(ctx, dbx.Read, servicing.AccountChargeOffs)
		if loss <= c("6000") {
			t.Errorf("charge-off loss %s", loss)
		}
		mustCheck(t, dbx)
	})
}

// TestDayCloseConcurrent: four closers of the same date at the same moment
// (four instances' day-close jobs) close each chunk once, none fails, and
// the book equals one closed by a single closer. Before, a closer that
// lost the race for a chunk failed with the chunk's unique key.
func TestDayCloseConcurrent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dbx *db.DB) {
		ctx := context.Background()
		var books [2]*servicing.Service
		dbs := [2]*db.DB{dbx, nil}
		if dbx.Engine == db.SQLite {
			dbs[1] = dbtest.SQLite(t)
		} else {
			dbs[1] = dbtest.Postgres(t)
		}
		for i := range books {
			books[i], _ = newService(t, dbs[i], "2024-03-31")
			books[i].SetDayCloseChunkSize(4)
			for j := range 14 {
				openLoan(t, books[i], fmt.Sprint(8000+100*j), "7.5", 36, "2024-01-15", "2024-02-15")
			}
			closeDays(t, books[i], d("2024-01-15"), d("2024-03-29"))
		}
		const closers = 4
		stats := make(chan servicing.DayCloseStats, closers)
		errs := make(chan error, closers)
		var start sync.WaitGroup
		start.Add(1)
		for range closers {
			go func() {
				start.Wait()
				st, err := books[0].DayClose(ctx, d("2024-03-30"))
				stats <- st
				errs <- err
			}()
		}
		start.Done()
		chunks := 0
		for range closers {
			if err := <-errs; err != nil {
				t.Errorf("a closer failed: %v", err)
			}
			chunks += (<-stats).Chunks
		}
		if chunks != 4 {
			t.Errorf("%d chunks closed by four closers, want each of the 4 once", chunks)
		}
		if _, err := books[1].DayClose(ctx, d("2024-03-30")); err != nil {
			t.Fatal(err)
		}
		for _, account := range []string{servicing.AccountAccruedInterest, servicing.AccountFees, servicing.AccountFeeIncome, servicing.AccountPrincipal} {
			a, _ := ledger.AccountBalance(ctx, dbs[0].Read, account)
			b, _ := ledger.AccountBalance(ctx, dbs[1].Read, account)
			if a != b {
				t.Errorf("%s: %s after concurrent closers, %s after one", account, a, b)
			}
		}
		mustCheck(t, dbs[0])
	})
}

// TestDayCloseOvertaken: a closer that found a chunk open and is then
// overtaken by another closing it (committed before its first write)
// skips the chunk whatever its writes fail on, and the chunk is closed
// once. PostgreSQL: two processes' transactions (SQLite has one writer).
func TestDayCloseOvertaken(t *testing.T) {
	dbx := dbtest.Postgres(t)
	ctx := context.Background()
	a, _ := newService(t, dbx, "2024-03-31")
	a.SetDayCloseChunkSize(4)
	for j := range 8 {
		openLoan(t, a, fmt.Sprint(8000+100*j), "7.5", 36, "2024-01-15", "2024-02-15")
	}
	closeDays(t, a, d("2024-01-15"), d("2024-03-29"))
	b, _ := newService(t, dbx, "2024-03-31") // another process
	b.SetDayCloseChunkSize(4)
	// DayClose runs a chunk per core at once: the hook counts atomically.
	var overtakenN atomic.Int64
	servicing.SetChunkCheckedForTest(a, func(ch servicing.Chunk) {
		st, err := b.DayCloseChunk(ctx, d("2024-03-30"), ch)
		if err != nil || st.Chunks != 1 {
			t.Errorf("the other closer: %+v %v", st, err)
		}
		overtakenN.Add(1)
	})
	st, err := a.DayClose(ctx, d("2024-03-30"))
	if err != nil {
		t.Fatalf("an overtaken closer failed: %v", err)
	}
	overtaken := int(overtakenN.Load())
	if overtaken == 0 || st.Chunks != 0 || st.Skipped != overtaken {
		t.Errorf("overtaken %d times; the closer's stats %+v, want every chunk skipped", overtaken, st)
	}
	var chunks int
	if err := dbx.Read.QueryRowContext(ctx, `SELECT count(*) FROM day_close_chunks WHERE business_date = $1`, d("2024-03-30")).Scan(&chunks); err != nil {
		t.Fatal(err)
	}
	if chunks != 2 {
		t.Errorf("%d chunk rows for the date, want 2", chunks)
	}
	if f, err := servicing.Check(ctx, dbx); err != nil || len(f) > 0 {
		t.Errorf("check: %v %v", f, err)
	}
}
