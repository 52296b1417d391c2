package payments_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"

	"carfin/db"
	"carfin/db/dbtest"
	"carfin/notify"
	"carfin/payments"
	"carfin/payments/cardtest"
)

// inbox is an in-process SMTP server that keeps what it receives.
type inbox struct {
	mu   sync.Mutex
	msgs map[string][]string // recipient → messages
}

func (b *inbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{b: b}, nil }

type session struct {
	b  *inbox
	to []string
}

func (s *session) Reset()                               { s.to = nil }
func (s *session) Logout() error                        { return nil }
func (s *session) Mail(string, *smtp.MailOptions) error { return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	// The bodies are quoted-printable; decode them to read the text. A
	// message with an attachment (a receipt PDF, base64) is not
	// quoted-printable as a whole: it is kept raw.
	body, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
	if err != nil {
		body = raw
	}
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	for _, to := range s.to {
		s.b.msgs[to] = append(s.b.msgs[to], string(body))
	}
	return nil
}

// TestEmailsDeliveredBySMTP: the messages of a payment's life (method
// added, payment scheduled, processed, returned; autopay enrolled) leave
// the outbox through the real SMTP sender to an SMTP server.
func TestEmailsDeliveredBySMTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		box := &inbox{msgs: map[string][]string{}}
		srv := smtp.NewServer(box)
		srv.Domain = "localhost"
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = srv.Serve(ln) }()
		t.Cleanup(func() { _ = srv.Close() })
		mailer, err := notify.NewSMTP("smtp://"+ln.Addr().String()+"?tls=none", "Northwind Motor Finance <no-reply@northwind.example>")
		if err != nil {
			t.Fatal(err)
		}
		sender := &notify.Sender{DB: d, Mailer: mailer, SMS: notify.Log{Log: slog.New(slog.NewTextHandler(io.Discard, nil))},
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))}

		e := newEnv(t, d, "2026-10-20")
		ada := e.customer("Ada")
		loan := e.loan(ada, "12000", 36, "2026-10-20", "2026-11-20")
		e.at("2026-11-02", 9, 0)
		m := e.bank(ada, "112601818", "123456789")
		e.enrol(ada, loan, m.ID, "", 0)
		p, err := e.pay.Pay(e.ctx, ada, payments.OneTime{ContractID: loan, MethodID: m.ID, Choice: payments.PayOther, Other: "99.95", IdempotencyKey: "mail"})
		if err != nil {
			t.Fatal(err)
		}
		e.runDays("2026-11-02", "2026-11-03")
		e.at("2026-11-04", 9, 0)
		s := e.sentPayment(p.ID)
		if _, err := e.pay.ImportReturns(e.ctx, "r.ach", e.returnsFile(ret(s, "return", "R01", ""))); err != nil {
			t.Fatal(err)
		}
		for {
			n, err := sender.SendDue(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		box.mu.Lock()
		defer box.mu.Unlock()
		got := box.msgs[e.email(ada)]
		all := strings.Join(got, "\n=====\n")
		for _, want := range []string{
			"Subject: A payment method was added to your account",
			"Subject: Autopay is on for account",
			"I authorize Northwind Motor Finance to debit my checking account",
			"Subject: Payment " + p.Confirmation + ": $99.95 on Nov 2, 2026",
			"Subject: Payment " + p.Confirmation + " processed",
			"Subject: Your payment " + p.Confirmation + " was returned",
			`Content-Disposition: attachment; filename="receipt-` + p.Confirmation + `.pdf"`,
			"did not have enough money",
		} {
			if !strings.Contains(all, want) {
				t.Errorf("no email with %q among %d:\n%s", want, len(got), all)
			}
		}
		if strings.Contains(all, "123456789") {
			t.Error("an email shows the full account number")
		}
		if q, _ := notify.Outbox(e.ctx, d, e.email(ada), 100); len(q) != len(got) {
			for _, m := range q {
				t.Log(m.Message.Kind, m.Sent, m.LastErr)
			}
			t.Errorf("%d queued, %d delivered", len(q), len(got))
		}
	})
}

