-- Customers, vehicles, contracts, installment schedules, the double-entry
-- ledger and the per-contract balance cache. Every money column is integer
-- cents (…_cents); rates are integers of 1/10,000 percent (…_rate);
-- money factors integers of 1e-8; dates are civil dates.

-- +goose Up
CREATE TABLE customers (
    id            {{pk}},
    first_name    TEXT NOT NULL,
    last_name     TEXT NOT NULL,
    email         TEXT NOT NULL,
    phone         TEXT NOT NULL DEFAULT '',
    address_line1 TEXT NOT NULL,
    address_line2 TEXT NOT NULL DEFAULT '',
    city          TEXT NOT NULL,
    state         TEXT NOT NULL,
    zip           TEXT NOT NULL,
    -- Identity checks need only the date of birth and the last four digits
    -- of the SSN; carfin never stores a full SSN.
    birth_date    {{date}} NOT NULL,
    ssn_last4     TEXT NOT NULL CHECK (length(ssn_last4) = 4),
    created_at    {{timestamp}} NOT NULL
);
CREATE INDEX customers_email ON customers (lower(email));

CREATE TABLE vehicles (
    id     {{pk}},
    vin    TEXT NOT NULL UNIQUE CHECK (length(vin) = 17),
    year   INTEGER NOT NULL,
    make   TEXT NOT NULL,
    model  TEXT NOT NULL
);

CREATE TABLE contracts (
    id                    {{pk}},
    account_number        TEXT NOT NULL UNIQUE,
    customer_id           BIGINT NOT NULL REFERENCES customers (id),
    vehicle_id            BIGINT NOT NULL REFERENCES vehicles (id),
    kind                  TEXT NOT NULL CHECK (kind IN ('loan', 'lease')),
    state                 TEXT NOT NULL CHECK (state IN ('active', 'paid_off', 'charged_off', 'matured', 'terminated')),
    -- Bounds keep principal × rate × days inside BIGINT for day close's SQL:
    -- at most $10,000,000.00 and 100 % APR.
    amount_financed_cents BIGINT NOT NULL CHECK (amount_financed_cents > 0 AND amount_financed_cents <= 1000000000),
    apr_rate              BIGINT NOT NULL CHECK (apr_rate >= 0 AND apr_rate <= 1000000),
    term_months           INTEGER NOT NULL CHECK (term_months BETWEEN 1 AND 600),
    payment_cents         BIGINT NOT NULL CHECK (payment_cents > 0),
    contract_date         {{date}} NOT NULL,
    first_due_date        {{date}} NOT NULL,
    due_day               INTEGER NOT NULL CHECK (due_day BETWEEN 1 AND 31),
    maturity_date         {{date}} NOT NULL,
    day_count             TEXT NOT NULL CHECK (day_count IN ('365', 'actual')),
    grace_days            INTEGER NOT NULL CHECK (grace_days BETWEEN 0 AND 60),
    late_fee_kind         TEXT NOT NULL CHECK (late_fee_kind IN ('none', 'fixed', 'percent', 'greater')),
    late_fee_cents        BIGINT NOT NULL CHECK (late_fee_cents >= 0),
    late_fee_rate         BIGINT NOT NULL CHECK (late_fee_rate >= 0),
    late_fee_cap_cents    BIGINT NOT NULL CHECK (late_fee_cap_cents >= 0),
    nsf_fee_cents         BIGINT NOT NULL CHECK (nsf_fee_cents >= 0),
    waterfall             TEXT NOT NULL,
    pay_ahead             TEXT NOT NULL CHECK (pay_ahead IN ('advance', 'principal')),
    -- The installment schedule packed for the servicing fold (one read per
    -- posting); the installments table holds the same rows for SQL.
    schedule              {{bytes}} NOT NULL,
    created_at            {{timestamp}} NOT NULL,
    closed_on             {{date}}
);
CREATE INDEX contracts_customer ON contracts (customer_id);
CREATE INDEX contracts_state ON contracts (state, id);

