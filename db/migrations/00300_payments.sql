-- Payments: customers' payment methods (bank accounts, card tokens),
-- one-time, scheduled and autopay payments, autopay enrolments with their
-- Regulation E authorizations, the NACHA files carfin originated and the
-- entries in them, returns and notifications of change, and receipts.
-- Money is integer cents; dates are civil dates; bank account numbers are
-- stored only encrypted (AES-GCM, key id beside each ciphertext).

-- +goose Up
CREATE TABLE payment_methods (
    id                 {{pk}},
    customer_id        BIGINT NOT NULL REFERENCES customers (id),
    kind               TEXT NOT NULL CHECK (kind IN ('bank', 'card')),
    -- pending: a bank account not yet validated (unusable); active;
    -- disabled: by a return or by staff (reason says why); failed:
    -- validation failed; removed: by the customer.
    status             TEXT NOT NULL CHECK (status IN ('pending', 'active', 'disabled', 'failed', 'removed')),
    status_reason      TEXT NOT NULL DEFAULT '',
    review_required    INTEGER NOT NULL DEFAULT 0,
    holder_name        TEXT NOT NULL,
    nickname           TEXT NOT NULL DEFAULT '',
    -- Bank accounts.
    account_type       TEXT CHECK (account_type IN ('checking', 'savings')),
    routing_number     TEXT,
    bank_name          TEXT NOT NULL DEFAULT '',
    account_cipher     {{bytes}},
    account_key_id     TEXT,
    last4              TEXT NOT NULL,
    -- How the account is validated before first use (Nacha WEB debit rule):
    -- 'microdeposits' or 'prenote'.
    validation         TEXT CHECK (validation IN ('microdeposits', 'prenote')),
    micro1_cents       BIGINT,
    micro2_cents       BIGINT,
    validation_attempts INTEGER NOT NULL DEFAULT 0,
    validated_at       {{timestamp}},
    -- Cards: the processor's token and what may be shown; never the number.
    processor          TEXT,
    card_token         TEXT,
    card_brand         TEXT,
    exp_month          INTEGER,
    exp_year           INTEGER,
    created_at         {{timestamp}} NOT NULL,
    updated_at         {{timestamp}} NOT NULL
);
CREATE INDEX payment_methods_customer ON payment_methods (customer_id, id);

-- Autopay enrolments: one live (active or suspended) per contract. The
-- authorization text the customer accepted is kept verbatim with its
-- version and time (Reg E 1005.10(b)); Nacha asks for two years after
-- the enrolment ends, so rows are never deleted.
CREATE TABLE autopay_enrolments (
    id                     {{pk}},
    customer_id            BIGINT NOT NULL REFERENCES customers (id),
    contract_id            BIGINT NOT NULL REFERENCES contracts (id),
    method_id              BIGINT NOT NULL REFERENCES payment_methods (id),
    status                 TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'stopped')),
    status_reason          TEXT NOT NULL DEFAULT '',
    extra_cents            BIGINT NOT NULL CHECK (extra_cents >= 0),
    days_before            INTEGER NOT NULL CHECK (days_before >= 0),
    -- The first installment debited: the first due on or after start_date
    -- whose debit could still be set up when the customer enrolled.
    start_date             {{date}} NOT NULL,
    first_installment      INTEGER NOT NULL CHECK (first_installment >= 1),
    sec_code               TEXT NOT NULL CHECK (sec_code IN ('WEB', 'PPD')),
    authorization_text     TEXT NOT NULL,
    authorization_version  TEXT NOT NULL,
    authorized_at          {{timestamp}} NOT NULL,
    authorized_ip          TEXT NOT NULL DEFAULT '',
    created_at             {{timestamp}} NOT NULL,
    updated_at             {{timestamp}} NOT NULL,
    stopped_at             {{timestamp}}
);
CREATE UNIQUE INDEX autopay_enrolments_live ON autopay_enrolments (contract_id) WHERE status <> 'stopped';
CREATE INDEX autopay_enrolments_customer ON autopay_enrolments (customer_id);
CREATE INDEX autopay_enrolments_status ON autopay_enrolments (status, id);

