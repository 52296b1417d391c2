package jobs

import (
	"context"

	"github.com/riverqueue/river"

	"carfin/calendar"
	"carfin/servicing"
)

// Statements are made as part of day close: when a chunk of contracts is
// closed for a date, a job makes that chunk's statements of the date (so
// that they read the closed day); when the last chunk's statements are
// made, a job writes the date's print batch for the mail house.

// StatementChunkArgs asks for one chunk's statements of one date.
type StatementChunkArgs struct {
	Date  string `json:"date" river:"unique"`
	First int64  `json:"first" river:"unique"`
	Last  int64  `json:"last" river:"unique"`
}

// Kind names the job.
func (StatementChunkArgs) Kind() string { return "statement_chunk" }

// PrintBatchArgs asks for one date's print batch.
type PrintBatchArgs struct {
	Date string `json:"date" river:"unique"`
}

// Kind names the job.
func (PrintBatchArgs) Kind() string { return "print_batch" }

type statementChunkWorker struct {
	river.WorkerDefaults[StatementChunkArgs]
	cfg    Config
	runner *Runner
}

// Work makes the chunk's statements; the worker that finds every chunk
// of the date done enqueues its print batch (the unique key keeps it to
// one, whichever instance gets there first).
func (w *statementChunkWorker) Work(ctx context.Context, job *river.Job[StatementChunkArgs]) error {
	d, err := calendar.Parse(job.Args.Date)
	if err != nil {
		return river.JobCancel(err)
	}
	st, err := w.cfg.Statements.RunChunk(ctx, d, servicing.Chunk{First: job.Args.First, Last: job.Args.Last})
	if err != nil {
		return err
	}
	if st.Statements > 0 {
		w.runner.log.Info("statements", "date", d, "first", job.Args.First, "made", st.Statements, "final", st.Final,
			"paper", st.Paper, "emails", st.Emails, "texts", st.Texts)
	}
	done, err := w.cfg.Statements.Done(ctx, d)
	if err != nil || !done {
		return err
	}
	return w.runner.insert.Insert(ctx, PrintBatchArgs{Date: d.String()}, uniqueByArgs)
}

type printBatchWorker struct {
	river.WorkerDefaults[PrintBatchArgs]
	cfg    Config
	runner *Runner
}

// Work writes the date's print batch (PrintBatch). Without one the paper
// statements stay queued until `carfin statements print` writes them.
func (w *printBatchWorker) Work(ctx context.Context, job *river.Job[PrintBatchArgs]) error {
	d, err := calendar.Parse(job.Args.Date)
	if err != nil {
		return river.JobCancel(err)
	}
	if w.cfg.PrintBatch == nil {
		w.runner.log.Warn("no print directory (--print-dir): paper statements stay queued", "date", d)
		return nil
	}
	return w.cfg.PrintBatch(ctx, d)
}

// EnqueueStatements asks for date d's statements of every chunk.
func (r *Runner) EnqueueStatements(ctx context.Context, d calendar.Date, chunks []servicing.Chunk) error {
	args := make([]river.JobArgs, len(chunks))
	for i, ch := range chunks {
		args[i] = StatementChunkArgs{Date: d.String(), First: ch.First, Last: ch.Last}
	}
	return r.insert.InsertMany(ctx, args, uniqueByArgs)
}
