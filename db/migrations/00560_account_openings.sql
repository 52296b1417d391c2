-- A staff member opening a customer's account without a caller on the
-- line (package callers, OpenForWork): to answer a secure message, work a
-- complaint, review a return or decide a request. The reason is required
-- and the opening expires like a verified call.

-- +goose Up
CREATE TABLE account_openings (
    id              {{pk}},
    staff_login_id  BIGINT NOT NULL REFERENCES logins (id),
    customer_id     BIGINT NOT NULL REFERENCES customers (id),
    purpose         TEXT NOT NULL CHECK (purpose IN ('message', 'complaint', 'return', 'request', 'other')),
    reason          TEXT NOT NULL,
    created_at      {{timestamp}} NOT NULL,
    expires_at      {{timestamp}} NOT NULL
);
CREATE INDEX account_openings_staff ON account_openings (staff_login_id, customer_id, expires_at);

-- +goose Down
DROP TABLE account_openings;
