package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// Approval requests expire 72 hours after they are made (approvals.Lifetime).
// A stale request already refuses approval and is replaced when its target
// is requested again; this job marks the others expired, audited as
// "system", so that the queue and the audit log say so within
// approvalsExpireEvery.
const (
	// approvalsExpireEvery is how often the leader marks stale requests.
	approvalsExpireEvery = 15 * time.Minute
	// approvalsExpireRoundsMax bounds the batches (approvals.ExpireStale
	// marks at most 1,000 each) one job marks; the next job marks the rest.
	approvalsExpireRoundsMax = 20
)

// ApprovalsExpireArgs asks to mark the stale approval requests expired.
type ApprovalsExpireArgs struct{}

// Kind names the job.
func (ApprovalsExpireArgs) Kind() string { return "approvals_expire" }

// EnqueueApprovalsExpiry asks for the stale approval requests to be marked
// expired; a second call in the same period (from any process) adds no job.
func (r *Runner) EnqueueApprovalsExpiry(ctx context.Context) error {
	return r.insert.Insert(ctx, ApprovalsExpireArgs{}, uniqueEvery(approvalsExpireEvery))
}

type approvalsExpireWorker struct {
	river.WorkerDefaults[ApprovalsExpireArgs]
	cfg    Config
	runner *Runner
}

// Work marks stale requests expired, batch after batch, until none is left
// or approvalsExpireRoundsMax batches are done. Each batch is its own
// transaction and a request is marked once (a guarded UPDATE), so a retry
// or an overlapping job marks nothing twice.
func (w *approvalsExpireWorker) Work(ctx context.Context, _ *river.Job[ApprovalsExpireArgs]) error {
	total := 0
	for range approvalsExpireRoundsMax {
		n, err := w.cfg.Approvals.ExpireStale(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		total += n
	}
	if total > 0 {
		w.runner.log.Info("approval requests expired", "count", total)
	}
	return nil
}
