-- The staff console's work queue lists the logins locked now.

-- +goose Up
CREATE INDEX logins_locked ON logins (locked_until);

-- +goose Down
DROP INDEX logins_locked;
