package web

import (
	"encoding/json"
	"io"
	"net/http"
)

// writeJSON answers a script (the passkey ceremonies) with JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// jsonError is the error answer of a ceremony endpoint; Message is
// translated for the page to show.
type jsonError struct {
	Error    string `json:"error"`
	Redirect string `json:"redirect,omitempty"`
}

// readBody reads a request body within the body limit.
func readBody(r *http.Request) ([]byte, error) { return io.ReadAll(r.Body) }

// rawJSON writes already-encoded JSON.
func rawJSON(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
