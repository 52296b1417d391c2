-- The staff queue of secure messages (support/queue.go): each thread is
-- open or closed, may be assigned to a staff login, and carries
-- awaiting_since, the time of the oldest customer message staff have not
-- yet answered (NULL when staff spoke last, or the thread was closed).
-- The queue shows open threads awaiting a reply, oldest first.

-- +goose Up
ALTER TABLE support_threads ADD COLUMN status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed'));
ALTER TABLE support_threads ADD COLUMN assigned_to BIGINT REFERENCES logins (id);
ALTER TABLE support_threads ADD COLUMN awaiting_since {{timestamp}};
ALTER TABLE support_threads ADD COLUMN closed_at {{timestamp}};
ALTER TABLE support_threads ADD COLUMN closed_by BIGINT REFERENCES logins (id);
ALTER TABLE support_threads ADD COLUMN close_reason TEXT NOT NULL DEFAULT '';

-- Existing threads: the first customer message after the last staff
-- message (none when staff spoke last).
UPDATE support_threads SET awaiting_since = (
    SELECT min(m.created_at) FROM support_messages m
    WHERE m.thread_id = support_threads.id AND m.author = 'customer'
      AND m.id > COALESCE((SELECT max(s.id) FROM support_messages s
                           WHERE s.thread_id = support_threads.id AND s.author = 'staff'), 0));

-- The queue: open threads awaiting a reply, oldest first; then the
-- others, the latest first (a partial index: neither engine reads an
-- "IS NULL" as a fixed value that would let the first index give that
-- order); and one agent's, or the unassigned, part of it.
CREATE INDEX support_threads_queue ON support_threads (status, awaiting_since, last_message_at);
CREATE INDEX support_threads_answered ON support_threads (last_message_at) WHERE status = 'open' AND awaiting_since IS NULL;
CREATE INDEX support_threads_assigned ON support_threads (assigned_to, status, awaiting_since);

-- +goose Down
DROP INDEX support_threads_assigned;
DROP INDEX support_threads_answered;
DROP INDEX support_threads_queue;
ALTER TABLE support_threads DROP COLUMN close_reason;
ALTER TABLE support_threads DROP COLUMN closed_by;
ALTER TABLE support_threads DROP COLUMN closed_at;
ALTER TABLE support_threads DROP COLUMN awaiting_since;
ALTER TABLE support_threads DROP COLUMN assigned_to;
ALTER TABLE support_threads DROP COLUMN status;
