package webcore

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestOneOrigin: a page asked for at the loopback address of a portal
// whose base URL is localhost moves to the base URL; other hosts, ports
// and methods, and a portal with a public name, are served as asked.
func TestOneOrigin(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	for _, tc := range []struct {
		name, base, method, host, path string
		status                         int
		location                       string
	}{
		{"IPv4 loopback", "http://localhost:8080", "GET", "127.0.0.1:8080", "/contracts/1?x=2", 307, "http://localhost:8080/contracts/1?x=2"},
		{"IPv6 loopback", "http://localhost:8080", "HEAD", "[::1]:8080", "/login", 307, "http://localhost:8080/login"},
		{"the base itself", "http://localhost:8080", "GET", "localhost:8080", "/login", 200, ""},
		{"another port", "http://localhost:8080", "GET", "127.0.0.1:9090", "/login", 200, ""},
		{"a form post", "http://localhost:8080", "POST", "127.0.0.1:8080", "/login", 200, ""},
		{"a public name", "https://portal.lender.example", "GET", "127.0.0.1:443", "/login", 200, ""},
		{"no base URL", "", "GET", "127.0.0.1:8080", "/login", 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "http://"+tc.host+tc.path, nil)
			w := httptest.NewRecorder()
			WithOneOrigin(tc.base)(ok).ServeHTTP(w, r)
			if w.Code != tc.status || w.Header().Get("Location") != tc.location {
				t.Errorf("%d %q, want %d %q", w.Code, w.Header().Get("Location"), tc.status, tc.location)
			}
		})
	}
}