// TestTokenizer: the test processor's card form and token endpoint: JSON
// and form posts, declines of bad numbers, redirects only to the portal,
// CORS only for the portal, and tokens that carry no card number.
func TestTokenizer(t *testing.T) {
	p := cardtest.New("s")
	srv := httptest.NewServer(http.StripPrefix("/processor", cardtest.NewHandler(p, "https://portal.example")))
	defer srv.Close()
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	res, err := c.Get(srv.URL + "/processor/?redirect_uri=" + url.QueryEscape("https://portal.example/payments/card"))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(page), `action="tokens"`) || !strings.Contains(string(page), `value="https://portal.example/payments/card"`) {
		t.Fatalf("form: %d\n%s", res.StatusCode, page)
	}
	if res, _ := c.Get(srv.URL + "/processor/?redirect_uri=" + url.QueryEscape("https://evil.example/x")); res.StatusCode != 400 {
		t.Errorf("foreign redirect_uri: %d", res.StatusCode)
	}

	post := func(body string) (int, map[string]any, http.Header) {
		req, _ := http.NewRequest("POST", srv.URL+"/processor/tokens", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", "https://portal.example")
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out, res.Header
	}
	code, out, h := post(`{"number":"4242 4242 4242 4242","exp_month":"12","exp_year":"2099","cvc":"123"}`)
	if code != 402 || h.Get("Access-Control-Allow-Origin") != "https://portal.example" {
		t.Errorf("expiry too far: %d %v", code, out)
	}
	code, out, _ = post(`{"number":"4242 4242 4242 4242","exp_month":"12","exp_year":"` + nextYears(2) + `","cvc":"123"}`)
	token, _ := out["token"].(string)
	if code != 200 || out["brand"] != "visa" || out["last4"] != "4242" || !strings.HasPrefix(token, "tok_test_") || strings.Contains(token, "4242424242424242") {
		t.Fatalf("tokenize: %d %v", code, out)
	}
	if card, err := p.Card(t.Context(), token); err != nil || card.Last4 != "4242" {
		t.Errorf("token round trip: %+v %v", card, err)
	}
	for _, bad := range []string{
		`{"number":"4242 4242 4242 4241","exp_month":"12","exp_year":"` + nextYears(2) + `","cvc":"123"}`, // Luhn
		`{"number":"4111 1111 1111 1111","exp_month":"12","exp_year":"` + nextYears(2) + `","cvc":"123"}`, // not a test card
		`{"number":"4242 4242 4242 4242","exp_month":"13","exp_year":"` + nextYears(2) + `","cvc":"123"}`,
		`{"number":"4242 4242 4242 4242","exp_month":"12","exp_year":"` + nextYears(2) + `","cvc":"12"}`,
	} {
		if code, out, _ := post(bad); code != 402 {
			t.Errorf("%s: %d %v", bad, code, out)
		}
	}
	// A form post with redirect_uri goes back to the portal with the token.
	form := url.Values{"number": {"5555555555554444"}, "exp_month": {"1"}, "exp_year": {nextYears(1)}, "cvc": {"999"},
		"redirect_uri": {"https://portal.example/payments/card?step=2"}}
	res, err = c.PostForm(srv.URL+"/processor/tokens", form)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != 303 || loc.Host != "portal.example" || loc.Query().Get("step") != "2" || !strings.HasPrefix(loc.Query().Get("card_token"), "tok_test_") {
		t.Errorf("redirect: %d %s", res.StatusCode, loc)
	}
	form.Set("number", "1234")
	res, _ = c.PostForm(srv.URL+"/processor/tokens", form)
	res.Body.Close()
	if loc, _ := url.Parse(res.Header.Get("Location")); loc.Query().Get("card_error") != "invalid_number" {
		t.Errorf("error redirect: %s", loc)
	}
	form.Set("redirect_uri", "https://evil.example/")
	if res, _ := c.PostForm(srv.URL+"/processor/tokens", form); res.StatusCode != 400 {
		t.Errorf("foreign redirect: %d", res.StatusCode)
	}
	// Idempotency: the same key authorizes once.
	a1, err := p.Authorize(t.Context(), payments.AuthRequest{Token: token, AmountCents: 500, IdempotencyKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	a2, err := p.Authorize(t.Context(), payments.AuthRequest{Token: token, AmountCents: 500, IdempotencyKey: "k"})
	if err != nil || a1.ID != a2.ID || !p.Calls()[1].Repeated {
		t.Errorf("repeat: %+v %+v %v", a1, a2, err)
	}
	if _, err := p.Capture(t.Context(), a1.ID, 600, "cap"); err == nil {
		t.Error("captured more than authorized")
	}
	capID, err := p.Capture(t.Context(), a1.ID, 500, "cap2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Refund(t.Context(), capID, 501, "r1"); err == nil {
		t.Error("refunded more than captured")
	}
	if _, err := p.Refund(t.Context(), capID, 200, "r2"); err != nil || p.Captured() != 300 {
		t.Errorf("refund: %v, captured %d", err, p.Captured())
	}
}

func nextYears(n int) string { return strconv.Itoa(time.Now().Year() + n) }
