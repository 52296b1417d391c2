// Package jobs runs carfin's background work on River, over the same
// database as everything else: SQLite (one process) or PostgreSQL (many
// processes; River elects a leader for periodic jobs and any instance
// works any job). Jobs keep no state of their own: each reads what to do
// from the database and records what it did there, so a job killed
// half-way is simply run again.
//
// Day close is a chain: a periodic job finds the next business date to
// close and enqueues it; that job splits the book into chunks of contract
// ids, one job each; the chunk that finishes the date enqueues the next
// date. Dates close strictly in order, and chunks of one date in parallel.
package jobs

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"carfin/approvals"
	"carfin/calendar"
	"carfin/db"
	"carfin/payments"
	"carfin/servicing"
	"carfin/statements"
)

// Limits and periods.
const (
	// dayCloseCheckEvery is how often the leader looks for a date to close.
	dayCloseCheckEvery = 15 * time.Minute
	// workersMax bounds concurrent jobs per process. Day-close chunks are
	// database-bound; more workers than connections only queue.
	workersMax = 8
	// jobTimeout bounds one job; a chunk of 20,000 contracts takes seconds.
	jobTimeout = 10 * time.Minute
	// RescueAfterDefault is how long a job may stay running before River
	// takes it for stuck and runs it again (Config.RescueAfter). A job
	// left running by a killed process waits this long for another
	// process to take it over; no job outlives jobTimeout, so a minute
	// more never rescues a live one. River's own default is an hour.
	RescueAfterDefault = jobTimeout + time.Minute
)

// DayCloseArgs asks to close one business date.
type DayCloseArgs struct {
	Date string `json:"date" river:"unique"`
}

// Kind names the job.
func (DayCloseArgs) Kind() string { return "day_close" }

// DayCloseChunkArgs asks to close one chunk of one date.
type DayCloseChunkArgs struct {
	Date  string `json:"date" river:"unique"`
	First int64  `json:"first" river:"unique"`
	Last  int64  `json:"last" river:"unique"`
}

// Kind names the job.
func (DayCloseChunkArgs) Kind() string { return "day_close_chunk" }

// DayCloseDueArgs is the periodic check for a date to close.
type DayCloseDueArgs struct{}

// Kind names the job.
func (DayCloseDueArgs) Kind() string { return "day_close_due" }

// uniqueByArgs makes a job once for its arguments (a date, a chunk): River's
// unique states include completed, so a finished job is not made again.
var uniqueByArgs = &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}

// uniqueEvery makes one job of a periodic check per period, whichever
// process inserts it. uniqueByArgs would not do for a check without
// arguments: its first completed job would hold the unique key until
// River's cleaner deletes it (a day later), and every check in between
// would be skipped as a duplicate.
func uniqueEvery(period time.Duration) *river.InsertOpts {
	return &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: period}}
}

// inserter is the part of a River client the workers need, whatever the
// engine's transaction type.
type inserter interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error
	InsertMany(ctx context.Context, args []river.JobArgs, opts *river.InsertOpts) error
}

// Runner is a started or startable River client.
type Runner struct {
	start  func(context.Context) error
	stop   func(context.Context) error
	insert inserter
	log    *slog.Logger
}

// Config is what the jobs need from the program.
type Config struct {
	Servicing *servicing.Service
	// Today returns the lender's current business date (its time zone).
	Today func() calendar.Date
	Log   *slog.Logger
	// Periodic enables the periodic day-close check; off in tests that
	// drive jobs by hand.
	Periodic bool
	// Payments, when set, adds the daily payments run (payments.go).
	Payments *payments.Service
	// Statements, when set, makes each closed chunk's statements of the
	// date (statements.go); PrintBatch writes a date's print batch for
	// the mail house once all its statements are made.
	Statements *statements.Service
	PrintBatch func(ctx context.Context, d calendar.Date) error
	// YearEnd, when set, runs once each business date is closed
	// (yearend.go): tax returns and year-end statements in January, and
	// corrections of reported years.
	YearEnd func(ctx context.Context, d calendar.Date) error
	// Approvals, when set, adds the periodic marking of stale approval
	// requests as expired (approvals.go).
	Approvals *approvals.Service
	// Observe, when set, is told of every job worked: its kind, whether
	// it failed and how long it ran (the job results on /metrics).
	Observe func(kind string, failed bool, took time.Duration)
	// RescueAfter is how long a job may stay running before it is taken
	// for stuck (its process killed with the job half-done) and made
	// available again (zero: RescueAfterDefault). The leader looks for
	// stuck jobs when it is elected and every 30 s. Shorter than
	// jobTimeout, it lowers every job's time-out to it, so that a job of
	// a live process is cancelled before another may take it.
	RescueAfter time.Duration
}

