-- Why a session was ended on purpose (its password changed or was reset,
-- the owner answered an alert with "this wasn't me", it was signed out
-- from another device or everywhere), so that the browser still holding
-- its cookie is told the truth on its next request, not "you were idle".
-- A row is kept until the session would have expired anyway. Sessions
-- that ran out (idle, or 12 hours after sign-in) need none: their own
-- row says so until it is cleaned up.

-- +goose Up
CREATE TABLE session_ends (
    token_hash  TEXT PRIMARY KEY,
    login_id    BIGINT NOT NULL,
    reason      TEXT NOT NULL CHECK (reason IN ('password', 'revoked', 'wasnt-me', 'signed-out')),
    ended_at    {{timestamp}} NOT NULL,
    expires_at  {{timestamp}} NOT NULL
);
CREATE INDEX session_ends_expires ON session_ends (expires_at);

-- +goose Down
DROP TABLE session_ends;
