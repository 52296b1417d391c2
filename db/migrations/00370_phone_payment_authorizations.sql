-- One-time payments a servicing agent takes by telephone (package
-- payments, TakePhonePayment): the customer's oral authorization of the
-- TEL debit. Nacha requires the originator to keep the authorization (or
-- its written notice) for two years from the date of authorization; rows
-- are never updated or deleted.

-- +goose Up
-- One row per phone payment: who took it, on which verified call, when,
-- and the script read to the customer, verbatim with its SHA-256 and
-- version (what the customer said yes to).
CREATE TABLE phone_payment_authorizations (
    id               {{pk}},
    payment_id       BIGINT NOT NULL UNIQUE REFERENCES payments (id),
    customer_id      BIGINT NOT NULL REFERENCES customers (id),
    staff_login_id   BIGINT NOT NULL REFERENCES logins (id),
    -- caller_verifications (00520) comes after this migration, so the
    -- verification's id carries no foreign key; TakePhonePayment checks it.
    verification_id  BIGINT NOT NULL,
    script_version   TEXT NOT NULL,
    script_lang      TEXT NOT NULL CHECK (script_lang IN ('en', 'es')),
    script_sha256    TEXT NOT NULL,
    script_text      TEXT NOT NULL,
    authorized_at    {{timestamp}} NOT NULL
);
CREATE INDEX phone_payment_authorizations_customer ON phone_payment_authorizations (customer_id, authorized_at);
CREATE INDEX phone_payment_authorizations_staff ON phone_payment_authorizations (staff_login_id, authorized_at);

-- +goose Down
DROP TABLE phone_payment_authorizations;
