package web

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"time"
)

// Job metrics count background jobs by kind and result ("ok", "failed")
// with their run times, for /metrics (issue 5 item 1: job results).

// jobBuckets are the run-time histogram bounds in seconds: jobs take from
// milliseconds (a check) to minutes (a day close of a large book).
var jobBuckets = []float64{0.01, 0.1, 1, 10, 60, 300, 1800}

// jobSeriesMax bounds the series (job kinds are a fixed set).
const jobSeriesMax = 200

// ObserveJob records a job worked: its kind, whether it failed and how
// long it ran. The jobs runner calls it (jobs.Config.Observe).
func (s *Server) ObserveJob(kind string, failed bool, took time.Duration) {
	result := "ok"
	if failed {
		result = "failed"
	}
	s.metrics.jobs.observe([2]string{kind, result}, took)
}

// writeJobs writes the job series in the Prometheus text format.
func (m *metrics) writeJobs(w io.Writer) {
	keys, series := m.jobs.snapshot(func(a, b [2]string) int {
		return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[1], b[1]))
	})
	fmt.Fprintln(w, "# HELP carfin_jobs_total Background jobs worked, by kind and result.")
	fmt.Fprintln(w, "# TYPE carfin_jobs_total counter")
	for _, k := range keys {
		fmt.Fprintf(w, "carfin_jobs_total{kind=%q,result=%q} %d\n", k[0], k[1], series[k].count)
	}
	fmt.Fprintln(w, "# HELP carfin_job_duration_seconds Run time of background jobs, by kind and result.")
	fmt.Fprintln(w, "# TYPE carfin_job_duration_seconds histogram")
	for _, k := range keys {
		writeHistogram(w, "carfin_job_duration_seconds", fmt.Sprintf("kind=%q,result=%q", k[0], k[1]), jobBuckets, series[k])
	}
}
