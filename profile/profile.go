// Package profile is the customer's own record in the portal: contact
// details as the lender holds them (the customers table), the mailing
// address they may change, and paperless consent under E-SIGN. Email and
// phone changes need a code sent to the new address or number, so they
// live with the logins in identity (identity/contact.go); alert
// preferences live in package preferences, where every sender can ask.
//
// Every function takes the customer's id from the signed-in session and
// reads or writes only that customer's rows.
package profile

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"carfin/audit"
	"carfin/db"
	"carfin/fields"
	"carfin/locale"
	"carfin/postal"
	"carfin/preferences"
)

// Service is the profile capability.
type Service struct {
	db     *db.DB
	lender string
}

// New returns the profile capability; lender names the lender in emails.
func New(d *db.DB, lender string) *Service { return &Service{db: d, lender: lender} }

// Errors callers branch on.
var (
	// ErrNotFound is an unknown customer.
	ErrNotFound = errors.New("customer not found")
)

// Actor is who makes a change, as the web layer knows them.
type Actor struct {
	LoginID   int64
	IP        string
	UserAgent string
	// Lang is the language of the confirmation emails ("en", "es").
	Lang string
	// Zone is the lender's time zone, in which the confirmation emails
	// say when, as every other message does (UTC when nil).
	Zone *time.Location
}

func (a Actor) subject() string { return fmt.Sprintf("login:%d", a.LoginID) }

// moment words t for a confirmation email: "November 24, 2026 at 5:00 PM
// EST" in the lender's zone and the email's language.
func (a Actor) moment(t time.Time) string {
	loc := a.Zone
	if loc == nil {
		loc = time.UTC
	}
	return locale.Moment(a.Lang, t.In(loc))
}

// Address is a US mailing address.
type Address struct {
	Line1, Line2 string
	City         string
	// State is the USPS two-letter code of a state, DC or a territory
	// (postal.ValidState).
	State string
	// ZIP is 12345 or 12345-6789.
	ZIP string
}

// Contact is the customer's contact details on file.
type Contact struct {
	CustomerID          int64
	FirstName, LastName string
	Email               string
	// Phone is E.164 (+15555550123), or "" when none.
	Phone   string
	Address Address
}

// Contact returns the customer's contact details. Returns ErrNotFound.
func (s *Service) Contact(ctx context.Context, customerID int64) (Contact, error) {
	return contactOf(ctx, s.db.Read, customerID)
}

func contactOf(ctx context.Context, q db.Querier, customerID int64) (Contact, error) {
	c := Contact{CustomerID: customerID}
	err := q.QueryRowContext(ctx, `SELECT first_name, last_name, email, phone, address_line1, address_line2, city, state, zip
		FROM customers WHERE id = $1`, customerID).Scan(&c.FirstName, &c.LastName, &c.Email, &c.Phone,
		&c.Address.Line1, &c.Address.Line2, &c.Address.City, &c.Address.State, &c.Address.ZIP)
	if errors.Is(err, sql.ErrNoRows) {
		return Contact{}, ErrNotFound
	}
	if err != nil {
		return Contact{}, fmt.Errorf("read contact of customer %d: %w", customerID, err)
	}
	return c, nil
}

// Reasons a field is refused, the values of FieldErrors (package fields).
const (
	Required = fields.Required
	TooLong  = fields.TooLong
	Invalid  = fields.Invalid
)

// FieldErrors is the error of bad input (fields.Errors): each refused
// field with why; nothing was written.
type FieldErrors = fields.Errors

// Normalized returns the address trimmed, with the state upper-cased and
// runs of spaces collapsed.
func (a Address) Normalized() Address {
	clean := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	return Address{Line1: clean(a.Line1), Line2: clean(a.Line2), City: clean(a.City), State: strings.ToUpper(clean(a.State)), ZIP: clean(a.ZIP)}
}

