package webcore

import (
	"net/http"
	"runtime"
	"sync/atomic"
	"time"
)

// ShedClass is a route class of the load shedder: each class has its own
// allowance of requests in flight, so that a flood of one cannot starve
// another.
type ShedClass int

const (
	// ShedNone is not limited: static files, the health and readiness
	// probes (a proxy must see an instance that sheds as alive and ready).
	ShedNone ShedClass = iota
	// ShedPages is every page view and every other form.
	ShedPages
	// ShedAuth is sign-in, second factor, re-authentication, enrolment
	// and sign-out.
	ShedAuth
	// ShedMoney is the submission of a payment (one-time, scheduled
	// change or cancellation, autopay).
	ShedMoney
	shedClasses
)

var shedClassNames = [shedClasses]string{"none", "pages", "auth", "money"}

func (c ShedClass) String() string { return shedClassNames[c] }

// Limits of the load shedder.
const (
	// ShedWaitDefault is how long a request waits for a slot of its class
	// before it is answered 503: long enough to ride out a burst, short
	// enough that a client never waits on a full server.
	ShedWaitDefault = 100 * time.Millisecond
	// ShedRoutePrefix starts the route of a shed request in the request
	// log and the Observer ("shed:pages"), instead of its pattern.
	ShedRoutePrefix = "shed:"
	// shedRetryAfterSeconds is the Retry-After of a shed request.
	shedRetryAfterSeconds = "1"
	// ShedQueuePerSlot bounds the requests that may wait for a class's
	// slot: this many per slot. A class's slots free up every few
	// milliseconds, so a short stall (a GC pause, a slow query, a burst
	// of arrivals) leaves more than one request per slot waiting that
	// would all be served well within Wait; shedding them (as a queue of
	// one per slot did: 0.2–0.4 % of dashboards at 70 % of capacity, 1 %
	// of the soak's sign-ins) turned away work there was time for. Each
	// still waits at most Wait, so past capacity the answer stays fast.
	ShedQueuePerSlot = 8
	// ShedPriorityWait multiplies Wait for sign-in and payments: a person
	// signing in or paying is worth waiting longer for than a page view
	// (the soak's 10 % of sign-ins, two slots an instance, were shed
	// after 100 ms when each would have had a slot in a few hundred
	// milliseconds), and 4 × 100 ms keeps every answer well within a
	// second past capacity.
	ShedPriorityWait = 4
)

// ShedLimits are the requests in flight each class may have (a zero
// field takes its default from DefaultShedLimits).
type ShedLimits struct {
	Pages, Auth, Money int
	// Wait is the longest a page view waits for a slot (0:
	// ShedWaitDefault); sign-in and payments wait ShedPriorityWait times it.
	Wait time.Duration
}

// DefaultShedLimits sizes the classes for this process and its database
// pool of poolConns connections: sign-in and payments get GOMAXPROCS
// each (at least 2, at most a quarter of the pool), page views up to
// 4×GOMAXPROCS but no more than the connections the other two leave (at
// least 2). Past these the server sheds rather than queue work on the CPU
// or the pool. On PostgreSQL (db.Open: a pool of 4×GOMAXPROCS, at least
// 8, at most 32) the three together fit in the pool, so a request with a
// slot never waits for a connection behind the others; on SQLite, whose
// reads are in process, the small read pool can be exceeded by 2.
func DefaultShedLimits(poolConns int) ShedLimits {
	procs := runtime.GOMAXPROCS(0)
	each := max(2, min(procs, poolConns/4))
	pages := max(2, min(4*procs, poolConns-2*each))
	return ShedLimits{Pages: pages, Auth: each, Money: each, Wait: ShedWaitDefault}
}

// Or fills l's zero fields from d.
func (l ShedLimits) Or(d ShedLimits) ShedLimits {
	if l.Pages <= 0 {
		l.Pages = d.Pages
	}
	if l.Auth <= 0 {
		l.Auth = d.Auth
	}
	if l.Money <= 0 {
		l.Money = d.Money
	}
	if l.Wait <= 0 {
		l.Wait = d.Wait
	}
	return l
}

// Shedder bounds the requests in flight per class and answers the rest
// 503 with Retry-After. At most ShedQueuePerSlot requests per slot of a
// class wait for one, each at most Wait; any more are answered at once.
type Shedder struct {
	limits   ShedLimits
	classify func(*http.Request) ShedClass
	slots    [shedClasses]chan struct{}
	waiting  [shedClasses]atomic.Int64
	shed     [shedClasses]atomic.Int64
}

// NewShedder returns a shedder with limits l (every field set: use
// ShedLimits.Or) and the routes' classes given by classify. It panics
// on a limit below 1 (a configuration that would shed everything).
func NewShedder(l ShedLimits, classify func(*http.Request) ShedClass) *Shedder {
	if l.Pages < 1 || l.Auth < 1 || l.Money < 1 || l.Wait <= 0 {
		panic("webcore: shed limits must be positive")
	}
	s := &Shedder{limits: l, classify: classify}
	s.slots[ShedPages] = make(chan struct{}, l.Pages)
	s.slots[ShedAuth] = make(chan struct{}, l.Auth)
	s.slots[ShedMoney] = make(chan struct{}, l.Money)
	return s
}

// Limits are the shedder's limits.
func (s *Shedder) Limits() ShedLimits { return s.limits }

// Shed is how many requests of class c were answered 503.
func (s *Shedder) Shed(c ShedClass) int64 { return s.shed[c].Load() }

// Middleware is the shedder as middleware.
func (s *Shedder) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := s.classify(r)
		if c == ShedNone {
			next.ServeHTTP(w, r)
			return
		}
		if !s.acquire(c, r) {
			s.shed[c].Add(1)
			if p, ok := r.Context().Value(ctxRoute).(*string); ok {
				*p = ShedRoutePrefix + c.String() // the request log's and the metrics' route
			}
			h := w.Header()
			h.Set("Retry-After", shedRetryAfterSeconds)
			h.Set("Content-Type", "text/plain; charset=utf-8")
			h.Set("Cache-Control", "no-store")
			h.Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("Busy: please try again in a moment.\n"))
			return
		}
		defer func() { <-s.slots[c] }()
		next.ServeHTTP(w, r)
	})
}

// wait is the longest a request of class c waits for a slot.
func (s *Shedder) wait(c ShedClass) time.Duration {
	if c == ShedAuth || c == ShedMoney {
		return ShedPriorityWait * s.limits.Wait
	}
	return s.limits.Wait
}

// acquire takes a slot of class c, waiting at most its wait and
// only when fewer than ShedQueuePerSlot requests per slot already wait;
// false when it got none (or the client went away).
func (s *Shedder) acquire(c ShedClass, r *http.Request) bool {
	sem := s.slots[c]
	select {
	case sem <- struct{}{}:
		return true
	default:
	}
	if s.waiting[c].Add(1) > int64(ShedQueuePerSlot*cap(sem)) {
		s.waiting[c].Add(-1)
		return false
	}
	defer s.waiting[c].Add(-1)
	t := time.NewTimer(s.wait(c))
	defer t.Stop()
	select {
	case sem <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-r.Context().Done():
		return false
	}
}
