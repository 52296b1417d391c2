package payments

import (
	"context"
	"errors"
	"fmt"

	"carfin/money"
)

// Processor is a card processor. carfin never sees a card number: the
// customer's browser sends it to the processor's tokenizer, which returns
// a token; carfin keeps only the token, brand, last four digits and
// expiry (PCI DSS keeps carfin out of scope that way). Every call that
// moves money carries an idempotency key: repeating a call with the same
// key returns the first result instead of charging again.
//
// A decline is returned as a *Decline (errors.Is ErrCardDeclined); a
// call that did not complete in time as ErrProcessorTimeout.
type Processor interface {
	// Name identifies the processor in stored rows ("test", "stripe"…).
	Name() string
	// Card returns what may be stored about a token's card.
	Card(ctx context.Context, token string) (Card, error)
	// Authorize holds amount on the card.
	Authorize(ctx context.Context, r AuthRequest) (Authorization, error)
	// Capture collects an authorization (all of it, or less).
	Capture(ctx context.Context, authID string, amount money.Cents, idempotencyKey string) (string, error)
	// Void releases an authorization that will not be captured.
	Void(ctx context.Context, authID string, idempotencyKey string) error
	// Refund returns amount of a capture to the card.
	Refund(ctx context.Context, captureID string, amount money.Cents, idempotencyKey string) (string, error)
}

// Card is what carfin stores about a tokenized card.
type Card struct {
	Token    string
	Brand    string // "visa", "mastercard", "amex", "discover"
	Last4    string
	ExpMonth int
	ExpYear  int
	Funding  string // "credit", "debit", "prepaid"
}

// AuthRequest asks to authorize a card payment.
type AuthRequest struct {
	Token          string
	AmountCents    money.Cents
	IdempotencyKey string
	// Description appears on the customer's card statement.
	Description string
}

// Authorization is an approved hold.
type Authorization struct {
	ID          string
	AmountCents money.Cents
}

// Decline is a processor's refusal, with the code a customer can act on.
type Decline struct {
	// Code: "declined", "insufficient_funds", "expired_card",
	// "incorrect_cvc", "processing_error".
	Code    string
	Message string
}

func (d *Decline) Error() string { return fmt.Sprintf("card declined (%s): %s", d.Code, d.Message) }

// Is makes errors.Is(err, ErrCardDeclined) true for a *Decline.
func (d *Decline) Is(target error) bool { return target == ErrCardDeclined }

// DeclineCode returns the processor's decline code of err, or "".
func DeclineCode(err error) string {
	var d *Decline
	if errors.As(err, &d) {
		return d.Code
	}
	return ""
}
