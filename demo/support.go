package demo

import (
	"context"
	"fmt"

	"carfin/db"
	"carfin/identity"
	"carfin/support"
)

// SupportStaffEmail is the demo's support agent (a staff login nobody
// signs in with: its password is random and never shown).
const SupportStaffEmail = "support@northwind.example"

// SupportConversation gives the demo customer a secure-message thread
// that support has answered, so the Messages page shows a conversation
// with an unread reply; the reply's email links to the portal at baseURL.
// It does nothing when the customer has a thread.
func SupportConversation(ctx context.Context, d *db.DB, id *identity.Service, customerID int64, baseURL string) error {
	var threads int
	if err := d.Read.QueryRowContext(ctx, `SELECT count(*) FROM support_threads WHERE customer_id = $1`, customerID).Scan(&threads); err != nil {
		return fmt.Errorf("demo messages: %w", err)
	}
	if threads > 0 {
		return nil
	}
	var staffID int64
	err := d.Read.QueryRowContext(ctx, `SELECT id FROM logins WHERE realm = 'staff' AND email = $1`, SupportStaffEmail).Scan(&staffID)
	if err != nil {
		if staffID, err = id.CreateStaff(ctx, SupportStaffEmail, "Northwind support", randomPassword()); err != nil {
			return fmt.Errorf("demo support agent: %w", err)
		}
	}
	sup := support.New(d, support.Config{LenderName: LenderName, BaseURL: baseURL})
	tid, err := sup.StartThread(ctx, customerID, "en", "Can I move my due date?",
		"Hello,\n\nMy pay day changed to the 20th. Could my loan payment be due a few days later each month?\n\nThank you,\nRiley", nil)
	if err != nil {
		return fmt.Errorf("demo messages: %w", err)
	}
	if _, err := sup.StaffReply(ctx, staffID, tid, "Hello Riley,\n\nYes: we can move the due date of your loan to the 22nd, starting next month. "+
		"Interest keeps accruing daily, so the first payment after the change is a little higher.\n\n"+
		"Reply \"yes\" to this message and we will make the change.\n\nNorthwind customer service", nil); err != nil {
		return fmt.Errorf("demo messages: %w", err)
	}
	return nil
}
