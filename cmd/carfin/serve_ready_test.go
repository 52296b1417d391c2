package main

import (
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"carfin/db"
	"carfin/db/dbtest"
)

// TestServeReadyz: with the jobs running in the process, /readyz answers
// 200 once they have started (its checks: the database and the jobs).
func TestServeReadyz(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := startServe(t, d, func(c *serveConfig) { c.Jobs = true })
		if r := s.browser("").do("GET", "/readyz", nil, nil); r.status != http.StatusOK || strings.TrimSpace(r.body) != "ready" {
			t.Fatalf("portal /readyz: %d %q", r.status, r.body)
		}
	})
}

// TestServeRequestID: every response carries X-Request-Id; the request
// log line carries the same id; an id sent by a trusted proxy is kept,
// one sent by any other peer is replaced.
func TestServeRequestID(t *testing.T) {
	d := dbtest.SQLite(t)
	proxied := startServe(t, d)
	direct := startServe(t, d, func(c *serveConfig) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")} })
	hdr := http.Header{"X-Request-Id": {"proxy-req-42"}}
	r := proxied.browser("198.51.100.7").do("GET", "/login", nil, hdr)
	if r.status != http.StatusOK || r.header.Get("X-Request-Id") != "proxy-req-42" {
		t.Fatalf("through a trusted proxy: %d, id %q", r.status, r.header.Get("X-Request-Id"))
	}
	if !regexp.MustCompile(`(?m)msg=request .*route="GET /login".* request_id=proxy-req-42$`).MatchString(proxied.logs.String()) {
		t.Errorf("no request log line with the proxy's id:\n%s", proxied.logs.String())
	}
	r = direct.browser("").do("GET", "/login", nil, hdr)
	id := r.header.Get("X-Request-Id")
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) {
		t.Fatalf("from an untrusted peer: id %q, want a generated one", id)
	}
	if !strings.Contains(direct.logs.String(), "request_id="+id) {
		t.Errorf("no log line with the generated id %s:\n%s", id, direct.logs.String())
	}
}
