package webcore

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// shedFixture is a shedder over a handler that holds each request until
// released, classing requests by their path ("/auth…", "/money…",
// "/static…", else pages).
type shedFixture struct {
	h       http.Handler
	s       *Shedder
	started chan string
	release chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	codes   []int
}

func newShedFixture(l ShedLimits) *shedFixture {
	f := &shedFixture{started: make(chan string, 100), release: make(chan struct{})}
	f.s = NewShedder(l, func(r *http.Request) ShedClass {
		switch p := r.URL.Path; {
		case strings.HasPrefix(p, "/auth"):
			return ShedAuth
		case strings.HasPrefix(p, "/money"):
			return ShedMoney
		case strings.HasPrefix(p, "/static"):
			return ShedNone
		}
		return ShedPages
	})
	f.h = f.s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.started <- r.URL.Path
		<-f.release
	}))
	return f
}

// hold sends a request in the background that takes a slot and holds it.
func (f *shedFixture) hold(t *testing.T, path string) {
	t.Helper()
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		f.mu.Lock()
		f.codes = append(f.codes, w.Code)
		f.mu.Unlock()
	}()
	select {
	case <-f.started:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not start", path)
	}
}

// get sends a request and returns its answer and how long it took.
func (f *shedFixture) get(path string) (*httptest.ResponseRecorder, time.Duration) {
	start := time.Now()
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	return w, time.Since(start)
}

func (f *shedFixture) finish() { close(f.release); f.wg.Wait() }

// TestShedder: past its class's limit a request waits at most Wait and is
// answered 503 with Retry-After and a short plain body; page views that
// fill their class leave sign-in and payments their own slots; static
// files are never limited.
func TestShedder(t *testing.T) {
	const wait = 30 * time.Millisecond
	f := newShedFixture(ShedLimits{Pages: 2, Auth: 1, Money: 1, Wait: wait})
	f.hold(t, "/page/1")
	f.hold(t, "/page/2")

	w, took := f.get("/page/3")
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" || !strings.Contains(w.Body.String(), "try again") ||
		!strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("a page past the limit: %d %q %q", w.Code, w.Header(), w.Body)
	}
	if took < wait || took > wait+time.Second {
		t.Errorf("shed after %s, want about %s", took, wait)
	}
	if n := f.s.Shed(ShedPages); n != 1 {
		t.Errorf("%d pages shed, want 1", n)
	}

	// Sign-in and payments still get through while pages are full.
	f.hold(t, "/auth/login")
	f.hold(t, "/money/pay")
	// …up to their own limits.
	if w, _ := f.get("/auth/login"); w.Code != http.StatusServiceUnavailable {
		t.Errorf("a second sign-in past the auth limit of 1: %d", w.Code)
	}
	if w, _ := f.get("/money/pay"); w.Code != http.StatusServiceUnavailable {
		t.Errorf("a second payment past the money limit of 1: %d", w.Code)
	}
	// Static files are not limited.
	done := make(chan int)
	go func() { w, _ := f.get("/static/app.css"); done <- w.Code }()
	select {
	case <-f.started:
	case <-time.After(5 * time.Second):
		t.Fatal("a static file waited behind full classes")
	}
	f.finish()
	if c := <-done; c != http.StatusOK {
		t.Errorf("static file: %d", c)
	}
	for _, c := range f.codes {
		if c != http.StatusOK {
			t.Errorf("a request that had a slot answered %d", c)
		}
	}
}

