-- Staff accounts of the console (issue 14): each staff login's role and
-- status, and the one-time links by which a new staff member enrols
-- (sets a password and a second factor) before the account is active.
-- Roles are data (staff.Role); what each may do is the table in
-- staff/roles.go, not columns here.

-- +goose Up
CREATE TABLE staff_members (
    login_id    BIGINT PRIMARY KEY REFERENCES logins (id),
    role        TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin', 'auditor')),
    -- pending: added, not yet enrolled; active: may sign in; disabled: may
    -- not (an admin may enable it again).
    status      TEXT NOT NULL CHECK (status IN ('pending', 'active', 'disabled')),
    created_at  {{timestamp}} NOT NULL,
    -- "system" (the `carfin staff add` command) or "staff:ID".
    created_by  TEXT NOT NULL,
    updated_at  {{timestamp}} NOT NULL
);

-- One-time enrolment links. Only the SHA-256 of the token is kept; a
-- token is used once (used_at) and expires 72 hours after it was made.
CREATE TABLE staff_enrolments (
    id          {{pk}},
    login_id    BIGINT NOT NULL REFERENCES staff_members (login_id),
    token_hash  TEXT NOT NULL UNIQUE,
    -- Wrong authenticator codes given with this token; at the limit the
    -- token is spent and an admin must send a new link.
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  {{timestamp}} NOT NULL,
    expires_at  {{timestamp}} NOT NULL,
    used_at     {{timestamp}}
);
CREATE INDEX staff_enrolments_login ON staff_enrolments (login_id);

-- +goose Down
DROP TABLE staff_enrolments;
DROP TABLE staff_members;
