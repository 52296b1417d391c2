package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// SMSGateway sends texts through an HTTPS gateway: each text is one
// POST of JSON {"to": "+15552010123", "text": "…"} with the gateway's
// token as a bearer credential, and any 2xx answer means the gateway
// accepted it. Most SMS services take this directly or through a few
// lines of adapter; carfin holds no vendor's SDK. Failures are retried by
// the outbox (Backoff).
type SMSGateway struct {
	url    string
	token  string
	client *http.Client
}

// smsGatewayTimeout bounds one delivery; the outbox retries later.
const smsGatewayTimeout = 10 * time.Second

// NewSMSGateway reads the gateway's address, e.g.
// https://sms.lender.example/send (https only; http only to loopback,
// for tests), and its token. The token may be empty for a gateway on a
// private network that needs none.
func NewSMSGateway(rawURL, token string) (*SMSGateway, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("SMS gateway URL %q: want https://host/path, without credentials (the token is separate)", rawURL)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && (u.Hostname() == "127.0.0.1" || u.Hostname() == "localhost" || u.Hostname() == "::1"):
	default:
		return nil, fmt.Errorf("SMS gateway URL %q: https required (codes travel in it)", rawURL)
	}
	return &SMSGateway{url: u.String(), token: token, client: &http.Client{Timeout: smsGatewayTimeout}}, nil
}

// ErrSMSRefused is a gateway's 4xx answer other than 408 and 429: the
// text will not be accepted as it is (a bad number, a bad token).
var ErrSMSRefused = errors.New("the SMS gateway refused the message")

// SendSMS posts one text.
func (g *SMSGateway) SendSMS(ctx context.Context, to, text string) error {
	body, err := json.Marshal(struct {
		To   string `json:"to"`
		Text string `json:"text"`
	}{to, text})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if g.token != "" {
		req.Header.Set("Authorization", "Bearer "+g.token)
	}
	res, err := g.client.Do(req)
	if err != nil {
		return fmt.Errorf("SMS gateway: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return nil
	case res.StatusCode >= 400 && res.StatusCode < 500 && res.StatusCode != http.StatusRequestTimeout && res.StatusCode != http.StatusTooManyRequests:
		return fmt.Errorf("%w: %s", ErrSMSRefused, res.Status)
	}
	return fmt.Errorf("SMS gateway: %s", res.Status)
}
