-- Documents a customer can download: payoff letters, payment receipts,
-- statements, the contract. The bytes live in the database (small PDFs),
-- so every instance serves every document; each is readable only by its
-- customer.

-- +goose Up
CREATE TABLE documents (
    id           {{pk}},
    customer_id  BIGINT NOT NULL REFERENCES customers (id),
    contract_id  BIGINT REFERENCES contracts (id),
    kind         TEXT NOT NULL,
    title        TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    content      {{bytes}} NOT NULL,
    ref          TEXT NOT NULL DEFAULT '',
    created_at   {{timestamp}} NOT NULL
);
CREATE INDEX documents_customer ON documents (customer_id, created_at);
-- One document per kind and reference (a receipt per payment, a letter per quote).
CREATE UNIQUE INDEX documents_ref ON documents (kind, ref) WHERE ref <> '';

-- +goose Down
DROP TABLE documents;
