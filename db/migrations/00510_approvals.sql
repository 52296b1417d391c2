-- Maker-checker for money changes (issue 14): a fee waiver, a payment
-- reversal, a balance adjustment or the review of a flagged return is
-- requested by one staff member with a reason and posts only when a
-- supervisor other than the requester approves it. A request expires 72
-- hours after it was made. The status moves once, out of 'pending', under
-- a guarded UPDATE, so two approvers racing post once; the posting's
-- idempotency key "approval:<id>" is the second guard. At most one request
-- per event or return is pending, enforced here (two agents at the same
-- instant both pass a count); a request past its 72 hours is marked
-- expired before a new one for its target is made.

-- +goose Up
CREATE TABLE approval_requests (
    id             {{pk}},
    kind           TEXT NOT NULL CHECK (kind IN ('fee_waiver', 'payment_reversal', 'balance_adjustment', 'return_review')),
    contract_id    BIGINT NOT NULL REFERENCES contracts (id),
    -- The target: an amount in cents (waiver: positive; adjustment:
    -- signed), a servicing event (reversal) or an ACH return (review).
    amount_cents   BIGINT NOT NULL DEFAULT 0,
    event_id       BIGINT REFERENCES servicing_events (id),
    return_id      BIGINT REFERENCES ach_returns (id),
    -- A return review's decision: 'uphold' (the return stands) or
    -- 'dismiss' (the payment stands).
    decision       TEXT NOT NULL DEFAULT '' CHECK (decision IN ('', 'uphold', 'dismiss')),
    reason         TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    requested_by   TEXT NOT NULL,
    requester_role TEXT NOT NULL,
    requested_at   {{timestamp}} NOT NULL,
    expires_at     {{timestamp}} NOT NULL,
    status         TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
    decided_by     TEXT NOT NULL DEFAULT '',
    decided_at     {{timestamp}},
    note           TEXT NOT NULL DEFAULT '',
    -- The servicing event the approval posted, if any.
    posted_event_id BIGINT REFERENCES servicing_events (id),
    CHECK (status = 'pending' OR decided_at IS NOT NULL),
    CHECK (decided_by = '' OR decided_by <> requested_by)
);
-- The work queue (oldest first) and the expiry sweep.
CREATE INDEX approval_requests_pending ON approval_requests (status, requested_at, id);
CREATE INDEX approval_requests_contract ON approval_requests (contract_id, id);
-- One pending request per target.
CREATE UNIQUE INDEX approval_requests_pending_event ON approval_requests (event_id) WHERE status = 'pending';
CREATE UNIQUE INDEX approval_requests_pending_return ON approval_requests (return_id) WHERE status = 'pending';

-- +goose Down
DROP TABLE approval_requests;
