package notify_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"

	"carfin/db"
	"carfin/db/dbtest"
	"carfin/notify"
)

// inbox is an in-process SMTP server that keeps what it receives.
type inbox struct {
	mu   sync.Mutex
	msgs []string
	rcpt []string
	fail int // refuse this many messages first
}

func (b *inbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{b: b}, nil }

type session struct {
	b  *inbox
	to string
}

func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }
func (s *session) Mail(string, *smtp.MailOptions) error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if s.b.fail > 0 {
		s.b.fail--
		return &smtp.SMTPError{Code: 451, Message: "try again later"}
	}
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = to; return nil }
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.msgs = append(s.b.msgs, string(b))
	s.b.rcpt = append(s.b.rcpt, s.to)
	return nil
}

func startSMTP(t *testing.T, b *inbox) string {
	t.Helper()
	srv := smtp.NewServer(b)
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

func TestOutboxDeliversBySMTPWithRetries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := dbtest.ClockOf(d)
		c.Set(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
		box := &inbox{fail: 1}
		addr := startSMTP(t, box)
		mailer, err := notify.NewSMTP("smtp://"+addr+"?tls=none", "Northwind Motor Finance <no-reply@northwind.example>")
		if err != nil {
			t.Fatal(err)
		}
		var smsLog strings.Builder
		s := &notify.Sender{DB: d, Mailer: mailer, SMS: notify.Log{Log: slog.New(slog.NewTextHandler(&smsLog, nil))}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}

		// A rolled-back transaction leaves no message; a committed one does.
		_ = d.InTx(ctx, func(tx *db.Tx) error {
			if err := notify.Enqueue(ctx, tx, notify.Message{Channel: notify.Email, Kind: "test", To: "ghost@example.com", Subject: "x", Text: "x"}); err != nil {
				t.Fatal(err)
			}
			return errors.New("roll back")
		})
		err = d.InTx(ctx, func(tx *db.Tx) error {
			if err := notify.Enqueue(ctx, tx, notify.Message{Channel: notify.Email, Kind: "test", To: "ada@example.com", Subject: "Hello Ada", Text: "plain body", HTML: "<p>html body</p>"}); err != nil {
				return err
			}
			return notify.Enqueue(ctx, tx, notify.Message{Channel: notify.SMS, Kind: "test", To: "+15555550100", Text: "your code is 123456"})
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			return notify.Enqueue(ctx, tx, notify.Message{Channel: notify.Email, Kind: "x", To: "a@b\r\nBcc: evil@example.com", Text: "x"})
		}); !errors.Is(err, notify.ErrInvalid) {
			t.Errorf("header injection: err = %v", err)
		}

		// First attempt: the server refuses the email (451); the SMS goes.
		n, err := s.SendDue(ctx)
		if err != nil || n != 1 {
			t.Fatalf("first send: n=%d err=%v", n, err)
		}
		q, _ := notify.Outbox(ctx, d, "ada@example.com", 10)
		if len(q) != 1 || q[0].Sent || q[0].Attempts != 1 || !strings.Contains(q[0].LastErr, "451") {
			t.Fatalf("after refusal: %+v", q)
		}
		// Not due again before the backoff.
		c.Add(notify.Backoff(1) - time.Second)
		if n, _ := s.SendDue(ctx); n != 0 {
			t.Fatalf("sent before backoff: %d", n)
		}
		c.Add(2 * time.Second)
		if n, err := s.SendDue(ctx); n != 1 || err != nil {
			t.Fatalf("retry: n=%d err=%v", n, err)
		}
		box.mu.Lock()
		defer box.mu.Unlock()
		if len(box.msgs) != 1 || box.rcpt[0] != "ada@example.com" || !strings.Contains(box.msgs[0], "Subject: Hello Ada") ||
			!strings.Contains(box.msgs[0], "plain body") || !strings.Contains(box.msgs[0], "<p>html body</p>") {
			t.Fatalf("received: %q", box.msgs)
		}
		if !strings.Contains(smsLog.String(), "your code is 123456") {
			t.Errorf("SMS log: %s", smsLog.String())
		}
	})
}

func TestBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute, 3: 2 * time.Minute, 8: time.Hour, 9: time.Hour} {
		if got := notify.Backoff(n); got != want {
			t.Errorf("Backoff(%d) = %s, want %s", n, got, want)
		}
	}
}

