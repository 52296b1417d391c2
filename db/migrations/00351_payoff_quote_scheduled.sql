-- A payoff quote records the payments that were scheduled on the account
-- on or before its good-through date when it was made: the payoff amount
-- does not count them, and the letter and the quote page say what is left
-- to pay once they are collected.

-- +goose Up
ALTER TABLE payoff_quotes ADD COLUMN scheduled_cents BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE payoff_quotes DROP COLUMN scheduled_cents;