// Migrate creates or updates River's tables.
func Migrate(ctx context.Context, d *db.DB) error {
	var err error
	if d.Engine == db.Postgres {
		var m *rivermigrate.Migrator[pgxTx]
		m, err = rivermigrate.New(riverpgxv5.New(d.PG), nil)
		if err == nil {
			_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		}
	} else {
		var m *rivermigrate.Migrator[sqlTx]
		m, err = rivermigrate.New(riversqlite.New(d.SQL), nil)
		if err == nil {
			_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		}
	}
	if err != nil {
		return fmt.Errorf("migrate job tables: %w", err)
	}
	return nil
}

// New returns a Runner for the database. Call Start to work jobs.
func New(d *db.DB, cfg Config) (*Runner, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	r := &Runner{log: cfg.Log}
	workers := river.NewWorkers()
	river.AddWorker(workers, &dayCloseWorker{cfg: cfg, runner: r})
	river.AddWorker(workers, &dayCloseChunkWorker{cfg: cfg, runner: r})
	river.AddWorker(workers, &dayCloseDueWorker{cfg: cfg, runner: r})
	if cfg.Statements != nil {
		river.AddWorker(workers, &statementChunkWorker{cfg: cfg, runner: r})
		river.AddWorker(workers, &printBatchWorker{cfg: cfg, runner: r})
	}
	if cfg.YearEnd != nil {
		river.AddWorker(workers, &yearEndWorker{cfg: cfg})
	}
	if cfg.Approvals != nil {
		river.AddWorker(workers, &approvalsExpireWorker{cfg: cfg, runner: r})
	}
	if cfg.Payments != nil {
		river.AddWorker(workers, &paymentsDueWorker{cfg: cfg, runner: r})
		river.AddWorker(workers, &paymentsDayWorker{cfg: cfg, runner: r})
	}
	rc := &river.Config{
		// Chained jobs (date after date) follow each other within a poll;
		// a poll is one cheap query.
		FetchCooldown:     20 * time.Millisecond,
		FetchPollInterval: 200 * time.Millisecond,
		Logger:            cfg.Log,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: workersMax}},
		Workers:           workers,
	}
	rc.RescueStuckJobsAfter = cmp.Or(cfg.RescueAfter, RescueAfterDefault)
	rc.JobTimeout = min(jobTimeout, rc.RescueStuckJobsAfter)
	if cfg.Observe != nil {
		rc.Middleware = append(rc.Middleware, observeWork(cfg.Observe))
	}
	if cfg.Periodic {
		rc.PeriodicJobs = []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(dayCloseCheckEvery),
			func() (river.JobArgs, *river.InsertOpts) { return DayCloseDueArgs{}, uniqueEvery(dayCloseCheckEvery) },
			&river.PeriodicJobOpts{RunOnStart: true})}
		if cfg.Payments != nil {
			rc.PeriodicJobs = append(rc.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(paymentsCheckEvery),
				func() (river.JobArgs, *river.InsertOpts) { return PaymentsDueArgs{}, uniqueEvery(paymentsCheckEvery) },
				&river.PeriodicJobOpts{RunOnStart: true}))
		}
		if cfg.Approvals != nil {
			rc.PeriodicJobs = append(rc.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(approvalsExpireEvery),
				func() (river.JobArgs, *river.InsertOpts) {
					return ApprovalsExpireArgs{}, uniqueEvery(approvalsExpireEvery)
				},
				&river.PeriodicJobOpts{RunOnStart: true}))
		}
	}
	if d.Engine == db.Postgres {
		c, err := river.NewClient(riverpgxv5.New(d.PG), rc)
		if err != nil {
			return nil, fmt.Errorf("jobs: %w", err)
		}
		r.start, r.stop, r.insert = c.Start, c.Stop, clientInserter[pgxTx]{c}
	} else {
		// SQLite has no LISTEN/NOTIFY: poll more often (libraries.md 3.6).
		rc.FetchPollInterval = 100 * time.Millisecond
		c, err := river.NewClient(riversqlite.New(d.SQL), rc)
		if err != nil {
			return nil, fmt.Errorf("jobs: %w", err)
		}
		r.start, r.stop, r.insert = c.Start, c.Stop, clientInserter[sqlTx]{c}
	}
	return r, nil
}

