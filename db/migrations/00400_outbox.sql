-- The notification outbox: messages written in the transaction of the
-- event they report, delivered afterwards by notify.Sender with retries.

-- +goose Up
CREATE TABLE outbox (
    id               {{pk}},
    channel          TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    kind             TEXT NOT NULL,
    to_addr          TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body_text        TEXT NOT NULL,
    body_html        TEXT NOT NULL,
    created_at       {{timestamp}} NOT NULL,
    next_attempt_at  {{timestamp}} NOT NULL,
    claimed_until    {{timestamp}},
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    sent_at          {{timestamp}},
    failed_at        {{timestamp}}
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;

-- +goose Down
DROP TABLE outbox;
