package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"carfin/approvals"
	"carfin/audit"
	"carfin/calendar"
	"carfin/db"
	"carfin/jobs"
	"carfin/ledger"
	"carfin/payments"
	"carfin/servicing"
)

// Defaults for the database and the lender's day.
const (
	defaultDB       = "sqlite:./data/carfin.db"
	defaultTimeZone = "America/New_York"
	defaultCutoff   = "17:00"
)

// dbFlags are the flags every database command takes.
type dbFlags struct {
	dsn      string
	timeZone string
	cutoff   string
}

func (f *dbFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&f.dsn, "db", envOr(getenv, "CARFIN_DB", defaultDB), "database: sqlite:PATH or postgres://… (env CARFIN_DB)")
	fs.StringVar(&f.timeZone, "time-zone", envOr(getenv, "CARFIN_TIME_ZONE", defaultTimeZone), "lender time zone, IANA name (env CARFIN_TIME_ZONE)")
	fs.StringVar(&f.cutoff, "cutoff", envOr(getenv, "CARFIN_CUTOFF", defaultCutoff), "daily payment cut-off HH:MM (env CARFIN_CUTOFF)")
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// cutoffOf parses the lender's cut-off and zone, naming the flag on error.
func (f *dbFlags) cutoffOf() (calendar.Cutoff, error) {
	c, err := calendar.ParseCutoff(f.cutoff, f.timeZone)
	if err != nil {
		return calendar.Cutoff{}, usagef("--cutoff/--time-zone: %v", err)
	}
	return c, nil
}

