package main

import (
	"strings"
	"testing"
	"time"

	"carfin/db/dbtest"
)

// TestMetricsJobResults: with the jobs running in `carfin serve`, /metrics
// reports each kind of job worked and its result (issue 5 item 1).
func TestMetricsJobResults(t *testing.T) {
	t.Parallel()
	s := startServe(t, dbtest.SQLite(t), func(c *serveConfig) { c.Jobs = true })
	want := `carfin_jobs_total{kind="day_close_due",result="ok"}`
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if r := s.getMetrics(""); r.status == 200 && strings.Contains(r.body, want) {
			if !strings.Contains(r.body, "carfin_job_duration_seconds_bucket") {
				t.Errorf("no job durations:\n%s", r.body)
			}
			return
		}
	}
	t.Fatalf("/metrics never showed %s", want)
}
