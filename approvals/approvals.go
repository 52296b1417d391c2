// Package approvals puts money changes under a second approver
// (maker-checker): a fee waiver, a payment reversal, a balance adjustment
// and the decision of a flagged return's review are requested by one staff
// member with a reason, and post to the ledger only when a supervisor or
// admin other than the requester approves them, in the transaction that
// records the approval. A rejected or expired request posts nothing.
//
// Every request, approval, rejection and expiry is written to the audit
// log (actor "staff:ID", subject "contract:ID").
package approvals

import (
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/money"
	"carfin/payments"
	"carfin/servicing"
)

// Kind is what a request asks to post.
type Kind string

const (
	// FeeWaiver waives an amount of the fees owed (at most what is owed).
	FeeWaiver Kind = "fee_waiver"
	// PaymentReversal reverses a posted payment event of the contract.
	PaymentReversal Kind = "payment_reversal"
	// BalanceAdjustment changes a loan's principal by a signed amount.
	BalanceAdjustment Kind = "balance_adjustment"
	// ReturnReview decides a return flagged for staff review: uphold (the
	// return stands and the payment is reversed if it was not) or dismiss
	// (the payment stands). See payments.ResolveReturnTx.
	ReturnReview Kind = "return_review"
)

// Decision is a return review's outcome.
type Decision string

const (
	Uphold  Decision = "uphold"
	Dismiss Decision = "dismiss"
)

// Status is where a request stands. It leaves StatusPending once.
type Status string

const (
	StatusPending  Status = "pending"
	StatusApproved Status = "approved"
	StatusRejected Status = "rejected"
	StatusExpired  Status = "expired"
)

// Staff is who acts: the staff login's id and its role ("agent",
// "supervisor", "admin", "auditor"; see Policies).
type Staff struct {
	LoginID string
	Role    string
}

func (s Staff) actor() string { return "staff:" + s.LoginID }

// Target is what a request is about, by kind: AmountCents for a waiver
// (positive) or an adjustment (signed, not zero); EventID for a reversal;
// ReturnID and Decision for a return review.
type Target struct {
	AmountCents money.Cents
	EventID     int64
	ReturnID    int64
	Decision    Decision
}

// Limits.
const (
	// reasonLenMax bounds a request's reason and a decision's note.
	reasonLenMax = 500
	// loginIDLenMax bounds a staff login id.
	loginIDLenMax = 100
	// Lifetime is how long a request waits for a decision, by the
	// database clock; after it, it cannot be approved.
	Lifetime = 72 * time.Hour
	// listMax bounds a list.
	listMax = 500
	// expireBatchMax bounds the requests one ExpireStale marks.
	expireBatchMax = 1000
)

var (
	// ErrInvalid: bad input (reason missing or too long, a target that
	// does not fit the kind or the contract's state). Nothing is written.
	ErrInvalid = errors.New("invalid request")
	// ErrForbidden: the role may not request or approve this kind.
	ErrForbidden = errors.New("not allowed for this role")
	// ErrLimit: the amount is above what the role may request or approve.
	ErrLimit = errors.New("amount above the role's limit")
	// ErrSelfApproval: nobody approves or rejects their own request.
	ErrSelfApproval = errors.New("a request cannot be decided by its requester")
	// ErrNotPending: the request was approved, rejected or expired already.
	ErrNotPending = errors.New("the request is no longer pending")
	// ErrExpired: the request is older than Lifetime.
	ErrExpired = errors.New("the request has expired")
	// ErrNotFound: no such request.
	ErrNotFound = errors.New("approval request not found")
	// ErrDuplicate: a request for the same event or return is pending.
	ErrDuplicate = errors.New("a request for the same target is already pending")
)

// Service records requests and decides them.
type Service struct {
	db  *db.DB
	sv  *servicing.Service
	pay *payments.Service // nil: return reviews are refused
	// today maps an instant to the lender's business date, the date the
	// approved change takes effect.
	today func(time.Time) calendar.Date
}

// New returns a Service. pay may be nil (no return reviews); today maps
// an instant to the lender's date (a calendar.Cutoff's Today).
func New(d *db.DB, sv *servicing.Service, pay *payments.Service, today func(time.Time) calendar.Date) *Service {
	return &Service{db: d, sv: sv, pay: pay, today: today}
}

// Request is one request as stored.
type Request struct {
	ID            int64
	Kind          Kind
	ContractID    int64
	AmountCents   money.Cents
	EventID       int64
	ReturnID      int64
	Decision      Decision
	Reason        string
	RequestedBy   string // staff login id
	RequesterRole string
	RequestedAt   time.Time
	ExpiresAt     time.Time
	Status        Status
	DecidedBy     string
	DecidedAt     time.Time // zero while pending
	Note          string
	PostedEventID int64 // the servicing event an approval posted, 0 if none
}

const requestColumns = `id, kind, contract_id, amount_cents, COALESCE(event_id, 0), COALESCE(return_id, 0), decision, reason,
	requested_by, requester_role, requested_at, expires_at, status, decided_by, decided_at, note, COALESCE(posted_event_id, 0)`

func scanRequest(sc interface{ Scan(...any) error }) (Request, error) {
	var r Request
	var kind, decision, status string
	var decided sql.NullTime
	err := sc.Scan(&r.ID, &kind, &r.ContractID, &r.AmountCents, &r.EventID, &r.ReturnID, &decision, &r.Reason,
		&r.RequestedBy, &r.RequesterRole, &r.RequestedAt, &r.ExpiresAt, &status, &r.DecidedBy, &decided, &r.Note, &r.PostedEventID)
	r.Kind, r.Decision, r.Status = Kind(kind), Decision(decision), Status(status)
	r.RequestedAt, r.ExpiresAt = r.RequestedAt.UTC(), r.ExpiresAt.UTC()
	if decided.Valid {
		r.DecidedAt = decided.Time.UTC()
	}
	return r, err
}

// details is what the audit log keeps of a request.
func (r Request) details(extra ...string) map[string]string {
	d := map[string]string{"request": strconv.FormatInt(r.ID, 10), "kind": string(r.Kind), "reason": r.Reason}
	switch r.Kind {
	case FeeWaiver, BalanceAdjustment:
		d["amount"] = r.AmountCents.String()
	case PaymentReversal:
		d["amount"] = r.AmountCents.String()
		d["event"] = strconv.FormatInt(r.EventID, 10)
	case ReturnReview:
		d["amount"] = r.AmountCents.String()
		d["return"] = strconv.FormatInt(r.ReturnID, 10)
		d["decision"] = string(r.Decision)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		d[extra[i]] = extra[i+1]
	}
	return d
}

func subject(contractID int64) string { return fmt.Sprintf("contract:%d", contractID) }
