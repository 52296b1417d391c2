-- Second-factor secrets at rest (issue 11):
-- * authenticator-app seeds are encrypted under the key ring, bound to
--   their login (totp_key_id, totp_cipher); totp_secret keeps only seeds
--   from before this migration until `serve` encrypts them at start;
-- * recovery codes are argon2id hashes, found by a short public selector
--   (the code's first two characters) so that one code costs one hash;
--   rows from before (selector '') keep their SHA-256 until used;
-- * factor_failures counts wrong second-factor codes since the last
--   completed sign-in: locks reset failed_count, this one is not reset by
--   them, so no client tries more than 100 codes against an account
--   (NIST SP 800-63B rev. 4, 5.2.2) until the owner resets the password.

-- +goose Up
ALTER TABLE logins ADD COLUMN totp_key_id TEXT NOT NULL DEFAULT '';
ALTER TABLE logins ADD COLUMN totp_cipher {{bytes}};
ALTER TABLE logins ADD COLUMN factor_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE recovery_codes ADD COLUMN selector TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE recovery_codes DROP COLUMN selector;
ALTER TABLE logins DROP COLUMN factor_failures;
ALTER TABLE logins DROP COLUMN totp_cipher;
ALTER TABLE logins DROP COLUMN totp_key_id;
