-- Bank debits already pending when the ach_in_transit account began
-- (payments.AccountACHInTransit): carfin now moves a debit's amount from
-- cash into that account when its file is written, and back when it
-- settles or is returned. Debits sent before this version were never
-- moved in, so this books their total once, as of the migration, in one
-- general-ledger transaction; without it the account would go negative
-- as they settle and `carfin check` would report it for good. A database
-- with no pending debit (every new one) gets nothing.

-- +goose Up
INSERT INTO ledger_transactions (contract_id, kind, effective_date, idempotency_key, request_hash, ref, memo, created_at)
SELECT NULL, 'ach_transit', CURRENT_DATE, 'ach-transit-opening', 'opening', '', 'bank debits already pending when ach_in_transit began', CURRENT_TIMESTAMP
WHERE EXISTS (SELECT 1 FROM payments WHERE status = 'pending' AND rail = 'ach' AND servicing_event_id IS NOT NULL);

INSERT INTO ledger_postings (transaction_id, line, contract_id, account, amount_cents)
SELECT t.id, 1, NULL, 'ach_in_transit', x.total
FROM ledger_transactions t,
     (SELECT SUM(amount_cents) AS total FROM payments WHERE status = 'pending' AND rail = 'ach' AND servicing_event_id IS NOT NULL) x
WHERE t.idempotency_key = 'ach-transit-opening';

INSERT INTO ledger_postings (transaction_id, line, contract_id, account, amount_cents)
SELECT t.id, 2, NULL, 'cash', -x.total
FROM ledger_transactions t,
     (SELECT SUM(amount_cents) AS total FROM payments WHERE status = 'pending' AND rail = 'ach' AND servicing_event_id IS NOT NULL) x
WHERE t.idempotency_key = 'ach-transit-opening';
