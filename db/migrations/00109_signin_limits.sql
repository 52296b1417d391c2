-- The sign-in limits that every carfin process over this database shares,
-- so that N instances allow the documented budget once, not N times
-- (identity/throttle.go, identity/ghosts.go).
--
-- signin_limits holds one row per counted thing, by key:
--   'ip:ADDR' and 'net:PREFIX'  failures in the window that began at
--                               started_us (accounts: distinct accounts
--                               failing from the network in it);
--   'acct:…'                    one row per account seen failing from a
--                               network in its window (a hash, no email),
--                               so that each is counted once;
--   'global'                    the failure budget's tokens as of started_us.
-- Times are microseconds since 1970 (UTC): the token bucket's refill is
-- arithmetic on them, written once for both engines.
--
-- signin_ghosts holds, for addresses without an account (keyed by a hash
-- of realm and address), the failure state logins keep for accounts.
-- Rows past expires_us mean nothing any more (no lock, no delay, a day
-- without failures) and are deleted by identity.Service.Cleanup.

-- +goose Up
CREATE TABLE signin_limits (
    key         TEXT PRIMARY KEY,
    started_us  BIGINT NOT NULL,
    failures    BIGINT NOT NULL DEFAULT 0,
    accounts    INTEGER NOT NULL DEFAULT 0,
    tokens      DOUBLE PRECISION NOT NULL DEFAULT 0
);
CREATE INDEX signin_limits_started ON signin_limits (started_us);

CREATE TABLE signin_ghosts (
    key              TEXT PRIMARY KEY,
    failed           INTEGER NOT NULL,
    last_failed_us   BIGINT NOT NULL,
    locked_until_us  BIGINT NOT NULL,
    expires_us       BIGINT NOT NULL
);
CREATE INDEX signin_ghosts_expires ON signin_ghosts (expires_us);

-- +goose Down
DROP TABLE signin_ghosts;
DROP TABLE signin_limits;
