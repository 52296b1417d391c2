package payments_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/money"
	"carfin/payments"
	"carfin/payments/ach"
	"carfin/servicing"
)

// benchDebits is the book size of BenchmarkAutopayRunAndFile:
// CARFIN_BENCH_DEBITS (default 2,000; the figure is 150,000).
func benchDebits(b *testing.B) int {
	if s := os.Getenv("CARFIN_BENCH_DEBITS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("CARFIN_BENCH_DEBITS=%q", s)
		}
		return n
	}
	return 2000
}

// benchDB is PostgreSQL when CARFIN_TEST_POSTGRES_URL is set (the
// production engine the goal is stated for), else SQLite.
func benchDB(b *testing.B) *db.DB {
	if os.Getenv(dbtest.EnvPostgres) != "" {
		return dbtest.Postgres(b)
	}
	return dbtest.SQLite(b)
}

// loadAutopayBook loads n loans due on due, each enrolled in autopay
// from a validated bank account, in bulk.
func loadAutopayBook(b *testing.B, d *db.DB, pay *payments.Service, sv *servicing.Service, n int, due calendar.Date) {
	ctx := context.Background()
	custs := make([]servicing.NewCustomer, n)
	for i := range custs {
		custs[i] = servicing.NewCustomer{FirstName: "Bench", LastName: fmt.Sprint("Customer", i), Email: fmt.Sprintf("b%d@example.com", i),
			AddressLine1: "1 Main St", City: "Austin", State: "TX", ZIP: "73301", BirthDate: calendar.New(1985, 5, 5), SSNLast4: "4321"}
	}
	ids, err := sv.CreateCustomers(ctx, custs)
	if err != nil {
		b.Fatal(err)
	}
	ncs := make([]servicing.NewContract, n)
	for i, c := range ids {
		ncs[i] = servicing.NewContract{AccountNumber: fmt.Sprintf("B-%07d", i), CustomerID: c,
			VIN: servicing.WithCheckDigit(fmt.Sprintf("5YJ3E1EA0P%07d", i)), VehicleYear: 2024, Make: "Tesla", Model: "Model 3",
			Kind: servicing.KindLoan, AmountFinancedCents: money.Cents(20000_00 + int64(i%500)*10_00), APR: money.MustParseRate("5.9"),
			TermMonths: 60, ContractDate: due.AddMonths(-1), FirstDue: due, GraceDays: 10,
			LateFee: servicing.LateFeeRule{Kind: "fixed", FixedCents: 25_00}, NSFFeeCents: 25_00}
	}
	contracts, err := sv.OpenContracts(ctx, ncs)
	if err != nil {
		b.Fatal(err)
	}
	routings := []string{"112601818", "129083018", "226131863", "029139091", "210308246", "222819480", "061993512", "039093787"}
	const batch = 20_000
	for start := 0; start < n; start += batch {
		end := min(start+batch, n)
		err := d.InTx(ctx, func(tx *db.Tx) error {
			mids, err := tx.NextIDs(ctx, "payment_methods", end-start)
			if err != nil {
				return err
			}
			now := tx.Now()
			var methods, enrols [][]any
			for j, i := 0, start; i < end; j, i = j+1, i+1 {
				acct := fmt.Sprintf("%09d", 100000000+i)
				keyID, sealed := payments.SealForTest(pay, acct, ids[i])
				methods = append(methods, []any{mids[j], ids[i], "bank", "active", fmt.Sprint("Bench Customer", i), "checking", routings[i%len(routings)],
					"Bench Bank", sealed, keyID, acct[len(acct)-4:], "prenote", now, now, now})
				enrols = append(enrols, []any{ids[i], contracts[i], mids[j], "active", int64(0), 0, 1, due, "WEB", "bench authorization",
					payments.AuthorizationVersion, now, now, now})
			}
			if err := tx.CopyFrom(ctx, "payment_methods", []string{"id", "customer_id", "kind", "status", "holder_name", "account_type", "routing_number",
				"bank_name", "account_cipher", "account_key_id", "last4", "validation", "validated_at", "created_at", "updated_at"}, methods); err != nil {
				return err
			}
			return tx.CopyFrom(ctx, "autopay_enrolments", []string{"customer_id", "contract_id", "method_id", "status", "extra_cents", "days_before", "first_installment",
				"start_date", "sec_code", "authorization_text", "authorization_version", "authorized_at", "created_at", "updated_at"}, enrols)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if d.Engine == db.Postgres {
		if _, err := d.SQL.ExecContext(ctx, `ANALYZE`); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAutopayRunAndFile times the evening of a big autopay day: the
// autopay run creating N debits, then the NACHA file posting each to
// servicing (waterfall and ledger) and writing the file. The goal (issue
// 6): 150,000 debits on PostgreSQL in under 15 s. Run it as
//
//	CARFIN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	CARFIN_BENCH_DEBITS=150000 go test -run XXX -bench AutopayRunAndFile -benchtime 1x -timeout 30m ./payments/
func BenchmarkAutopayRunAndFile(b *testing.B) {
	n := benchDebits(b)
	due := day("2026-11-16") // a Monday
	for range b.N {
		b.StopTimer()
		d := benchDB(b)
		c := dbtest.ClockOf(d)
		cut, _ := calendar.ParseCutoff("17:00", "America/New_York")
		y, m, dd := calendar.AddBusinessDays(due, -5).Date()
		c.Set(time.Date(y, m, dd, 10, 0, 0, 0, cut.Location))
		sv := servicing.New(d, cut.Today)
		pay, err := payments.New(d, sv, payments.Config{Cutoff: cut, Keys: payments.DevKeyring(), Directory: ach.SampleDirectory(), OutDir: b.TempDir(),
			Origin: payments.Origin{ODFIRouting: odfi, CompanyID: "1987654321", CompanyName: "Bench Finance"}, LenderName: "Bench Finance",
			Log: benchLog()})
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		loadAutopayBook(b, d, pay, sv, n, due)
		b.Logf("loaded %d enrolled loans in %s (%s)", n, time.Since(t0).Round(time.Millisecond), d.Engine)
		y, m, dd = due.Date()
		c.Set(time.Date(y, m, dd, 17, 30, 0, 0, cut.Location))
		ctx := context.Background()
		b.StartTimer()

		t0 = time.Now()
		st, err := pay.RunAutopay(ctx, due)
		if err != nil || st.Created != n {
			b.Fatalf("autopay: %+v %v", st, err)
		}
		tAutopay := time.Since(t0)
		t1 := time.Now()
		res, err := pay.OriginateACH(ctx, due)
		if err != nil || res.Posted != n || res.Debits != n {
			b.Fatalf("file: %+v %v", res, err)
		}
		tFile := time.Since(t1)
		total := time.Since(t0)

		b.StopTimer()
		b.ReportMetric(float64(n)/total.Seconds(), "debits/s")
		b.ReportMetric(tAutopay.Seconds(), "s-autopay")
		b.ReportMetric(tFile.Seconds(), "s-file")
		b.ReportMetric(total.Seconds(), "s-total")
		b.Logf("%d debits: autopay run %s, NACHA file (posting + writing) %s, total %s; file %s, %s debits",
			n, tAutopay.Round(time.Millisecond), tFile.Round(time.Millisecond), total.Round(time.Millisecond), res.Path, res.DebitCents.Dollars())
		if n <= 20_000 {
			if f, err := servicing.Check(ctx, d); err != nil || len(f) > 0 {
				b.Fatalf("check: %v %v", f, err)
			}
		}
		b.StartTimer()
	}
}

// BenchmarkPayConcurrent times one-time payment submissions (validation,
// payoff quote, insert, receipt PDF, email, audit) by 8 concurrent
// customers and reports the p50 and p99 latency. The goal (issue 6): p99
// under 50 ms on PostgreSQL.
func BenchmarkPayConcurrent(b *testing.B) {
	const workers, perWorker = 8, 50
	for range b.N {
		b.StopTimer()
		d := benchDB(b)
		c := dbtest.ClockOf(d)
		cut, _ := calendar.ParseCutoff("17:00", "America/New_York")
		c.Set(time.Date(2026, 11, 2, 10, 0, 0, 0, cut.Location))
		sv := servicing.New(d, cut.Today)
		pay, err := payments.New(d, sv, payments.Config{Cutoff: cut, Keys: payments.DevKeyring(), Directory: ach.SampleDirectory(), OutDir: b.TempDir(),
			LenderName: "Bench Finance", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		loadAutopayBook(b, d, pay, sv, workers, day("2026-11-16"))
		ctx := context.Background()
		var customers, contracts, methods []int64
		rows, err := d.Read.QueryContext(ctx, `SELECT e.customer_id, e.contract_id, e.method_id FROM autopay_enrolments e ORDER BY e.id`)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			var cu, co, me int64
			if err := rows.Scan(&cu, &co, &me); err != nil {
				b.Fatal(err)
			}
			customers, contracts, methods = append(customers, cu), append(contracts, co), append(methods, me)
		}
		rows.Close()
		lat := make([][]time.Duration, workers)
		b.StartTimer()
		var wg sync.WaitGroup
		t0 := time.Now()
		for w := range workers {
			wg.Go(func() {
				for k := range perWorker {
					s := time.Now()
					// The same payment again and again, each confirmed as a
					// second one on purpose (Again), as a customer would.
					_, err := pay.Pay(ctx, customers[w], payments.OneTime{ContractID: contracts[w], MethodID: methods[w], Choice: payments.PayOther,
						Other: "1.00", Date: day("2026-11-10"), IdempotencyKey: fmt.Sprintf("bench-%d", k), Again: true})
					if err != nil {
						b.Error(err)
						return
					}
					lat[w] = append(lat[w], time.Since(s))
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(t0)
		b.StopTimer()
		var all []time.Duration
		for _, l := range lat {
			all = append(all, l...)
		}
		slices.Sort(all)
		if len(all) == 0 {
			b.Fatal("no payments")
		}
		p := func(q float64) time.Duration { return all[min(len(all)-1, int(q*float64(len(all))))] }
		b.ReportMetric(float64(p(0.50).Microseconds())/1000, "ms-p50")
		b.ReportMetric(float64(p(0.99).Microseconds())/1000, "ms-p99")
		b.ReportMetric(float64(len(all))/elapsed.Seconds(), "payments/s")
		b.Logf("%d payments by %d customers at once (%s): p50 %s, p99 %s, max %s", len(all), workers, d.Engine, p(0.5), p(0.99), all[len(all)-1])
		b.StartTimer()
	}
}

// benchLog discards the logs, or writes them (with the timing of each
// chunk) when CARFIN_BENCH_LOG is set.
func benchLog() *slog.Logger {
	if os.Getenv("CARFIN_BENCH_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
