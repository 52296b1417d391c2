// Package preferences holds a customer's alert preferences: which alerts
// they get, by email and by text message, and how many days before a due
// date the reminder comes. Every capability that sends an optional alert
// asks ShouldNotify first (or reads Get once for a batch), in its own
// transaction.
//
// Rules:
//   - Security alerts (new sign-in, password or contact change, consent
//     confirmations and other notices the lender must send) are always
//     sent and cannot be switched off; they are not preferences.
//   - Email alerts are on by default; text messages are off until the
//     customer turns them on. Turning one on is the customer's prior
//     express consent to informational texts at the number on file (TCPA,
//     47 USC 227(b)(1)(A); 47 CFR 64.1200(a)(1)): the number and time are
//     recorded, and texts go only to that number. A changed number needs
//     the consent again.
//   - The due reminder comes DueReminderDays before each due date
//     (1–15, default 5).
//   - Every message to the customer is in Lang, one of
//     notify.Languages (default English): messages sent by the day's
//     runs have no page whose language they could follow, so the
//     customer chooses it here once.
//   - A contract in autopay gets the autopay reminder in place of the
//     due reminder, so that no customer gets two: it follows the due
//     reminder's channels and comes DueReminderDays before each debit
//     (payments sends it with the day's run; a sender of due reminders
//     skips contracts with a live autopay enrolment). The autopay pages
//     set the same preference (SetReminderDays).
package preferences

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"carfin/audit"
	"carfin/db"
	"carfin/notify"
)

// Kind is a type of alert.
type Kind string

const (
	// DueReminder: an installment is due in DueReminderDays.
	DueReminder Kind = "due_reminder"
	// PaymentReceived: a payment was received (the courtesy alert; a
	// receipt the law requires is sent whatever the preference).
	PaymentReceived Kind = "payment_received"
	// StatementReady: a new statement can be viewed.
	StatementReady Kind = "statement_ready"
	// Security: always sent; not a preference.
	Security Kind = "security"
)

// Kinds are the alerts a customer can choose, in the order shown.
var Kinds = []Kind{DueReminder, PaymentReceived, StatementReady}

// Limits of the due reminder.
const (
	DueReminderDaysMin     = 1
	DueReminderDaysMax     = 15
	DueReminderDaysDefault = 5
)

// Channels says on which channels an alert is sent.
type Channels struct{ Email, SMS bool }

// Preferences are one customer's choices.
type Preferences struct {
	Alerts          map[Kind]Channels
	DueReminderDays int
	// SMSPhone is the number the customer agreed to get texts at, and
	// SMSConsentAt when ("" and zero when never).
	SMSPhone     string
	SMSConsentAt time.Time
	// Phone is the customer's phone on file now ("" when none): texts go
	// out only while it equals SMSPhone.
	Phone string
	// Lang is the language the customer reads messages in ("en", "es").
	Lang string
	// Saved reports whether the customer ever changed the defaults.
	Saved bool
}

// Default returns the preferences of a customer who never chose: every
// email alert on, no texts, reminders 5 days ahead, in English.
func Default() Preferences {
	p := Preferences{Alerts: map[Kind]Channels{}, DueReminderDays: DueReminderDaysDefault, Lang: notify.Languages[0]}
	for _, k := range Kinds {
		p.Alerts[k] = Channels{Email: true}
	}
	return p
}

// Allows reports whether alert k may be sent on ch. Security alerts always
// may; texts only with consent for the phone on file.
func (p Preferences) Allows(k Kind, ch notify.Channel) bool {
	if k == Security {
		return true
	}
	c := p.Alerts[k]
	switch ch {
	case notify.Email:
		return c.Email
	case notify.SMS:
		return c.SMS && p.SMSConsentOK()
	}
	return false
}

// SMSConsentOK reports whether texts may go to the phone on file.
func (p Preferences) SMSConsentOK() bool {
	return p.Phone != "" && p.SMSPhone == p.Phone && !p.SMSConsentAt.IsZero()
}

// ErrInvalid is returned for preferences out of range or of an unknown kind.
var ErrInvalid = errors.New("invalid preferences")

// ErrNoPhone is returned when texts are turned on without a phone on file.
var ErrNoPhone = errors.New("no phone on file for text messages")

// ErrNotFound is returned for an unknown customer.
var ErrNotFound = errors.New("customer not found")

