package browsertest

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The checks of Layout, OffOrigin and Traffic, each shown a page that
// breaks it and a page that does not: a check that finds nothing on a
// broken page would pass every real one.

const cleanPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>clean</title>
<meta name="viewport" content="width=device-width">
<link rel="stylesheet" href="/style.css"></head><body>
<a class="skip" href="#main">Skip to the content</a>
<main id="main"><h1>Clean</h1>
<p>Account <span class="nowrap">NW-100001</span>, phone <a href="tel:+15552017788">(555) 201-7788</a>.</p>
<div style="overflow-x: auto"><table><tr><td>1</td><td>2</td></tr></table></div>
<p><span class="sr">A long hidden text that is clipped to one pixel on purpose, as screen-reader text is</span></p>
</main></body></html>`

const brokenPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>broken</title>
<meta name="viewport" content="width=device-width">
<style>@font-face { font-family: Embedded; src: url(data:font/woff2;base64,AAAA) format("woff2"); }</style>
<link rel="stylesheet" href="/style.css"></head><body><main>
<div id="too-wide" style="width: 500px">wide</div>
<div style="width: 100px"><table id="wide-table"><tr><td>a&nbsp;long&nbsp;cell&nbsp;that&nbsp;does&nbsp;not&nbsp;wrap</td></tr></table></div>
<div id="scroller" style="overflow-x: auto; width: 100px"><div style="width: 300px">inside</div></div>
<p id="cut" style="overflow: hidden; height: 10px; width: 200px">Two lines of text<br>cut to ten pixels</p>
<p id="dots" style="overflow: hidden; white-space: nowrap; text-overflow: ellipsis; width: 50px">An ellipsis hides this</p>
<div style="width: 60px"><span id="acct" class="nowrap" style="white-space: normal">NW 100001 0002 0003</span></div>
<img alt="" src="%s/pixel.gif">
</main></body></html>`

// pixel is a 1×1 transparent GIF.
var pixel = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

func TestLayoutChecks(t *testing.T) {
	var other string // the same server under another origin
	mux := http.NewServeMux()
	mux.HandleFunc("GET /clean", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, cleanPage) })
	mux.HandleFunc("GET /broken", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, brokenPage, other) })
	mux.HandleFunc("GET /style.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css")
		w.Header().Set("Cache-Control", "max-age=3600")
		fmt.Fprint(w, `.nowrap { white-space: nowrap } .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0,0,0,0) }
.skip { position: absolute; left: -999px } a[href^="tel:"] { white-space: nowrap } body { margin: 8px; font: 16px/1.5 sans-serif }`+strings.Repeat("\n/* padding */", 200))
	})
	mux.HandleFunc("GET /pixel.gif", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/gif")
		_, _ = w.Write(pixel)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	other = "http://localhost:" + port // 127.0.0.1 and localhost are two origins
	b := Start(t, srv.URL)
	tr := b.RecordTraffic()

	b.Viewport(320, 600)
	b.Go("/clean")
	if p := b.Layout(".nowrap, a[href^='tel:']").Problems(); len(p) != 0 {
		t.Errorf("clean page: %q", p)
	}
	if x := b.OffOrigin(); len(x) != 0 {
		t.Errorf("clean page takes from elsewhere: %q", x)
	}

	// Loaded twice: with the cache disabled, the style sheet is counted
	// both times, in full.
	for i := range 2 {
		tr.Reset()
		b.Go("/clean")
		if busy := tr.WaitQuiet(50*time.Millisecond, 5*time.Second); busy != nil {
			t.Fatalf("still loading: %v", busy)
		}
		var doc, css *Request
		reqs := tr.Requests()
		for i, r := range reqs {
			switch {
			case strings.HasSuffix(r.URL, "/clean"):
				doc = &reqs[i]
			case strings.HasSuffix(r.URL, "/style.css"):
				css = &reqs[i]
			}
		}
		if doc == nil || css == nil {
			t.Fatalf("load %d: requests %+v", i+1, reqs)
		}
		if doc.Type != "Document" || doc.Status != 200 || doc.Body < int64(len(cleanPage)) || doc.Body > int64(len(cleanPage))+32 ||
			doc.Transferred <= doc.Body || doc.Cached {
			t.Errorf("load %d: document %+v (its body is %d bytes)", i+1, *doc, len(cleanPage))
		}
		if css.Type != "Stylesheet" || css.Cached || css.Body < 2000 || css.Transferred <= css.Body {
			t.Errorf("load %d: style sheet %+v", i+1, *css)
		}
	}

	tr.Reset()
	b.Go("/broken")
	if busy := tr.WaitQuiet(50*time.Millisecond, 5*time.Second); busy != nil {
		t.Fatalf("still loading: %v", busy)
	}
	l := b.Layout(".nowrap")
	if l.Overflow <= 0 || len(l.Culprits) != 1 || !strings.Contains(l.Culprits[0], "div#too-wide") {
		t.Errorf("overflow %d, culprits %q", l.Overflow, l.Culprits)
	}
	if len(l.WideTables) != 1 || !strings.Contains(l.WideTables[0], "table#wide-table") {
		t.Errorf("wide tables %q", l.WideTables)
	}
	if len(l.HiddenScroll) != 1 || !strings.Contains(l.HiddenScroll[0], "div#scroller") {
		t.Errorf("hidden scroll %q", l.HiddenScroll)
	}
	if len(l.Clipped) != 2 || !strings.Contains(l.Clipped[0], "p#cut") || !strings.Contains(l.Clipped[1], "p#dots") {
		t.Errorf("clipped %q", l.Clipped)
	}
	if len(l.Broken) != 1 || !strings.Contains(l.Broken[0], "span#acct.nowrap") {
		t.Errorf("broken %q", l.Broken)
	}
	if n := len(l.Problems()); n != 6 {
		t.Errorf("%d problems: %q", n, l.Problems())
	}
	x := strings.Join(b.OffOrigin(), "\n")
	if !strings.Contains(x, "img src="+other+"/pixel.gif") || !strings.Contains(x, "fetched "+other+"/pixel.gif") ||
		!strings.Contains(x, "@font-face Embedded embedded as a data: URL") {
		t.Errorf("off origin:\n%s", x)
	}
	foreign := 0
	for _, r := range tr.Requests() {
		if strings.HasPrefix(r.URL, other) {
			foreign++
		}
	}
	if foreign != 1 {
		t.Errorf("%d requests to %s: %+v", foreign, other, tr.Requests())
	}

	// The session goes on elsewhere with the browser's cookies.
	b.SetCookie("session", "abc")
	b.SetCookie("lang", "es")
	if h := b.CookieHeader(); h != "lang=es; session=abc" && h != "session=abc; lang=es" {
		t.Errorf("cookie header %q", h)
	}
	b.ClearCookies()
	if h := b.CookieHeader(); h != "" {
		t.Errorf("cookies after clearing: %q", h)
	}
}
