// Package notify delivers carfin's emails and text messages through an
// outbox: a capability writes the message in the same transaction as the
// event it reports (Enqueue), so a message exists exactly when its event
// was committed, and a Sender delivers it afterwards, retrying with
// backoff until the provider accepts it or the attempts run out.
package notify

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"carfin/db"
)

// Channel is how a message travels.
type Channel string

const (
	Email Channel = "email"
	SMS   Channel = "sms"
)

// Message is one email or text message.
type Message struct {
	Channel Channel
	// Kind names the message for logs and tests, e.g. "login.alert".
	Kind string
	// To is an email address or an E.164 phone number.
	To      string
	Subject string
	// Text is the plain-text body (the whole body of an SMS).
	Text string
	// HTML is an optional HTML alternative (email only).
	HTML string
	// Attachments are files sent with an email (a payment's receipt PDF).
	Attachments []Attachment
	// MessageID is the email's Message-ID, without the angle brackets;
	// the Sender sets it from the outbox row, the same on every attempt
	// (see Sender.MessageID). Empty, the mailer makes one up.
	MessageID string
}

// Attachment is a file attached to an email.
type Attachment struct {
	// Name is the file name the recipient sees ("receipt-P1234ABCD.pdf").
	Name string
	// ContentType is its MIME type ("application/pdf").
	ContentType string
	Data        []byte
}

// Limits on what the outbox accepts.
const (
	addrBytesMax    = 320 // RFC 3696 errata: 64 + 1 + 255
	subjectBytesMax = 998 // RFC 5322 line limit
	bodyBytesMax    = 256 << 10
	smsBytesMax     = 1600 // 10 concatenated segments
	// attachmentsMax and attachmentBytesMax bound an email's files: mail
	// servers commonly refuse messages over 10 MB, and base64 grows the
	// data by a third.
	attachmentsMax     = 5
	attachmentBytesMax = 5 << 20
	attachmentNameMax  = 200
)

// ErrInvalid is returned by Enqueue for a message that cannot be sent.
var ErrInvalid = errors.New("invalid message")

// Enqueue writes m to the outbox inside tx, with its attachments; it is
// sent after tx commits. Returns ErrInvalid for a message without a
// recipient or body, or over the size limits.
func Enqueue(ctx context.Context, tx *db.Tx, m Message) error {
	if err := m.validate(); err != nil {
		return fmt.Errorf("enqueue %s: %w", m.Kind, err)
	}
	if len(m.Attachments) == 0 {
		_, err := tx.ExecContext(ctx, `INSERT INTO outbox (channel, kind, to_addr, subject, body_text, body_html, created_at, next_attempt_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`, string(m.Channel), m.Kind, m.To, m.Subject, m.Text, m.HTML, tx.Now())
		if err != nil {
			return fmt.Errorf("enqueue %s: %w", m.Kind, err)
		}
		return nil
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO outbox (channel, kind, to_addr, subject, body_text, body_html, created_at, next_attempt_at, attachments)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) RETURNING id`, string(m.Channel), m.Kind, m.To, m.Subject, m.Text, m.HTML, tx.Now(),
		len(m.Attachments)).Scan(&id)
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", m.Kind, err)
	}
	for i, a := range m.Attachments {
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox_attachments (outbox_id, position, name, content_type, data) VALUES ($1, $2, $3, $4, $5)`,
			id, i, a.Name, a.ContentType, a.Data); err != nil {
			return fmt.Errorf("enqueue %s: attachment %s: %w", m.Kind, a.Name, err)
		}
	}
	return nil
}