// TestOutboxAttachments: an email's attachments are stored with it in the
// event's transaction and sent by SMTP as MIME parts that decode to the
// same bytes; what the outbox cannot send is refused before anything is
// written.
func TestOutboxAttachments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		box := &inbox{}
		addr := startSMTP(t, box)
		mailer, err := notify.NewSMTP("smtp://"+addr+"?tls=none", "Northwind Motor Finance <no-reply@northwind.example>")
		if err != nil {
			t.Fatal(err)
		}
		s := &notify.Sender{DB: d, Mailer: mailer, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		pdf := append([]byte("%PDF-1.4\n"), make([]byte, 3000)...)
		for i := range pdf[9:] {
			pdf[9+i] = byte(i * 7)
		}
		receipt := notify.Attachment{Name: "receipt-P1234ABCD.pdf", ContentType: "application/pdf", Data: pdf}
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			return notify.Enqueue(ctx, tx, notify.Message{Channel: notify.Email, Kind: "payment.scheduled", To: "ada@example.com",
				Subject: "Payment P1234ABCD", Text: "Your receipt is attached.", Attachments: []notify.Attachment{receipt}})
		}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			m    notify.Message
		}{
			{"SMS", notify.Message{Channel: notify.SMS, Kind: "x", To: "+15555550100", Text: "x", Attachments: []notify.Attachment{receipt}}},
			{"name with a header break", notify.Message{Channel: notify.Email, Kind: "x", To: "a@example.com", Text: "x",
				Attachments: []notify.Attachment{{Name: "a\r\nBcc: evil@example.com", ContentType: "application/pdf", Data: pdf}}}},
			{"name with a path", notify.Message{Channel: notify.Email, Kind: "x", To: "a@example.com", Text: "x",
				Attachments: []notify.Attachment{{Name: "../x.pdf", ContentType: "application/pdf", Data: pdf}}}},
			{"type with parameters", notify.Message{Channel: notify.Email, Kind: "x", To: "a@example.com", Text: "x",
				Attachments: []notify.Attachment{{Name: "x.pdf", ContentType: "application/pdf; x=\"y\"", Data: pdf}}}},
			{"empty", notify.Message{Channel: notify.Email, Kind: "x", To: "a@example.com", Text: "x",
				Attachments: []notify.Attachment{{Name: "x.pdf", ContentType: "application/pdf"}}}},
			{"too large", notify.Message{Channel: notify.Email, Kind: "x", To: "a@example.com", Text: "x",
				Attachments: []notify.Attachment{{Name: "x.pdf", ContentType: "application/pdf", Data: make([]byte, 5<<20+1)}}}},
		} {
			if err := d.InTx(ctx, func(tx *db.Tx) error { return notify.Enqueue(ctx, tx, tc.m) }); !errors.Is(err, notify.ErrInvalid) {
				t.Errorf("%s: err = %v", tc.name, err)
			}
		}
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			return notify.EnqueueMany(ctx, tx, []notify.Message{{Channel: notify.Email, Kind: "x", To: "a@example.com", Text: "x",
				Attachments: []notify.Attachment{receipt}}})
		}); !errors.Is(err, notify.ErrInvalid) {
			t.Errorf("bulk with attachments: err = %v", err)
		}
		q, err := notify.Outbox(ctx, d, "", 10)
		if err != nil || len(q) != 1 || len(q[0].Message.Attachments) != 1 || !bytes.Equal(q[0].Message.Attachments[0].Data, pdf) {
			t.Fatalf("outbox: %v %+v", err, q)
		}
		if n, err := s.SendDue(ctx); n != 1 || err != nil {
			t.Fatalf("send: n=%d err=%v", n, err)
		}
		box.mu.Lock()
		defer box.mu.Unlock()
		if len(box.msgs) != 1 {
			t.Fatalf("received %d messages", len(box.msgs))
		}
		msg, err := mail.ReadMessage(strings.NewReader(box.msgs[0]))
		if err != nil {
			t.Fatal(err)
		}
		_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
		if err != nil {
			t.Fatal(err)
		}
		mr := multipart.NewReader(msg.Body, params["boundary"])
		var text string
		var got []byte
		var name, ctype string
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(p)
			if strings.HasPrefix(p.Header.Get("Content-Disposition"), "attachment") {
				name, ctype = p.FileName(), p.Header.Get("Content-Type")
				if got, err = base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(body))); err != nil {
					t.Fatal(err)
				}
			} else {
				text += string(body)
			}
		}
		if name != receipt.Name || !strings.HasPrefix(ctype, "application/pdf") || !bytes.Equal(got, pdf) || !strings.Contains(text, "Your receipt is attached.") {
			t.Errorf("attachment %q (%s), %d bytes, equal %v; text %q", name, ctype, len(got), bytes.Equal(got, pdf), text)
		}
	})
}
