// Package payments takes customers' payments and originates them: payment
// methods (bank accounts, validated before first use, with encrypted
// account numbers; cards, only as a processor's tokens), one-time and
// scheduled payments, autopay with its Regulation E authorization, the
// daily NACHA file of ACH debits, card authorizations and captures (with
// the refunds and voids owed back to cards, retried until the processor
// confirms them), returns and notifications of change, receipts, and the
// notifications of each event. Money reaches a contract only through
// servicing (its waterfall and ledger), in the same transaction as the
// payment's row.
//
// Every method a customer's request reaches takes the customer's id and
// scopes its SQL by it: another customer's method, payment or contract is
// ErrNotFound, indistinguishable from one that does not exist.
//
// A payment's life: scheduled (a date it goes out) → for cards,
// authorized → pending (posted to servicing with its effective date when
// the NACHA file is written or the card captured; an ACH debit stays
// pending through the return window) → settled. Or cancelled (by the
// customer, until the cut-off of the business day before it goes out),
// declined (card), failed or skipped (nothing to collect), returned
// (reversed in servicing).
package payments

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/money"
	"carfin/payments/ach"
	"carfin/servicing"
)

// Errors for what callers branch on. Each is wrapped with the detail and
// the step; nothing is written when one is returned.
var (
	// ErrNotFound: no such method, payment, contract or enrolment for this
	// customer (another customer's is not found either).
	ErrNotFound = errors.New("not found")
	// Bank account entry.
	ErrHolderName = errors.New("account holder name is required (at most 22 characters show on the bank's records)")
	// ErrHolderNameLetters: the name would keep fewer than two letters A–Z
	// in the ACH character set (a name in a non-Latin script): the bank's
	// records are in Latin letters (Nacha Appendix Three).
	ErrHolderNameLetters = errors.New("account holder name must have at least two Latin letters (A–Z), as on the bank's records")
	ErrAccountType       = errors.New("account type must be checking or savings")
	ErrAccountNumber     = errors.New("account number must be 4 to 17 digits")
	ErrAccountMismatch   = errors.New("the account numbers entered do not match")
	ErrDuplicateMethod   = errors.New("this account is already on file")
	ErrMethodsMax        = errors.New("too many payment methods on file")
	// Validation of a bank account before first use.
	ErrNotValidated        = errors.New("the bank account is not validated yet")
	ErrMicroDepositsUnsent = errors.New("the two small deposits have not been sent yet")
	ErrMicroDepositAmounts = errors.New("the amounts do not match the two deposits")
	ErrValidationFailed    = errors.New("too many wrong attempts: add the account again")
	// A method that cannot pay: pending, disabled, removed, expired.
	ErrMethodUnusable = errors.New("this payment method cannot be used")
	ErrMethodInUse    = errors.New("the payment method is used by autopay or a scheduled payment")
	// Amounts and dates.
	ErrAmount = errors.New("amount must be a positive amount in dollars and cents")
	// ErrDuplicatePayment: a payment identical to this one (contract,
	// method, amount and date) was made in the last DuplicateWindow, as a
	// browser's Back button and a second confirmation make; Pay makes it
	// only when the form confirms a second one (OneTime.Again).
	ErrDuplicatePayment = errors.New("an identical payment was made a few minutes ago")
	ErrOverPayoff       = errors.New("amount is more than the payoff amount")
	ErrDate             = errors.New("the date is not one a payment can be made on")
	ErrContractClosed   = errors.New("the contract is closed")
	// Scheduled payments past their change deadline.
	ErrLocked = errors.New("the payment can no longer be changed or cancelled")
	// Idempotency: the key was used for a different payment.
	ErrIdempotencyConflict = errors.New("this confirmation was already used for a different payment")
	// Cards.
	ErrCardsUnavailable    = errors.New("card payments are not available")
	ErrCardDeclined        = errors.New("the card was declined")
	ErrProcessorTimeout    = errors.New("the card processor did not answer in time")
	ErrCardExpired         = errors.New("the card has expired")
	ErrProcessorBadRequest = errors.New("the card processor refused the request")
	// Autopay.
	ErrAutopayExists        = errors.New("the contract is already enrolled in autopay")
	ErrAuthorizationVersion = errors.New("the authorization text changed: review and accept it again")
	ErrNotAuthorized        = errors.New("the autopay authorization must be accepted")
	// Configuration.
	ErrNoKeys = errors.New("no encryption key is configured for bank account numbers")
)

