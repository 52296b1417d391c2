// Package casefile is everything staff look up about a customer in the
// console. Today: finding the customer (Search, search.go) by name,
// account number, email, phone or the last six characters of the VIN.
//
// Rules:
//   - A search result shows masked data only (Hit): the name, the city
//     and state, account numbers' last four characters, the email's first
//     letter and domain, the phone's last four digits, and the vehicles.
//     Whoever sees a hit has not yet verified the caller (package
//     callers), so a hit must not give away what a caller is asked to
//     prove.
//   - The kind of a query is read from its shape (Classify), so the agent
//     types into one box; each kind is an index lookup (migration 00550),
//     and results are bounded (HitsMax).
//
// The package never imports net/http.
package casefile

import (
	"carfin/db"
)

// Service is the case file capability.
type Service struct {
	db  *db.DB
	cfg Config
}

// Config configures the Service.
type Config struct {
	// AccountDigits is the length of the lender's account numbers when
	// they are digits only: a query of that many digits is an account
	// number, not a phone number or a VIN. 0 when account numbers are not
	// all digits (a query with a digit and a hyphen, or digits and letters
	// that are not a VIN's end, is still an account number).
	AccountDigits int
}

// New returns the case file capability.
func New(d *db.DB, cfg Config) *Service { return &Service{db: d, cfg: cfg} }
