// Package statements makes the monthly statement of every contract: on
// its statement date (a fixed number of days before the due date), day
// close builds the statement's figures from the ledger as of that date,
// renders it as a PDF in the customer's language, stores it as a document
// and delivers it (an email or text for paperless customers, the day's
// print batch for the others). One statement per contract and cycle,
// however often the run is repeated.
//
// No federal rule sets the content of an auto-finance statement; carfin
// follows what the large captive lenders send and the mortgage model of
// Regulation Z §1026.41(d): amount due with its parts, the late-fee
// warning, the activity since the last statement with each payment's
// split, year-to-date totals, the account's state, the delinquency notice
// from 30 days past due, and the notices and payment coupon.
package statements

import (
	"carfin/calendar"
	"carfin/money"
	"carfin/servicing"
)

// Lender is who sends the statements: the letterhead, the addresses
// customers write and pay to, and the brand colours (#rrggbb).
type Lender struct {
	Name    string
	Address []string // correspondence address, a line each
	Phone   string
	Hours   string
	HoursES string // "" shows Hours
	// PaymentAddress is where the coupon and mailed payments go.
	PaymentAddress []string
	// DisputeAddress is where to write about an error on the statement
	// or on a credit report (FCRA 623(a)(7)); default the Address.
	DisputeAddress []string
	// Portal is the portal's public URL, printed for paying online.
	Portal  string
	Primary string
	Accent  string
}

// Statement is everything one statement says, as of its statement date.
// Every figure comes from the contract's ledger replayed through that
// date (servicing), so it equals what the dashboard, the history page and
// the ledger said on that date. It is stored with the statement (JSON)
// and rendered by Render.
type Statement struct {
	ContractID int64 `json:"contract_id"`
	CustomerID int64 `json:"customer_id"`
	// Lang is the customer's language: "en" or "es".
	Lang string         `json:"lang"`
	Kind servicing.Kind `json:"kind"`
	// Status is the contract's status on the statement date.
	Status servicing.Status `json:"status"`
	// Final: the contract closed (paid off, charged off, ended) and this
	// is its last statement.
	Final bool `json:"final"`

	StatementDate calendar.Date `json:"statement_date"`
	// PeriodFrom and PeriodTo bound the activity shown: the day after the
	// last statement (or the contract date) through the statement date.
	PeriodFrom calendar.Date `json:"period_from"`
	PeriodTo   calendar.Date `json:"period_to"`
	// CycleDue is the due date the statement is for; it names the cycle
	// (one statement per contract and CycleDue).
	CycleDue calendar.Date `json:"cycle_due"`

	// AccountNumber is the full account number; Render masks it except on
	// the coupon, which the lender's lockbox reads.
	AccountNumber string    `json:"account_number"`
	Customer      Addressee `json:"customer"`
	Vehicle       Vehicle   `json:"vehicle"`

	Due      AmountDue `json:"due"`
	Autopay  *Autopay  `json:"autopay,omitempty"`
	Activity []Line    `json:"activity"`
	// Opening and Closing balance: loans, the principal; leases, what is
	// billed and unpaid. Both from the ledger at the period's bounds.
	OpeningBalanceCents money.Cents `json:"opening_balance_cents"`
	ClosingBalanceCents money.Cents `json:"closing_balance_cents"`
	YearToDate          Totals      `json:"year_to_date"`
	Account             Account     `json:"account"`
	// Delinquency is set when the account is 30 or more days past due.
	Delinquency *Delinquency `json:"delinquency,omitempty"`
	// Waterfall is the order payments are applied in (the product's).
	Waterfall []servicing.Bucket `json:"waterfall"`
}

// Addressee is the customer the statement is mailed to.
type Addressee struct {
	Name    string   `json:"name"`
	Address []string `json:"address"` // street lines, then "City, ST ZIP"
}

// Vehicle is the financed vehicle.
type Vehicle struct {
	Year     int    `json:"year"`
	Make     string `json:"make"`
	Model    string `json:"model"`
	VINLast6 string `json:"vin_last6"`
}

