-- The mail house's print queue: documents to print and post (statements
-- and tax statements of customers not on paperless), and the batches
-- written, one combined PDF and one CSV manifest per business day.

-- +goose Up
CREATE TABLE print_queue (
    id            {{pk}},
    document_id   BIGINT NOT NULL REFERENCES documents (id),
    customer_id   BIGINT NOT NULL REFERENCES customers (id),
    contract_id   BIGINT REFERENCES contracts (id),
    -- The business day whose batch the document goes out in (or, queued
    -- after that batch was written, the next one written).
    business_date {{date}} NOT NULL,
    -- A reprint points at the queue entry it prints again.
    reprint_of    BIGINT REFERENCES print_queue (id),
    queued_at     {{timestamp}} NOT NULL,
    -- The batch it went out in; NULL while waiting.
    batch_date    {{date}}
);
-- A document is queued at most once a day (Enqueue and Reprint are
-- idempotent per document and date), and printed once unless reprinted:
-- a reprint is the same document on a later date, so uniqueness is
-- (document_id, business_date) rather than document_id alone, and only
-- first prints (reprint_of NULL) are unique per document.
CREATE UNIQUE INDEX print_queue_document_date ON print_queue (document_id, business_date);
CREATE UNIQUE INDEX print_queue_first_print ON print_queue (document_id) WHERE reprint_of IS NULL;
CREATE INDEX print_queue_waiting ON print_queue (business_date) WHERE batch_date IS NULL;

CREATE TABLE print_batches (
    business_date {{date}} PRIMARY KEY,
    file_name     TEXT NOT NULL,
    manifest_name TEXT NOT NULL,
    documents     INTEGER NOT NULL CHECK (documents > 0),
    pages         INTEGER NOT NULL CHECK (pages >= documents),
    sha256        TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    written_at    {{timestamp}} NOT NULL
);

-- +goose Down
DROP TABLE print_batches;
DROP TABLE print_queue;
