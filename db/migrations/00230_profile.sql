-- The customer's profile in the portal: pending contact changes (a new
-- email or phone waits for the code sent to it), paperless consent under
-- E-SIGN (15 USC 7001(c)) and alert preferences per channel and type.

-- +goose Up
-- A change of email or phone waiting for the code sent to the NEW address
-- or number (identity/contact.go), and the "undo" link of a changed email
-- sent to the OLD address (kind 'email_revert'; value is the old email).
-- Codes and links are stored only as SHA-256. A newer request supersedes
-- older ones (used_at set).
CREATE TABLE contact_changes (
    id          {{pk}},
    login_id    BIGINT NOT NULL REFERENCES logins (id),
    kind        TEXT NOT NULL CHECK (kind IN ('email', 'phone', 'email_revert')),
    value       TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  {{timestamp}} NOT NULL,
    expires_at  {{timestamp}} NOT NULL,
    used_at     {{timestamp}}
);
CREATE INDEX contact_changes_login ON contact_changes (login_id, kind, created_at);
CREATE INDEX contact_changes_secret ON contact_changes (secret_hash);

-- Paperless consent, append-only: each row is a consent given or withdrawn,
-- with the disclosure shown (version, language and SHA-256 of its text),
-- how it was given, the email address electronic records go to, and the
-- request's IP and browser. The latest row per customer is the state.
CREATE TABLE esign_consents (
    id                  {{pk}},
    customer_id         BIGINT NOT NULL REFERENCES customers (id),
    login_id            BIGINT REFERENCES logins (id),
    action              TEXT NOT NULL CHECK (action IN ('given', 'withdrawn')),
    disclosure_version  TEXT NOT NULL,
    disclosure_lang     TEXT NOT NULL,
    disclosure_sha256   TEXT NOT NULL,
    method              TEXT NOT NULL,
    email               TEXT NOT NULL,
    ip                  TEXT NOT NULL,
    user_agent          TEXT NOT NULL,
    created_at          {{timestamp}} NOT NULL
);
CREATE INDEX esign_consents_customer ON esign_consents (customer_id, id);

-- Alert preferences, one row per customer who changed them; a customer
-- without a row has the defaults of preferences.Default. 1 = on. Security
-- alerts are always sent and have no column. SMS needs the customer's
-- prior express consent (TCPA, 47 USC 227): the number and time it was
-- given are kept, and SMS alerts go only to that number.
CREATE TABLE notification_preferences (
    customer_id             BIGINT PRIMARY KEY REFERENCES customers (id),
    due_reminder_email      INTEGER NOT NULL,
    due_reminder_sms        INTEGER NOT NULL,
    due_reminder_days       INTEGER NOT NULL CHECK (due_reminder_days BETWEEN 1 AND 15),
    payment_received_email  INTEGER NOT NULL,
    payment_received_sms    INTEGER NOT NULL,
    statement_ready_email   INTEGER NOT NULL,
    statement_ready_sms     INTEGER NOT NULL,
    sms_consent_phone       TEXT NOT NULL DEFAULT '',
    sms_consent_at          {{timestamp}},
    updated_at              {{timestamp}} NOT NULL
);

-- +goose Down
DROP TABLE notification_preferences;
DROP TABLE esign_consents;
DROP TABLE contact_changes;
