-- Customers' and staff's online access: logins, second factors, sessions,
-- one-time tokens and known devices. Secrets are stored only as hashes
-- (passwords: argon2id PHC strings; tokens and codes: SHA-256), except the
-- TOTP seed, which the server must read to check a code.

-- +goose Up
CREATE TABLE logins (
    id                   {{pk}},
    -- Customers and staff are separate realms: an email may exist in both.
    realm                TEXT NOT NULL CHECK (realm IN ('customer', 'staff')),
    customer_id          BIGINT REFERENCES customers (id),
    -- The username: the email address, trimmed and lower-cased.
    email                TEXT NOT NULL,
    display_name         TEXT NOT NULL,
    -- argon2id PHC string; '' when the password was invalidated ("this
    -- wasn't me") and must be reset before the next sign-in.
    password_hash        TEXT NOT NULL,
    -- 1 when the password is long enough to be the only factor (15+).
    password_long        INTEGER NOT NULL DEFAULT 0,
    password_changed_at  {{timestamp}} NOT NULL,
    totp_secret          TEXT NOT NULL DEFAULT '',
    totp_enabled         INTEGER NOT NULL DEFAULT 0,
    -- The last accepted TOTP time step: a code is accepted once (replay).
    totp_last_step       BIGINT NOT NULL DEFAULT 0,
    -- The WebAuthn user handle: random, never shown.
    webauthn_handle      {{bytes}} NOT NULL UNIQUE,
    failed_count         INTEGER NOT NULL DEFAULT 0,
    last_failed_at       {{timestamp}},
    locked_until         {{timestamp}},
    created_at           {{timestamp}} NOT NULL,
    UNIQUE (realm, email)
);
CREATE UNIQUE INDEX logins_customer ON logins (customer_id);

CREATE TABLE recovery_codes (
    login_id   BIGINT NOT NULL REFERENCES logins (id),
    code_hash  TEXT NOT NULL,
    used_at    {{timestamp}},
    PRIMARY KEY (login_id, code_hash)
);

CREATE TABLE passkeys (
    id             {{pk}},
    login_id       BIGINT NOT NULL REFERENCES logins (id),
    credential_id  {{bytes}} NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    -- The go-webauthn Credential record as JSON (public key, counters, flags).
    credential     TEXT NOT NULL,
    created_at     {{timestamp}} NOT NULL,
    last_used_at   {{timestamp}}
);
CREATE INDEX passkeys_login ON passkeys (login_id);

-- Server-side sessions. The cookie holds a 256-bit random token; only its
-- SHA-256 is stored. level: 'flow' (no one signed in: a ceremony's state),
-- 'partial' (password checked, second factor pending), 'full'.
CREATE TABLE sessions (
    id            {{pk}},
    token_hash    TEXT NOT NULL UNIQUE,
    login_id      BIGINT REFERENCES logins (id),
    level         TEXT NOT NULL CHECK (level IN ('flow', 'partial', 'full')),
    created_at    {{timestamp}} NOT NULL,
    last_seen_at  {{timestamp}} NOT NULL,
    expires_at    {{timestamp}} NOT NULL,
    auth_at       {{timestamp}},
    ip            TEXT NOT NULL,
    user_agent    TEXT NOT NULL,
    place         TEXT NOT NULL,
    data          TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX sessions_login ON sessions (login_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Single-use tokens and codes (password reset, unlock, enrolment, email
-- and SMS codes, "this wasn't me"). Only the SHA-256 of the secret is kept.
CREATE TABLE one_time_tokens (
    id           {{pk}},
    purpose      TEXT NOT NULL,
    login_id     BIGINT REFERENCES logins (id),
    customer_id  BIGINT REFERENCES customers (id),
    token_hash   TEXT NOT NULL UNIQUE,
    attempts     INTEGER NOT NULL DEFAULT 0,
    created_at   {{timestamp}} NOT NULL,
    expires_at   {{timestamp}} NOT NULL,
    used_at      {{timestamp}}
);
CREATE INDEX one_time_tokens_login ON one_time_tokens (login_id, purpose);
CREATE INDEX one_time_tokens_customer ON one_time_tokens (customer_id, purpose);

-- Browsers a login has signed in from (by the SHA-256 of a long-lived
-- device cookie), for new-device alerts and "remember this device".
CREATE TABLE known_devices (
    login_id       BIGINT NOT NULL REFERENCES logins (id),
    device_hash    TEXT NOT NULL,
    place          TEXT NOT NULL,
    user_agent     TEXT NOT NULL,
    first_seen_at  {{timestamp}} NOT NULL,
    last_seen_at   {{timestamp}} NOT NULL,
    trusted_until  {{timestamp}},
    PRIMARY KEY (login_id, device_hash)
);

-- +goose Down
DROP TABLE known_devices;
DROP TABLE one_time_tokens;
DROP TABLE sessions;
DROP TABLE passkeys;
DROP TABLE recovery_codes;
DROP TABLE logins;
