-- The language a customer reads carfin's messages in ("en", "es"),
-- chosen with the alert preferences: payment emails, texts and notices
-- sent by the day's runs have no page whose language they could follow.
-- A customer who never chose reads English, as before.

-- +goose Up
ALTER TABLE notification_preferences ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';

-- +goose Down
ALTER TABLE notification_preferences DROP COLUMN lang;
