package web

import (
	"strings"
	"testing"
	"time"
)

func TestJobMetrics(t *testing.T) {
	var j jobMetrics
	j.observe("day_close", false, 2*time.Second)
	j.observe("day_close", false, 50*time.Millisecond)
	j.observe("day_close", true, time.Millisecond)
	var b strings.Builder
	j.write(&b)
	for _, want := range []string{
		`carfin_jobs_total{kind="day_close",result="failed"} 1`,
		`carfin_jobs_total{kind="day_close",result="ok"} 2`,
		`carfin_job_duration_seconds_bucket{kind="day_close",result="ok",le="0.1"} 1`,
		`carfin_job_duration_seconds_bucket{kind="day_close",result="ok",le="10"} 2`,
		`carfin_job_duration_seconds_count{kind="day_close",result="ok"} 2`,
		"# TYPE carfin_job_duration_seconds histogram",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("metrics lack %s:\n%s", want, b.String())
		}
	}
}
