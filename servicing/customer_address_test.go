package servicing_test

import (
	"errors"
	"strings"
	"testing"

	"carfin/calendar"
	"carfin/servicing"
)

// TestNewCustomerAddress: the lender's hand-over is held to the same
// address rules as the customer's own change in the portal (package
// postal): lines of at most 40 characters, a city of at most 28, a real
// USPS state, a ZIP or ZIP+4, letters a letter can print.
func TestNewCustomerAddress(t *testing.T) {
	today := calendar.MustParse("2026-11-18")
	base := servicing.NewCustomer{FirstName: "Ana", LastName: "Peña", Email: "ana@example.com", AddressLine1: "1 Main St",
		City: "Springfield", State: "IL", ZIP: "62701", BirthDate: calendar.MustParse("1980-01-01"), SSNLast4: "1234"}
	for _, tc := range []struct {
		name string
		edit func(*servicing.NewCustomer)
		ok   bool
	}{
		{"as given", func(*servicing.NewCustomer) {}, true},
		{"40-character line", func(c *servicing.NewCustomer) { c.AddressLine1 = strings.Repeat("W", 40) }, true},
		{"41-character line", func(c *servicing.NewCustomer) { c.AddressLine1 = strings.Repeat("W", 41) }, false},
		{"500-character line", func(c *servicing.NewCustomer) { c.AddressLine1 = strings.Repeat("1 Main St ", 50) }, false},
		{"41-character second line", func(c *servicing.NewCustomer) { c.AddressLine2 = strings.Repeat("W", 41) }, false},
		{"28-character city", func(c *servicing.NewCustomer) { c.City = strings.Repeat("x", 28) }, true},
		{"29-character city", func(c *servicing.NewCustomer) { c.City = strings.Repeat("x", 29) }, false},
		{"accents", func(c *servicing.NewCustomer) {
			c.AddressLine1, c.City, c.State, c.ZIP = "12 Peña Blvd", "Española", "NM", "87532"
		}, true},
		{"another script", func(c *servicing.NewCustomer) { c.City = "東京" }, false},
		{"two letters that are no state", func(c *servicing.NewCustomer) { c.State = "XX" }, false},
		{"lower-case state", func(c *servicing.NewCustomer) { c.State = "il" }, false},
		{"territory", func(c *servicing.NewCustomer) { c.State, c.ZIP = "PR", "00901" }, true},
		{"ZIP+4", func(c *servicing.NewCustomer) { c.ZIP = "62701-1234" }, true},
		{"short ZIP", func(c *servicing.NewCustomer) { c.ZIP = "6270" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.edit(&c)
			err := c.Validate(today)
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, servicing.ErrInvalid)) {
				t.Errorf("Validate = %v", err)
			}
		})
	}
}