// Get returns a customer's preferences, the defaults when they never
// chose. Returns ErrNotFound for an unknown customer.
func Get(ctx context.Context, q db.Querier, customerID int64) (Preferences, error) {
	var row Row
	var phone string
	err := q.QueryRowContext(ctx, `SELECT c.phone, `+Columns+`
		FROM customers c LEFT JOIN notification_preferences np ON np.customer_id = c.id WHERE c.id = $1`, customerID).
		Scan(append([]any{&phone}, row.Dest()...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return Preferences{}, ErrNotFound
	}
	if err != nil {
		return Preferences{}, fmt.Errorf("read preferences of customer %d: %w", customerID, err)
	}
	return row.Preferences(phone), nil
}

// Columns are the notification_preferences columns, as np, that a Row
// receives. Batch senders (an autopay run notifying thousands of
// customers) join the table in their own query — LEFT JOIN
// notification_preferences np ON np.customer_id = … — and decide each row
// with Row.Preferences, by the same rules as Get, in the same round trip.
const Columns = `np.due_reminder_email, np.due_reminder_sms, np.due_reminder_days, np.payment_received_email, np.payment_received_sms,
	np.statement_ready_email, np.statement_ready_sms, np.sms_consent_phone, np.sms_consent_at, np.lang`

// Row is one customer's Columns as scanned (all NULL for a customer who
// never chose).
type Row struct {
	dre, drs, days, pre, prs, sre, srs sql.NullInt64
	smsPhone, lang                     sql.NullString
	smsAt                              sql.NullTime
}

// Dest returns the scan destinations of Columns, in order.
func (r *Row) Dest() []any {
	return []any{&r.dre, &r.drs, &r.days, &r.pre, &r.prs, &r.sre, &r.srs, &r.smsPhone, &r.smsAt, &r.lang}
}

// Preferences returns the row's preferences for a customer whose phone on
// file is phone: the defaults when the customer never chose.
func (r *Row) Preferences(phone string) Preferences {
	p := Default()
	p.Phone = phone
	if !r.days.Valid {
		return p
	}
	p.Saved = true
	p.Alerts[DueReminder] = Channels{Email: r.dre.Int64 == 1, SMS: r.drs.Int64 == 1}
	p.Alerts[PaymentReceived] = Channels{Email: r.pre.Int64 == 1, SMS: r.prs.Int64 == 1}
	p.Alerts[StatementReady] = Channels{Email: r.sre.Int64 == 1, SMS: r.srs.Int64 == 1}
	p.DueReminderDays = int(r.days.Int64)
	p.SMSPhone, p.SMSConsentAt = r.smsPhone.String, r.smsAt.Time
	p.Lang = notify.Lang(r.lang.String)
	return p
}

// ReminderDays returns how many days ahead the customer is reminded of a
// due date or, for a contract in autopay, of each debit: 0 when due
// reminders are off on every channel. Returns ErrNotFound for an unknown
// customer.
func ReminderDays(ctx context.Context, q db.Querier, customerID int64) (int, error) {
	p, err := Get(ctx, q, customerID)
	if err != nil {
		return 0, err
	}
	if !p.Allows(DueReminder, notify.Email) && !p.Allows(DueReminder, notify.SMS) {
		return 0, nil
	}
	return p.DueReminderDays, nil
}

// SetReminderDays sets only the reminder's lead time, as the autopay
// pages offer it: 0 turns due (and autopay) reminders off on every
// channel; 1–15 sets the days and, when reminders were off everywhere,
// turns them on by email. The other choices stay. Returns ErrInvalid for
// days out of range, ErrNotFound for an unknown customer.
func SetReminderDays(ctx context.Context, tx *db.Tx, customerID int64, days int, actor, ip string) error {
	if days != 0 && (days < DueReminderDaysMin || days > DueReminderDaysMax) {
		return fmt.Errorf("reminder %d days, want 0 or %d–%d: %w", days, DueReminderDaysMin, DueReminderDaysMax, ErrInvalid)
	}
	p, err := Get(ctx, tx, customerID)
	if err != nil {
		return err
	}
	c := Change{Alerts: p.Alerts, DueReminderDays: p.DueReminderDays, Lang: p.Lang}
	switch due := c.Alerts[DueReminder]; {
	case days == 0:
		c.Alerts[DueReminder] = Channels{}
	case !due.Email && !due.SMS:
		c.Alerts[DueReminder] = Channels{Email: true}
		c.DueReminderDays = days
	default:
		c.DueReminderDays = days
	}
	return Set(ctx, tx, customerID, c, actor, ip)
}

// ShouldNotify reports whether alert k may be sent to the customer on ch,
// reading in q (a transaction or the read pool). Security alerts always
// may. Returns ErrNotFound for an unknown customer, or the database's
// error: the caller decides whether a failed read skips or sends.
func ShouldNotify(ctx context.Context, q db.Querier, customerID int64, k Kind, ch notify.Channel) (bool, error) {
	if k == Security {
		return true, nil
	}
	p, err := Get(ctx, q, customerID)
	if err != nil {
		return false, err
	}
	return p.Allows(k, ch), nil
}

// Change is what the customer chose on the preferences page.
type Change struct {
	Alerts          map[Kind]Channels
	DueReminderDays int
	// Lang is the language of messages; "" keeps the one saved.
	Lang string
}

// Set saves a customer's choices in tx and audits what changed (actor is
// "login:ID" or "staff:ID"). Turning texts on for the first time, or again
// after the phone changed, records the consent with the phone on file and
// tx.Now(). Returns ErrInvalid for days out of range, an unknown kind or
// a language carfin does not write in, ErrNoPhone for texts without a
// phone on file, ErrNotFound for an unknown customer.
func Set(ctx context.Context, tx *db.Tx, customerID int64, c Change, actor, ip string) error {
	if c.DueReminderDays < DueReminderDaysMin || c.DueReminderDays > DueReminderDaysMax {
		return fmt.Errorf("due reminder %d days, want %d–%d: %w", c.DueReminderDays, DueReminderDaysMin, DueReminderDaysMax, ErrInvalid)
	}
	if c.Lang != "" && notify.Lang(c.Lang) != c.Lang {
		return fmt.Errorf("language %q: %w", c.Lang, ErrInvalid)
	}
	wantSMS := false
	for k, ch := range c.Alerts {
		if k != DueReminder && k != PaymentReceived && k != StatementReady {
			return fmt.Errorf("alert kind %q: %w", k, ErrInvalid)
		}
		wantSMS = wantSMS || ch.SMS
	}
	old, err := Get(ctx, tx, customerID)
	if err != nil {
		return err
	}
	if wantSMS && old.Phone == "" {
		return ErrNoPhone
	}
	smsPhone, smsAt := old.SMSPhone, sql.NullTime{Time: old.SMSConsentAt, Valid: !old.SMSConsentAt.IsZero()}
	consentNew := wantSMS && !old.SMSConsentOK()
	if consentNew {
		smsPhone, smsAt = old.Phone, sql.NullTime{Time: tx.Now(), Valid: true}
	}
	lang := c.Lang
	if lang == "" {
		lang = old.Lang
	}
	a := func(k Kind) Channels { return c.Alerts[k] }
	if _, err := tx.ExecContext(ctx, `INSERT INTO notification_preferences (customer_id, due_reminder_email, due_reminder_sms, due_reminder_days,
		payment_received_email, payment_received_sms, statement_ready_email, statement_ready_sms, sms_consent_phone, sms_consent_at, updated_at, lang)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (customer_id) DO UPDATE SET due_reminder_email = excluded.due_reminder_email, due_reminder_sms = excluded.due_reminder_sms,
		due_reminder_days = excluded.due_reminder_days, payment_received_email = excluded.payment_received_email,
		payment_received_sms = excluded.payment_received_sms, statement_ready_email = excluded.statement_ready_email,
		statement_ready_sms = excluded.statement_ready_sms, sms_consent_phone = excluded.sms_consent_phone,
		sms_consent_at = excluded.sms_consent_at, updated_at = excluded.updated_at, lang = excluded.lang`,
		customerID, b(a(DueReminder).Email), b(a(DueReminder).SMS), c.DueReminderDays, b(a(PaymentReceived).Email), b(a(PaymentReceived).SMS),
		b(a(StatementReady).Email), b(a(StatementReady).SMS), smsPhone, smsAt, tx.Now(), lang); err != nil {
		return fmt.Errorf("save preferences of customer %d: %w", customerID, err)
	}
	details := map[string]string{"due_reminder_days": strconv.Itoa(c.DueReminderDays), "lang": lang}
	for _, k := range Kinds {
		details[string(k)+"_email"] = strconv.FormatBool(a(k).Email)
		details[string(k)+"_sms"] = strconv.FormatBool(a(k).SMS)
	}
	if consentNew {
		details["sms_consent"] = "given"
		details["sms_consent_phone"] = old.Phone
	}
	return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "preferences.change", Subject: fmt.Sprintf("customer:%d", customerID), IP: ip, Details: details})
}

// OptOutSMS turns every text alert off for the customers whose phone on
// file is phone, as when a text gateway reports a STOP reply (TCPA:
// revocation by any reasonable means). Returns the number of customers.
func OptOutSMS(ctx context.Context, tx *db.Tx, phone string) (int64, error) {
	if phone == "" {
		return 0, nil
	}
	r, err := tx.ExecContext(ctx, `UPDATE notification_preferences SET due_reminder_sms = 0, payment_received_sms = 0, statement_ready_sms = 0,
		sms_consent_phone = '', sms_consent_at = NULL, updated_at = $1
		WHERE customer_id IN (SELECT id FROM customers WHERE phone = $2)`, tx.Now(), phone)
	if err != nil {
		return 0, fmt.Errorf("SMS opt-out: %w", err)
	}
	n, _ := r.RowsAffected()
	if n > 0 {
		if err := audit.Record(ctx, tx, audit.Event{Actor: "system", Action: "preferences.sms_opt_out", Subject: "phone:" + phone}); err != nil {
			return 0, err
		}
	}
	return n, nil
}

func b(v bool) int {
	if v {
		return 1
	}
	return 0
}