// Start starts working jobs until Stop.
func (r *Runner) Start(ctx context.Context) error { return r.start(ctx) }

// Stop waits for running jobs to finish and stops.
func (r *Runner) Stop(ctx context.Context) error { return r.stop(ctx) }

// EnqueueDayClose asks for business date d to be closed.
func (r *Runner) EnqueueDayClose(ctx context.Context, d calendar.Date) error {
	return r.insert.Insert(ctx, DayCloseArgs{Date: d.String()}, uniqueByArgs)
}

// EnqueueDayCloseDue runs the periodic check now.
func (r *Runner) EnqueueDayCloseDue(ctx context.Context) error {
	return r.insert.Insert(ctx, DayCloseDueArgs{}, nil)
}

type dayCloseDueWorker struct {
	river.WorkerDefaults[DayCloseDueArgs]
	cfg    Config
	runner *Runner
}

// Work enqueues the next date to close: the day after the last closed
// date, if that day has ended (it is before today).
func (w *dayCloseDueWorker) Work(ctx context.Context, _ *river.Job[DayCloseDueArgs]) error {
	next, err := nextDateToClose(ctx, w.cfg.Servicing)
	if err != nil || next == 0 || next >= w.cfg.Today() {
		return err
	}
	return w.runner.EnqueueDayClose(ctx, next)
}

// nextDateToClose is the day after the last fully closed date, or for a
// book never closed, the earliest date a contract has not advanced past.
func nextDateToClose(ctx context.Context, sv *servicing.Service) (calendar.Date, error) {
	last, err := sv.LastClosedDate(ctx)
	if err != nil {
		return 0, err
	}
	if last != 0 {
		return last + 1, nil
	}
	var first calendar.Date
	err = sv.DB().Read.QueryRowContext(ctx, `SELECT MIN(advanced_through) FROM contract_balances`).Scan(&first)
	return first, err
}

type dayCloseWorker struct {
	river.WorkerDefaults[DayCloseArgs]
	cfg    Config
	runner *Runner
}

// Work splits the date into chunk jobs.
func (w *dayCloseWorker) Work(ctx context.Context, job *river.Job[DayCloseArgs]) error {
	d, err := calendar.Parse(job.Args.Date)
	if err != nil {
		return river.JobCancel(err)
	}
	chunks, err := w.cfg.Servicing.DayCloseChunks(ctx)
	if err != nil {
		return err
	}
	args := make([]river.JobArgs, len(chunks))
	for i, ch := range chunks {
		args[i] = DayCloseChunkArgs{Date: d.String(), First: ch.First, Last: ch.Last}
	}
	w.runner.log.Info("day close", "date", d, "chunks", len(chunks))
	return w.runner.insert.InsertMany(ctx, args, uniqueByArgs)
}

type dayCloseChunkWorker struct {
	river.WorkerDefaults[DayCloseChunkArgs]
	cfg    Config
	runner *Runner
}

// Work closes one chunk; the chunk that completes its date enqueues the
// next date if it has ended.
func (w *dayCloseChunkWorker) Work(ctx context.Context, job *river.Job[DayCloseChunkArgs]) error {
	d, err := calendar.Parse(job.Args.Date)
	if err != nil {
		return river.JobCancel(err)
	}
	st, err := w.cfg.Servicing.DayCloseChunk(ctx, d, servicing.Chunk{First: job.Args.First, Last: job.Args.Last})
	if err != nil {
		return err
	}
	w.runner.log.Debug("day close chunk", "date", d, "first", job.Args.First, "contracts", st.Contracts, "late_fees", st.LateFees)
	if w.cfg.Statements != nil {
		// The chunk's statements of the date read it closed. A crash
		// before this insert reruns the chunk job: the closed chunk is
		// skipped and the insert made.
		ch := servicing.Chunk{First: job.Args.First, Last: job.Args.Last}
		if err := w.runner.EnqueueStatements(ctx, d, []servicing.Chunk{ch}); err != nil {
			return err
		}
	}
	last, err := w.cfg.Servicing.LastClosedDate(ctx)
	if err != nil {
		return err
	}
	if last >= d && w.cfg.YearEnd != nil {
		if err := w.runner.insert.Insert(ctx, YearEndArgs{Date: d.String()}, uniqueByArgs); err != nil {
			return err
		}
	}
	if last >= d && d+1 < w.cfg.Today() {
		return w.runner.EnqueueDayClose(ctx, d+1)
	}
	return nil
}
