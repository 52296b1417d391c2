-- One home for a customer's reminders: the autopay reminder days that
-- 00300 kept in payment_preferences move to notification_preferences
-- (package preferences), where the due reminder already lives. A
-- contract in autopay gets the autopay reminder in place of the due
-- reminder, on the due reminder's channels and lead time, so no customer
-- gets two reminders for one installment.
--
-- A customer who had chosen autopay reminder days keeps them: 0 (none)
-- turns the due reminder off; 1–10 becomes the due reminder's lead time.
-- A customer who had also saved alert preferences keeps those, the more
-- general choice made on the profile page.

-- +goose Up
INSERT INTO notification_preferences (customer_id, due_reminder_email, due_reminder_sms, due_reminder_days,
    payment_received_email, payment_received_sms, statement_ready_email, statement_ready_sms, updated_at)
SELECT pp.customer_id,
       CASE WHEN pp.autopay_reminder_days = 0 THEN 0 ELSE 1 END, 0,
       CASE WHEN pp.autopay_reminder_days = 0 THEN 5 ELSE pp.autopay_reminder_days END,
       1, 0, 1, 0, pp.updated_at
FROM payment_preferences pp
WHERE NOT EXISTS (SELECT 1 FROM notification_preferences np WHERE np.customer_id = pp.customer_id);

DROP TABLE payment_preferences;

-- +goose Down
CREATE TABLE payment_preferences (
    customer_id            BIGINT PRIMARY KEY REFERENCES customers (id),
    autopay_reminder_days  INTEGER NOT NULL CHECK (autopay_reminder_days BETWEEN 0 AND 10),
    updated_at             {{timestamp}} NOT NULL
);
