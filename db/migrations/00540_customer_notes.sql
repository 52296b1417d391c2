-- Staff notes on a customer (package notes). Append-only: a note is never
-- edited or removed; a correction is a new note. The database refuses
-- UPDATE and DELETE, as it does for the audit log.

-- +goose Up
CREATE TABLE customer_notes (
    id              {{pk}},
    customer_id     BIGINT NOT NULL REFERENCES customers (id),
    contract_id     BIGINT REFERENCES contracts (id),
    staff_login_id  BIGINT NOT NULL REFERENCES logins (id),
    body            TEXT NOT NULL,
    created_at      {{timestamp}} NOT NULL
);
CREATE INDEX customer_notes_customer ON customer_notes (customer_id, id);

-- +carfin sqlite
-- +goose StatementBegin
CREATE TRIGGER customer_notes_append_only_update BEFORE UPDATE ON customer_notes
BEGIN SELECT RAISE(ABORT, 'customer notes are append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER customer_notes_append_only_delete BEFORE DELETE ON customer_notes
BEGIN SELECT RAISE(ABORT, 'customer notes are append-only'); END;
-- +goose StatementEnd
-- +carfin end
-- +carfin postgres
-- +goose StatementBegin
CREATE FUNCTION carfin_customer_notes_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'customer notes are append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER customer_notes_append_only BEFORE UPDATE OR DELETE ON customer_notes
    FOR EACH ROW EXECUTE FUNCTION carfin_customer_notes_append_only();
-- +carfin end

-- +goose Down
DROP TABLE customer_notes;
-- +carfin postgres
DROP FUNCTION carfin_customer_notes_append_only;
-- +carfin end
