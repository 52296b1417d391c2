-- The staff console's audit tab reads what a customer did themselves
-- (payments, methods, profile changes) by actor.

-- +goose Up
CREATE INDEX audit_events_actor ON audit_events (actor, seq);

-- +goose Down
DROP INDEX audit_events_actor;
