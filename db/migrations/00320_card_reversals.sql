-- Money and holds owed back to customers' cards: a refund of what a card
-- payment collected beyond what the contract owed, and a void of an
-- authorization that will not be captured (the capture was refused, or
-- the authorization's answer was lost and the payment failed). Each is
-- recorded in the transaction that decides it and carried out with the
-- processor afterwards, so a processor failure or a killed process leaves
-- a row that the next run retries, under the same idempotency key, until
-- the processor confirms it.
--
-- status: due (owed; retried) → done (the processor confirmed it), or
-- dropped (a void only: the processor held nothing to release, or the
-- hold lapsed). A refund is never dropped: it is money the customer is
-- owed.

-- +goose Up
CREATE TABLE card_reversals (
    id               {{pk}},
    payment_id       BIGINT NOT NULL REFERENCES payments (id),
    kind             TEXT NOT NULL CHECK (kind IN ('refund', 'void')),
    amount_cents     BIGINT NOT NULL DEFAULT 0 CHECK (amount_cents >= 0 AND (kind = 'void' OR amount_cents > 0)),
    idempotency_key  TEXT NOT NULL UNIQUE,
    status           TEXT NOT NULL CHECK (status IN ('due', 'done', 'dropped')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    -- The processor's id of the refund, or of the authorization voided.
    processor_id     TEXT NOT NULL DEFAULT '',
    created_at       {{timestamp}} NOT NULL,
    updated_at       {{timestamp}} NOT NULL,
    done_at          {{timestamp}},
    UNIQUE (payment_id, kind)
);
CREATE INDEX card_reversals_due ON card_reversals (id) WHERE status = 'due';

-- +goose Down
DROP TABLE card_reversals;
