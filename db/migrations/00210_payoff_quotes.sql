-- Payoff and lease-end quotes customers asked for in the portal. A quote
-- is a record of what was promised: its figures never change, and its
-- letter (a PDF in documents) is the same on every download.

-- +goose Up
CREATE TABLE payoff_quotes (
    id                    {{pk}},
    -- What the customer quotes when paying: PQ-00000012 (payoff) or
    -- LQ-00000013 (lease end).
    number                TEXT NOT NULL UNIQUE,
    customer_id           BIGINT NOT NULL REFERENCES customers (id),
    contract_id           BIGINT NOT NULL REFERENCES contracts (id),
    kind                  TEXT NOT NULL CHECK (kind IN ('payoff', 'lease_end')),
    quoted_on             {{date}} NOT NULL,
    -- Payoff quotes: the last day the total is good for; lease-end
    -- quotes have none (they estimate the end of the lease).
    good_through          {{date}},
    principal_cents       BIGINT NOT NULL,
    interest_cents        BIGINT NOT NULL,
    fees_cents            BIGINT NOT NULL,
    billed_cents          BIGINT NOT NULL,
    per_diem_cents        BIGINT NOT NULL,
    total_cents           BIGINT NOT NULL,
    -- Lease-end quotes.
    odometer              BIGINT NOT NULL DEFAULT 0,
    excess_miles          BIGINT NOT NULL DEFAULT 0,
    excess_mileage_cents  BIGINT NOT NULL DEFAULT 0,
    purchase_option_cents BIGINT NOT NULL DEFAULT 0,
    purchase_fee_cents    BIGINT NOT NULL DEFAULT 0,
    disposition_fee_cents BIGINT NOT NULL DEFAULT 0,
    unpaid_cents          BIGINT NOT NULL DEFAULT 0,
    purchase_cents        BIGINT NOT NULL DEFAULT 0,
    turn_in_cents         BIGINT NOT NULL DEFAULT 0,
    lang                  TEXT NOT NULL,
    document_id           BIGINT NOT NULL REFERENCES documents (id),
    created_at            {{timestamp}} NOT NULL
);
-- A customer's quotes of a contract, newest first.
CREATE INDEX payoff_quotes_contract ON payoff_quotes (contract_id, customer_id, created_at);

-- +goose Down
DROP TABLE payoff_quotes;
