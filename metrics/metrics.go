// Package metrics exposes carfin to Prometheus: the HTTP requests and
// background jobs of this process, the Go runtime and the process, the
// database pools, and figures read from the database at scrape time (the
// River queue, the outbox backlog, payments, returns, sign-ins and day
// close), which are the same whichever instance is scraped.
//
// It uses prometheus/client_golang, the library every Go service's
// operators expect, on a registry of carfin's own (not the global
// default), so that nothing another package registers leaks into
// /metrics and tests can build as many as they like.
package metrics

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"carfin/db"
	"carfin/webcore"
)

// Registry holds carfin's metrics. Its methods are safe for concurrent use.
type Registry struct {
	reg *prometheus.Registry

	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	shed       *prometheus.CounterVec
	jobs       *prometheus.CounterVec
	jobLatency *prometheus.HistogramVec

	watch sync.Once    // WatchDB registers the database collectors once
	db    *dbCollector // set by WatchDB
}

// latencyBuckets are the request histogram bounds in seconds: pages take
// a few milliseconds, a sign-in (argon2id) about 50 ms, and anything past
// 2.5 s has failed the customer.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

// jobBuckets are the run-time histogram bounds in seconds: jobs take from
// milliseconds (a check) to minutes (a day close of a large book).
var jobBuckets = []float64{0.01, 0.1, 1, 10, 60, 300, 1800}

// New returns a registry with the Go runtime and process collectors and
// the request and job series (empty until observed).
func New() *Registry {
	r := &Registry{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "carfin_http_requests_total",
			Help: "HTTP requests answered, by app (portal, console), method, route pattern and status class (2xx, 4xx, 5xx…).",
		}, []string{"app", "method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "carfin_http_request_duration_seconds",
			Help:    "HTTP request latency, by app, method and route pattern.",
			Buckets: latencyBuckets,
		}, []string{"app", "method", "route"}),
		shed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "carfin_http_shed_total",
			Help: "Requests answered 503 by the load shedder because their class (pages, auth, money) was full, by app and class; also counted in carfin_http_requests_total with route \"shed:CLASS\".",
		}, []string{"app", "class"}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "carfin_jobs_total",
			Help: "Background (River) jobs worked by this process, by kind and result (ok, failed).",
		}, []string{"kind", "result"}),
		jobLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "carfin_job_duration_seconds",
			Help:    "Run time of background jobs worked by this process, by kind and result.",
			Buckets: jobBuckets,
		}, []string{"kind", "result"}),
	}
	r.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		r.requests, r.latency, r.shed, r.jobs, r.jobLatency,
	)
	return r
}

// Observe counts a portal request (webcore.Observer).
func (r *Registry) Observe(method, route string, status int, d time.Duration) {
	r.observe("portal", method, route, status, d)
}

// Observer returns the webcore.Observer of another HTTP app served by
// this process (the staff console: "console"), whose requests are counted
// under its name.
func (r *Registry) Observer(app string) webcore.Observer {
	return appObserver{r, app}
}

type appObserver struct {
	r   *Registry
	app string
}

func (o appObserver) Observe(method, route string, status int, d time.Duration) {
	o.r.observe(o.app, method, route, status, d)
}

// observe counts one request. The route is the matched pattern
// ("GET /payments/{id}") or "unmatched", never the path, and the status
// is a class, so the series are bounded by the routes.
func (r *Registry) observe(app, method, route string, status int, d time.Duration) {
	if !knownMethod(method) {
		method = "other" // a client can send any method: keep the series bounded
	}
	r.requests.WithLabelValues(app, method, route, statusClass(status)).Inc()
	r.latency.WithLabelValues(app, method, route).Observe(d.Seconds())
	if class, ok := strings.CutPrefix(route, webcore.ShedRoutePrefix); ok {
		r.shed.WithLabelValues(app, class).Inc()
	}
}

func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return fmt.Sprintf("%dxx", status/100)
}

func knownMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// ObserveJob records a job worked: its kind, whether it failed and how
// long it ran (jobs.Config.Observe).
func (r *Registry) ObserveJob(kind string, failed bool, took time.Duration) {
	result := "ok"
	if failed {
		result = "failed"
	}
	// The duration first: a scrape between the two lines then never shows
	// a job counted without its duration (a reader waiting on the count
	// finds both).
	r.jobLatency.WithLabelValues(kind, result).Observe(took.Seconds())
	r.jobs.WithLabelValues(kind, result).Inc()
}

// WatchDB adds the collectors over d: its connection pools, and the
// figures read from its tables at scrape time (see dbCollector). Only the
// first call counts; a nil d adds nothing.
func (r *Registry) WatchDB(d *db.DB) {
	if d == nil {
		return
	}
	r.watch.Do(func() {
		r.reg.MustRegister(newPools(d))
		r.db = newDBCollector(d)
		r.reg.MustRegister(r.db)
	})
}

// Gatherer returns the registry, for tests and for other exporters.
func (r *Registry) Gatherer() prometheus.Gatherer { return r.reg }

// scrapeTimeout bounds a whole scrape, the database queries included.
const scrapeTimeout = 10 * time.Second

// Handler serves the metrics in the Prometheus exposition format. With a
// token, a request must carry it as a bearer token (as Prometheus'
// authorization setting sends it); others get 401.
func (r *Registry) Handler(token string) http.Handler {
	return RequireToken(token, promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError, // a failed collector must not hide the others
		Timeout:       scrapeTimeout,
	}))
}

// RequireToken serves h only to requests carrying token as a bearer token
// (none needed when token is empty); others get 401. Answers are never
// cached.
func RequireToken(token string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if token != "" {
			got, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, req)
	})
}
