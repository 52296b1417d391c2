package web

import (
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
// writes them in the Prometheus text format (version 0.0.4) at /metrics.
// It is small on purpose: a map under a mutex, no client library.
type metrics struct {
	mu     sync.Mutex
	series map[metricKey]*metricSeries
	jobs   jobMetrics // job results (metrics_jobs.go)
}

type metricKey struct {
	method, route string
	status        int
}

type metricSeries struct {
	count   uint64
	sum     float64
	buckets []uint64 // cumulative counts per latencyBuckets bound
}

// latencyBuckets are the histogram bounds in seconds.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

// metricSeriesMax bounds the number of series (routes are a fixed set;
// statuses few), so no request can grow memory without limit.
const metricSeriesMax = 2000

func newMetrics() *metrics { return &metrics{series: map[metricKey]*metricSeries{}} }

func (m *metrics) observe(method, route string, status int, d time.Duration) {
	k := metricKey{method, route, status}
	sec := d.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.series[k]
	if s == nil {
		if len(m.series) >= metricSeriesMax {
			return
		}
		s = &metricSeries{buckets: make([]uint64, len(latencyBuckets))}
		m.series[k] = s
	}
	s.count++
	s.sum += sec
	for i, b := range latencyBuckets {
		if sec <= b {
			s.buckets[i]++
		}
	}
}

func (m *metrics) write(w io.Writer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := make([]metricKey, 0, len(m.series))
	for k := range m.series {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b metricKey) int {
		if a.route != b.route {
			if a.route < b.route {
				return -1
			}
			return 1
		}
		if a.method != b.method {
			if a.method < b.method {
				return -1
			}
			return 1
		}
		return a.status - b.status
	})
	fmt.Fprintln(w, "# HELP carfin_http_requests_total HTTP requests by method, route and status.")
	fmt.Fprintln(w, "# TYPE carfin_http_requests_total counter")
	for _, k := range keys {
		fmt.Fprintf(w, "carfin_http_requests_total{method=%q,route=%q,status=\"%d\"} %d\n", k.method, k.route, k.status, m.series[k].count)
	}
	fmt.Fprintln(w, "# HELP carfin_http_request_duration_seconds HTTP request latency by method and route.")
	fmt.Fprintln(w, "# TYPE carfin_http_request_duration_seconds histogram")
	type agg struct {
		count   uint64
		sum     float64
		buckets []uint64
	}
	byRoute := map[[2]string]*agg{}
	var order [][2]string
	for _, k := range keys {
		rk := [2]string{k.method, k.route}
		a := byRoute[rk]
		if a == nil {
			a = &agg{buckets: make([]uint64, len(latencyBuckets))}
			byRoute[rk] = a
			order = append(order, rk)
		}
		s := m.series[k]
		a.count += s.count
		a.sum += s.sum
		for i := range a.buckets {
			a.buckets[i] += s.buckets[i]
		}
	}
	for _, rk := range order {
		a := byRoute[rk]
		for i, b := range latencyBuckets {
			fmt.Fprintf(w, "carfin_http_request_duration_seconds_bucket{method=%q,route=%q,le=%q} %d\n", rk[0], rk[1], strconv.FormatFloat(b, 'g', -1, 64), a.buckets[i])
		}
		fmt.Fprintf(w, "carfin_http_request_duration_seconds_bucket{method=%q,route=%q,le=\"+Inf\"} %d\n", rk[0], rk[1], a.count)
		fmt.Fprintf(w, "carfin_http_request_duration_seconds_sum{method=%q,route=%q} %g\n", rk[0], rk[1], a.sum)
		fmt.Fprintf(w, "carfin_http_request_duration_seconds_count{method=%q,route=%q} %d\n", rk[0], rk[1], a.count)
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
		s.metrics.jobs.write(w)
	}))
	return mux
}
