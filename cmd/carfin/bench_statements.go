package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"carfin/calendar"
	"carfin/mailhouse"
	"carfin/servicing"
	"carfin/statements"
	"carfin/web"
	"carfin/webcore"
)

// runBenchStatements: carfin bench statements --db DSN --contracts N
//
// Loads N synthetic loans (as carfin bench does, reusing them) and makes
// a whole month's statements, PDFs included: the statement run of each
// of the next 28 days, which together give every contract its statement
// once (due days are spread over the month). Then it times the PDF
// renderer alone with one renderer per core, to hold against the PDF
// probe (../shared/perfprobe pdf) run with the same cores.
func runBenchStatements(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench statements", flag.ContinueOnError)
	var f dbFlags
	f.register(fs, getenv)
	n := fs.Int("contracts", 100_000, "synthetic contracts in the book")
	days := fs.Int("days", 28, "statement dates to run, from today")
	renderFor := fs.Duration("render-for", 10*time.Second, "how long the renderer alone is timed")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the statement runs to this file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	tuneGC(getenv) // as serve and the job processes run
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
		fmt.Fprintf(stdout, "%-42s %9d in %8s = %10.0f/s\n", what, count, took.Round(time.Millisecond), float64(count)/took.Seconds())
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
	}
	b := webcore.DefaultBrand
	lender := statementLender(b, []web.MailingAddress{{Kind: "correspondence", Lines: []string{"PO Box 4100", "Columbus, OH 43216"}},
		{Kind: "payments", Lines: []string{"PO Box 4200", "Columbus, OH 43216"}}}, "", "https://portal.example")
	st, err := statements.New(d, sv, statements.Config{Lender: lender, BaseURL: "https://portal.example", Print: mailhouse.EnqueueMany})
	if err != nil {
		return err
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
	var total statements.Stats
	t0 := time.Now()
	for day := today; day < today.AddDays(*days); day++ {
		t1 := time.Now()
		s, err := st.Run(ctx, day)
		if err != nil {
			return err
		}
		total.Statements += s.Statements
		total.PDFBytes += s.PDFBytes
		fmt.Fprintf(stdout, "  %s: %d statements in %s\n", day, s.Statements, time.Since(t1).Round(time.Millisecond))
	}
	took := time.Since(t0)
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	report("statements incl. PDFs, stored and queued", total.Statements, took)
	if total.Statements > 0 {
		fmt.Fprintf(stdout, "%-42s %9d bytes per statement; 1,000,000 would take %s\n", "", total.PDFBytes/int64(total.Statements),
			(took * time.Duration(1_000_000) / time.Duration(total.Statements)).Round(time.Second))
	}
	return benchRender(ctx, st, sv, today, *renderFor, report)
}

// benchRender renders one contract's statement over and over with one
// renderer per core (GOMAXPROCS), for the PDF rate alone.
func benchRender(ctx context.Context, st *statements.Service, sv *servicing.Service, today calendar.Date, dur time.Duration,
	report func(string, int, time.Duration)) error {
	x, err := st.Preview(ctx, 1, today)
	if err != nil {
		return err
	}
	lender := st.Config().Lender
	workers := runtime.GOMAXPROCS(0)
	var count atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	t0 := time.Now()
	for range workers {
		wg.Go(func() {
			for time.Since(t0) < dur {
				if _, err := statements.Render(lender, x); err != nil {
					errs <- err
					return
				}
				count.Add(1)
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	report(fmt.Sprintf("statement PDFs alone, %d renderers", workers), int(count.Load()), time.Since(t0))
	return nil
}