// Config is what the lender sets. Zero values take the defaults noted.
type Config struct {
	// LenderName appears on receipts and in messages.
	LenderName string
	// Phone is the lender's customer-service number, which the telephone
	// authorization script gives for questions and cancellations
	// (required for TakePhonePayment: Nacha's TEL rule).
	Phone string
	// Cutoff is the lender's daily payment cut-off and time zone: a
	// payment made after it, or on a non-business day, takes effect the
	// next business day.
	Cutoff calendar.Cutoff
	// Keys encrypt bank account numbers (required to add bank accounts).
	Keys *Keyring
	// Directory is the routing-number directory; nil checks the number's
	// check digit only.
	Directory *ach.Directory
	// Processor is the card processor; nil disables card payments.
	Processor Processor
	// ProcessorTimeout bounds each call to the processor (default 15 s).
	ProcessorTimeout time.Duration
	// ConvenienceFeeCents is charged on each card payment, on top of the
	// amount (default 0: none). Network rules and some states restrict
	// such fees; debit cards usually may not carry one.
	ConvenienceFeeCents money.Cents
	// Retries is how many times a payment returned for insufficient or
	// uncollected funds (R01, R09) is presented again: 0 (default), 1 or
	// 2 (Nacha allows at most two re-presentments within 180 days).
	Retries int
	// RetryAfterBusinessDays is the wait before a re-presentment (default 2).
	RetryAfterBusinessDays int
	// Origin identifies the lender and its bank in the NACHA files.
	Origin Origin
	// OutDir is the directory the NACHA files are dropped into for
	// transfer to the bank.
	OutDir string
	// OriginateChunk is how many debits one origination transaction posts
	// (default and maximum servicing.PaymentBatchMax).
	OriginateChunk int
	// AutopayDaysBeforeMax is how many days before the due date a
	// customer may have autopay debit (default 10).
	AutopayDaysBeforeMax int
	// PortalURL is the portal's base URL, for links in messages.
	PortalURL string
	// Log receives what the runs did.
	Log *slog.Logger
}

// Origin is how the lender appears in its NACHA files: the values its
// bank (the ODFI) assigned.
type Origin struct {
	// ODFIRouting is the 9-digit routing number of the lender's bank.
	ODFIRouting string
	// Destination is the routing number the file is addressed to (the
	// ODFI or its ACH operator; default ODFIRouting) and DestinationName
	// its name.
	Destination     string
	DestinationName string
	// ImmediateOrigin is the 10-character origin (default: a blank and
	// ODFIRouting) and OriginName the lender's name in the file header.
	ImmediateOrigin string
	OriginName      string
	// CompanyName (16 characters) appears on customers' bank statements;
	// CompanyID is the 10-character company identification.
	CompanyName string
	CompanyID   string
}

// Defaults and limits, named so they are easy to find.
const (
	defaultAutopayDaysBeforeMax = 10
	autopayDaysBeforeCeiling    = 25
	defaultRetryAfter           = 2
	// retriesMax: Nacha lets an R01/R09 debit be reinitiated at most twice
	// (three presentments in all) within 180 days of the original
	// settlement date.
	retriesMax      = 2
	retryWindowDays = 180
	// scheduleDaysAfterDue: a one-time payment may be dated up to the next
	// due date plus this many days.
	scheduleDaysAfterDue = 30
	// DuplicateWindow: a one-time payment identical to one made this
	// recently asks the customer to confirm a second one (the browser's
	// Back button on the confirmation page resubmits a fresh form).
	DuplicateWindow = 10 * time.Minute
	// lateScheduledMax bounds the scheduled payments a late-fee warning
	// counts.
	lateScheduledMax = 50
	// autopayLockBusinessDays: an autopay debit is fixed (created, and no
	// longer changed by a change or stop) at the cut-off of the business
	// day this many business days before it goes out — Reg E 1005.10(c)
	// lets a consumer stop a preauthorized debit up to three business
	// days before it.
	autopayLockBusinessDays = 3
	// varyingNoticeDays: Reg E 1005.10(d) — notice of a debit that differs
	// from the usual amount at least 10 days before it.
	varyingNoticeDays = 10
	// returnWindowBusinessDays: most returns (R01–R04, R08, R09, R16,
	// R20…) must reach the ODFI within two banking days of settlement;
	// a pending debit settles after that.
	returnWindowBusinessDays = 2
	// prenoteWaitBusinessDays: live entries may follow a prenote three
	// banking days after its settlement date if it was not returned.
	prenoteWaitBusinessDays = 3
	// microAttemptsMax: wrong micro-deposit confirmations before the
	// account must be added again.
	microAttemptsMax      = 3
	methodsPerCustomerMax = 10
	holderNameLenMax      = 22 // the NACHA individual-name field
	nicknameLenMax        = 40
	keyLenMax             = 100
	processorTimeout      = 15 * time.Second
	// originateChunk is how many debits one origination transaction posts.
	originateChunk = servicing.PaymentBatchMax
	// originateStreamsMax bounds the connections origination uses at once.
	originateStreamsMax = 4
)

