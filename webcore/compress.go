package webcore

import (
	"compress/gzip"
	"net/http"
	"strings"
	"sync"
)

// Text responses (pages, stylesheet, script, JSON, CSV) are sent gzipped
// to browsers that accept it: a contract page with a six-year schedule is
// 60 KB of HTML and 8 KB on the wire. PDFs and images are already
// compressed and go as they are.
//
// BREACH reads secrets out of compressed sizes by making a victim's
// browser send many requests from another site; those arrive with
// Sec-Fetch-Site: cross-site (or same-site), and are never compressed.
// Only a navigation the customer made (none) or the portal's own requests
// (same-origin) are, and a browser too old to send the header gets
// identity encoding.

// compressible are the content types worth compressing.
var compressible = []string{"text/html", "text/css", "text/javascript", "application/javascript", "application/json", "text/csv", "text/plain", "image/svg+xml"}

var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression)
	return w
}}

// WithCompression gzips text responses for same-origin requests that
// accept gzip.
func WithCompression(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Encoding")
		if !acceptsGzip(r) {
			next.ServeHTTP(w, r)
			return
		}
		cw := &compressWriter{ResponseWriter: w}
		defer cw.close()
		next.ServeHTTP(cw, r)
	})
}

// acceptsGzip reports whether the request may get a gzipped answer: it
// says it accepts gzip, it is not a range request, and it comes from the
// portal itself or the customer's own navigation.
func acceptsGzip(r *http.Request) bool {
	if r.Method == http.MethodHead || r.Header.Get("Range") != "" {
		return false
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
	default:
		return false
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// compressWriter decides at the first WriteHeader whether to gzip, from
// the response's content type and encoding.
type compressWriter struct {
	http.ResponseWriter
	gz      *gzip.Writer
	decided bool
}

func (c *compressWriter) WriteHeader(status int) {
	if !c.decided {
		c.decided = true
		h := c.Header()
		ct := h.Get("Content-Type")
		if status != http.StatusNoContent && status != http.StatusNotModified && status >= 200 && h.Get("Content-Encoding") == "" && compressibleType(ct) {
			h.Del("Content-Length")
			h.Set("Content-Encoding", "gzip")
			gz, ok := gzipWriters.Get().(*gzip.Writer)
			if !ok {
				panic("web: the gzip pool holds something else")
			}
			gz.Reset(c.ResponseWriter)
			c.gz = gz
		}
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *compressWriter) Write(p []byte) (int, error) {
	if !c.decided {
		if c.Header().Get("Content-Type") == "" {
			c.Header().Set("Content-Type", http.DetectContentType(p))
		}
		c.WriteHeader(http.StatusOK)
	}
	if c.gz != nil {
		return c.gz.Write(p)
	}
	return c.ResponseWriter.Write(p)
}

// close finishes the gzip stream and returns the writer to the pool.
func (c *compressWriter) close() {
	if c.gz != nil {
		_ = c.gz.Close()
		c.gz.Reset(nil)
		gzipWriters.Put(c.gz)
		c.gz = nil
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (c *compressWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

func compressibleType(ct string) bool {
	ct, _, _ = strings.Cut(ct, ";")
	ct = strings.TrimSpace(strings.ToLower(ct))
	for _, t := range compressible {
		if ct == t {
			return true
		}
	}
	return false
}
