package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"sync"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// Download clicks the element matched by sel (a link to a file) as a
// person would, lets Chromium save the file, and returns the name the
// server suggested (Content-Disposition) and the file's bytes.
func (b *Browser) Download(sel string) (name string, data []byte) {
	b.t.Helper()
	dir := b.t.TempDir()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	on := true
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &on}); err != nil {
		b.t.Fatalf("browser: allow downloads: %v", err)
	}
	var mu sync.Mutex
	names := map[string]string{}
	done := make(chan string, 1)
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	if err := chromedp.ListenBrowser(lctx, func(ev any) {
		switch e := ev.(type) {
		case *browser.EventDownloadWillBegin:
			mu.Lock()
			names[e.GUID] = e.SuggestedFilename
			mu.Unlock()
		case *browser.EventDownloadProgress:
			if e.State == browser.DownloadProgressStateCompleted {
				select {
				case done <- e.GUID:
				default:
				}
			}
		}
	}); err != nil {
		b.t.Fatalf("browser: listen for downloads: %v", err)
	}
	b.Click(sel)
	select {
	case guid := <-done:
		mu.Lock()
		name = names[guid]
		mu.Unlock()
		data, err := os.ReadFile(filepath.Join(dir, guid))
		if err != nil {
			b.t.Fatalf("browser: downloaded file: %v", err)
		}
		return name, data
	case <-ctx.Done():
		b.t.Fatalf("browser: no download finished after clicking %s", sel)
	}
	return "", nil
}
