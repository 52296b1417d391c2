package casefile

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"carfin/callers"
)

// ErrNotFound is a customer that does not exist.
var ErrNotFound = errors.New("no such customer")

// Header is what every staff page about a customer shows at its top.
// Masked is all an agent sees before the caller is verified (or the
// account opened for work); Contact is shown only after.
type Header struct {
	CustomerID    int64
	Name          string
	City, State   string
	CustomerSince time.Time
	// Accounts are the contracts with masked numbers, oldest first.
	Accounts []Account
	// Contact is the full contact data on file, for a verified view.
	Contact Contact
}

// Contact is a customer's contact data on file.
type Contact struct {
	Email, Phone               string
	AddressLine1, AddressLine2 string
	ZIP                        string
	AccountNumbers             map[int64]string // contract id → full account number
}

// Header returns the customer's header. Returns ErrNotFound.
func (s *Service) Header(ctx context.Context, customerID int64) (Header, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT c.id, c.first_name, c.last_name, c.city, c.state, c.created_at,
		c.email, c.phone, c.address_line1, c.address_line2, c.zip,
		COALESCE(k.id, 0), COALESCE(k.account_number, ''), COALESCE(k.kind, ''), COALESCE(k.state, ''),
		COALESCE(v.year, 0), COALESCE(v.make, ''), COALESCE(v.model, '')
		FROM customers c LEFT JOIN contracts k ON k.customer_id = c.id LEFT JOIN vehicles v ON v.id = k.vehicle_id
		WHERE c.id = $1 ORDER BY k.id LIMIT $2`, customerID, accountsPerHitMax)
	if err != nil {
		return Header{}, fmt.Errorf("customer %d: %w", customerID, err)
	}
	defer rows.Close()
	var h Header
	for rows.Next() {
		var first, last string
		var a Account
		var since sql.NullTime
		c := &h.Contact
		if err := rows.Scan(&h.CustomerID, &first, &last, &h.City, &h.State, &since, &c.Email, &c.Phone, &c.AddressLine1, &c.AddressLine2, &c.ZIP,
			&a.ContractID, &a.Number, &a.Kind, &a.Status, &a.VehicleYear, &a.VehicleMake, &a.VehicleModel); err != nil {
			return Header{}, fmt.Errorf("customer %d: %w", customerID, err)
		}
		h.Name, h.CustomerSince = strings.TrimSpace(first+" "+last), since.Time
		if a.ContractID != 0 {
			if c.AccountNumbers == nil {
				c.AccountNumbers = map[int64]string{}
			}
			c.AccountNumbers[a.ContractID] = a.Number
			a.Number = callers.MaskAccount(a.Number)
			h.Accounts = append(h.Accounts, a)
		}
	}
	if err := rows.Err(); err != nil {
		return Header{}, fmt.Errorf("customer %d: %w", customerID, err)
	}
	if h.CustomerID == 0 {
		return Header{}, ErrNotFound
	}
	return h, nil
}

// HasContract reports whether contractID is one of the header's
// customer's contracts (a staff route naming both checks it).
func (h Header) HasContract(contractID int64) bool {
	for _, a := range h.Accounts {
		if a.ContractID == contractID {
			return true
		}
	}
	return false
}