-- The NACHA files carfin wrote: one per business date and ID modifier.
-- building: entries are being attached (a run killed here resumes);
-- written: the file is in the drop directory with this hash.
CREATE TABLE ach_files (
    id             {{pk}},
    file_date      {{date}} NOT NULL,
    id_modifier    TEXT NOT NULL,
    effective_date {{date}} NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('building', 'written')),
    path           TEXT NOT NULL DEFAULT '',
    sha256         TEXT NOT NULL DEFAULT '',
    entries        INTEGER NOT NULL DEFAULT 0,
    debit_cents    BIGINT NOT NULL DEFAULT 0,
    credit_cents   BIGINT NOT NULL DEFAULT 0,
    created_at     {{timestamp}} NOT NULL,
    written_at     {{timestamp}},
    UNIQUE (file_date, id_modifier)
);

-- Payments. kind: one_time (the customer, today or a chosen date),
-- autopay (one per contract and installment: never two debits for one
-- installment), retry (a re-presentment of a returned payment). status:
-- scheduled → (card: authorized →) pending (posted; ACH inside the return
-- window) → settled, or cancelled, declined, failed, skipped, returned.
-- customer_id, autopay_id and ach_file_id carry no foreign key: each comes
-- from the contract's, enrolment's or file's own row as the payment is made
-- or sent, and a key check per row would make the bulk autopay insert and
-- the NACHA run a third slower. The money and the account (contract_id,
-- method_id) are checked.
CREATE TABLE payments (
    id                  {{pk}},
    customer_id         BIGINT NOT NULL,
    contract_id         BIGINT NOT NULL REFERENCES contracts (id),
    method_id           BIGINT NOT NULL REFERENCES payment_methods (id),
    kind                TEXT NOT NULL CHECK (kind IN ('one_time', 'autopay', 'retry')),
    rail                TEXT NOT NULL CHECK (rail IN ('ach', 'card')),
    status              TEXT NOT NULL CHECK (status IN ('scheduled', 'authorized', 'pending', 'settled', 'cancelled',
                                                        'declined', 'failed', 'skipped', 'returned')),
    status_reason       TEXT NOT NULL DEFAULT '',
    amount_cents        BIGINT NOT NULL CHECK (amount_cents > 0),
    fee_cents           BIGINT NOT NULL DEFAULT 0 CHECK (fee_cents >= 0),
    refunded_cents      BIGINT NOT NULL DEFAULT 0,
    -- The date the payment goes out (ACH file, card capture) and its
    -- effective date in servicing.
    scheduled_date      {{date}} NOT NULL,
    installment_number  INTEGER,
    autopay_id          BIGINT,
    original_payment_id BIGINT REFERENCES payments (id),
    presentment         INTEGER NOT NULL DEFAULT 1,
    sec_code            TEXT NOT NULL DEFAULT 'WEB',
    idempotency_key     TEXT NOT NULL,
    request_hash        TEXT NOT NULL,
    servicing_event_id  BIGINT,
    ach_file_id         BIGINT,
    trace_number        TEXT,
    settles_on          {{date}},
    card_auth_id        TEXT,
    card_capture_id     TEXT,
    decline_code        TEXT NOT NULL DEFAULT '',
    return_code         TEXT NOT NULL DEFAULT '',
    created_at          {{timestamp}} NOT NULL,
    updated_at          {{timestamp}} NOT NULL,
    UNIQUE (customer_id, idempotency_key)
);
-- A customer's payments are found through UNIQUE (customer_id, idempotency_key),
-- and a returned entry's payment from its trace number (payment id
-- modulo 9,000,000): fewer indexes to maintain on the bulk writes.
CREATE INDEX payments_contract ON payments (contract_id, scheduled_date);
CREATE INDEX payments_due ON payments (scheduled_date, id) WHERE status IN ('scheduled', 'authorized');
CREATE INDEX payments_pending ON payments (settles_on) WHERE status = 'pending';
CREATE INDEX payments_file ON payments (ach_file_id) WHERE ach_file_id IS NOT NULL;
CREATE UNIQUE INDEX payments_autopay_installment ON payments (contract_id, installment_number) WHERE kind = 'autopay';

