package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

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

// TestServeDrainDelay: after the stop signal, with --drain-delay set,
// the instance keeps answering pages while /readyz answers 503 (so a
// proxy polling it takes the instance out before connections are
// refused), then stops; the flag refuses what it cannot mean.
func TestServeDrainDelay(t *testing.T) {
	for _, bad := range []string{"-1s", "2m", "soon"} {
		if _, err := parseServeConfig([]string{"--drain-delay", bad}, harnessEnv, io.Discard); err == nil {
			t.Errorf("--drain-delay %s accepted", bad)
		}
	}
	const delay = 1500 * time.Millisecond
	cfg, err := parseServeConfig([]string{"--drain-delay", delay.String()}, harnessEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr, cfg.MetricsAddr, cfg.Jobs, cfg.hashParams, cfg.logOut = "127.0.0.1:0", "off", false, cheapParams, io.Discard
	ready := make(chan string, 1)
	cfg.onListen = func(base string) { ready <- base }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- startServer(ctx, cfg, dbtest.SQLite(t), io.Discard) }()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatalf("server did not start: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server did not start in 10 s")
	}
	c := &http.Client{Timeout: 2 * time.Second}
	status := func(path string) int {
		res, err := c.Get(base + path)
		if err != nil {
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	if s := status("/readyz"); s != http.StatusOK {
		t.Fatalf("/readyz before the stop: %d", s)
	}
	stopped := time.Now()
	cancel()
	time.Sleep(200 * time.Millisecond)
	if s := status("/readyz"); s != http.StatusServiceUnavailable {
		t.Errorf("/readyz while draining: %d, want 503", s)
	}
	if s := status("/login"); s != http.StatusOK {
		t.Errorf("/login while draining: %d, want 200 (still serving)", s)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("stopped with %v", err)
		}
	case <-time.After(delay + 20*time.Second):
		t.Fatal("did not stop after draining")
	}
	if took := time.Since(stopped); took < delay {
		t.Errorf("stopped %s after the signal, before the drain delay of %s", took, delay)
	}
	if s := status("/login"); s != 0 {
		t.Errorf("/login after the stop answered %d", s)
	}
}

// TestServeSQLiteOneProcess: a second `carfin serve` on a SQLite file
// another server holds is refused at start, naming the reason.
func TestServeSQLiteOneProcess(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "carfin.db")
	release, err := db.ServeLock(dsn) // the first server
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	var out, errOut strings.Builder
	err = run(context.Background(), []string{"carfin", "serve", "--db", dsn, "--addr", "127.0.0.1:0", "--metrics-addr", "off"},
		func(k string) string { return demoIdentity[k] }, strings.NewReader(""), &out, &errOut)
	if !errors.Is(err, db.ErrInUse) || !strings.Contains(err.Error(), "single-process") {
		t.Fatalf("second serve on one SQLite file: %v, want refused as in use", err)
	}
}
