package payments

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/money"
)

// Rail is how a payment travels.
type Rail string

const (
	RailACH  Rail = "ach"
	RailCard Rail = "card"
)

// PaymentKind says who started a payment.
type PaymentKind string

const (
	OneTimePayment PaymentKind = "one_time"
	AutopayPayment PaymentKind = "autopay"
	RetryPayment   PaymentKind = "retry" // a re-presentment of a returned payment
)

// Status is where a payment stands; see the package comment.
type Status string

const (
	StatusScheduled  Status = "scheduled"
	StatusAuthorized Status = "authorized"
	StatusPending    Status = "pending"
	StatusSettled    Status = "settled"
	StatusCancelled  Status = "cancelled"
	StatusDeclined   Status = "declined"
	StatusFailed     Status = "failed"
	StatusSkipped    Status = "skipped"
	StatusReturned   Status = "returned"
)

// Payment is a payment as the portal shows it.
type Payment struct {
	ID              int64
	Confirmation    string
	CustomerID      int64
	ContractID      int64
	ContractAccount string
	MethodID        int64
	MethodLabel     string
	// PaidFrom is the method as far as a label needs it (kind, account
	// type, bank, last 4, card brand and expiry), for labels in other
	// languages.
	PaidFrom      Method
	Rail          Rail
	Kind          PaymentKind
	Status        Status
	StatusReason  string
	AmountCents   money.Cents
	FeeCents      money.Cents
	RefundedCents money.Cents
	// Date is the day the payment goes out and its effective date.
	Date              calendar.Date
	InstallmentNumber int
	Presentment       int
	// ChangeDeadline is when the customer can no longer change or cancel
	// the payment (the cut-off of the business day before Date); zero when
	// it cannot be changed at all.
	ChangeDeadline time.Time
	// Return is set for a returned payment.
	Return    *ReturnInfo
	CreatedAt time.Time
	// Duplicate is set when Pay found the idempotency key already used by
	// this same payment (a double click or reload).
	Duplicate bool
}

// ReturnInfo is a return as the customer's history shows it.
type ReturnInfo struct {
	Code        string
	Title       string
	Description string // in plain words
	Action      string // what the lender did about it
	On          time.Time
}

// StatusText is the status in a sentence, in English.
func (p Payment) StatusText() string { return statusText("en", p) }

// Editable reports whether the customer can still change or cancel it.
func (p Payment) Editable(now time.Time) bool {
	return !p.ChangeDeadline.IsZero() && now.Before(p.ChangeDeadline)
}

// changeDeadline is when a payment going out on date d stops being
// editable: the cut-off of the business day before d.
func (s *Service) changeDeadline(d calendar.Date) time.Time {
	return s.cfg.Cutoff.Deadline(calendar.PreviousBusinessDay(d)).UTC()
}

const paymentColumns = `p.id, p.customer_id, p.contract_id, c.account_number, p.method_id, p.rail, p.kind, p.status, p.status_reason,
	p.amount_cents, p.fee_cents, p.refunded_cents, p.scheduled_date, COALESCE(p.installment_number, 0), p.presentment, p.created_at,
	m.kind, COALESCE(m.account_type, ''), m.bank_name, m.last4, COALESCE(m.card_brand, ''), COALESCE(m.exp_month, 0), COALESCE(m.exp_year, 0),
	COALESCE(r.code, ''), COALESCE(r.title, ''), COALESCE(r.description, ''), COALESCE(r.action, ''), r.created_at`

const paymentFrom = ` FROM payments p JOIN contracts c ON c.id = p.contract_id JOIN payment_methods m ON m.id = p.method_id
	LEFT JOIN ach_returns r ON r.payment_id = p.id AND r.kind = 'return' AND r.code NOT IN (` + dishonorCodes + `)`

// dishonorCodes are the codes of ClassDishonored (ach.Dishonored and
// ach.Contested) in SQL: a dishonor is the banks' dispute about a return,
// not the payment's own return, so the payment's pages never show it.
const dishonorCodes = `'R61', 'R62', 'R67', 'R68', 'R69', 'R70', 'R71', 'R72', 'R73', 'R74', 'R75', 'R76', 'R77'`

