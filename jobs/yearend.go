package jobs

import (
	"context"

	"github.com/riverqueue/river"

	"carfin/calendar"
)

// YearEndArgs asks for the year-end work of a closed business date: in
// January, the past year's tax returns and statements; every day, the
// corrections of years already reported.
type YearEndArgs struct {
	Date string `json:"date" river:"unique"`
}

// Kind names the job.
func (YearEndArgs) Kind() string { return "year_end" }

type yearEndWorker struct {
	river.WorkerDefaults[YearEndArgs]
	cfg Config
}

// Work runs Config.YearEnd for the date; it is idempotent, so a retry
// or a second instance does no harm.
func (w *yearEndWorker) Work(ctx context.Context, job *river.Job[YearEndArgs]) error {
	d, err := calendar.Parse(job.Args.Date)
	if err != nil {
		return river.JobCancel(err)
	}
	return w.cfg.YearEnd(ctx, d)
}