// Validate returns the problems of a normalized address, or nil: each
// line at most postal.LineRunesMax characters and the city at most
// postal.CityRunesMax (the Postal Service's limits, which the letters'
// address blocks are laid out for), in characters the letters print
// (postal.Printable: Latin letters with accents, digits, punctuation), a
// real USPS state code, a ZIP or ZIP+4, and no markup.
func (a Address) Validate() FieldErrors {
	e := FieldErrors{}
	text := func(field, v string, required bool, maxRunes int) {
		switch {
		case required && v == "":
			e[field] = Required
		case utf8.RuneCountInString(v) > maxRunes:
			e[field] = TooLong
		case !utf8.ValidString(v) || !postal.Printable(v) || strings.ContainsAny(v, "<>"):
			e[field] = Invalid
		}
	}
	text("line1", a.Line1, true, postal.LineRunesMax)
	text("line2", a.Line2, false, postal.LineRunesMax)
	text("city", a.City, true, postal.CityRunesMax)
	switch {
	case a.State == "":
		e["state"] = Required
	case !postal.ValidState(a.State):
		e["state"] = Invalid
	}
	switch {
	case a.ZIP == "":
		e["zip"] = Required
	case !postal.ValidZIP(a.ZIP):
		e["zip"] = Invalid
	}
	if len(e) == 0 {
		return nil
	}
	return e
}

// UpdateAddress replaces the customer's mailing address (the lender mails
// statements, notices and the title there). The change is audited with
// the old and new address, and the customer gets a security notice by
// email, always (preferences.Security), so that a change they did not
// make does not go unseen. Returns FieldErrors for bad input (nothing is
// written) or ErrNotFound.
func (s *Service) UpdateAddress(ctx context.Context, customerID int64, a Address, by Actor) error {
	a = a.Normalized()
	if errs := a.Validate(); errs != nil {
		return errs
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		old, err := contactOf(ctx, tx, customerID)
		if err != nil {
			return err
		}
		if old.Address == a {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET address_line1 = $1, address_line2 = $2, city = $3, state = $4, zip = $5 WHERE id = $6`,
			a.Line1, a.Line2, a.City, a.State, a.ZIP, customerID); err != nil {
			return fmt.Errorf("update address of customer %d: %w", customerID, err)
		}
		if err := audit.Record(ctx, tx, audit.Event{Actor: by.subject(), Action: "contact.address_change", Subject: fmt.Sprintf("customer:%d", customerID),
			IP: by.IP, Details: map[string]string{"old": oneLine(old.Address), "new": oneLine(a)}}); err != nil {
			return err
		}
		return s.send(ctx, tx, old.Email, "address_changed", by.Lang, map[string]string{"Name": old.FirstName, "Address": oneLine(a),
			"When": by.moment(tx.Now())})
	})
}

// OneLine is the address on one line, for lists and notices.
func (a Address) OneLine() string { return oneLine(a) }

func oneLine(a Address) string {
	parts := []string{a.Line1}
	if a.Line2 != "" {
		parts = append(parts, a.Line2)
	}
	return strings.Join(append(parts, a.City+", "+a.State+" "+a.ZIP), ", ")
}

// Preferences returns the customer's alert preferences.
func (s *Service) Preferences(ctx context.Context, customerID int64) (preferences.Preferences, error) {
	p, err := preferences.Get(ctx, s.db.Read, customerID)
	if errors.Is(err, preferences.ErrNotFound) {
		return p, ErrNotFound
	}
	return p, err
}

// SetReminderDays sets how many days ahead due and autopay reminders
// come, 0 for none (see preferences.SetReminderDays for the rules and
// errors): the autopay pages offer this one choice.
func (s *Service) SetReminderDays(ctx context.Context, customerID int64, days int, by Actor) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		return preferences.SetReminderDays(ctx, tx, customerID, days, by.subject(), by.IP)
	})
}

// SetPreferences saves the customer's alert preferences (see
// preferences.Set for the rules and errors).
func (s *Service) SetPreferences(ctx context.Context, customerID int64, c preferences.Change, by Actor) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		return preferences.Set(ctx, tx, customerID, c, by.subject(), by.IP)
	})
}
