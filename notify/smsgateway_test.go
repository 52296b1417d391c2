package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"carfin/notify"
)

// TestSMSGateway posts texts to a real HTTP server standing in for the
// lender's gateway: the JSON body, the bearer token, and what each answer
// means.
func TestSMSGateway(t *testing.T) {
	var mu sync.Mutex
	var got []map[string]string
	status := http.StatusAccepted
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		var m map[string]string
		if r.Method != http.MethodPost || r.Header.Get("Authorization") != "Bearer s3cret" || r.Header.Get("Content-Type") != "application/json" ||
			json.NewDecoder(r.Body).Decode(&m) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		got = append(got, m)
		w.WriteHeader(status)
	}))
	defer srv.Close()
	ctx := context.Background()

	g, err := notify.NewSMSGateway(srv.URL+"/send", "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if err := g.SendSMS(ctx, "+15552010123", "Northwind: your code is 12345678."); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0]["to"] != "+15552010123" || got[0]["text"] != "Northwind: your code is 12345678." {
		t.Fatalf("gateway got %v", got)
	}
	for _, tc := range []struct {
		status  int
		refused bool
	}{{http.StatusBadRequest, true}, {http.StatusTooManyRequests, false}, {http.StatusBadGateway, false}} {
		mu.Lock()
		status = tc.status
		mu.Unlock()
		err := g.SendSMS(ctx, "+15552010123", "x")
		if err == nil || errors.Is(err, notify.ErrSMSRefused) != tc.refused {
			t.Errorf("answer %d: %v (refused %v)", tc.status, err, tc.refused)
		}
	}
	bad, _ := notify.NewSMSGateway(srv.URL+"/send", "wrong")
	if err := bad.SendSMS(ctx, "+15552010123", "x"); !errors.Is(err, notify.ErrSMSRefused) {
		t.Errorf("wrong token: %v", err)
	}
	for _, u := range []string{"http://sms.example/send", "ftp://sms.example/", "https://user:pw@sms.example/", "not a url", "https:///send"} {
		if _, err := notify.NewSMSGateway(u, "t"); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
	if _, err := notify.NewSMSGateway("https://sms.lender.example/send", ""); err != nil {
		t.Errorf("https gateway refused: %v", err)
	}
}
