package webcore

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"testing"
)

// TestRequestID: every response carries an id; a proxy's id is kept only
// when the peer is a trusted proxy and the id is well formed.
func TestRequestID(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	generated := regexp.MustCompile(`^[0-9a-f]{32}$`)
	for _, tc := range []struct {
		name, remote, incoming string
		want                   string // "" : a generated one
	}{
		{"none", "192.0.2.1:1234", "", ""},
		{"untrusted peer", "192.0.2.1:1234", "abc-123", ""},
		{"trusted proxy", "10.1.2.3:1234", "abc-123", "abc-123"},
		{"trusted proxy, uuid", "10.1.2.3:1234", "0f8fad5b-d9cb-469f-a165-70867728950e", "0f8fad5b-d9cb-469f-a165-70867728950e"},
		{"trusted proxy, bad characters", "10.1.2.3:1234", "abc\"><script>", ""},
		{"trusted proxy, too long", "10.1.2.3:1234", strings.Repeat("a", requestIDLenMax+1), ""},
		{"trusted proxy, IPv4-mapped", "[::ffff:10.1.2.3]:1234", "x.y:z_1", "x.y:z_1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var inCtx string
			h := WithRequestID(trusted)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { inCtx = RequestID(r.Context()) }))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tc.remote
			if tc.incoming != "" {
				r.Header.Set(RequestIDHeader, tc.incoming)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			got := w.Header().Get(RequestIDHeader)
			if got != inCtx {
				t.Errorf("header %q, context %q", got, inCtx)
			}
			if tc.want != "" && got != tc.want {
				t.Errorf("id %q, want %q", got, tc.want)
			}
			if tc.want == "" && !generated.MatchString(got) {
				t.Errorf("id %q, want 32 random hex digits", got)
			}
		})
	}
	if a, b := newRequestID(), newRequestID(); a == b {
		t.Errorf("two generated ids are equal: %s", a)
	}
}

// TestRequestIDInLogs: the request log and a handler's error logged with
// the request's context carry the id the response does; a line logged
// without a request context has none.
func TestRequestIDInLogs(t *testing.T) {
	var buf bytes.Buffer
	log := WithRequestIDLog(slog.New(slog.NewJSONHandler(&buf, nil)))
	if WithRequestIDLog(log) != log {
		t.Error("wrapping twice made a new logger")
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.With("area", "test").ErrorContext(r.Context(), "request failed", "err", "boom")
		panic("boom")
	})
	h := Chain(WithRoute(handler), WithRequestID(nil), WithRecover(log), WithRequestLog(log, nil))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	id := w.Header().Get(RequestIDHeader)
	if id == "" || w.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, id %q", w.Code, id)
	}
	log.Info("outside a request")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	for i, want := range []string{"request failed", "panic serving request", "outside a request"} {
		var rec map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &rec); err != nil {
			t.Fatal(err)
		}
		if rec["msg"] != want {
			t.Errorf("line %d: %v, want %q", i, rec["msg"], want)
		}
		if got, _ := rec["request_id"].(string); (i < 2 && got != id) || (i == 2 && got != "") {
			t.Errorf("line %d (%s): request_id %q, response's %q", i, want, got, id)
		}
	}
}
