package web

import (
	"strings"
	"testing"
	"time"
)

func TestJobMetrics(t *testing.T) {
	s := &Server{metrics: newMetrics()}
	s.ObserveJob("day_close", false, 2*time.Second)
	s.ObserveJob("day_close", false, 50*time.Millisecond)
	s.ObserveJob("day_close", true, time.Millisecond)
	var b strings.Builder
	s.metrics.writeJobs(&b)
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

func TestRequestMetrics(t *testing.T) {
	m := newMetrics()
	m.Observe("GET", "GET /login", 200, 3*time.Millisecond)
	m.Observe("GET", "GET /login", 200, 30*time.Millisecond)
	m.Observe("GET", "GET /login", 429, 2*time.Second)
	var b strings.Builder
	m.write(&b)
	for _, want := range []string{
		`carfin_http_requests_total{method="GET",route="GET /login",status="200"} 2`,
		`carfin_http_requests_total{method="GET",route="GET /login",status="429"} 1`,
		`carfin_http_request_duration_seconds_bucket{method="GET",route="GET /login",le="0.005"} 1`,
		`carfin_http_request_duration_seconds_bucket{method="GET",route="GET /login",le="0.05"} 2`,
		`carfin_http_request_duration_seconds_bucket{method="GET",route="GET /login",le="+Inf"} 3`,
		`carfin_http_request_duration_seconds_count{method="GET",route="GET /login"} 3`,
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("metrics lack %s:\n%s", want, b.String())
		}
	}
}
