package casefile

import (
	"context"
	"strconv"

	"carfin/audit"
	"carfin/db"
)

// Opened records in the audit log that the staff login by opened a page
// of customerID's record (page names it: "account", "contract:12",
// "audit"), and whether it showed the account in full or only masked.
// Every record a staff member opens is written down, as who looked at
// what is the first question after a leak.
func (s *Service) Opened(ctx context.Context, by, customerID int64, page string, full bool, ip string) error {
	view := "masked"
	if full {
		view = "full"
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		return audit.Record(ctx, tx, audit.Event{Actor: "staff:" + strconv.FormatInt(by, 10), Action: "customer.view",
			Subject: "customer:" + strconv.FormatInt(customerID, 10), IP: ip, Details: map[string]string{"page": page, "view": view}})
	})
}

// AuditTrail returns the newest audit events about the customer of h:
// the customer, their login (loginID, 0 for none) and their contracts,
// and what the customer did themselves,
// newest first, before the event seq before (0: the newest), at most
// limit.
func (s *Service) AuditTrail(ctx context.Context, h Header, loginID, before int64, limit int) ([]audit.Entry, error) {
	customer := "customer:" + strconv.FormatInt(h.CustomerID, 10)
	subjects, actors := []string{customer}, []string{customer}
	if loginID != 0 {
		login := "login:" + strconv.FormatInt(loginID, 10)
		subjects, actors = append(subjects, login), append(actors, login)
	}
	for _, a := range h.Accounts {
		subjects = append(subjects, "contract:"+strconv.FormatInt(a.ContractID, 10))
	}
	return audit.ForSubjects(ctx, s.db, subjects, actors, before, limit)
}
