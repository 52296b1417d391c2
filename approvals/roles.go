package approvals

import (
	"strings"

	"carfin/finance"
	"carfin/money"
)

// Policy is what one staff role may do with money changes: which kinds
// it may request, up to what amount, and which it may approve, up to what
// amount. An absent kind is not allowed at all. Amounts compare by their
// absolute value (an adjustment is signed); a reversal's amount is the
// reversed payment's, a return review's the returned payment's.
//
// Whatever the table says, every request needs an approver who is not
// its requester (ErrSelfApproval), so no change posts on one person's
// word (maker-checker, issue 14).
type Policy struct {
	RequestCentsMax map[Kind]money.Cents
	ApproveCentsMax map[Kind]money.Cents
}

// anyAmount is the ceiling of a kind a role may request or approve
// whatever its amount.
const anyAmount = finance.AmountMax

// Policies is the role table, keyed by the role names of the staff
// console. An agent requests and a supervisor approves: an agent's fee
// waiver above $100.00 (indeed any waiver) and any adjustment wait for a
// supervisor or an admin. A supervisor approves waivers up to $1,000.00
// and adjustments up to $5,000.00; larger ones need an admin. An auditor
// reads only: it may neither request nor approve.
var Policies = map[string]Policy{
	"agent": {
		RequestCentsMax: map[Kind]money.Cents{
			FeeWaiver: 250_00, BalanceAdjustment: 1_000_00, PaymentReversal: anyAmount, ReturnReview: anyAmount,
		},
	},
	"supervisor": {
		RequestCentsMax: map[Kind]money.Cents{
			FeeWaiver: 2_500_00, BalanceAdjustment: 10_000_00, PaymentReversal: anyAmount, ReturnReview: anyAmount,
		},
		ApproveCentsMax: map[Kind]money.Cents{
			FeeWaiver: 1_000_00, BalanceAdjustment: 5_000_00, PaymentReversal: anyAmount, ReturnReview: anyAmount,
		},
	},
	"admin": {
		RequestCentsMax: map[Kind]money.Cents{
			FeeWaiver: anyAmount, BalanceAdjustment: anyAmount, PaymentReversal: anyAmount, ReturnReview: anyAmount,
		},
		ApproveCentsMax: map[Kind]money.Cents{
			FeeWaiver: anyAmount, BalanceAdjustment: anyAmount, PaymentReversal: anyAmount, ReturnReview: anyAmount,
		},
	},
	"auditor": {},
}

// mayRequest returns nil if role may request kind for amount, ErrForbidden
// if it may not request kind at all, ErrLimit if the amount is above its
// ceiling.
func mayRequest(role string, kind Kind, amount money.Cents) error {
	return allowed(Policies[role].RequestCentsMax, role, "request", kind, amount)
}

// mayApprove is mayRequest for approving.
func mayApprove(role string, kind Kind, amount money.Cents) error {
	return allowed(Policies[role].ApproveCentsMax, role, "approve", kind, amount)
}

func allowed(ceilings map[Kind]money.Cents, role, what string, kind Kind, amount money.Cents) error {
	ceiling, ok := ceilings[kind]
	if !ok {
		return &roleError{role: role, what: what, kind: kind, err: ErrForbidden}
	}
	if amount.Abs() > ceiling {
		return &roleError{role: role, what: what, kind: kind, amount: amount, ceiling: ceiling, err: ErrLimit}
	}
	return nil
}

type roleError struct {
	role, what      string
	kind            Kind
	amount, ceiling money.Cents
	err             error
}

func (e *roleError) Error() string {
	if e.err == ErrLimit {
		return article(e.role) + " " + e.role + " may " + e.what + " a " + string(e.kind) + " of up to " + e.ceiling.String() + ", not " + e.amount.Abs().String() + ": " + e.err.Error()
	}
	return article(e.role) + " " + e.role + " may not " + e.what + " a " + string(e.kind) + ": " + e.err.Error()
}

func (e *roleError) Unwrap() error { return e.err }

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}
