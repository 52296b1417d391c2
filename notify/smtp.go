package notify

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"time"

	mail "github.com/wneessen/go-mail"
)

// SMTP delivers email to an SMTP server (a relay or a provider's
// submission port) with github.com/wneessen/go-mail.
type SMTP struct {
	From string
	host string
	opts []mail.Option
}

const smtpTimeout = 20 * time.Second

// NewSMTP parses a server URL, smtp://[user:password@]host[:port][?tls=mandatory|opportunistic|none],
// default port 587 and tls=mandatory (STARTTLS required). Returns an
// error naming the part of the URL that is wrong.
func NewSMTP(rawURL, from string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "smtp" || u.Hostname() == "" {
		return nil, fmt.Errorf("smtp url: want smtp://[user:password@]host[:port][?tls=…]")
	}
	port := 587
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("smtp url: port %q", p)
		}
	}
	opts := []mail.Option{mail.WithPort(port), mail.WithTimeout(smtpTimeout)}
	switch t := u.Query().Get("tls"); t {
	case "", "mandatory":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case "opportunistic":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		return nil, fmt.Errorf("smtp url: tls=%q (want mandatory, opportunistic or none)", t)
	}
	if u.User != nil {
		pw, _ := u.User.Password()
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(u.User.Username()), mail.WithPassword(pw))
	}
	return &SMTP{From: from, host: u.Hostname(), opts: opts}, nil
}

// Mail sends m as a text email with an optional HTML alternative and its
// attachments.
func (s *SMTP) Mail(ctx context.Context, m Message) error {
	msg := mail.NewMsg()
	if err := msg.From(s.From); err != nil {
		return fmt.Errorf("smtp from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("smtp to: %w", err)
	}
	msg.Subject(m.Subject)
	if m.MessageID != "" {
		msg.SetMessageIDWithValue(m.MessageID)
	} else {
		msg.SetMessageID()
	}
	msg.SetDate()
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}
	for _, a := range m.Attachments {
		if err := msg.AttachReader(a.Name, bytes.NewReader(a.Data), mail.WithFileContentType(mail.ContentType(a.ContentType))); err != nil {
			return fmt.Errorf("smtp attach %s: %w", a.Name, err)
		}
	}
	c, err := mail.NewClient(s.host, s.opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp send: %w", err)
	}
	return nil
}

// Log is the development mailer and SMS provider: it writes each message
// to the log instead of sending it (message bodies include one-time links,
// so never use it in production).
type Log struct{ Log *slog.Logger }

// Mail logs m.
func (l Log) Mail(_ context.Context, m Message) error {
	names := make([]string, len(m.Attachments))
	for i, a := range m.Attachments {
		names[i] = fmt.Sprintf("%s (%s, %d bytes)", a.Name, a.ContentType, len(a.Data))
	}
	l.Log.Info("dev mail (not sent)", "kind", m.Kind, "to", m.To, "subject", m.Subject, "text", m.Text, "attachments", names)
	return nil
}

// SendSMS logs the text.
func (l Log) SendSMS(_ context.Context, to, text string) error {
	l.Log.Info("dev SMS (not sent)", "to", to, "text", text)
	return nil
}