// Service is the payments capability.
type Service struct {
	db  *db.DB
	sv  *servicing.Service
	cfg Config
	log *slog.Logger
	// chunk is how many debits one origination transaction posts.
	chunk int
	// crashPoint, set only by tests, fails a run half-way inside a
	// transaction, as a killed process would.
	crashPoint func(step string) error
}

// New returns the payments service. It checks the configuration: the
// origin's routing numbers and the retry count.
func New(d *db.DB, sv *servicing.Service, cfg Config) (*Service, error) {
	if cfg.AutopayDaysBeforeMax == 0 {
		cfg.AutopayDaysBeforeMax = defaultAutopayDaysBeforeMax
	}
	if cfg.AutopayDaysBeforeMax < 0 || cfg.AutopayDaysBeforeMax > autopayDaysBeforeCeiling {
		return nil, fmt.Errorf("payments: autopay days before due must be 0–%d", autopayDaysBeforeCeiling)
	}
	if cfg.RetryAfterBusinessDays == 0 {
		cfg.RetryAfterBusinessDays = defaultRetryAfter
	}
	if cfg.Retries < 0 || cfg.Retries > retriesMax {
		return nil, fmt.Errorf("payments: retries must be 0–%d (Nacha allows two re-presentments)", retriesMax)
	}
	if cfg.ConvenienceFeeCents < 0 || cfg.ConvenienceFeeCents > 100_00 {
		return nil, fmt.Errorf("payments: convenience fee must be 0–100.00")
	}
	if cfg.Cutoff.Location == nil {
		return nil, fmt.Errorf("payments: a cut-off with a time zone is required")
	}
	if cfg.OriginateChunk == 0 {
		cfg.OriginateChunk = originateChunk
	}
	if cfg.OriginateChunk < 1 || cfg.OriginateChunk > originateChunk {
		return nil, fmt.Errorf("payments: origination chunk must be 1–%d", originateChunk)
	}
	if cfg.LenderName == "" {
		cfg.LenderName = "Your lender"
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	o := &cfg.Origin
	if o.ODFIRouting != "" {
		if err := ach.CheckRouting(o.ODFIRouting); err != nil {
			return nil, fmt.Errorf("payments: ODFI routing number: %w", err)
		}
		if o.Destination == "" {
			o.Destination = o.ODFIRouting
		}
		if err := ach.CheckRouting(o.Destination); err != nil {
			return nil, fmt.Errorf("payments: immediate destination: %w", err)
		}
		if o.ImmediateOrigin == "" {
			o.ImmediateOrigin = " " + o.ODFIRouting
		}
		if len(o.ImmediateOrigin) != 10 {
			return nil, fmt.Errorf("payments: immediate origin must be 10 characters")
		}
		if len(o.CompanyID) != 10 {
			return nil, fmt.Errorf("payments: company identification must be 10 characters")
		}
		if o.CompanyName == "" {
			o.CompanyName = cfg.LenderName
		}
		if o.OriginName == "" {
			o.OriginName = cfg.LenderName
		}
	}
	return &Service{db: d, sv: sv, cfg: cfg, log: cfg.Log, chunk: cfg.OriginateChunk}, nil
}

// Config returns the service's configuration (with defaults filled in).
func (s *Service) Config() Config { return s.cfg }

// today is the lender's date at the transaction's instant.
func (s *Service) today(tx *db.Tx) calendar.Date { return s.cfg.Cutoff.Today(tx.Now()) }

// crash fails a run at a named step when a test asked for it.
func (s *Service) crash(step string) error {
	if s.crashPoint != nil {
		return s.crashPoint(step)
	}
	return nil
}

// actorOf names a customer for servicing and audit records.
func actorOf(customerID int64) string { return fmt.Sprintf("customer:%d", customerID) }
