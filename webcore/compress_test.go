package webcore

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCompression(t *testing.T) {
	page := strings.Repeat("<tr><td>Nov 6, 2025</td><td>$557.50</td></tr>\n", 400)
	h := WithCompression(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/pdf":
			w.Header().Set("Content-Type", "application/pdf")
		case "/typed-later":
			// no Content-Type: sniffed from the first write
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		}
		_, _ = io.WriteString(w, page)
	}))
	for _, tc := range []struct {
		name, path, site, accept, rng string
		gzipped                       bool
	}{
		{"the customer's own navigation", "/", "none", "gzip, deflate, br", "", true},
		{"the portal's own request", "/", "same-origin", "gzip", "", true},
		{"sniffed HTML", "/typed-later", "same-origin", "gzip", "", true},
		{"another site's request (BREACH)", "/", "cross-site", "gzip", "", false},
		{"a sibling subdomain's request", "/", "same-site", "gzip", "", false},
		{"no Sec-Fetch-Site", "/", "", "gzip", "", false},
		{"gzip refused", "/", "none", "gzip;q=0, br", "", false},
		{"no Accept-Encoding", "/", "none", "", "", false},
		{"a PDF", "/pdf", "none", "gzip", "", false},
		{"a range", "/", "none", "gzip", "bytes=0-9", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tc.path, nil)
			if tc.site != "" {
				r.Header.Set("Sec-Fetch-Site", tc.site)
			}
			r.Header.Set("Accept-Encoding", tc.accept)
			if tc.rng != "" {
				r.Header.Set("Range", tc.rng)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if !strings.Contains(w.Header().Get("Vary"), "Accept-Encoding") {
				t.Error("no Vary: Accept-Encoding")
			}
			body := w.Body.Bytes()
			if got := w.Header().Get("Content-Encoding") == "gzip"; got != tc.gzipped {
				t.Fatalf("gzipped = %v, want %v", got, tc.gzipped)
			}
			if tc.gzipped {
				if len(body) > len(page)/10 {
					t.Errorf("%d bytes gzipped from %d", len(body), len(page))
				}
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if string(body) != page {
				t.Errorf("body differs: %d bytes", len(body))
			}
		})
	}
}