-- Lease terms (Regulation M figures) for contracts of kind 'lease'.
CREATE TABLE lease_terms (
    contract_id              BIGINT PRIMARY KEY REFERENCES contracts (id),
    gross_cap_cost_cents     BIGINT NOT NULL,
    cap_cost_reduction_cents BIGINT NOT NULL,
    residual_cents           BIGINT NOT NULL,
    money_factor             BIGINT NOT NULL,
    base_payment_cents       BIGINT NOT NULL,
    tax_rate                 BIGINT NOT NULL,
    tax_cents                BIGINT NOT NULL,
    mileage_allowance        BIGINT NOT NULL,
    excess_mile_cents        BIGINT NOT NULL,
    purchase_option_cents    BIGINT NOT NULL,
    purchase_fee_cents       BIGINT NOT NULL,
    disposition_fee_cents    BIGINT NOT NULL,
    odometer_start           BIGINT NOT NULL
);

-- The installment schedule fixed at funding. cumulative_cents is the sum of
-- amount_cents of installments 1..number, so that "paid through" is one
-- comparison with a contract's credited amount. Rows never change.
CREATE TABLE installments (
    contract_id      BIGINT NOT NULL REFERENCES contracts (id),
    number           INTEGER NOT NULL,
    due_date         {{date}} NOT NULL,
    amount_cents     BIGINT NOT NULL,
    cumulative_cents BIGINT NOT NULL,
    -- Leases: how the installment splits for the ledger.
    depreciation_cents BIGINT NOT NULL DEFAULT 0,
    rent_cents         BIGINT NOT NULL DEFAULT 0,
    tax_cents          BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (contract_id, number)
);

-- One business event: postings that sum to zero. Rows are never updated
-- or deleted; a mistake is corrected by a reversing transaction.
CREATE TABLE ledger_transactions (
    id              {{pk}},
    contract_id     BIGINT REFERENCES contracts (id),
    kind            TEXT NOT NULL,
    effective_date  {{date}} NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    request_hash    TEXT NOT NULL,
    reverses_id     BIGINT REFERENCES ledger_transactions (id),
    ref             TEXT NOT NULL DEFAULT '',
    memo            TEXT NOT NULL DEFAULT '',
    created_at      {{timestamp}} NOT NULL
);
-- A contract's transactions, and among them the one for a given event
-- (ref "ev:ID") or installment: a contract has a few hundred at most, so
-- date ranges filter well enough after the contract.
CREATE INDEX ledger_transactions_contract ON ledger_transactions (contract_id, ref);
-- A transaction is reversed at most once.
CREATE UNIQUE INDEX ledger_transactions_reverses ON ledger_transactions (reverses_id) WHERE reverses_id IS NOT NULL;

-- A posting is identified by its transaction and its line: one index
-- serves both the key and "the postings of a transaction".
CREATE TABLE ledger_postings (
    transaction_id BIGINT NOT NULL REFERENCES ledger_transactions (id),
    line           INTEGER NOT NULL,
    contract_id    BIGINT,
    account        TEXT NOT NULL,
    amount_cents   BIGINT NOT NULL CHECK (amount_cents <> 0),
    PRIMARY KEY (transaction_id, line)
);
-- A contract's postings are found through its transactions
-- (ledger_transactions_contract); no second index to maintain per line.

-- A contract's history: the inputs the servicing fold replays (funding,
-- payments, fees, waivers, adjustments, write-off, turn-in) and reversals
-- of them. Rows are never changed; reversing an event is a new event.
CREATE TABLE servicing_events (
    id              {{pk}},
    contract_id     BIGINT NOT NULL REFERENCES contracts (id),
    kind            TEXT NOT NULL,
    effective_date  {{date}} NOT NULL,
    amount_cents    BIGINT NOT NULL,
    target_event_id BIGINT REFERENCES servicing_events (id),
    odometer        BIGINT NOT NULL DEFAULT 0,
    idempotency_key TEXT NOT NULL UNIQUE,
    request_hash    TEXT NOT NULL,
    actor           TEXT NOT NULL DEFAULT '',
    memo            TEXT NOT NULL DEFAULT '',
    created_at      {{timestamp}} NOT NULL
);
CREATE INDEX servicing_events_contract ON servicing_events (contract_id, effective_date, id);
-- An event is reversed at most once.
CREATE UNIQUE INDEX servicing_events_reversal ON servicing_events (target_event_id) WHERE kind = 'reversal';