// TestShedderWaits: a request that finds its class full gets the first
// slot freed within Wait, and is served.
func TestShedderWaits(t *testing.T) {
	f := newShedFixture(ShedLimits{Pages: 1, Auth: 1, Money: 1, Wait: 5 * time.Second})
	f.hold(t, "/page/1")
	got := make(chan int)
	go func() { w, _ := f.get("/page/2"); got <- w.Code }()
	// Let /page/2 wait, then free the slot: it is served.
	time.Sleep(20 * time.Millisecond)
	f.release <- struct{}{} // /page/1 returns
	select {
	case p := <-f.started:
		if p != "/page/2" {
			t.Fatalf("started %s", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting request was not served when a slot was freed")
	}
	f.release <- struct{}{}
	if c := <-got; c != http.StatusOK {
		t.Errorf("waiting request: %d", c)
	}
	f.finish()
}

// TestShedderPriorityWait: past its limit, a sign-in or a payment waits
// ShedPriorityWait times as long as a page view before its 503, and
// still answers well within a second at the default wait.
func TestShedderPriorityWait(t *testing.T) {
	const wait = 40 * time.Millisecond
	f := newShedFixture(ShedLimits{Pages: 1, Auth: 1, Money: 1, Wait: wait})
	f.hold(t, "/page/1")
	f.hold(t, "/auth/1")
	f.hold(t, "/money/1")
	for _, c := range []struct {
		path string
		want time.Duration
	}{{"/page/2", wait}, {"/auth/2", ShedPriorityWait * wait}, {"/money/2", ShedPriorityWait * wait}} {
		w, took := f.get(c.path)
		if w.Code != http.StatusServiceUnavailable || took < c.want || took > c.want+time.Second {
			t.Errorf("%s past its limit: %d after %s, want 503 after %s", c.path, w.Code, took, c.want)
		}
	}
	if d := ShedPriorityWait * ShedWaitDefault; d > 500*time.Millisecond {
		t.Errorf("sign-in and payments wait up to %s past capacity: answers must stay well within 1 s", d)
	}
	f.finish()
}

// TestShedderQueueBound: no more requests wait than ShedQueuePerSlot
// per slot; the next is answered at once, without waiting, and those
// waiting are served as slots free up.
func TestShedderQueueBound(t *testing.T) {
	f := newShedFixture(ShedLimits{Pages: 1, Auth: 1, Money: 1, Wait: 10 * time.Second})
	f.hold(t, "/page/0")
	waiters := make(chan int, ShedQueuePerSlot)
	for i := range ShedQueuePerSlot {
		go func() { w, _ := f.get(fmt.Sprintf("/page/%d", i+1)); waiters <- w.Code }()
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.s.waiting[ShedPages].Load() != ShedQueuePerSlot {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests waiting, want %d", f.s.waiting[ShedPages].Load(), ShedQueuePerSlot)
		}
		time.Sleep(time.Millisecond)
	}
	w, took := f.get("/page/past")
	if w.Code != http.StatusServiceUnavailable || took > time.Second {
		t.Errorf("past the queue: %d after %s, want 503 at once", w.Code, took)
	}
	for range ShedQueuePerSlot {
		f.release <- struct{}{}
		<-f.started
	}
	f.finish()
	for range ShedQueuePerSlot {
		if c := <-waiters; c != http.StatusOK {
			t.Errorf("a waiting request: %d", c)
		}
	}
}

// TestDefaultShedLimits: the three classes together fit in the database
// pool that db.Open makes on PostgreSQL (4×GOMAXPROCS, at least 8, at
// most 32), so that a request with a slot never queues for a connection
// behind the others; every class has at least one slot however small the
// pool; and a configured limit wins over the default.
func TestDefaultShedLimits(t *testing.T) {
	for _, procs := range []int{1, 2, 3, 4, 8, 16, 64} {
		old := runtime.GOMAXPROCS(procs)
		pool := min(max(4*procs, 8), 32)
		l := DefaultShedLimits(pool)
		runtime.GOMAXPROCS(old)
		if l.Pages < 2 || l.Auth < 2 || l.Money < 2 || l.Wait != ShedWaitDefault {
			t.Errorf("GOMAXPROCS %d: %+v", procs, l)
		}
		if sum := l.Pages + l.Auth + l.Money; sum > pool {
			t.Errorf("GOMAXPROCS %d: %+v, %d in flight over a pool of %d", procs, l, sum, pool)
		}
	}
	l := ShedLimits{Pages: 7}.Or(DefaultShedLimits(8))
	if l.Pages != 7 || l.Auth == 0 || l.Money == 0 || l.Wait == 0 {
		t.Errorf("configured: %+v", l)
	}
}