// openDB opens and migrates the database (carfin's schema and River's).
func openDB(ctx context.Context, dsn string, opts ...db.Option) (*db.DB, error) {
	d, err := db.Open(ctx, dsn, opts...)
	if err != nil {
		return nil, err
	}
	if err := d.Migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	if err := jobs.Migrate(ctx, d); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return usagef("%s: %v", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

// runMigrate: carfin migrate [--db DSN]
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	var f dbFlags
	f.register(fs, getenv)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	d, err := openDB(ctx, f.dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	cur, _, err := d.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: schema at version %d\n", d.DSN, cur)
	return nil
}

// runCheck: carfin check [--db DSN] verifies the ledger, every contract
// against a replay of its history, and the audit chain. It prints each
// finding and fails if there is any.
func runCheck(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	var f dbFlags
	f.register(fs, getenv)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	d, err := db.Open(ctx, f.dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	// A schema ahead of this carfin is a newer release's during a rolling
	// upgrade (README, "Upgrades"): checked all the same, and said so.
	pending, newer, err := d.SchemaStatus(ctx)
	if err != nil {
		return err
	}
	if len(pending) > 0 {
		return fmt.Errorf("the schema lacks %d of this carfin's migrations (%v): run carfin migrate", len(pending), pending)
	}
	if len(newer) > 0 {
		fmt.Fprintf(stdout, "the schema has %d migrations of a newer carfin (%v): checked with this carfin's rules\n", len(newer), newer)
	}
	var findings []string
	lf, err := ledger.Check(ctx, d.Read)
	if err != nil {
		return err
	}
	sf, err := servicing.Check(ctx, d)
	if err != nil {
		return err
	}
	tf, err := payments.CheckInTransit(ctx, d)
	if err != nil {
		return err
	}
	for _, f := range append(append(lf, sf...), tf...) {
		findings = append(findings, f.String())
	}
	af, err := audit.Verify(ctx, d)
	if err != nil {
		return err
	}
	if !af.OK() {
		findings = append(findings, af.String())
	}
	var contracts, transactions int
	_ = d.Read.QueryRowContext(ctx, `SELECT count(*) FROM contracts`).Scan(&contracts)
	_ = d.Read.QueryRowContext(ctx, `SELECT count(*) FROM ledger_transactions`).Scan(&transactions)
	for _, f := range findings {
		fmt.Fprintln(stdout, "FINDING:", f)
	}
	fmt.Fprintf(stdout, "checked %d contracts, %d ledger transactions, audit chain of %d events: %d finding(s)\n",
		contracts, transactions, af.Checked, len(findings))
	if len(findings) > 0 {
		return checkFailed{len(findings)}
	}
	return nil
}

// runJobs: carfin jobs run | dayclose --date D | close-through --date D
func runJobs(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("jobs: want run, dayclose --date D, or close-through --date D")
	}
	fs := flag.NewFlagSet("jobs "+args[0], flag.ContinueOnError)
	var f dbFlags
	f.register(fs, getenv)
	var dateStr string
	var chunkSize int64
	if args[0] != "run" {
		fs.StringVar(&dateStr, "date", "", "business date YYYY-MM-DD")
	}
	fs.Int64Var(&chunkSize, "chunk-size", servicing.DayCloseChunkSize, "contract ids per day-close chunk")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	cutoff, err := f.cutoffOf()
	if err != nil {
		return err
	}
	var date calendar.Date
	if args[0] != "run" {
		if date, err = calendar.Parse(dateStr); err != nil {
			return usagef("jobs %s: --date: %v", args[0], err)
		}
	}
	d, err := openDB(ctx, f.dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	sv := servicing.New(d, cutoff.Today)
	if chunkSize < 1 {
		return usagef("jobs: --chunk-size must be positive")
	}
	sv.SetDayCloseChunkSize(chunkSize)
	switch args[0] {
	case "dayclose", "close-through":
		from := date
		if args[0] == "close-through" {
			last, err := sv.LastClosedDate(ctx)
			if err != nil {
				return err
			}
			if from = last + 1; last == 0 {
				if err := d.Read.QueryRowContext(ctx, `SELECT MIN(advanced_through) FROM contract_balances`).Scan(&from); err != nil {
					return err
				}
			}
		}
		for day := from; day <= date; day++ {
			t0 := time.Now()
			st, err := sv.DayClose(ctx, day)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s: %d chunks closed (%d already), %d contracts, %d advanced, %d late fees, accrual %+s, %s\n",
				day, st.Chunks, st.Skipped, st.Contracts, st.Advanced, st.LateFees, st.AccruedCents, time.Since(t0).Round(time.Millisecond))
		}
		return nil
	case "run":
		tuneGC(getenv) // as serve: day close and statements allocate
		log := slog.New(slog.NewTextHandler(stderr, nil))
		pay, err := paymentsFromEnv(getenv, d, sv, cutoff, log)
		if err != nil {
			return err
		}
		jc := jobs.Config{Servicing: sv, Today: func() calendar.Date { return cutoff.Today(d.Now()) },
			Log: log, Periodic: true, Payments: pay, Approvals: approvals.New(d, sv, pay, cutoff.Today)}
		if v := getenv("CARFIN_JOBS_RESCUE_AFTER"); v != "" {
			if jc.RescueAfter, err = rescueAfterOf(v); err != nil {
				return usagef("jobs: CARFIN_JOBS_RESCUE_AFTER=%q: %v", v, err)
			}
		}
		// Statements need the lender's identity, as serve reads it
		// (CARFIN_LENDER_NAME, the addresses…).
		if cfg, err := parseServeConfigInto(flag.NewFlagSet("jobs", flag.ContinueOnError), nil, getenv, io.Discard); err == nil {
			if jc.Statements, jc.PrintBatch, err = newStatements(cfg, d, sv); err != nil {
				return err
			}
		} else {
			log.Warn("no lender identity (CARFIN_LENDER_NAME…): this process makes no statements", "err", err)
		}
		r, err := jobs.New(d, jc)
		if err != nil {
			return err
		}
		if err := r.Start(ctx); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "working jobs; interrupt to stop")
		<-ctx.Done()
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return r.Stop(stopCtx)
	}
	return usagef("jobs: unknown %q (run, dayclose, close-through)", args[0])
}

// rescueAfterOf parses --jobs-rescue-after (CARFIN_JOBS_RESCUE_AFTER):
// how long a job may stay running before another process runs it again.
func rescueAfterOf(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Second || d > 24*time.Hour {
		return 0, fmt.Errorf("want a duration from 1s to 24h")
	}
	return d, nil
}