func (s *Service) scanPayment(sc interface{ Scan(...any) error }) (Payment, error) {
	var p Payment
	var rail, kind, status, mkind string
	var m Method
	var rcode, rtitle, rdesc, raction string
	var rat sql.NullTime
	err := sc.Scan(&p.ID, &p.CustomerID, &p.ContractID, &p.ContractAccount, &p.MethodID, &rail, &kind, &status, &p.StatusReason,
		&p.AmountCents, &p.FeeCents, &p.RefundedCents, &p.Date, &p.InstallmentNumber, &p.Presentment, &p.CreatedAt,
		&mkind, &m.AccountType, &m.BankName, &m.Last4, &m.Brand, &m.ExpMonth, &m.ExpYear,
		&rcode, &rtitle, &rdesc, &raction, &rat)
	if err != nil {
		return p, err
	}
	p.Rail, p.Kind, p.Status = Rail(rail), PaymentKind(kind), Status(status)
	m.Kind, m.ID = MethodKind(mkind), p.MethodID
	p.MethodLabel, p.PaidFrom = m.Label(), m
	p.Confirmation = Confirmation(p.ID)
	p.CreatedAt = p.CreatedAt.UTC()
	if rcode != "" {
		p.Return = &ReturnInfo{Code: rcode, Title: rtitle, Description: rdesc, Action: raction, On: rat.Time.UTC()}
	}
	if p.Status == StatusScheduled && p.Kind == OneTimePayment {
		p.ChangeDeadline = s.changeDeadline(p.Date)
	}
	return p, nil
}

// Payment returns one of the customer's payments, or ErrNotFound.
func (s *Service) Payment(ctx context.Context, customerID, paymentID int64) (Payment, error) {
	return s.paymentTx(ctx, s.db.Read, customerID, paymentID)
}

func (s *Service) paymentTx(ctx context.Context, q db.Querier, customerID, paymentID int64) (Payment, error) {
	p, err := s.scanPayment(q.QueryRowContext(ctx, `SELECT `+paymentColumns+paymentFrom+` WHERE p.id = $1 AND p.customer_id = $2`, paymentID, customerID))
	if errors.Is(err, sql.ErrNoRows) {
		return Payment{}, fmt.Errorf("payment %d: %w", paymentID, ErrNotFound)
	}
	if err != nil {
		return Payment{}, fmt.Errorf("payment %d: %w", paymentID, err)
	}
	return p, nil
}

// PaymentFilter selects a customer's payments.
type PaymentFilter struct {
	ContractID int64 // 0: every contract
	// Upcoming selects scheduled and authorized payments (soonest first);
	// otherwise the history, newest first.
	Upcoming bool
	// Limit bounds the list (default and maximum 100).
	Limit int
}

const paymentsListMax = 100

// Payments returns the customer's payments: upcoming ones (scheduled,
// soonest first) or the history (newest first), each with its return in
// plain words.
func (s *Service) Payments(ctx context.Context, customerID int64, f PaymentFilter) ([]Payment, error) {
	limit := f.Limit
	if limit <= 0 || limit > paymentsListMax {
		limit = paymentsListMax
	}
	where := ` WHERE p.customer_id = $1 AND (CAST($2 AS BIGINT) = 0 OR p.contract_id = $2)`
	order := ` ORDER BY p.scheduled_date DESC, p.id DESC`
	if f.Upcoming {
		where += ` AND p.status IN ('scheduled', 'authorized')`
		order = ` ORDER BY p.scheduled_date, p.id`
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+paymentColumns+paymentFrom+where+order+fmt.Sprintf(" LIMIT %d", limit), customerID, f.ContractID)
	if err != nil {
		return nil, fmt.Errorf("payments of customer %d: %w", customerID, err)
	}
	defer rows.Close()
	var out []Payment
	for rows.Next() {
		p, err := s.scanPayment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PaymentByConfirmation finds one of the customer's payments by its
// confirmation number.
func (s *Service) PaymentByConfirmation(ctx context.Context, customerID int64, conf string) (Payment, error) {
	id, ok := PaymentID(conf)
	if !ok {
		return Payment{}, fmt.Errorf("confirmation %q: %w", strings.TrimSpace(conf), ErrNotFound)
	}
	return s.Payment(ctx, customerID, id)
}
