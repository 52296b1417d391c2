package webcore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
)

// Limits of request ids.
const (
	// requestIDBytes: a generated id is 16 random bytes, 32 hex digits.
	requestIDBytes = 16
	// requestIDLenMax bounds an id taken from a trusted proxy (a UUID is
	// 36 characters, a W3C trace id 32).
	requestIDLenMax = 64
)

// RequestIDHeader carries the request id, in from a trusted proxy and
// out on every response.
const RequestIDHeader = "X-Request-Id"

// WithRequestID gives every request an id: the proxy's X-Request-Id when
// the connection comes from a trusted proxy and the id is well formed
// (1 to 64 letters, digits, '-', '_', '.' or ':'), else 16 random bytes in
// hex. The id is sent back in X-Request-Id and kept in the context, where
// RequestID reads it and a logger wrapped by LogHandler adds it to every
// line logged with the context. It runs first, so that even a panic's log
// line carries it. A client that is not a trusted proxy cannot choose its
// id (it could otherwise make its lines look like another request's).
func WithRequestID(trusted []netip.Prefix) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := r.Header.Get(RequestIDHeader)
			if id == "" || !validRequestID(id) || !peerTrusted(r.RemoteAddr, trusted) {
				id = newRequestID()
			}
			w.Header().Set(RequestIDHeader, id)
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxRequestID, id)))
		})
	}
}

// RequestID is the request's id as set by WithRequestID ("" outside one).
func RequestID(ctx context.Context) string { s, _ := ctx.Value(ctxRequestID).(string); return s }

func newRequestID() string {
	b := make([]byte, requestIDBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// validRequestID: short, and only characters that are safe in a header,
// a log line and a URL.
func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > requestIDLenMax {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

// peerTrusted reports whether the connection's remote address is one of
// the trusted proxies.
func peerTrusted(remoteAddr string, trusted []netip.Prefix) bool {
	if len(trusted) == 0 {
		return false
	}
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	return inPrefixes(ip.Unmap(), trusted)
}

func inPrefixes(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// LogHandler wraps h so that every record logged with a request's
// context (log.ErrorContext, log.LogAttrs(ctx, …)) carries its
// request_id. Wrapping twice adds it once.
func LogHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(requestIDHandler); ok {
		return h
	}
	return requestIDHandler{h}
}

// WithRequestIDLog is log with LogHandler around its handler.
func WithRequestIDLog(log *slog.Logger) *slog.Logger {
	if _, ok := log.Handler().(requestIDHandler); ok {
		return log
	}
	return slog.New(LogHandler(log.Handler()))
}

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r = r.Clone()
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}
