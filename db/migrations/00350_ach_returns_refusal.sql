-- Staff review of debits servicing refused for a reason that is not the
-- customer's (a date it cannot post yet, a record it cannot read): the
-- payment stays scheduled for the next run and a row of kind 'refusal'
-- joins the returns in staff review (review_required = 1), once per
-- payment and reason. SQLite cannot change a CHECK constraint, so it
-- rebuilds the table (nothing references ach_returns).

-- +goose Up
-- +carfin postgres
ALTER TABLE ach_returns DROP CONSTRAINT ach_returns_kind_check;
ALTER TABLE ach_returns ADD CONSTRAINT ach_returns_kind_check CHECK (kind IN ('return', 'noc', 'refusal'));
-- +carfin sqlite
CREATE TABLE ach_returns_new (
    id               {{pk}},
    return_file_id   BIGINT REFERENCES ach_return_files (id),
    payment_id       BIGINT REFERENCES payments (id),
    verification_id  BIGINT REFERENCES ach_verifications (id),
    method_id        BIGINT REFERENCES payment_methods (id),
    kind             TEXT NOT NULL CHECK (kind IN ('return', 'noc', 'refusal')),
    code             TEXT NOT NULL,
    original_trace   TEXT NOT NULL,
    corrected_data   TEXT NOT NULL DEFAULT '',
    title            TEXT NOT NULL,
    description      TEXT NOT NULL,
    action           TEXT NOT NULL,
    review_required  INTEGER NOT NULL DEFAULT 0,
    created_at       {{timestamp}} NOT NULL
);
INSERT INTO ach_returns_new (id, return_file_id, payment_id, verification_id, method_id, kind, code, original_trace, corrected_data,
    title, description, action, review_required, created_at)
    SELECT id, return_file_id, payment_id, verification_id, method_id, kind, code, original_trace, corrected_data,
    title, description, action, review_required, created_at FROM ach_returns;
DROP TABLE ach_returns;
ALTER TABLE ach_returns_new RENAME TO ach_returns;
CREATE UNIQUE INDEX ach_returns_payment ON ach_returns (payment_id, kind, code) WHERE payment_id IS NOT NULL;
CREATE UNIQUE INDEX ach_returns_verification ON ach_returns (verification_id, kind, code) WHERE verification_id IS NOT NULL;
CREATE INDEX ach_returns_review ON ach_returns (review_required, id);
-- +carfin end

-- +goose Down
DELETE FROM ach_returns WHERE kind = 'refusal';
-- +carfin postgres
ALTER TABLE ach_returns DROP CONSTRAINT ach_returns_kind_check;
ALTER TABLE ach_returns ADD CONSTRAINT ach_returns_kind_check CHECK (kind IN ('return', 'noc'));
-- +carfin end
