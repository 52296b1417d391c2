package servicing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"carfin/calendar"
	"carfin/db"
	"carfin/money"
)

// The read side for the customer portal and the staff console. Every
// function that takes a customer id scopes its SQL by it, so that a
// customer can never read another's contract (ErrNotFound, not a refusal
// that would confirm the contract exists).

// ContractRef is one of a customer's contracts in a list.
type ContractRef struct {
	ID            int64
	AccountNumber string
	Kind          Kind
	Status        Status
	VehicleYear   int
	Make, Model   string
	VINLast6      string
}

// CustomerContracts lists a customer's contracts, open ones first.
func (sv *Service) CustomerContracts(ctx context.Context, customerID int64) ([]ContractRef, error) {
	rows, err := sv.db.Read.QueryContext(ctx, `SELECT c.id, c.account_number, c.kind, c.state, v.year, v.make, v.model, v.vin
		FROM contracts c JOIN vehicles v ON v.id = c.vehicle_id WHERE c.customer_id = $1
		ORDER BY CASE WHEN c.state IN ('active', 'matured') THEN 0 ELSE 1 END, c.id`, customerID)
	if err != nil {
		return nil, fmt.Errorf("contracts of customer %d: %w", customerID, err)
	}
	defer rows.Close()
	var out []ContractRef
	for rows.Next() {
		var r ContractRef
		var kind, status, vin string
		if err := rows.Scan(&r.ID, &r.AccountNumber, &kind, &status, &r.VehicleYear, &r.Make, &r.Model, &vin); err != nil {
			return nil, err
		}
		r.Kind, r.Status, r.VINLast6 = Kind(kind), Status(status), vin[len(vin)-6:]
		out = append(out, r)
	}
	return out, rows.Err()
}

// Summary is a contract at a glance, as the dashboard shows it.
type Summary struct {
	ContractRef
	CustomerID          int64
	AmountFinancedCents money.Cents
	APR                 money.Rate
	MoneyFactor         money.MoneyFactor // leases
	TermMonths          int
	PaymentCents        money.Cents
	ContractDate        calendar.Date
	FirstDue            calendar.Date
	MaturityDate        calendar.Date
	ClosedOn            calendar.Date

	PrincipalCents money.Cents // loans: principal; leases: net investment
	FeesCents      money.Cents
	BilledCents    money.Cents // leases: billed and unpaid (negative: credit)
	// AmountDueCents is what is due by NextDue: past-due installments,
	// the next installment, and fees.
	AmountDueCents money.Cents
	PastDueCents   money.Cents // installments already past their due date
	NextDue        calendar.Date
	NextDueCents   money.Cents // the next installment still owed, after partial payments
	DaysPastDue    int
	Bucket         string
	PayoffCents    money.Cents // payoff today
	PerDiemCents   money.Cents
	// LastPayment is the most recent payment still standing (not returned).
	LastPaymentDate   calendar.Date
	LastPaymentCents  money.Cents
	RemainingPayments int
	// ReturnedPayment is set when a payment was returned in the last 60 days.
	ReturnedPayment bool
	// Leases.
	MileageAllowance int64
	MaturesWithin90  bool
	BusinessDate     calendar.Date
}

// returnedRecentDays is how long the dashboard flags a returned payment.
const returnedRecentDays = 60

// ContractSummary returns a contract of the customer at a glance, as of
// the lender's business date. It returns ErrNotFound if the contract does
// not exist or is not the customer's.
func (sv *Service) ContractSummary(ctx context.Context, customerID, contractID int64) (Summary, error) {
	return db.Snapshot(ctx, sv.db, func(q db.Querier) (Summary, error) { return sv.contractSummary(ctx, q, customerID, contractID) })
}

// contractSummary is ContractSummary on q, which reads one snapshot: a
// payment or day close committing meanwhile shows whole or not at all.
func (sv *Service) contractSummary(ctx context.Context, q db.Querier, customerID, contractID int64) (Summary, error) {
	var s Summary
	var kind, status, vin string
	var mf, mileage sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT c.id, c.account_number, c.kind, c.state, v.year, v.make, v.model, v.vin, c.customer_id,
		c.amount_financed_cents, c.apr_rate, l.money_factor, c.term_months, c.payment_cents, c.contract_date, c.first_due_date,
		c.maturity_date, c.closed_on, l.mileage_allowance
		FROM contracts c JOIN vehicles v ON v.id = c.vehicle_id LEFT JOIN lease_terms l ON l.contract_id = c.id
		WHERE c.id = $1 AND c.customer_id = $2`, contractID, customerID).Scan(&s.ID, &s.AccountNumber, &kind, &status,
		&s.VehicleYear, &s.Make, &s.Model, &vin, &s.CustomerID, &s.AmountFinancedCents, &s.APR, &mf, &s.TermMonths,
		&s.PaymentCents, &s.ContractDate, &s.FirstDue, &s.MaturityDate, &s.ClosedOn, &mileage)
	if errors.Is(err, sql.ErrNoRows) {
		return Summary{}, fmt.Errorf("contract %d of customer %d: %w", contractID, customerID, ErrNotFound)
	}
	if err != nil {
		return Summary{}, fmt.Errorf("contract %d: %w", contractID, err)
	}
	s.Kind, s.Status, s.VINLast6 = Kind(kind), Status(status), vin[len(vin)-6:]
	s.MoneyFactor, s.MileageAllowance = money.MoneyFactor(mf.Int64), mileage.Int64
	t, st, err := loadTermsState(ctx, q, contractID)
	if err != nil {
		return Summary{}, err
	}
	today := sv.Today()
	summarize(&s, t, st, today)
	err = q.QueryRowContext(ctx, `SELECT e.effective_date, e.amount_cents FROM servicing_events e
		WHERE e.contract_id = $1 AND e.kind IN ('payment', 'payoff')
		AND NOT EXISTS (SELECT 1 FROM servicing_events r WHERE r.kind = 'reversal' AND r.target_event_id = e.id)
		ORDER BY e.effective_date DESC, e.id DESC LIMIT 1`, contractID).Scan(&s.LastPaymentDate, &s.LastPaymentCents)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Summary{}, err
	}
	var returned int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM servicing_events r JOIN servicing_events p ON p.id = r.target_event_id
		WHERE r.contract_id = $1 AND r.kind = 'reversal' AND p.kind IN ('payment', 'payoff') AND r.effective_date >= $2`,
		contractID, today.AddDays(-returnedRecentDays)).Scan(&returned); err != nil {
		return Summary{}, err
	}
	s.ReturnedPayment = returned > 0
	return s, nil
}

// countPastDue counts installments past due and unpaid (they are still
// "remaining payments").
func countPastDue(t *Terms, st State, today calendar.Date) int {
	n := 0
	for _, in := range t.Installments {
		if in.CumulativeCents > st.CreditedCents && in.Date < today {
			n++
		}
	}
	return n
}
