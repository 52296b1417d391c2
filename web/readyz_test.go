package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"carfin/db"
	"carfin/db/dbtest"
	"carfin/webcore"
)

// TestReadyz: /readyz answers 200 while the database answers, and 503
// once it does not (a load balancer then stops sending traffic here).
func TestReadyz(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := webcore.NewReadiness(0, webcore.DBCheck(d)) // uncached: the test changes the database's state
		get := func() *httptest.ResponseRecorder {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			return w
		}
		if w := get(); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "ready") {
			t.Fatalf("up: %d %q", w.Code, w.Body)
		}
		d.Close()
		if w := get(); w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "database unavailable") {
			t.Fatalf("down: %d %q", w.Code, w.Body)
		}
	})
}
