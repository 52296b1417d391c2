package webcore

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestReadiness: 200 while every check passes, 503 naming the first that
// fails, 503 "shutting down" once drained whatever the checks say; a
// result is reused within the cache time, so that a flood of probes costs
// one round of checks; a check that hangs is cut off by the timeout.
func TestReadiness(t *testing.T) {
	var calls atomic.Int64
	var dbErr, jobsErr errBox
	check := func(v *errBox) func(context.Context) error {
		return func(context.Context) error { calls.Add(1); return v.Load() }
	}
	probe := func(rd *Readiness) (int, string) {
		w := httptest.NewRecorder()
		rd.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return w.Code, strings.TrimSpace(w.Body.String())
	}

	rd := NewReadiness(0, ReadyCheck{"database", check(&dbErr)}, ReadyCheck{"jobs", check(&jobsErr)})
	for _, tc := range []struct {
		name     string
		db, jobs error
		code     int
		body     string
	}{
		{"ready", nil, nil, 200, "ready"},
		{"database down", errors.New("refused"), nil, 503, "database unavailable"},
		{"jobs stopped", nil, errors.New("stopped"), 503, "jobs unavailable"},
		{"both down: the first", errors.New("refused"), errors.New("stopped"), 503, "database unavailable"},
		{"back", nil, nil, 200, "ready"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbErr.Store(tc.db)
			jobsErr.Store(tc.jobs)
			if code, body := probe(rd); code != tc.code || body != tc.body {
				t.Errorf("%d %q, want %d %q", code, body, tc.code, tc.body)
			}
		})
	}
	rd.Drain()
	if code, body := probe(rd); code != 503 || body != "shutting down" {
		t.Errorf("drained: %d %q", code, body)
	}

	// Cached: 100 probes at once within the cache time run the checks once.
	calls.Store(0)
	dbErr.Store(nil)
	jobsErr.Store(nil)
	cached := NewReadiness(time.Hour, ReadyCheck{"database", check(&dbErr)})
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			if code, _ := probe(cached); code != 200 {
				t.Errorf("cached probe: %d", code)
			}
		})
	}
	wg.Wait()
	dbErr.Store(errors.New("refused")) // not seen until the cache expires
	if code, _ := probe(cached); code != 200 || calls.Load() != 1 {
		t.Errorf("cached: %d after %d rounds of checks, want 200 after 1", code, calls.Load())
	}

	// A check that hangs is cut off by the timeout: not ready, quickly.
	hang := NewReadiness(0, ReadyCheck{"database", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }})
	start := time.Now()
	if code, body := probe(hang); code != 503 || body != "database unavailable" || time.Since(start) > readyCheckTimeout+time.Second {
		t.Errorf("hanging check: %d %q after %s", code, body, time.Since(start))
	}
}

// errBox is an error that one goroutine sets and others read.
type errBox struct {
	mu  sync.Mutex
	err error
}

func (b *errBox) Store(err error) { b.mu.Lock(); b.err = err; b.mu.Unlock() }
func (b *errBox) Load() error     { b.mu.Lock(); defer b.mu.Unlock(); return b.err }
