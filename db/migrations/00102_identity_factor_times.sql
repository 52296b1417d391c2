-- When each second factor was set up, so that "this wasn't me" can take
-- away what an intruder added after the sign-in or change it reports
-- (an authenticator app of theirs, recovery codes they saw) and keep
-- what the owner had before. Passkeys have created_at already. Rows
-- from before this migration have NULL: they predate any alert sent
-- since, so they are kept.

-- +goose Up
ALTER TABLE logins ADD COLUMN totp_enabled_at {{timestamp}};
ALTER TABLE recovery_codes ADD COLUMN created_at {{timestamp}};
