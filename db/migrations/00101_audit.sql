-- The audit log: append-only, each event chained to the previous one by
-- SHA-256 (see package audit). audit_head holds the newest link so that
-- writers serialise on one row and the chain never forks.

-- +goose Up
CREATE TABLE audit_events (
    seq        BIGINT PRIMARY KEY,
    at         {{timestamp}} NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    ip         TEXT NOT NULL,
    details    TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX audit_events_subject ON audit_events (subject, seq);

CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- +carfin sqlite
-- +goose StatementBegin
CREATE TRIGGER audit_events_append_only_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_events_append_only_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
-- +goose StatementEnd
-- +carfin end
-- +carfin postgres
-- +goose StatementBegin
CREATE FUNCTION carfin_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit log is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION carfin_audit_append_only();
-- +carfin end

-- +goose Down
DROP TABLE audit_head;
DROP TABLE audit_events;
-- +carfin postgres
DROP FUNCTION carfin_audit_append_only;
-- +carfin end
