-- Monthly statements: one per contract and cycle (the due date it is
-- for), whatever how often the run is repeated or where it was cut off.
-- The PDF is a document (documents); data is what the statement says, as
-- JSON, kept for checks and for reprinting the same figures.

-- +goose Up
CREATE TABLE statements (
    id              {{pk}},
    contract_id     BIGINT NOT NULL REFERENCES contracts (id),
    customer_id     BIGINT NOT NULL REFERENCES customers (id),
    cycle_due       {{date}} NOT NULL,
    statement_date  {{date}} NOT NULL,
    period_from     {{date}} NOT NULL,
    due_date        {{date}},
    total_due_cents BIGINT NOT NULL,
    final           INTEGER NOT NULL DEFAULT 0 CHECK (final IN (0, 1)),
    lang            TEXT NOT NULL,
    delivery        TEXT NOT NULL CHECK (delivery IN ('electronic', 'paper')),
    document_id     BIGINT NOT NULL REFERENCES documents (id),
    data            TEXT NOT NULL,
    created_at      {{timestamp}} NOT NULL,
    UNIQUE (contract_id, cycle_due)
);
CREATE INDEX statements_date ON statements (statement_date);
-- A contract has at most one final statement.
CREATE UNIQUE INDEX statements_final ON statements (contract_id) WHERE final = 1;

-- The chunks of contracts whose statements of a date are all made: the
-- date's print batch is written once every chunk is.
CREATE TABLE statement_chunks (
    statement_date {{date}} NOT NULL,
    first_id       BIGINT NOT NULL,
    statements     INTEGER NOT NULL,
    finished_at    {{timestamp}} NOT NULL,
    PRIMARY KEY (statement_date, first_id)
);

-- +goose Down
DROP TABLE statement_chunks;
DROP TABLE statements;