-- Account-validation entries (Nacha): micro-entries (two credits under
-- $1 and their offsetting debit, description ACCTVERIFY) and prenotes.
CREATE TABLE ach_verifications (
    id             {{pk}},
    method_id      BIGINT NOT NULL REFERENCES payment_methods (id),
    kind           TEXT NOT NULL CHECK (kind IN ('micro_credit', 'micro_debit', 'prenote')),
    amount_cents   BIGINT NOT NULL CHECK (amount_cents >= 0),
    status         TEXT NOT NULL CHECK (status IN ('scheduled', 'sent', 'returned')),
    ach_file_id    BIGINT REFERENCES ach_files (id),
    trace_number   TEXT,
    sent_on        {{date}},
    created_at     {{timestamp}} NOT NULL
);
CREATE INDEX ach_verifications_method ON ach_verifications (method_id);
CREATE INDEX ach_verifications_status ON ach_verifications (status, id);
CREATE INDEX ach_verifications_trace ON ach_verifications (trace_number);

-- Imported return files, so that importing one twice does nothing.
CREATE TABLE ach_return_files (
    id          {{pk}},
    name        TEXT NOT NULL,
    sha256      TEXT NOT NULL UNIQUE,
    returns     INTEGER NOT NULL,
    nocs        INTEGER NOT NULL,
    unmatched   INTEGER NOT NULL,
    imported_at {{timestamp}} NOT NULL
);

-- Each return or notification of change, linked to its payment (or
-- validation entry), with the customer's words for it.
CREATE TABLE ach_returns (
    id               {{pk}},
    return_file_id   BIGINT REFERENCES ach_return_files (id),
    payment_id       BIGINT REFERENCES payments (id),
    verification_id  BIGINT REFERENCES ach_verifications (id),
    method_id        BIGINT REFERENCES payment_methods (id),
    kind             TEXT NOT NULL CHECK (kind IN ('return', 'noc')),
    code             TEXT NOT NULL,
    original_trace   TEXT NOT NULL,
    corrected_data   TEXT NOT NULL DEFAULT '',
    title            TEXT NOT NULL,
    description      TEXT NOT NULL,
    action           TEXT NOT NULL,
    review_required  INTEGER NOT NULL DEFAULT 0,
    created_at       {{timestamp}} NOT NULL
);
-- A payment is returned once; a notification of change is applied once
-- per code.
CREATE UNIQUE INDEX ach_returns_payment ON ach_returns (payment_id, kind, code) WHERE payment_id IS NOT NULL;
CREATE UNIQUE INDEX ach_returns_verification ON ach_returns (verification_id, kind, code) WHERE verification_id IS NOT NULL;
CREATE INDEX ach_returns_review ON ach_returns (review_required, id);

-- Receipts: the PDF of a payment's receipt, rendered once.
CREATE TABLE payment_receipts (
    payment_id  BIGINT PRIMARY KEY REFERENCES payments (id),
    pdf         {{bytes}} NOT NULL,
    sha256      TEXT NOT NULL,
    created_at  {{timestamp}} NOT NULL
);

-- Notices sent about autopay debits (reminders, Reg E 1005.10(d)
-- varying-amount notices), so that each is sent once per installment.
CREATE TABLE autopay_notices (
    enrolment_id        BIGINT NOT NULL REFERENCES autopay_enrolments (id),
    installment_number  INTEGER NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('reminder', 'varying')),
    debit_date          {{date}} NOT NULL,
    amount_cents        BIGINT NOT NULL,
    sent_at             {{timestamp}} NOT NULL,
    PRIMARY KEY (enrolment_id, installment_number, kind)
);

-- A customer's payment-notification preferences, until the portal has
-- general ones: days before an autopay debit to send a reminder (0: none).
CREATE TABLE payment_preferences (
    customer_id            BIGINT PRIMARY KEY REFERENCES customers (id),
    autopay_reminder_days  INTEGER NOT NULL CHECK (autopay_reminder_days BETWEEN 0 AND 10),
    updated_at             {{timestamp}} NOT NULL
);

-- +goose Down
DROP TABLE payment_preferences;
DROP TABLE autopay_notices;
DROP TABLE payment_receipts;
DROP TABLE ach_returns;
DROP TABLE ach_return_files;
DROP TABLE ach_verifications;
DROP TABLE payments;
DROP TABLE ach_files;
DROP TABLE autopay_enrolments;
DROP TABLE payment_methods;
