package webcore

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"carfin/db"
)

// Limits of the readiness probe.
const (
	// ReadyCacheDefault: a result is reused this long, so that a flood of
	// probes (every proxy, every second) costs one round of checks.
	ReadyCacheDefault = time.Second
	// readyCheckTimeout bounds one round of checks: a database that does
	// not answer within it is not ready.
	readyCheckTimeout = time.Second
)

// ErrDraining is the readiness of an instance that is shutting down.
var ErrDraining = errors.New("shutting down")

// ReadyCheck is one thing an instance needs to serve: Check returns nil
// when it is there.
type ReadyCheck struct {
	Name  string
	Check func(context.Context) error
}

// DBCheck checks that the database answers.
func DBCheck(d *db.DB) ReadyCheck {
	return ReadyCheck{Name: "database", Check: d.Ping}
}

// Readiness answers /readyz: 200 when every check passes, else 503 with
// the first that failed, and 503 from the moment Drain is called (on
// SIGTERM, before the server stops taking connections) so that the proxy
// takes the instance out while it finishes its requests. Results are
// cached for cacheFor; concurrent probes share one round of checks.
type Readiness struct {
	checks   []ReadyCheck
	cacheFor time.Duration
	draining atomic.Bool

	mu     sync.Mutex
	at     time.Time // when err was found; zero: never
	failed string    // "" when ready, else "name unavailable"
}

// NewReadiness returns a probe over checks, cached for cacheFor (0: every
// probe checks).
func NewReadiness(cacheFor time.Duration, checks ...ReadyCheck) *Readiness {
	return &Readiness{checks: checks, cacheFor: cacheFor}
}

// Readyz is the readiness of the database alone, cached for
// ReadyCacheDefault.
func Readyz(d *db.DB) *Readiness { return NewReadiness(ReadyCacheDefault, DBCheck(d)) }

// Drain makes every later probe answer 503 ("shutting down").
func (rd *Readiness) Drain() { rd.draining.Store(true) }

// Check runs the checks (or reuses a result younger than cacheFor) and
// returns nil when ready, else an error naming what is not.
func (rd *Readiness) Check(ctx context.Context) error {
	if rd.draining.Load() {
		return ErrDraining
	}
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if rd.at.IsZero() || time.Since(rd.at) >= rd.cacheFor {
		rd.failed = ""
		// The result is shared by every waiting probe: not cut short by
		// the one client that asked first going away.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readyCheckTimeout)
		for _, c := range rd.checks {
			if err := c.Check(cctx); err != nil {
				rd.failed = c.Name + " unavailable"
				break
			}
		}
		cancel()
		rd.at = time.Now()
	}
	if rd.failed != "" {
		return errors.New(rd.failed)
	}
	return nil
}

// ServeHTTP answers 200 "ready" or 503 with the reason.
func (rd *Readiness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := rd.Check(r.Context()); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(err.Error() + "\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}
