package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// observeWork reports each job worked (its kind, whether it failed, how
// long it ran) to observe, for the /metrics page's job results.
func observeWork(observe func(kind string, failed bool, took time.Duration)) rivertype.Middleware {
	return river.WorkerMiddlewareFunc(func(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
		start := time.Now()
		err := doInner(ctx)
		observe(job.Kind, err != nil, time.Since(start))
		return err
	})
}
