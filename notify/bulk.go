package notify

import (
	"context"
	"fmt"

	"carfin/db"
)

// EnqueueMany writes many messages to the outbox inside tx in one bulk
// insert (COPY on PostgreSQL), for batch jobs that notify thousands of
// customers at once (an autopay run). Every message is validated first;
// an invalid one returns ErrInvalid naming its index and writes nothing.
// Messages with attachments go through Enqueue.
func EnqueueMany(ctx context.Context, tx *db.Tx, ms []Message) error {
	if len(ms) == 0 {
		return nil
	}
	now := tx.Now()
	rows := make([][]any, len(ms))
	for i, m := range ms {
		if err := m.validate(); err != nil {
			return fmt.Errorf("enqueue message %d (%s): %w", i, m.Kind, err)
		}
		if len(m.Attachments) > 0 {
			return fmt.Errorf("enqueue message %d (%s): %w: attachments need Enqueue", i, m.Kind, ErrInvalid)
		}
		rows[i] = []any{string(m.Channel), m.Kind, m.To, m.Subject, m.Text, m.HTML, now, now}
	}
	if err := tx.CopyFrom(ctx, "outbox", []string{"channel", "kind", "to_addr", "subject", "body_text", "body_html", "created_at", "next_attempt_at"}, rows); err != nil {
		return fmt.Errorf("enqueue %d messages: %w", len(ms), err)
	}
	return nil
}
