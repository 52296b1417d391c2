package finance

import (
	"errors"
	"fmt"

	"carfin/money"
)

// rule78TermMax is the longest term, in months, for which carfin computes a
// Rule of 78 refund. 15 U.S.C. 1615(b) requires a refund at least as
// favorable as the actuarial method for any precomputed consumer credit
// transaction with a term exceeding 61 months (consummated after
// September 30, 1993), which the Rule of 78 is not.
const rule78TermMax = 61

// Errors of Rule78Refund, wrapped with the detail that failed.
var (
	// ErrRule78Term: the term is not 1–61 months; over 61 months the
	// Rule of 78 is prohibited by 15 U.S.C. 1615(b).
	ErrRule78Term = errors.New("rule of 78 term must be 1 to 61 months (15 U.S.C. 1615(b))")
	// ErrRule78Input: a negative finance charge, or payments made outside
	// 0 to the term.
	ErrRule78Input = errors.New("invalid Rule of 78 input")
)

// Rule78Refund returns the unearned finance charge to refund (or credit)
// when a precomputed contract of term monthly payments is paid off after
// paymentsMade payments, by the Rule of 78 (sum of the digits): the
// refund is the finance charge × k(k+1)/2 ÷ n(n+1)/2, with k the payments
// remaining and n the term, rounded half up to the cent. A 12-month
// contract has 78 digits (1 + … + 12), hence the name: paid off after 3
// payments, 9 remain, and 45/78 of the charge is unearned.
//
// 15 U.S.C. 1615(a)(2) waives a refund under $1; whether to apply that is
// the caller's decision, so the amount is returned as computed.
//
// Rule78Refund returns ErrRule78Term for a term below 1 or above 61 months
// and ErrRule78Input for a negative finance charge or paymentsMade below 0
// or above term.
func Rule78Refund(financeCharge money.Cents, term, paymentsMade int) (money.Cents, error) {
	if term < 1 || term > rule78TermMax {
		return 0, fmt.Errorf("rule of 78 refund: term %d: %w", term, ErrRule78Term)
	}
	if financeCharge < 0 {
		return 0, fmt.Errorf("rule of 78 refund: finance charge %s: %w", financeCharge, ErrRule78Input)
	}
	if paymentsMade < 0 || paymentsMade > term {
		return 0, fmt.Errorf("rule of 78 refund: %d payments made of %d: %w", paymentsMade, term, ErrRule78Input)
	}
	k := int64(term - paymentsMade)
	n := int64(term)
	// The halves cancel: k(k+1)/2 ÷ n(n+1)/2 = k(k+1) ÷ n(n+1).
	return money.Cents(money.MulDivRound(int64(financeCharge), k*(k+1), n*(n+1))), nil
}
