-- Indexes of the staff console's customer search (package casefile), so
-- that each kind of query is an index lookup in a book of 100,000
-- contracts. The expressions here are the ones casefile/search.go
-- writes, character for character: an expression index serves only its
-- own expression. Already indexed elsewhere: contracts.account_number
-- (UNIQUE), customers lower(email) (customers_email), logins (realm,
-- email) (UNIQUE; login emails are stored lower-cased).

-- +goose Up
-- Name prefixes, case-insensitive. PostgreSQL compares text by the
-- database's collation, whose order is not byte order: text_pattern_ops
-- gives the byte order that a prefix range (~>=~, ~<~) needs. SQLite's
-- default BINARY collation already is byte order.
-- +carfin postgres
CREATE INDEX customers_last_name_prefix ON customers (lower(last_name) text_pattern_ops);
CREATE INDEX customers_first_name_prefix ON customers (lower(first_name) text_pattern_ops);
-- +carfin end
-- +carfin sqlite
CREATE INDEX customers_last_name_prefix ON customers (lower(last_name));
CREATE INDEX customers_first_name_prefix ON customers (lower(first_name));
-- +carfin end

-- Phone numbers compared by their digits, whatever punctuation was
-- typed when the customer was created ("(555) 201-1234", "+15552011234").
CREATE INDEX customers_phone_digits ON customers (
    replace(replace(replace(replace(replace(replace(phone, '+', ''), '-', ''), ' ', ''), '(', ''), ')', ''), '.', ''));

-- The last six characters of the VIN (the plant's serial number), which a
-- customer reads off the registration or the windshield. VINs are 17
-- characters long (vehicles' CHECK).
CREATE INDEX vehicles_vin_last6 ON vehicles (lower(substr(vin, 12, 6)));

-- From a vehicle to its contract.
CREATE INDEX contracts_vehicle ON contracts (vehicle_id);

-- +goose Down
DROP INDEX contracts_vehicle;
DROP INDEX vehicles_vin_last6;
DROP INDEX customers_phone_digits;
DROP INDEX customers_first_name_prefix;
DROP INDEX customers_last_name_prefix;
