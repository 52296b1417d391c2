package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"carfin/calendar"
)

// paymentsCheckEvery is how often the leader looks whether the day's
// payments run is due (after the cut-off).
const paymentsCheckEvery = 15 * time.Minute

// PaymentsDayArgs asks to run one date's payments: autopay debits,
// card captures, the NACHA file, settlement and notices.
type PaymentsDayArgs struct {
	Date string `json:"date" river:"unique"`
}

// Kind names the job.
func (PaymentsDayArgs) Kind() string { return "payments_day" }

// PaymentsDueArgs is the periodic check for a payments run.
type PaymentsDueArgs struct{}

// Kind names the job.
func (PaymentsDueArgs) Kind() string { return "payments_due" }

type paymentsDueWorker struct {
	river.WorkerDefaults[PaymentsDueArgs]
	cfg    Config
	runner *Runner
}

// Work enqueues today's run once the cut-off has passed; the unique key
// keeps it to one job per date.
func (w *paymentsDueWorker) Work(ctx context.Context, _ *river.Job[PaymentsDueArgs]) error {
	d, due := w.cfg.Payments.RunDue()
	if !due {
		return nil
	}
	return w.runner.insert.Insert(ctx, PaymentsDayArgs{Date: d.String()}, uniqueByArgs)
}

type paymentsDayWorker struct {
	river.WorkerDefaults[PaymentsDayArgs]
	cfg    Config
	runner *Runner
}

// Work runs the date; a run that fails part-way is retried by River and
// resumes where it stopped.
func (w *paymentsDayWorker) Work(ctx context.Context, job *river.Job[PaymentsDayArgs]) error {
	d, err := calendar.Parse(job.Args.Date)
	if err != nil {
		return river.JobCancel(err)
	}
	st, err := w.cfg.Payments.RunDay(ctx, d)
	if err != nil {
		return err
	}
	w.runner.log.Info("payments run", "date", d, "autopay", st.Autopay.Created, "posted", st.File.Posted, "file", st.File.Path,
		"settled", st.Settled, "reminders", st.Notices.Reminders)
	return nil
}

// EnqueuePaymentsDay asks for date d's payments run now.
func (r *Runner) EnqueuePaymentsDay(ctx context.Context, d calendar.Date) error {
	return r.insert.Insert(ctx, PaymentsDayArgs{Date: d.String()}, uniqueByArgs)
}
