package preferences_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/notify"
	"carfin/preferences"
	"carfin/servicing"
)

func TestPreferences(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		sv := servicing.New(d, func(t time.Time) calendar.Date { return calendar.Of(t) })
		cust, err := sv.CreateCustomer(ctx, servicing.NewCustomer{FirstName: "Ann", LastName: "Quinn", Email: "ann@example.com", Phone: "+15552010123",
			AddressLine1: "1 Main St", City: "Springfield", State: "IL", ZIP: "62701", BirthDate: calendar.MustParse("1980-01-01"), SSNLast4: "1234"})
		if err != nil {
			t.Fatal(err)
		}
		should := func(k preferences.Kind, ch notify.Channel) bool {
			t.Helper()
			ok, err := preferences.ShouldNotify(ctx, d.Read, cust, k, ch)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		// Defaults: email on, texts off, security always.
		if !should(preferences.DueReminder, notify.Email) || should(preferences.DueReminder, notify.SMS) ||
			!should(preferences.Security, notify.SMS) || !should(preferences.Security, notify.Email) {
			t.Fatal("defaults")
		}
		if _, err := preferences.ShouldNotify(ctx, d.Read, cust+99, preferences.DueReminder, notify.Email); !errors.Is(err, preferences.ErrNotFound) {
			t.Fatalf("unknown customer: %v", err)
		}
		set := func(c preferences.Change) error {
			return d.InTx(ctx, func(tx *db.Tx) error { return preferences.Set(ctx, tx, cust, c, "login:1", "192.0.2.1") })
		}
		for _, days := range []int{0, 16} {
			if err := set(preferences.Change{DueReminderDays: days}); !errors.Is(err, preferences.ErrInvalid) {
				t.Errorf("%d days: %v", days, err)
			}
		}
		if err := set(preferences.Change{DueReminderDays: 3, Alerts: map[preferences.Kind]preferences.Channels{preferences.Security: {}}}); !errors.Is(err, preferences.ErrInvalid) {
			t.Errorf("security is not a preference: %v", err)
		}
		err = set(preferences.Change{DueReminderDays: 3, Alerts: map[preferences.Kind]preferences.Channels{
			preferences.DueReminder: {Email: false, SMS: true}, preferences.PaymentReceived: {Email: true}}})
		if err != nil {
			t.Fatal(err)
		}
		p, _ := preferences.Get(ctx, d.Read, cust)
		if !p.Saved || p.DueReminderDays != 3 || p.SMSPhone != "+15552010123" || p.SMSConsentAt.IsZero() {
			t.Fatalf("saved: %+v", p)
		}
		if should(preferences.DueReminder, notify.Email) || !should(preferences.DueReminder, notify.SMS) ||
			!should(preferences.PaymentReceived, notify.Email) || should(preferences.StatementReady, notify.Email) {
			t.Fatal("after saving")
		}
		// A new phone number needs the consent again.
		if _, err := d.SQL.Exec(`UPDATE customers SET phone = '+15552019999' WHERE id = $1`, cust); err != nil {
			t.Fatal(err)
		}
		if should(preferences.DueReminder, notify.SMS) {
			t.Fatal("texts to a number without consent")
		}
		// A STOP reply turns texts off.
		if err := set(preferences.Change{DueReminderDays: 3, Alerts: map[preferences.Kind]preferences.Channels{preferences.DueReminder: {SMS: true}}}); err != nil {
			t.Fatal(err)
		}
		if !should(preferences.DueReminder, notify.SMS) {
			t.Fatal("consent for the new number")
		}
		err = d.InTx(ctx, func(tx *db.Tx) error {
			n, err := preferences.OptOutSMS(ctx, tx, "+15552019999")
			if err == nil && n != 1 {
				t.Errorf("opt-out of %d customers", n)
			}
			return err
		})
		if err != nil || should(preferences.DueReminder, notify.SMS) {
			t.Fatalf("after STOP: %v", err)
		}
		// Without a phone, texts cannot be turned on.
		if _, err := d.SQL.Exec(`UPDATE customers SET phone = '' WHERE id = $1`, cust); err != nil {
			t.Fatal(err)
		}
		if err := set(preferences.Change{DueReminderDays: 3, Alerts: map[preferences.Kind]preferences.Channels{preferences.DueReminder: {SMS: true}}}); !errors.Is(err, preferences.ErrNoPhone) {
			t.Fatalf("texts without a phone: %v", err)
		}
		var events int
		_ = d.Read.QueryRow(`SELECT count(*) FROM audit_events WHERE action = 'preferences.change'`).Scan(&events)
		if events != 2 {
			t.Errorf("%d audit events", events)
		}
	})
}