// AmountDue is what to pay by the due date.
type AmountDue struct {
	// DueDate is the next due date (zero on a final statement).
	DueDate calendar.Date `json:"due_date"`
	// InstallmentCents is the installment due on DueDate still owed.
	InstallmentCents money.Cents `json:"installment_cents"`
	PastDueCents     money.Cents `json:"past_due_cents"`
	FeesCents        money.Cents `json:"fees_cents"` // unpaid fees
	// TotalCents = InstallmentCents + PastDueCents + FeesCents (the
	// dashboard's amount due).
	TotalCents money.Cents `json:"total_cents"`
	// Late-fee warning: if the amount due is not received by
	// LateFeeAfter (the last day of grace), a late charge of LateFeeCents
	// is assessed. Zero when no late fee applies.
	LateFeeCents money.Cents   `json:"late_fee_cents"`
	LateFeeAfter calendar.Date `json:"late_fee_after"`
	// PaidAheadCents: paid toward installments not yet due (loans that
	// pay ahead); 0 when not paid ahead.
	PaidAheadCents money.Cents `json:"paid_ahead_cents"`
}

// Autopay is the debit that will pay the statement, when enrolled.
type Autopay struct {
	AmountCents money.Cents   `json:"amount_cents"`
	Date        calendar.Date `json:"date"`
	// Account is the bank account or card, masked ("Checking ••••6789").
	Account string `json:"account"`
}

// LineType is what an activity line is.
type LineType string

// Activity lines. Each payment shows its split; a returned payment, a
// fee waiver, a reversal and an adjustment show as such.
const (
	LinePayment         LineType = "payment"
	LinePayoff          LineType = "payoff"
	LineReturnedPayment LineType = "returned_payment"
	LineLateFee         LineType = "late_fee"
	LineNSFFee          LineType = "nsf_fee"
	LineFeeWaiver       LineType = "fee_waiver"
	LineAdjustment      LineType = "adjustment"
	LineLeaseCharge     LineType = "lease_charge"
	LineChargeOff       LineType = "charge_off"
	LineTurnIn          LineType = "turn_in"
	LineCorrection      LineType = "correction"
	LineFunded          LineType = "funded"
)

// Line is one posting of the period as the customer reads it. AmountCents
// is signed from the customer's side: paid is positive, charged negative.
type Line struct {
	Date           calendar.Date `json:"date"`
	Type           LineType      `json:"type"`
	AmountCents    money.Cents   `json:"amount_cents"`
	InterestCents  money.Cents   `json:"interest_cents"`
	PrincipalCents money.Cents   `json:"principal_cents"` // leases: to billed payments
	FeesCents      money.Cents   `json:"fees_cents"`
	Installment    int           `json:"installment,omitempty"`
}

// Totals are payments over a span: paid in total and where it went.
type Totals struct {
	PaidCents      money.Cents `json:"paid_cents"`
	InterestCents  money.Cents `json:"interest_cents"`
	PrincipalCents money.Cents `json:"principal_cents"`
	FeesCents      money.Cents `json:"fees_cents"`
}

// Account is the account's state on the statement date.
type Account struct {
	// Loans.
	PrincipalCents money.Cents `json:"principal_cents"`
	APR            money.Rate  `json:"apr"`
	PayoffCents    money.Cents `json:"payoff_cents"` // payoff on the statement date
	PerDiemCents   money.Cents `json:"per_diem_cents"`
	// Both.
	PaymentsLeft int           `json:"payments_left"`
	MaturityDate calendar.Date `json:"maturity_date"`
	// Leases.
	PurchaseOptionCents money.Cents `json:"purchase_option_cents"`
	MileageAllowance    int64       `json:"mileage_allowance"`
	DispositionFeeCents money.Cents `json:"disposition_fee_cents"`
}

// Delinquency is the notice on an account 30 or more days past due.
type Delinquency struct {
	// Since is the due date of the oldest installment unpaid.
	Since       calendar.Date `json:"since"`
	DaysPastDue int           `json:"days_past_due"`
	// ToCurrentCents brings the account current: past-due installments
	// and fees.
	ToCurrentCents money.Cents `json:"to_current_cents"`
}
