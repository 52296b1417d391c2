package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"sync"
	"time"

	"carfin/calendar"
	"carfin/money"
	"carfin/servicing"
)

// runBench: carfin bench --db DSN --contracts N [--batch M]
//
// Loads N synthetic loans (once; a rerun on the same database reuses
// them) and times the servicing paths the issues set goals for: posting
// payments one at a time, with 8 concurrent posters, in batches, and a
// day close over the whole book. It prints one line per measurement.
func runBench(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "statements" {
		return runBenchStatements(ctx, args[1:], getenv, stdout)
	}
	if len(args) > 0 && args[0] == "soak" {
		return runBenchSoak(ctx, args[1:], getenv, stdout)
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var f dbFlags
	f.register(fs, getenv)
	n := fs.Int("contracts", 100_000, "synthetic contracts in the book")
	batch := fs.Int("batch", 50_000, "payments in the batch measurement")
	serial := fs.Int("serial", 2000, "payments posted one at a time")
	concurrent := fs.Int("concurrent", 4000, "payments posted by 8 concurrent posters")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the batch measurement to this file")
	tag := fs.String("tag", "", "distinguishes the payments' idempotency keys, to run the measurements again on the same book")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *n < *serial+*concurrent+*batch {
		return usagef("bench: --contracts must be at least --serial + --concurrent + --batch")
	}
	cutoff, err := f.cutoffOf()
	if err != nil {
		return err
	}
	d, err := openDB(ctx, f.dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	sv := servicing.New(d, cutoff.Today)
	today := cutoff.Today(d.Now())
	report := func(what string, count int, took time.Duration) {
		fmt.Fprintf(stdout, "%-34s %9d in %8s = %10.0f/s\n", what, count, took.Round(time.Millisecond), float64(count)/took.Seconds())
	}

	var have int
	if err := d.Read.QueryRowContext(ctx, `SELECT count(*) FROM contracts`).Scan(&have); err != nil {
		return err
	}
	if have < *n {
		t0 := time.Now()
		if err := loadSynthetic(ctx, sv, have, *n, today); err != nil {
			return err
		}
		report("load contracts (bulk import)", *n-have, time.Since(t0))
		t0 = time.Now()
		if _, err := sv.DayClose(ctx, today-1); err != nil {
			return err
		}
		report("catch-up day close to yesterday", *n, time.Since(t0))
	}
	var payment money.Cents = 250_00
	key := func(kind string, id int) string { return fmt.Sprintf("bench:%s%s:%s:%d", today, *tag, kind, id) }
	req := func(kind string, id int) servicing.Request {
		return servicing.Request{ContractID: int64(id), Date: today, IdempotencyKey: key(kind, id), Actor: "bench"}
	}

	t0 := time.Now()
	for id := 1; id <= *serial; id++ {
		if _, err := sv.PostPayment(ctx, req("serial", id), payment); err != nil {
			return fmt.Errorf("serial payment %d: %w", id, err)
		}
	}
	report("payments, one at a time", *serial, time.Since(t0))

	t0 = time.Now()
	const posters = 8
	var wg sync.WaitGroup
	errs := make(chan error, posters)
	per := *concurrent / posters
	for p := range posters {
		wg.Go(func() {
			for k := range per {
				id := *serial + 1 + p*per + k
				if _, err := sv.PostPayment(ctx, req("concurrent", id), payment); err != nil {
					errs <- fmt.Errorf("concurrent payment %d: %w", id, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	report("payments, 8 concurrent posters", per*posters, time.Since(t0))

	reqs := make([]servicing.PaymentRequest, *batch)
	for i := range reqs {
		id := *serial + *concurrent + 1 + i
		reqs[i] = servicing.PaymentRequest{Request: req("batch", id), AmountCents: payment}
	}
	if *cpuProfile != "" {
		pf, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
	}
	t0 = time.Now()
	res, err := sv.PostPayments(ctx, reqs)
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return err
	}
	for i, r := range res {
		if r.Err != nil {
			return fmt.Errorf("batch payment %d: %w", i, r.Err)
		}
	}
	report("payments, batch API", len(reqs), time.Since(t0))

	t0 = time.Now()
	st, err := sv.DayClose(ctx, today)
	if err != nil {
		return err
	}
	report(fmt.Sprintf("day close (%d advanced, %d fees)", st.Advanced, st.LateFees), st.Contracts, time.Since(t0))
	return nil
}

// loadSynthetic imports contracts have+1..n: loans of 12–24 months signed
// over the last 90 days, due days spread over the month, a customer per
// ten contracts.
func loadSynthetic(ctx context.Context, sv *servicing.Service, have, n int, today calendar.Date) error {
	rng := rand.New(rand.NewPCG(uint64(have), 7))
	const chunk = 5000
	for start := have; start < n; start += chunk {
		end := min(start+chunk, n)
		var custs []servicing.NewCustomer
		for i := start; i < end; i += 10 {
			custs = append(custs, servicing.NewCustomer{FirstName: "Bench", LastName: fmt.Sprint("Customer", i/10),
				Email: fmt.Sprintf("bench%d@example.com", i/10), AddressLine1: "1 Bench Way", City: "Testville", State: "OH",
				ZIP: "43004", BirthDate: calendar.New(1980, 1, 1), SSNLast4: "0000"})
		}
		custIDs, err := sv.CreateCustomers(ctx, custs)
		if err != nil {
			return err
		}
		ncs := make([]servicing.NewContract, 0, end-start)
		for i := start; i < end; i++ {
			signed := today.AddDays(-90 + rng.IntN(89))
			first := calendar.MonthlyOn(signed.Year(), signed.Month()+1, 1+rng.IntN(28))
			if first-signed < 20 {
				first = first.AddMonths(1)
			}
			ncs = append(ncs, servicing.NewContract{
				AccountNumber: fmt.Sprintf("BENCH-%08d", i+1), CustomerID: custIDs[(i-start)/10],
				VIN: servicing.WithCheckDigit(fmt.Sprintf("1BNCH0000%08d", i+1)), VehicleYear: 2024, Make: "Bench", Model: "Sedan",
				Kind: servicing.KindLoan, AmountFinancedCents: money.Cents(5000_00 + rng.Int64N(50000_00)),
				APR: money.Rate(rng.Int64N(15 * money.RateScale)), TermMonths: 12 + rng.IntN(13),
				ContractDate: signed, FirstDue: first, GraceDays: 10,
				LateFee: servicing.LateFeeRule{Kind: "fixed", FixedCents: 25_00}, NSFFeeCents: 25_00,
			})
		}
		if _, err := sv.OpenContracts(ctx, ncs); err != nil {
			return err
		}
	}
	return nil
}