// TestReminderDays: the autopay pages' reminder setting is the due
// reminder's lead time; 0 turns it off everywhere, and a later choice of
// days turns it back on by email; other choices stay.
func TestReminderDays(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		sv := servicing.New(d, func(t time.Time) calendar.Date { return calendar.Of(t) })
		cust, err := sv.CreateCustomer(ctx, servicing.NewCustomer{FirstName: "Ben", LastName: "Quinn", Email: "ben@example.com",
			AddressLine1: "1 Main St", City: "Springfield", State: "IL", ZIP: "62701", BirthDate: calendar.MustParse("1980-01-01"), SSNLast4: "1234"})
		if err != nil {
			t.Fatal(err)
		}
		set := func(days int) error {
			return d.InTx(ctx, func(tx *db.Tx) error { return preferences.SetReminderDays(ctx, tx, cust, days, "login:1", "192.0.2.1") })
		}
		days := func() int {
			t.Helper()
			n, err := preferences.ReminderDays(ctx, d.Read, cust)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if days() != preferences.DueReminderDaysDefault {
			t.Fatalf("default %d", days())
		}
		for _, bad := range []int{-1, 16} {
			if err := set(bad); !errors.Is(err, preferences.ErrInvalid) {
				t.Errorf("%d days: %v", bad, err)
			}
		}
		if err := set(0); err != nil || days() != 0 {
			t.Fatalf("off: %v, %d days", err, days())
		}
		p, _ := preferences.Get(ctx, d.Read, cust)
		if p.Allows(preferences.DueReminder, notify.Email) || !p.Allows(preferences.PaymentReceived, notify.Email) || p.DueReminderDays != preferences.DueReminderDaysDefault {
			t.Errorf("after off: %+v", p)
		}
		if err := set(2); err != nil || days() != 2 {
			t.Fatalf("2 days: %v, %d days", err, days())
		}
		if p, _ = preferences.Get(ctx, d.Read, cust); !p.Allows(preferences.DueReminder, notify.Email) {
			t.Errorf("back on: %+v", p)
		}
		if err := set(preferences.DueReminderDaysMax + 1); err == nil {
			t.Error("16 days accepted")
		}
		if err := d.InTx(ctx, func(tx *db.Tx) error { return preferences.SetReminderDays(ctx, tx, cust+99, 3, "x", "") }); !errors.Is(err, preferences.ErrNotFound) {
			t.Errorf("unknown customer: %v", err)
		}
	})
}

// TestLanguage: messages are in English until the customer chooses
// Spanish; the choice stays when other preferences change (the autopay
// pages' reminder days); a language carfin does not write in is refused.
func TestLanguage(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		sv := servicing.New(d, func(t time.Time) calendar.Date { return calendar.Of(t) })
		cust, err := sv.CreateCustomer(ctx, servicing.NewCustomer{FirstName: "Eva", LastName: "Quinn", Email: "eva@example.com",
			AddressLine1: "1 Main St", City: "Springfield", State: "IL", ZIP: "62701", BirthDate: calendar.MustParse("1980-01-01"), SSNLast4: "1234"})
		if err != nil {
			t.Fatal(err)
		}
		lang := func() string {
			t.Helper()
			p, err := preferences.Get(ctx, d.Read, cust)
			if err != nil {
				t.Fatal(err)
			}
			return p.Lang
		}
		inTx := func(f func(tx *db.Tx) error) error { return d.InTx(ctx, f) }
		if lang() != "en" {
			t.Fatalf("default %q", lang())
		}
		for _, tc := range []struct {
			name, lang string
			err        error
			want       string
		}{
			{"Spanish", "es", nil, "es"},
			{"unchanged when not given", "", nil, "es"},
			{"French is refused", "fr", preferences.ErrInvalid, "es"},
			{"English", "en", nil, "en"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := inTx(func(tx *db.Tx) error {
					return preferences.Set(ctx, tx, cust, preferences.Change{DueReminderDays: 5, Lang: tc.lang}, "login:1", "192.0.2.1")
				})
				if !errors.Is(err, tc.err) || lang() != tc.want {
					t.Errorf("err %v, language %q; want %v, %q", err, lang(), tc.err, tc.want)
				}
			})
		}
		if err := inTx(func(tx *db.Tx) error {
			return preferences.Set(ctx, tx, cust, preferences.Change{DueReminderDays: 5, Lang: "es"}, "login:1", "192.0.2.1")
		}); err != nil {
			t.Fatal(err)
		}
		if err := inTx(func(tx *db.Tx) error { return preferences.SetReminderDays(ctx, tx, cust, 3, "login:1", "192.0.2.1") }); err != nil || lang() != "es" {
			t.Errorf("after the reminder days: %v, %q", err, lang())
		}
	})
}
