-- Secure messages between a customer and the lender's support staff:
-- threads, their messages and attachments (PDF or image, bytes in the
-- database like documents, so every instance serves them). Every read is
-- scoped by the thread's customer.

-- +goose Up
CREATE TABLE support_threads (
    id                  {{pk}},
    customer_id         BIGINT NOT NULL REFERENCES customers (id),
    subject             TEXT NOT NULL,
    -- The language the customer wrote in: staff replies are announced in it.
    lang                TEXT NOT NULL,
    -- 1 while a staff reply is unread by the customer, and while a
    -- customer message is unread by staff.
    unread_by_customer  INTEGER NOT NULL DEFAULT 0,
    unread_by_staff     INTEGER NOT NULL DEFAULT 1,
    created_at          {{timestamp}} NOT NULL,
    last_message_at     {{timestamp}} NOT NULL
);
CREATE INDEX support_threads_customer ON support_threads (customer_id, last_message_at);
CREATE INDEX support_threads_staff ON support_threads (unread_by_staff, last_message_at);

CREATE TABLE support_messages (
    id              {{pk}},
    thread_id       BIGINT NOT NULL REFERENCES support_threads (id),
    -- 'customer' or 'staff'; staff messages name the staff login.
    author          TEXT NOT NULL CHECK (author IN ('customer', 'staff')),
    staff_login_id  BIGINT REFERENCES logins (id),
    body            TEXT NOT NULL,
    created_at      {{timestamp}} NOT NULL
);
CREATE INDEX support_messages_thread ON support_messages (thread_id, id);

CREATE TABLE support_attachments (
    id            {{pk}},
    message_id    BIGINT NOT NULL REFERENCES support_messages (id),
    thread_id     BIGINT NOT NULL REFERENCES support_threads (id),
    file_name     TEXT NOT NULL,
    -- The type found by content sniffing (one of the allowed ones).
    content_type  TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    content       {{bytes}} NOT NULL,
    created_at    {{timestamp}} NOT NULL
);
CREATE INDEX support_attachments_message ON support_attachments (message_id);
CREATE INDEX support_attachments_thread ON support_attachments (thread_id);

-- +goose Down
DROP TABLE support_attachments;
DROP TABLE support_messages;
DROP TABLE support_threads;