-- The cached servicing state of each contract (the fold's State), written
-- only in the transaction that posts to the ledger, and by day close.
-- `carfin check` replays every contract and compares.
CREATE TABLE contract_balances (
    contract_id          BIGINT PRIMARY KEY REFERENCES contracts (id),
    principal_cents      BIGINT NOT NULL,
    interest_cents       BIGINT NOT NULL,
    fees_cents           BIGINT NOT NULL,
    billed_cents         BIGINT NOT NULL,
    interest_from        {{date}} NOT NULL,
    credited_cents       BIGINT NOT NULL,
    late_checked_through INTEGER NOT NULL,
    billed_through       INTEGER NOT NULL,
    advanced_through     {{date}} NOT NULL,
    paid_interest_cents  BIGINT NOT NULL,
    -- Derived for day close and the portal, recomputed whenever the state changes.
    next_unpaid_number   INTEGER NOT NULL,
    next_unpaid_due      {{date}},
    next_event_date      {{date}},
    -- Interest accrued since interest_from through accrued_through, not yet
    -- recognised, as the general ledger carries it (floor of the exact amount).
    accrued_cents        BIGINT NOT NULL,
    accrued_through      {{date}} NOT NULL,
    days_past_due        INTEGER NOT NULL,
    bucket               TEXT NOT NULL,
    posting_seq          BIGINT NOT NULL,
    updated_at           {{timestamp}} NOT NULL
);
-- No index on the derived columns: day close scans chunks by contract_id,
-- and without one every posting's balance update stays a HOT update.

-- Day close progress: one row per business date and chunk of contracts,
-- written in the chunk's own transaction, so a crashed run resumes where
-- it stopped and a finished one is not repeated.
CREATE TABLE day_close_chunks (
    business_date {{date}} NOT NULL,
    first_id      BIGINT NOT NULL,
    last_id       BIGINT NOT NULL,
    contracts     INTEGER NOT NULL,
    accrued_cents BIGINT NOT NULL,
    late_fees     INTEGER NOT NULL,
    finished_at   {{timestamp}} NOT NULL,
    PRIMARY KEY (business_date, first_id)
);

-- +carfin sqlite
-- +goose StatementBegin
CREATE TRIGGER ledger_transactions_append_only_update BEFORE UPDATE ON ledger_transactions
BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER ledger_transactions_append_only_delete BEFORE DELETE ON ledger_transactions
BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER ledger_postings_append_only_update BEFORE UPDATE ON ledger_postings
BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER ledger_postings_append_only_delete BEFORE DELETE ON ledger_postings
BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER installments_immutable BEFORE UPDATE ON installments
BEGIN SELECT RAISE(ABORT, 'installments are fixed at funding'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER servicing_events_append_only_update BEFORE UPDATE ON servicing_events
BEGIN SELECT RAISE(ABORT, 'servicing_events is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER servicing_events_append_only_delete BEFORE DELETE ON servicing_events
BEGIN SELECT RAISE(ABORT, 'servicing_events is append-only'); END;
-- +goose StatementEnd
-- +carfin end
-- +carfin postgres
ALTER TABLE contract_balances SET (fillfactor = 70);
-- +goose StatementBegin
CREATE FUNCTION carfin_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
    FOR EACH ROW EXECUTE FUNCTION carfin_append_only();
CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE ON ledger_postings
    FOR EACH ROW EXECUTE FUNCTION carfin_append_only();
CREATE TRIGGER installments_immutable BEFORE UPDATE ON installments
    FOR EACH ROW EXECUTE FUNCTION carfin_append_only();
CREATE TRIGGER servicing_events_append_only BEFORE UPDATE OR DELETE ON servicing_events
    FOR EACH ROW EXECUTE FUNCTION carfin_append_only();
-- +carfin end

-- +goose Down
DROP TABLE day_close_chunks;
DROP TABLE contract_balances;
DROP TABLE servicing_events;
DROP TABLE ledger_postings;
DROP TABLE ledger_transactions;
DROP TABLE installments;
DROP TABLE lease_terms;
DROP TABLE contracts;
DROP TABLE vehicles;
DROP TABLE customers;
-- +carfin postgres
DROP FUNCTION carfin_append_only;
-- +carfin end
