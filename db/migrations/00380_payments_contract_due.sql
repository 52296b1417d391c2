-- A contract's next payment on its way (servicing.Dashboard, on every
-- visit home): the soonest scheduled or authorized payment of one
-- contract. Without this index PostgreSQL found it by walking
-- payments_due (every due payment of every contract, in date order)
-- until it met one of the contract's: on the soak's book, 221 rows for
-- each dashboard, and on an autopay evening, thousands.

-- +goose Up
CREATE INDEX payments_contract_due ON payments (contract_id, scheduled_date, id) WHERE status IN ('scheduled', 'authorized');

-- +goose Down
DROP INDEX payments_contract_due;
