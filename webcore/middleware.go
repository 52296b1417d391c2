package webcore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"carfin/db"
)

// Limits of the HTTP layer.
const (
	// RequestBytesMax bounds a form or JSON body (forms here are small;
	// passkey responses are a few KiB).
	RequestBytesMax = 64 << 10
	// hstsMaxAge: two years, the preload list's minimum is one.
	hstsMaxAge = 63072000
)

type ctxKey int

const (
	ctxNonce ctxKey = iota
	ctxIP
	ctxLang
	ctxRoute
	ctxRequestID
)

// WithRoute records the matched route pattern for the request log (the
// mux sets Pattern on the request it is given, inside the middleware).
func WithRoute(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if p, ok := r.Context().Value(ctxRoute).(*string); ok {
			*p = r.Pattern
		}
	})
}

func Nonce(r *http.Request) string { s, _ := r.Context().Value(ctxNonce).(string); return s }

// ClientIP is the request's client address as resolved by WithClientIP.
func ClientIP(r *http.Request) string { s, _ := r.Context().Value(ctxIP).(string); return s }

// Chain applies middleware so that the first runs outermost.
func Chain(h http.Handler, mw ...func(http.Handler) http.Handler) http.Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// unavailableRetryAfterSeconds is the Retry-After of an answer that the
// database is unavailable: a restarted PostgreSQL is back in seconds.
const unavailableRetryAfterSeconds = "5"

// SetUnavailable sets the headers of a 503 answer for a database that
// cannot be reached or written now (db.IsUnavailable): when to try again.
func SetUnavailable(w http.ResponseWriter) {
	w.Header().Set("Retry-After", unavailableRetryAfterSeconds)
}

// WithRecover turns a panic into a 500 and logs it with the stack; a
// panic with an error saying the database is unavailable (db.IsUnavailable)
// is a 503 with Retry-After, like the handlers' own answers to it. The
// answer is plain text: no stack or detail reaches the client.
func WithRecover(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if p := recover(); p != nil {
					if p == http.ErrAbortHandler {
						panic(p)
					}
					if err, ok := p.(error); ok && db.IsUnavailable(err) {
						log.WarnContext(r.Context(), "panic serving request: database unavailable", "route", r.Pattern, "err", err)
						SetUnavailable(w)
						http.Error(w, "Service temporarily unavailable: try again in a few seconds.", http.StatusServiceUnavailable)
						return
					}
					log.ErrorContext(r.Context(), "panic serving request", "route", r.Pattern, "panic", p, "stack", string(debug.Stack()))
					http.Error(w, "Internal Server Error", http.StatusInternalServerError)
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Observer counts requests for the metrics page (nil: not counted).
type Observer interface {
	Observe(method, route string, status int, d time.Duration)
}

// WithRequestLog logs each request: method, route pattern (never the raw
// path or query, which can hold tokens), status, size and duration, and
// counts it in the metrics. It logs no IP, cookie or form value: no
// personal data.
func WithRequestLog(log *slog.Logger, m Observer) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			sw := &statusWriter{ResponseWriter: w}
			route := new(string)
			next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), ctxRoute, route)))
			if *route == "" {
				*route = "unmatched"
			}
			if m != nil {
				m.Observe(r.Method, *route, sw.status, time.Since(start))
			}
			log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", r.Method), slog.String("route", *route), slog.Int("status", sw.status),
				slog.Int("bytes", sw.bytes), slog.Duration("duration", time.Since(start)))
		})
	}
}

// WithSecurityHeaders sets the headers every response carries: a CSP
// that allows only this origin's scripts and styles, plus the request's
// nonce (no 'unsafe-inline'), forbids framing, plugins and base-URI
// changes and limits form targets to this origin; nosniff; a same-origin
// referrer; HSTS under TLS; and no caching, because almost every page is
// personal (static files override it).
func WithSecurityHeaders(tls bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b := make([]byte, 16)
			_, _ = rand.Read(b)
			nonce := base64.RawURLEncoding.EncodeToString(b) // CSP allows - and _; html/template would escape +
			h := w.Header()
			h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self' 'nonce-"+nonce+"'; style-src 'self'; img-src 'self' data:; "+
				"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "same-origin")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
			h.Set("Cache-Control", "no-store")
			if tls {
				h.Set("Strict-Transport-Security", fmt.Sprintf("max-age=%d; includeSubDomains", hstsMaxAge))
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxNonce, nonce)))
		})
	}
}

// WithBodyLimit caps request bodies at RequestBytesMax, or at
// what uploadBytesMax says for the few routes that take files.
func WithBodyLimit(uploadBytesMax func(*http.Request) int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			limit := int64(RequestBytesMax)
			if n := uploadBytesMax(r); n > 0 {
				limit = n
			}
			if r.ContentLength > limit {
				http.Error(w, "Request Entity Too Large", http.StatusRequestEntityTooLarge)
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			next.ServeHTTP(w, r)
		})
	}
}

// WithClientIP resolves the client address: the connection's remote
// address, unless it is a trusted proxy; then X-Forwarded-For is read from
// the right, skipping trusted proxies, and the first other address is the
// client. A client cannot spoof its address by sending the header itself.
func WithClientIP(trusted []netip.Prefix) func(http.Handler) http.Handler {
	isTrusted := func(a netip.Addr) bool { return inPrefixes(a, trusted) }
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			host, _, err := net.SplitHostPort(r.RemoteAddr)
			if err != nil {
				host = r.RemoteAddr
			}
			ip, err := netip.ParseAddr(host)
			if err == nil {
				ip = ip.Unmap()
				if isTrusted(ip) {
					hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
					for i := len(hops) - 1; i >= 0; i-- {
						a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
						if err != nil {
							break
						}
						ip = a.Unmap()
						if !isTrusted(ip) {
							break
						}
					}
				}
				host = ip.String()
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxIP, host)))
		})
	}
}

// WithOneOrigin sends a page asked for at a loopback address
// ("http://127.0.0.1:8080/…") to the same page at the base URL when that
// is localhost on the same port ("http://localhost:8080/…"), as a
// development server's or the demo's is. The portal has one origin:
// passkeys are bound to its name, and the card processor returns the
// browser to it, a redirect the page's form-action would refuse from
// another origin — so a card added at 127.0.0.1 would silently not be.
// Only GET and HEAD move; any other request is left alone.
func WithOneOrigin(baseURL string) func(http.Handler) http.Handler {
	u, err := url.Parse(baseURL)
	if err != nil || u.Hostname() != "localhost" {
		return func(next http.Handler) http.Handler { return next }
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			host, port, err := net.SplitHostPort(r.Host)
			ip, perr := netip.ParseAddr(host)
			if err == nil && perr == nil && ip.IsLoopback() && port == u.Port() && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
				http.Redirect(w, r, u.Scheme+"://"+u.Host+r.URL.RequestURI(), http.StatusTemporaryRedirect)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
