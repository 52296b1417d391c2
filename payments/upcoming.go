package payments

import (
	"context"
	"database/sql"
	"fmt"

	"carfin/calendar"
	"carfin/money"
)

// Next is a contract's next payment as the dashboard shows it: the
// soonest payment already scheduled, and whether autopay is on.
type Next struct {
	ContractID int64
	// Scheduled is the soonest scheduled or authorized payment (one-time
	// or an autopay debit already created); zero Date if none.
	ScheduledDate  calendar.Date
	ScheduledCents money.Cents
	ScheduledKind  string // one_time, autopay or retry
	// Autopay is set when an enrolment is active; its next debit is
	// AutopayDebit(next due date, installment).
	Autopay           bool
	AutopayDaysBefore int
	AutopayExtraCents money.Cents
}

// AutopayDebit returns the date and amount of the debit autopay will
// make for an installment of the given amount due on due.
func (n Next) AutopayDebit(due calendar.Date, installment money.Cents) (calendar.Date, money.Cents) {
	return debitDate(due, n.AutopayDaysBefore), installment + n.AutopayExtraCents
}

// Upcoming returns, for each of the customer's open contracts, its next
// scheduled payment and its autopay enrolment, in one query (the
// dashboard runs it on every visit home).
func (s *Service) Upcoming(ctx context.Context, customerID int64) (map[int64]Next, error) {
	soonest := `FROM payments p WHERE p.contract_id = c.id AND p.status IN ('scheduled', 'authorized') ORDER BY p.scheduled_date, p.id LIMIT 1`
	rows, err := s.db.Read.QueryContext(ctx, `SELECT c.id, (SELECT p.scheduled_date `+soonest+`), (SELECT p.amount_cents `+soonest+`),
		(SELECT p.kind `+soonest+`), a.days_before, a.extra_cents
		FROM contracts c LEFT JOIN autopay_enrolments a ON a.contract_id = c.id AND a.status = 'active'
		WHERE c.customer_id = $1 AND c.state IN ('active', 'matured')`, customerID)
	if err != nil {
		return nil, fmt.Errorf("upcoming payments of customer %d: %w", customerID, err)
	}
	defer rows.Close()
	out := map[int64]Next{}
	for rows.Next() {
		var n Next
		var date calendar.Date
		var amount, days, extra sql.NullInt64
		var kind sql.NullString
		if err := rows.Scan(&n.ContractID, &date, &amount, &kind, &days, &extra); err != nil {
			return nil, err
		}
		n.ScheduledDate, n.ScheduledCents, n.ScheduledKind = date, money.Cents(amount.Int64), kind.String
		n.Autopay, n.AutopayDaysBefore, n.AutopayExtraCents = days.Valid, int(days.Int64), money.Cents(extra.Int64)
		out[n.ContractID] = n
	}
	return out, rows.Err()
}
