-- Vehicle loan interest reporting (26 USC 6050AA, Form 1098-VLI; the
-- deduction is 26 USC 163(h)(4)), tax years 2025-2028.
--
-- contract_tax_data holds what the ledger cannot know about a loan: the
-- borrower's taxpayer id (sealed under the key ring, bound to the
-- contract; only its last four digits in clear), the vehicle's condition,
-- type, weight rating and place of final assembly, and the loan's use and
-- lien. Booleans are INTEGER 0/1 on both engines.
--
-- tax_returns are the returns carfin recorded, one chain per contract and
-- tax year: seq 0 is the original, each correction supersedes the return
-- before it (seq n, corrected = 1). Box figures are frozen when a return
-- is recorded; only document_id, delivery, mailed_on and status (pending until a
-- filing export holds it, then filed) change afterwards.

-- +goose Up
CREATE TABLE contract_tax_data (
    contract_id              BIGINT PRIMARY KEY REFERENCES contracts (id),
    taxpayer_id_kind         TEXT NOT NULL CHECK (taxpayer_id_kind IN ('ssn', 'itin', 'ein')),
    taxpayer_id_key_id       TEXT NOT NULL,
    taxpayer_id_sealed       {{bytes}} NOT NULL,
    taxpayer_id_last4        TEXT NOT NULL CHECK (length(taxpayer_id_last4) = 4),
    condition                TEXT NOT NULL CHECK (condition IN ('new', 'used')),
    original_use_by_borrower INTEGER NOT NULL CHECK (original_use_by_borrower IN (0, 1)),
    personal_use             INTEGER NOT NULL CHECK (personal_use IN (0, 1)),
    first_lien               INTEGER NOT NULL CHECK (first_lien IN (0, 1)),
    vehicle_type             TEXT NOT NULL CHECK (vehicle_type IN ('car', 'minivan', 'van', 'suv', 'pickup', 'motorcycle', 'other')),
    gvwr_lbs                 INTEGER NOT NULL CHECK (gvwr_lbs > 0),
    us_final_assembly        INTEGER NOT NULL CHECK (us_final_assembly IN (0, 1)),
    origination_date         {{date}} NOT NULL,
    acquisition_date         {{date}},
    updated_at               {{timestamp}} NOT NULL
);

CREATE TABLE tax_returns (
    id                 {{pk}},
    contract_id        BIGINT NOT NULL REFERENCES contracts (id),
    tax_year           INTEGER NOT NULL CHECK (tax_year BETWEEN 2025 AND 2028),
    form               TEXT NOT NULL DEFAULT '1098-VLI' CHECK (form = '1098-VLI'),
    seq                INTEGER NOT NULL CHECK (seq >= 0),
    corrected          INTEGER NOT NULL CHECK (corrected IN (0, 1)),
    supersedes_id      BIGINT REFERENCES tax_returns (id),
    -- 0: a corrected return withdrawing an earlier one (the loan no longer
    -- qualifies): every money box is 0, as the IRS asks of a return filed
    -- in error.
    eligible           INTEGER NOT NULL CHECK (eligible IN (0, 1)),
    status             TEXT NOT NULL CHECK (status IN ('pending', 'filed')),
    box1_cents         BIGINT NOT NULL CHECK (box1_cents >= 0),
    box4_cents         BIGINT NOT NULL CHECK (box4_cents >= 0),
    box5_cents         BIGINT NOT NULL CHECK (box5_cents >= 0),
    vehicle_year       INTEGER NOT NULL,
    vehicle_make       TEXT NOT NULL,
    vehicle_model      TEXT NOT NULL,
    vin                TEXT NOT NULL,
    origination_date   {{date}} NOT NULL,
    acquisition_date   {{date}},
    original_use       INTEGER NOT NULL CHECK (original_use IN (0, 1)),
    us_final_assembly  INTEGER NOT NULL CHECK (us_final_assembly IN (0, 1)),
    account_number     TEXT NOT NULL,
    -- The borrower statement: its document, how it is delivered (portal:
    -- the customer consented to electronic delivery; mail: on paper) and
    -- when it was queued for mailing.
    document_id        BIGINT REFERENCES documents (id),
    delivery           TEXT NOT NULL DEFAULT '' CHECK (delivery IN ('', 'portal', 'mail')),
    mailed_on          {{date}},
    created_at         {{timestamp}} NOT NULL,
    UNIQUE (contract_id, tax_year, seq)
);
-- A return is superseded at most once: its corrections form a chain.
CREATE UNIQUE INDEX tax_returns_supersedes ON tax_returns (supersedes_id) WHERE supersedes_id IS NOT NULL;
CREATE INDEX tax_returns_year ON tax_returns (tax_year, status);

-- The tax years whose returns were recorded (Report ran): corrections are
-- looked for only in these.
CREATE TABLE tax_years_reported (
    tax_year    INTEGER PRIMARY KEY,
    reported_at {{timestamp}} NOT NULL
);

-- +goose Down
DROP TABLE tax_years_reported;
DROP TABLE tax_returns;
DROP TABLE contract_tax_data;
