package browsertest

import (
	"context"
	"net/url"
	"sync"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Request is one request of the tab, as the DevTools Network domain
// reports it. A redirect is a Request of its own (its Status is 3xx).
type Request struct {
	URL      string
	Type     string // Document, Stylesheet, Script, Image, Font, Fetch, …
	Status   int64
	MIMEType string
	// Transferred is the bytes received on the wire: the response's
	// headers and its body as sent (compressed, if it was).
	Transferred int64
	// Body is the body's bytes as sent, before any content encoding is
	// removed (Resource Timing's encodedBodySize; where Chromium does not
	// report it, Transferred less the headers, so chunked framing counts).
	Body int64
	// Cached is true when the browser answered from a cache (memory, disk,
	// prefetch or service worker) rather than the network.
	Cached bool
	// Failed is the error of a request that did not complete ("" if it did).
	Failed  string
	done    bool
	headers int64 // bytes received with the response's headers
	loader  string
}

// Network reports whether the request went to a server: false for data:
// and blob: URLs, which the page carries itself.
func (r Request) Network() bool {
	u, err := url.Parse(r.URL)
	return err != nil || (u.Scheme != "data" && u.Scheme != "blob")
}

// Traffic records the tab's requests while it is on. Chromium's cache is
// disabled meanwhile, so that every load is counted in full: a stylesheet
// kept from the previous page would otherwise hide its bytes.
type Traffic struct {
	b      *Browser
	stop   context.CancelFunc
	mu     sync.Mutex
	reqs   []*Request
	open   map[network.RequestID]*Request
	change time.Time // when a request last started or ended
	main   string    // the tab's main frame
}

// RecordTraffic starts recording the tab's requests (see [Traffic]) until
// Stop or the end of the test.
func (b *Browser) RecordTraffic() *Traffic {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
		b.t.Fatalf("Network.setCacheDisabled: %v", err)
	}
	lctx, stop := context.WithCancel(b.ctx)
	tr := &Traffic{b: b, stop: stop, open: map[network.RequestID]*Request{}, change: time.Now()}
	if err := chromedp.Listen(lctx, tr.event); err != nil {
		stop()
		b.t.Fatalf("browser: listen for network events: %v", err)
	}
	b.t.Cleanup(stop)
	return tr
}

// event runs in chromedp's reading loop: it only records, under the lock.
func (tr *Traffic) event(ev any) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		if r, ok := tr.open[e.RequestID]; ok && e.RedirectResponse != nil {
			// The same id goes on to the redirect's target: the hop ends here.
			r.Status, r.MIMEType = e.RedirectResponse.Status, e.RedirectResponse.MimeType
			r.Transferred, r.done = int64(e.RedirectResponse.EncodedDataLength), true
		}
		if e.Type == network.ResourceTypeDocument && string(e.RequestID) == string(e.LoaderID) && (tr.main == "" || tr.main == string(e.FrameID)) {
			// The tab goes to another page: what the last one still loads
			// (a favicon, say) is cancelled, often without an event.
			tr.main = string(e.FrameID)
			for id, r := range tr.open {
				if r.loader != string(e.LoaderID) {
					r.Failed, r.done = "abandoned: the tab went to another page", true
					delete(tr.open, id)
				}
			}
		}
		r := &Request{URL: e.Request.URL, Type: string(e.Type), loader: string(e.LoaderID)}
		tr.reqs = append(tr.reqs, r)
		tr.open[e.RequestID] = r
	case *network.EventResponseReceived:
		if r, ok := tr.open[e.RequestID]; ok {
			res := e.Response
			r.Status, r.MIMEType, r.headers = res.Status, res.MimeType, int64(res.EncodedDataLength)
			r.Cached = r.Cached || res.FromDiskCache || res.FromPrefetchCache || res.FromServiceWorker
			if e.Type != "" {
				r.Type = string(e.Type)
			}
		}
	case *network.EventRequestServedFromCache:
		if r, ok := tr.open[e.RequestID]; ok {
			r.Cached = true
		}
	case *network.EventLoadingFinished:
		if r, ok := tr.open[e.RequestID]; ok {
			r.Transferred, r.Body, r.done = int64(e.EncodedDataLength), int64(e.EncodedBodyLength), true
			if r.Body == 0 && !r.Cached {
				r.Body = max(0, r.Transferred-r.headers)
			}
			delete(tr.open, e.RequestID)
		}
	case *network.EventLoadingFailed:
		if r, ok := tr.open[e.RequestID]; ok {
			r.Failed, r.done = e.ErrorText, true
			delete(tr.open, e.RequestID)
		}
	default:
		return
	}
	tr.change = time.Now()
}

// Reset forgets the requests recorded so far, those still in flight too:
// what is recorded next belongs to what the test does next.
func (tr *Traffic) Reset() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.reqs = nil
	clear(tr.open)
}

// Requests returns the requests recorded since the start or the last
// Reset, in the order they started.
func (tr *Traffic) Requests() []Request {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	out := make([]Request, len(tr.reqs))
	for i, r := range tr.reqs {
		out[i] = *r
	}
	return out
}

// WaitQuiet waits until no request has been in flight for quiet (fonts
// and images can start after the load event), at most limit. It returns
// the URLs still loading at the limit: none when the tab went quiet.
func (tr *Traffic) WaitQuiet(quiet, limit time.Duration) (busy []string) {
	deadline := time.Now().Add(limit)
	for {
		tr.mu.Lock()
		idle := len(tr.open) == 0 && time.Since(tr.change) >= quiet
		if !idle && !time.Now().Before(deadline) {
			for _, r := range tr.open {
				busy = append(busy, r.URL)
			}
		}
		tr.mu.Unlock()
		if idle || busy != nil {
			return busy
		}
		time.Sleep(quiet/4 + time.Millisecond)
	}
}

// Stop ends the recording and enables the cache again.
func (tr *Traffic) Stop() {
	tr.b.t.Helper()
	tr.stop()
	ctx, cancel := context.WithTimeout(tr.b.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: false}); err != nil {
		tr.b.t.Fatalf("Network.setCacheDisabled: %v", err)
	}
}
