package metrics

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"carfin/webcore"
)

// TestShedCounted: a request the load shedder turns away is counted in
// carfin_http_shed_total by app and class (and as a 5xx of route
// "shed:CLASS"), and a served one is not.
func TestShedCounted(t *testing.T) {
	r := New()
	release, started := make(chan struct{}), make(chan struct{}, 1)
	shed := webcore.NewShedder(webcore.ShedLimits{Pages: 1, Auth: 1, Money: 1, Wait: time.Millisecond},
		func(*http.Request) webcore.ShedClass { return webcore.ShedPages })
	h := webcore.WithRequestLog(slog.New(slog.DiscardHandler), r.Observer("console"))(shed.Middleware(
		http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			started <- struct{}{}
			<-release
			_, _ = w.Write([]byte("ok"))
		})))
	var wg sync.WaitGroup
	wg.Go(func() { h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/a", nil)) })
	<-started // the only page slot is taken
	for range 3 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/b", nil))
		if w.Code != http.StatusServiceUnavailable {
			t.Fatalf("a request past the limit answered %d, want 503", w.Code)
		}
	}
	close(release)
	wg.Wait()
	body := scrape(t, r)
	for _, want := range []string{
		`carfin_http_shed_total{app="console",class="pages"} 3`,
		`carfin_http_requests_total{app="console",method="GET",route="shed:pages",status="5xx"} 3`,
		`carfin_http_requests_total{app="console",method="GET",route="unmatched",status="2xx"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
