-- Payoff quotes a staff member issued to a third party, the dealer taking
-- the customer's vehicle in trade (package quotes, DealerPayoffLetter).
-- Like the customer's own quotes (payoff_quotes), a quote is a record of
-- what was promised: its figures, the dealer it was addressed to, who
-- issued it, and the letter as sent. Kept apart from payoff_quotes so
-- that the customer's quotes and documents in the portal are unchanged.

-- +goose Up
CREATE TABLE dealer_payoff_quotes (
    id               {{pk}},
    -- What the dealer quotes when paying: DQ-00000012.
    number           TEXT NOT NULL UNIQUE,
    customer_id      BIGINT NOT NULL REFERENCES customers (id),
    contract_id      BIGINT NOT NULL REFERENCES contracts (id),
    staff_login_id   BIGINT NOT NULL REFERENCES logins (id),
    quoted_on        {{date}} NOT NULL,
    good_through     {{date}} NOT NULL,
    principal_cents  BIGINT NOT NULL,
    interest_cents   BIGINT NOT NULL,
    fees_cents       BIGINT NOT NULL,
    billed_cents     BIGINT NOT NULL,
    per_diem_cents   BIGINT NOT NULL,
    total_cents      BIGINT NOT NULL,
    -- Payments the customer had scheduled by good_through (not counted
    -- in total_cents).
    scheduled_cents  BIGINT NOT NULL,
    -- The dealer as addressed (package postal's rules).
    dealer_name      TEXT NOT NULL,
    dealer_line1     TEXT NOT NULL,
    dealer_line2     TEXT NOT NULL DEFAULT '',
    dealer_city      TEXT NOT NULL,
    dealer_state     TEXT NOT NULL,
    dealer_zip       TEXT NOT NULL,
    dealer_contact   TEXT NOT NULL DEFAULT '',
    dealer_phone     TEXT NOT NULL DEFAULT '',
    dealer_fax       TEXT NOT NULL DEFAULT '',
    dealer_email     TEXT NOT NULL DEFAULT '',
    -- The letter as issued, and its SHA-256.
    pdf              {{bytes}} NOT NULL,
    pdf_sha256       TEXT NOT NULL,
    created_at       {{timestamp}} NOT NULL
);
CREATE INDEX dealer_payoff_quotes_contract ON dealer_payoff_quotes (contract_id, created_at);

-- +goose Down
DROP TABLE dealer_payoff_quotes;
