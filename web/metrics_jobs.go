package web

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"
)

// jobMetrics counts background jobs by kind and result ("ok", "failed")
// with their run times, for /metrics (issue 5 item 1: job results).
type jobMetrics struct {
	mu     sync.Mutex
	series map[[2]string]*metricSeries
}

// jobBuckets are the run-time histogram bounds in seconds: jobs take from
// milliseconds (a check) to minutes (a day close of a large book).
var jobBuckets = []float64{0.01, 0.1, 1, 10, 60, 300, 1800}

// jobSeriesMax bounds the series (job kinds are a fixed set).
const jobSeriesMax = 200

// ObserveJob records a job worked: its kind, whether it failed and how
// long it ran. The jobs runner calls it (jobs.Config.Observe).
func (s *Server) ObserveJob(kind string, failed bool, took time.Duration) {
	s.metrics.jobs.observe(kind, failed, took)
}

func (j *jobMetrics) observe(kind string, failed bool, took time.Duration) {
	result := "ok"
	if failed {
		result = "failed"
	}
	k := [2]string{kind, result}
	sec := took.Seconds()
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.series == nil {
		j.series = map[[2]string]*metricSeries{}
	}
	s := j.series[k]
	if s == nil {
		if len(j.series) >= jobSeriesMax {
			return
		}
		s = &metricSeries{buckets: make([]uint64, len(jobBuckets))}
		j.series[k] = s
	}
	s.count++
	s.sum += sec
	for i, b := range jobBuckets {
		if sec <= b {
			s.buckets[i]++
		}
	}
}

// write writes the job series in the Prometheus text format.
func (j *jobMetrics) write(w io.Writer) {
	j.mu.Lock()
	defer j.mu.Unlock()
	keys := make([][2]string, 0, len(j.series))
	for k := range j.series {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int {
		if a[0] != b[0] {
			return compareStrings(a[0], b[0])
		}
		return compareStrings(a[1], b[1])
	})
	fmt.Fprintln(w, "# HELP carfin_jobs_total Background jobs worked, by kind and result.")
	fmt.Fprintln(w, "# TYPE carfin_jobs_total counter")
	for _, k := range keys {
		fmt.Fprintf(w, "carfin_jobs_total{kind=%q,result=%q} %d\n", k[0], k[1], j.series[k].count)
	}
	fmt.Fprintln(w, "# HELP carfin_job_duration_seconds Run time of background jobs, by kind and result.")
	fmt.Fprintln(w, "# TYPE carfin_job_duration_seconds histogram")
	for _, k := range keys {
		s := j.series[k]
		for i, b := range jobBuckets {
			fmt.Fprintf(w, "carfin_job_duration_seconds_bucket{kind=%q,result=%q,le=%q} %d\n", k[0], k[1], strconv.FormatFloat(b, 'g', -1, 64), s.buckets[i])
		}
		fmt.Fprintf(w, "carfin_job_duration_seconds_bucket{kind=%q,result=%q,le=\"+Inf\"} %d\n", k[0], k[1], s.count)
		fmt.Fprintf(w, "carfin_job_duration_seconds_sum{kind=%q,result=%q} %g\n", k[0], k[1], s.sum)
		fmt.Fprintf(w, "carfin_job_duration_seconds_count{kind=%q,result=%q} %d\n", k[0], k[1], s.count)
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
