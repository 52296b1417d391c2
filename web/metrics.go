package web

import (
	"cmp"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// metrics counts requests and their latencies by route and status, and
// writes them in the Prometheus text format (version 0.0.4). It is small
// on purpose: maps under a mutex, no client library.
type metrics struct {
	requests histograms[metricKey]
	jobs     histograms[[2]string] // job kind and result (metrics_jobs.go)
}

type metricKey struct {
	method, route string
	status        int
}

// metricSeries is one histogram: a count, a sum and cumulative bucket
// counts, one per bound.
type metricSeries struct {
	count   uint64
	sum     float64
	buckets []uint64
}

// histograms keeps one histogram of observed seconds per key, up to max
// keys (more are dropped, so no request can grow memory without limit).
type histograms[K comparable] struct {
	mu     sync.Mutex
	bounds []float64 // bucket upper bounds in seconds
	max    int
	series map[K]*metricSeries
}

func (h *histograms[K]) observe(k K, d time.Duration) {
	sec := d.Seconds()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.series == nil {
		h.series = map[K]*metricSeries{}
	}
	s := h.series[k]
	if s == nil {
		if len(h.series) >= h.max {
			return
		}
		s = &metricSeries{buckets: make([]uint64, len(h.bounds))}
		h.series[k] = s
	}
	s.count++
	s.sum += sec
	for i, b := range h.bounds {
		if sec <= b {
			s.buckets[i]++
		}
	}
}

// snapshot returns the keys in the order of cmp and a copy of each series.
func (h *histograms[K]) snapshot(cmp func(a, b K) int) ([]K, map[K]metricSeries) {
	h.mu.Lock()
	defer h.mu.Unlock()
	keys := make([]K, 0, len(h.series))
	out := make(map[K]metricSeries, len(h.series))
	for k, s := range h.series {
		keys = append(keys, k)
		out[k] = metricSeries{count: s.count, sum: s.sum, buckets: slices.Clone(s.buckets)}
	}
	slices.SortFunc(keys, cmp)
	return keys, out
}

// writeHistogram writes one histogram's buckets, sum and count, with
// labels (already formatted, `a="x",b="y"`).
func writeHistogram(w io.Writer, name, labels string, bounds []float64, s metricSeries) {
	for i, b := range bounds {
		fmt.Fprintf(w, "%s_bucket{%s,le=%q} %d\n", name, labels, strconv.FormatFloat(b, 'g', -1, 64), s.buckets[i])
	}
	fmt.Fprintf(w, "%s_bucket{%s,le=\"+Inf\"} %d\n", name, labels, s.count)
	fmt.Fprintf(w, "%s_sum{%s} %g\n", name, labels, s.sum)
	fmt.Fprintf(w, "%s_count{%s} %d\n", name, labels, s.count)
}

// latencyBuckets are the request histogram bounds in seconds.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

// metricSeriesMax bounds the request series (routes are a fixed set;
// statuses few).
const metricSeriesMax = 2000

func newMetrics() *metrics {
	return &metrics{
		requests: histograms[metricKey]{bounds: latencyBuckets, max: metricSeriesMax},
		jobs:     histograms[[2]string]{bounds: jobBuckets, max: jobSeriesMax},
	}
}

// Observe counts a request (webcore.Observer).
func (m *metrics) Observe(method, route string, status int, d time.Duration) {
	m.requests.observe(metricKey{method, route, status}, d)
}

func (m *metrics) write(w io.Writer) {
	keys, series := m.requests.snapshot(func(a, b metricKey) int {
		return cmp.Or(strings.Compare(a.route, b.route), strings.Compare(a.method, b.method), a.status-b.status)
	})
	fmt.Fprintln(w, "# HELP carfin_http_requests_total HTTP requests by method, route and status.")
	fmt.Fprintln(w, "# TYPE carfin_http_requests_total counter")
	for _, k := range keys {
		fmt.Fprintf(w, "carfin_http_requests_total{method=%q,route=%q,status=\"%d\"} %d\n", k.method, k.route, k.status, series[k].count)
	}
	fmt.Fprintln(w, "# HELP carfin_http_request_duration_seconds HTTP request latency by method and route.")
	fmt.Fprintln(w, "# TYPE carfin_http_request_duration_seconds histogram")
	// The latency histogram is by method and route: statuses summed.
	byRoute := map[[2]string]*metricSeries{}
	var order [][2]string
	for _, k := range keys {
		rk := [2]string{k.method, k.route}
		a := byRoute[rk]
		if a == nil {
			a = &metricSeries{buckets: make([]uint64, len(latencyBuckets))}
			byRoute[rk] = a
			order = append(order, rk)
		}
		s := series[k]
		a.count += s.count
		a.sum += s.sum
		for i := range a.buckets {
			a.buckets[i] += s.buckets[i]
		}
	}
	for _, rk := range order {
		writeHistogram(w, "carfin_http_request_duration_seconds", fmt.Sprintf("method=%q,route=%q", rk[0], rk[1]), latencyBuckets, *byRoute[rk])
	}
}

// MetricsHandler serves the metrics at /metrics, for a listener of its
// own (serve's --metrics-addr): the portal does not serve them, so no
// reverse proxy in front of it can expose them, and no client is judged
// by its address. With a token, a request must carry it as a bearer
// token (as Prometheus' authorization setting sends it); others get 401.
func (s *Server) MetricsHandler(token string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		s.metrics.write(w)
		s.metrics.writeJobs(w)
	}))
	return mux
}
