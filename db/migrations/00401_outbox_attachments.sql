-- Attachments of outbox messages (a payment's receipt PDF): stored with
-- the message, in the transaction of the event, and sent as MIME parts.
-- outbox.attachments counts them, so that the sender looks for parts only
-- for messages that have some.

-- +goose Up
ALTER TABLE outbox ADD COLUMN attachments INTEGER NOT NULL DEFAULT 0;

CREATE TABLE outbox_attachments (
    outbox_id     BIGINT NOT NULL REFERENCES outbox (id),
    position      INTEGER NOT NULL,
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    data          {{bytes}} NOT NULL,
    PRIMARY KEY (outbox_id, position)
);

-- +goose Down
DROP TABLE outbox_attachments;
ALTER TABLE outbox DROP COLUMN attachments;
