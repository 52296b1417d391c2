package web

import (
	"net/http"
	"net/http/pprof"

	carfinmetrics "carfin/metrics"
	"carfin/webcore"
)

// metrics is the portal's view of carfin's Prometheus registry (package
// metrics): it counts the portal's requests (webcore.Observer) and the
// jobs this process works.
type metrics = carfinmetrics.Registry

func newMetrics() *metrics { return carfinmetrics.New() }

// RequestObserver returns the observer another HTTP app of this process
// (the staff console: app "console") gives webcore.WithRequestLog, so its
// requests are counted on the same /metrics.
func (s *Server) RequestObserver(app string) webcore.Observer { return s.metrics.Observer(app) }

// MetricsHandler serves the metrics at /metrics, for a listener of its
// own (serve's --metrics-addr): the portal does not serve them, so no
// reverse proxy in front of it can expose them, and no client is judged
// by its address. With a token, a request must carry it as a bearer
// token (as Prometheus' authorization setting sends it); others get 401.
// The figures read from the database (pools, River queue, outbox,
// payments, sign-ins, day close) are added here, once.
func (s *Server) MetricsHandler(token string) http.Handler {
	s.metrics.WatchDB(s.db)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metrics.Handler(token))
	// Go's profiler, for an operator (or a benchmark) asking where a
	// busy instance's CPU goes: on this listener only, behind the token.
	mux.Handle("GET /debug/pprof/", carfinmetrics.RequireToken(token, http.HandlerFunc(pprof.Index)))
	mux.Handle("GET /debug/pprof/profile", carfinmetrics.RequireToken(token, http.HandlerFunc(pprof.Profile)))
	return mux
}
