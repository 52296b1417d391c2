-- Callers verified by the servicing team before an agent sees an account
-- (package callers): every attempt, passed or failed, and the one-time
-- codes sent to a customer's email or phone to prove a call.

-- +goose Up
-- One row per attempt. customer_id is NULL when the account number named
-- on the call is unknown. A pass lets its staff member see the customer's
-- account until expires_at (the call's time limit). The answers given are
-- never stored.
CREATE TABLE caller_verifications (
    id              {{pk}},
    staff_login_id  BIGINT NOT NULL REFERENCES logins (id),
    customer_id     BIGINT REFERENCES customers (id),
    call_id         TEXT NOT NULL DEFAULT '',
    method          TEXT NOT NULL CHECK (method IN ('questions', 'code')),
    result          TEXT NOT NULL CHECK (result IN ('pass', 'fail')),
    created_at      {{timestamp}} NOT NULL,
    expires_at      {{timestamp}} NOT NULL
);
CREATE INDEX caller_verifications_customer ON caller_verifications (customer_id, created_at);
CREATE INDEX caller_verifications_staff ON caller_verifications (staff_login_id, created_at);

-- One-time codes sent to the customer during a call, stored only as
-- SHA-256. A newer code supersedes older ones (used_at set).
CREATE TABLE caller_codes (
    id              {{pk}},
    staff_login_id  BIGINT NOT NULL REFERENCES logins (id),
    customer_id     BIGINT NOT NULL REFERENCES customers (id),
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    code_hash       TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      {{timestamp}} NOT NULL,
    expires_at      {{timestamp}} NOT NULL,
    used_at         {{timestamp}}
);
CREATE INDEX caller_codes_customer ON caller_codes (customer_id, created_at);

-- +goose Down
DROP TABLE caller_codes;
DROP TABLE caller_verifications;
