package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// scrape reads /metrics from h as Prometheus would, with a bearer token
// when one is given.
func scrape(t *testing.T, h http.Handler, token string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("GET", "/metrics", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, err := io.ReadAll(rec.Result().Body)
	if err != nil {
		t.Fatal(err)
	}
	return rec.Code, string(body)
}

func TestJobMetrics(t *testing.T) {
	s := &Server{metrics: newMetrics()}
	s.ObserveJob("day_close", false, 2*time.Second)
	s.ObserveJob("day_close", false, 50*time.Millisecond)
	s.ObserveJob("day_close", true, time.Millisecond)
	_, body := scrape(t, s.MetricsHandler(""), "")
	for _, want := range []string{
		`carfin_jobs_total{kind="day_close",result="failed"} 1`,
		`carfin_jobs_total{kind="day_close",result="ok"} 2`,
		`carfin_job_duration_seconds_bucket{kind="day_close",result="ok",le="0.1"} 1`,
		`carfin_job_duration_seconds_bucket{kind="day_close",result="ok",le="10"} 2`,
		`carfin_job_duration_seconds_count{kind="day_close",result="ok"} 2`,
		"# TYPE carfin_job_duration_seconds histogram",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s:\n%s", want, body)
		}
	}
}

func TestRequestMetrics(t *testing.T) {
	s := &Server{metrics: newMetrics()}
	s.metrics.Observe("GET", "GET /login", 200, 3*time.Millisecond)
	s.metrics.Observe("GET", "GET /login", 204, 30*time.Millisecond)
	s.metrics.Observe("GET", "GET /login", 429, 2*time.Second)
	s.metrics.Observe("BREW", "unmatched", 405, time.Millisecond)
	s.RequestObserver("console").Observe("POST", "POST /login", 500, time.Millisecond)
	code, body := scrape(t, s.MetricsHandler(""), "")
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	for _, want := range []string{
		`carfin_http_requests_total{app="portal",method="GET",route="GET /login",status="2xx"} 2`,
		`carfin_http_requests_total{app="portal",method="GET",route="GET /login",status="4xx"} 1`,
		`carfin_http_requests_total{app="portal",method="other",route="unmatched",status="4xx"} 1`,
		`carfin_http_requests_total{app="console",method="POST",route="POST /login",status="5xx"} 1`,
		`carfin_http_request_duration_seconds_bucket{app="portal",method="GET",route="GET /login",le="0.005"} 1`,
		`carfin_http_request_duration_seconds_bucket{app="portal",method="GET",route="GET /login",le="0.05"} 2`,
		`carfin_http_request_duration_seconds_bucket{app="portal",method="GET",route="GET /login",le="+Inf"} 3`,
		`carfin_http_request_duration_seconds_count{app="portal",method="GET",route="GET /login"} 3`,
		"go_goroutines ", "process_resident_memory_bytes ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s:\n%s", want, body)
		}
	}
}

// TestMetricsToken: with a token, /metrics answers 401 without it or with
// another, and the metrics with it.
func TestMetricsToken(t *testing.T) {
	const token = "s3cret-metrics-token-0123456789"
	s := &Server{metrics: newMetrics()}
	h := s.MetricsHandler(token)
	for _, tc := range []struct {
		name, token string
		status      int
	}{
		{"none", "", 401},
		{"wrong", "wrong-token-wrong-token-wrong", 401},
		{"right", token, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := scrape(t, h, tc.token)
			if code != tc.status || (code == 401) == strings.Contains(body, "go_goroutines") {
				t.Errorf("status %d, want %d:\n%.200s", code, tc.status, body)
			}
		})
	}
}
