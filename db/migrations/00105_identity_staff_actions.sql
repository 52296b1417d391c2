-- Support's actions on a customer's sign-in, and the staff screen that
-- shows it.
--
-- session_ends learns two reasons, so that a customer signed out by
-- support is told so, not "you were idle": 'staff-reset' (support reset
-- two-step verification) and 'staff-signed-out' (support signed every
-- device out). SQLite cannot change a CHECK constraint, so it rebuilds
-- the table (nothing references session_ends).
--
-- audit_events_subject_action serves the staff customer screen's last
-- sign-ins, failed sign-ins and security alerts of one login: each is
-- a backward range scan of at most ten rows, however long the login's
-- history (audit_events_subject alone would read every event of the
-- login to find the rare alerts).

-- +goose Up
-- +carfin postgres
ALTER TABLE session_ends DROP CONSTRAINT session_ends_reason_check;
ALTER TABLE session_ends ADD CONSTRAINT session_ends_reason_check
    CHECK (reason IN ('password', 'revoked', 'wasnt-me', 'signed-out', 'staff-reset', 'staff-signed-out'));
-- +carfin sqlite
CREATE TABLE session_ends_new (
    token_hash  TEXT PRIMARY KEY,
    login_id    BIGINT NOT NULL,
    reason      TEXT NOT NULL CHECK (reason IN ('password', 'revoked', 'wasnt-me', 'signed-out', 'staff-reset', 'staff-signed-out')),
    ended_at    {{timestamp}} NOT NULL,
    expires_at  {{timestamp}} NOT NULL
);
INSERT INTO session_ends_new (token_hash, login_id, reason, ended_at, expires_at)
    SELECT token_hash, login_id, reason, ended_at, expires_at FROM session_ends;
DROP TABLE session_ends;
ALTER TABLE session_ends_new RENAME TO session_ends;
CREATE INDEX session_ends_expires ON session_ends (expires_at);
-- +carfin end
CREATE INDEX audit_events_subject_action ON audit_events (subject, action, seq);

-- +goose Down
DROP INDEX audit_events_subject_action;
DELETE FROM session_ends WHERE reason IN ('staff-reset', 'staff-signed-out');
-- +carfin postgres
ALTER TABLE session_ends DROP CONSTRAINT session_ends_reason_check;
ALTER TABLE session_ends ADD CONSTRAINT session_ends_reason_check
    CHECK (reason IN ('password', 'revoked', 'wasnt-me', 'signed-out'));
-- +carfin end