func (m Message) validate() error {
	switch {
	case m.Channel != Email && m.Channel != SMS:
		return fmt.Errorf("%w: channel %q", ErrInvalid, m.Channel)
	case m.To == "" || len(m.To) > addrBytesMax || strings.ContainsAny(m.To, "\r\n"):
		return fmt.Errorf("%w: recipient", ErrInvalid)
	case m.Text == "":
		return fmt.Errorf("%w: empty body", ErrInvalid)
	case len(m.Subject) > subjectBytesMax || strings.ContainsAny(m.Subject, "\r\n"):
		return fmt.Errorf("%w: subject", ErrInvalid)
	case len(m.Text)+len(m.HTML) > bodyBytesMax:
		return fmt.Errorf("%w: body over %d bytes", ErrInvalid, bodyBytesMax)
	case m.Channel == SMS && len(m.Text) > smsBytesMax:
		return fmt.Errorf("%w: SMS over %d bytes", ErrInvalid, smsBytesMax)
	case m.Channel == SMS && len(m.Attachments) > 0:
		return fmt.Errorf("%w: an SMS has no attachments", ErrInvalid)
	case len(m.Attachments) > attachmentsMax:
		return fmt.Errorf("%w: more than %d attachments", ErrInvalid, attachmentsMax)
	}
	size := 0
	for _, a := range m.Attachments {
		size += len(a.Data)
		switch {
		case a.Name == "" || len(a.Name) > attachmentNameMax || strings.ContainsAny(a.Name, "\"/\\\r\n\x00"):
			return fmt.Errorf("%w: attachment name %q", ErrInvalid, a.Name)
		case !contentType.MatchString(a.ContentType):
			return fmt.Errorf("%w: attachment type %q", ErrInvalid, a.ContentType)
		case len(a.Data) == 0:
			return fmt.Errorf("%w: attachment %s is empty", ErrInvalid, a.Name)
		}
	}
	if size > attachmentBytesMax {
		return fmt.Errorf("%w: attachments over %d bytes", ErrInvalid, attachmentBytesMax)
	}
	return nil
}

// contentType is a MIME type without parameters ("application/pdf").
var contentType = regexp.MustCompile(`^[a-z]+/[a-z0-9][a-z0-9.+-]{0,100}$`)

// Queued is an outbox row as read back (for tests and the console).
type Queued struct {
	ID       int64
	Message  Message
	Attempts int
	Sent     bool
	Failed   bool
	LastErr  string
}

// Outbox returns the messages to one recipient, oldest first, at most
// limit; an empty to returns every recipient's.
func Outbox(ctx context.Context, d *db.DB, to string, limit int) ([]Queued, error) {
	rows, err := d.Read.QueryContext(ctx, `SELECT id, channel, kind, to_addr, subject, body_text, body_html, attempts, sent_at IS NOT NULL, failed_at IS NOT NULL, last_error,
		attachments FROM outbox WHERE $1 = '' OR to_addr = $1 ORDER BY id LIMIT $2`, to, limit)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	defer rows.Close()
	var out []Queued
	var parts []int
	for rows.Next() {
		var q Queued
		var ch string
		var n int
		if err := rows.Scan(&q.ID, &ch, &q.Message.Kind, &q.Message.To, &q.Message.Subject, &q.Message.Text, &q.Message.HTML,
			&q.Attempts, &q.Sent, &q.Failed, &q.LastErr, &n); err != nil {
			return nil, fmt.Errorf("read outbox: %w", err)
		}
		q.Message.Channel = Channel(ch)
		if n > 0 {
			parts = append(parts, len(out))
		}
		out = append(out, q)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	rows.Close()
	for _, i := range parts {
		if out[i].Message.Attachments, err = attachmentsOf(ctx, d.Read, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// attachmentsOf reads a message's attachments, in order.
func attachmentsOf(ctx context.Context, q db.Querier, id int64) ([]Attachment, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, content_type, data FROM outbox_attachments WHERE outbox_id = $1 ORDER BY position`, id)
	if err != nil {
		return nil, fmt.Errorf("attachments of message %d: %w", id, err)
	}
	defer rows.Close()
	var out []Attachment
	for rows.Next() {
		var a Attachment
		if err := rows.Scan(&a.Name, &a.ContentType, &a.Data); err != nil {
			return nil, fmt.Errorf("attachments of message %d: %w", id, err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
