package main

import (
	"strings"
	"testing"
	"time"

	"carfin/db"
	"carfin/db/dbtest"
)

// TestMetricsFamilies: after traffic, `carfin serve`'s /metrics has every
// family operators watch (ops/grafana-dashboard.json, ops/alerts.yml),
// on both engines, and none of its database queries failed.
func TestMetricsFamilies(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d, func(c *serveConfig) { c.Jobs = true })
		c := seedLogin(t, s, "Metrics")
		s.getMetrics("").must(t, 200) // event counters count from the first scrape
		b := s.browser("")
		b.login(c.email, "a wrong password").must(t, 401)
		b.mustSignIn(c.email, testPassword)
		b.get("/no-such-page")

		families := []string{
			`carfin_http_requests_total{app="portal",method="POST",route="POST /login",status="4xx"} 1`,
			`carfin_http_request_duration_seconds_bucket{app="portal",method="GET",route="GET /{$}",le="+Inf"}`,
			`carfin_http_requests_total{app="portal",method="GET",route="/",status="4xx"} 1`,
			`carfin_jobs_total{kind="day_close_due",result="ok"}`,
			"carfin_job_duration_seconds_bucket{",
			`carfin_db_connections{pool=`, "carfin_db_connections_max{", "carfin_db_waits_total{", "carfin_db_wait_seconds_total{",
			"carfin_outbox_oldest_due_seconds ",
			"carfin_signin_failures_total 1",
			"carfin_signin_locks_total ",
			"carfin_payments_posted_total ",
			"carfin_payments_posted_cents_total ",
			"go_goroutines ", "go_memstats_heap_inuse_bytes ", "process_open_fds ", "process_resident_memory_bytes ",
		}
		var body string
		// The sign-in failure is counted a refresh after it is first seen
		// (cacheTTL, 5 s), and the jobs run soon after start.
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
			r := s.getMetrics("")
			r.must(t, 200)
			body = r.body
			if missing(body, families) == nil {
				break
			}
		}
		for _, f := range missing(body, families) {
			t.Errorf("/metrics lacks %s", f)
		}
		if strings.Contains(body, "carfin_metrics_query_errors_total") {
			t.Errorf("a scrape-time query failed:\n%s", body)
		}
	})
}

func missing(body string, want []string) []string {
	var out []string
	for _, w := range want {
		if !strings.Contains(body, w) {
			out = append(out, w)
		}
	}
	return out
}
