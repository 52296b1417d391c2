package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"carfin/db"
)

// Mailer delivers one email. SMTP and Log implement it.
type Mailer interface {
	Mail(ctx context.Context, m Message) error
}

// SMSProvider delivers one text message. A lender plugs in its SMS
// gateway; LogSMS is the development implementation.
type SMSProvider interface {
	SendSMS(ctx context.Context, to, text string) error
}

// Limits and intervals of delivery.
const (
	sendBatchSize   = 50
	sendAttemptsMax = 10
	sendTimeout     = 30 * time.Second
	claimDuration   = 2 * time.Minute
	backoffBase     = 30 * time.Second
	backoffMax      = time.Hour
	pollInterval    = 2 * time.Second
)

// Sender delivers the outbox. Several processes may run one: each claims
// rows for claimDuration before sending, so a message is sent once unless
// a process dies between sending and recording it (at-least-once). An
// email sent again that way carries the Message-ID of the first attempt
// (MessageID), so that mail clients show it once (RFC 5322 §3.6.4: a
// Message-ID names one message, however often it is delivered).
type Sender struct {
	DB     *db.DB
	Mailer Mailer
	SMS    SMSProvider
	Log    *slog.Logger
	// From is the sender address of emails.
	From string
	// Install makes this installation's Message-IDs its own (say, a
	// random value kept with its configuration): two installations with
	// the same From, a lender's test and production, never make the same
	// one. Empty, the row's creation time to the microsecond keeps them
	// apart.
	Install string
}

// messageIDDomain is the right-hand side of a Message-ID when From has
// no domain (RFC 2606 reserves .invalid).
const messageIDDomain = "carfin.invalid"

// MessageID returns the Message-ID (without angle brackets) of the email
// in outbox row id, created at created: a hash of the installation
// (Install), the row's id and its creation time, at From's domain. It is
// the same on every attempt, in every process, and says nothing of how
// many messages the lender sends.
func (s *Sender) MessageID(id int64, created time.Time) string {
	h := sha256.Sum256(fmt.Appendf(nil, "carfin-outbox\x00%s\x00%d\x00%d", s.Install, id, created.UTC().UnixMicro()))
	domain := messageIDDomain
	if a, err := mail.ParseAddress(s.From); err == nil {
		if i := strings.LastIndexByte(a.Address, '@'); i >= 0 && i+1 < len(a.Address) {
			domain = a.Address[i+1:]
		}
	}
	return hex.EncodeToString(h[:16]) + "@" + domain
}

// Backoff returns the wait before attempt n+1 after n failed attempts:
// 30 s doubling, at most an hour.
func Backoff(n int) time.Duration {
	d := backoffBase << min(n-1, 10)
	return min(d, backoffMax)
}

// SendDue delivers the messages that are due, at most one batch, and
// returns how many were sent. A failed delivery is retried later with
// Backoff; after sendAttemptsMax it is marked failed. Returns an error only
// if the database fails.
func (s *Sender) SendDue(ctx context.Context) (int, error) {
	type row struct {
		id       int64
		m        Message
		attempts int
		parts    int
		created  time.Time
	}
	var batch []row
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		batch = batch[:0]
		now := tx.Now()
		rows, err := tx.QueryContext(ctx, `UPDATE outbox SET claimed_until = $1
			WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $2
			             AND (claimed_until IS NULL OR claimed_until < $2) ORDER BY next_attempt_at LIMIT $3)
			  AND sent_at IS NULL AND failed_at IS NULL AND (claimed_until IS NULL OR claimed_until < $2)
			RETURNING id, channel, kind, to_addr, subject, body_text, body_html, attempts, attachments, created_at`, now.Add(claimDuration), now, sendBatchSize)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r row
			var ch string
			if err := rows.Scan(&r.id, &ch, &r.m.Kind, &r.m.To, &r.m.Subject, &r.m.Text, &r.m.HTML, &r.attempts, &r.parts, &r.created); err != nil {
				return err
			}
			r.m.Channel = Channel(ch)
			if r.m.Channel == Email {
				r.m.MessageID = s.MessageID(r.id, r.created)
			}
			batch = append(batch, r)
		}
		return rows.Err()
	})
	if err != nil {
		return 0, fmt.Errorf("claim outbox: %w", err)
	}
	sent := 0
	for _, r := range batch {
		if r.parts > 0 {
			if r.m.Attachments, err = attachmentsOf(ctx, s.DB.Read, r.id); err != nil {
				return sent, err
			}
		}
		sendErr := s.deliver(ctx, r.m)
		err := s.DB.InTx(ctx, func(tx *db.Tx) error {
			now := tx.Now()
			if sendErr == nil {
				_, err := tx.ExecContext(ctx, `UPDATE outbox SET sent_at = $1, attempts = attempts + 1, claimed_until = NULL, last_error = '' WHERE id = $2`, now, r.id)
				return err
			}
			n := r.attempts + 1
			if n >= sendAttemptsMax {
				_, err := tx.ExecContext(ctx, `UPDATE outbox SET failed_at = $1, attempts = $2, claimed_until = NULL, last_error = $3 WHERE id = $4`,
					now, n, clipErr(sendErr), r.id)
				return err
			}
			_, err := tx.ExecContext(ctx, `UPDATE outbox SET next_attempt_at = $1, attempts = $2, claimed_until = NULL, last_error = $3 WHERE id = $4`,
				now.Add(Backoff(n)), n, clipErr(sendErr), r.id)
			return err
		})
		if err != nil {
			return sent, fmt.Errorf("record delivery of message %d: %w", r.id, err)
		}
		if sendErr != nil {
			s.Log.Warn("notify: delivery failed", "id", r.id, "kind", r.m.Kind, "channel", r.m.Channel, "attempt", r.attempts+1, "err", sendErr)
			continue
		}
		sent++
	}
	return sent, nil
}

func (s *Sender) deliver(ctx context.Context, m Message) error {
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	switch m.Channel {
	case Email:
		if s.Mailer == nil {
			return errors.New("no mailer configured")
		}
		return s.Mailer.Mail(ctx, m)
	case SMS:
		if s.SMS == nil {
			return errors.New("no SMS provider configured")
		}
		return s.SMS.SendSMS(ctx, m.To, m.Text)
	}
	return fmt.Errorf("unknown channel %q", m.Channel)
}

func clipErr(err error) string {
	s := err.Error()
	if len(s) > 1000 {
		s = s[:1000]
	}
	return s
}

// Run delivers due messages every pollInterval until ctx is done.
func (s *Sender) Run(ctx context.Context) {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		for {
			n, err := s.SendDue(ctx)
			if err != nil && ctx.Err() == nil {
				s.Log.Error("notify: send due messages", "err", err)
			}
			if n < sendBatchSize || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
