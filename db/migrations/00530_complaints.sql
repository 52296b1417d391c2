-- Complaints logged by the servicing team (package complaints), with the
-- deadlines the CFPB expects of complaints it forwards: acknowledge
-- within 15 calendar days and close within 60 of the date received.

-- +goose Up
CREATE TABLE complaints (
    id               {{pk}},
    customer_id      BIGINT NOT NULL REFERENCES customers (id),
    contract_id      BIGINT REFERENCES contracts (id),
    category         TEXT NOT NULL CHECK (category IN ('billing', 'payments', 'fees', 'credit_reporting', 'collections',
                         'title_lien', 'customer_service', 'privacy_security', 'other')),
    channel          TEXT NOT NULL CHECK (channel IN ('phone', 'email', 'mail', 'portal_message', 'cfpb_portal', 'other')),
    description      TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'closed')),
    received_on      {{date}} NOT NULL,
    acknowledge_by   {{date}} NOT NULL,
    close_by         {{date}} NOT NULL,
    logged_by        BIGINT NOT NULL REFERENCES logins (id),
    created_at       {{timestamp}} NOT NULL,
    acknowledged_by  BIGINT REFERENCES logins (id),
    acknowledged_at  {{timestamp}},
    acknowledge_note TEXT NOT NULL DEFAULT '',
    closed_by        BIGINT REFERENCES logins (id),
    closed_at        {{timestamp}},
    resolution       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX complaints_customer ON complaints (customer_id, id);
CREATE INDEX complaints_open ON complaints (status, acknowledge_by, close_by);

-- +goose Down
DROP TABLE complaints;
