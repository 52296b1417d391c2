package demo

import (
	"context"
	"errors"
	"fmt"

	"carfin/calendar"
	"carfin/db"
	"carfin/money"
	"carfin/payments"
	"carfin/payments/cardtest"
	"carfin/servicing"
)

// Demo payment settings: the fictional lender's bank and identity in its
// NACHA files (the routing number is in the sample directory).
const (
	ODFIRouting     = "061993512" // Peachtree Meadow Bank, fictional
	ODFIName        = "Peachtree Meadow Bank"
	ACHCompanyID    = "1987654321"
	ACHCompanyName  = "Northwind Motor"
	demoBankRouting = "112601818" // Prairie Gate Savings Bank, fictional
	demoBankAccount = "000123456789"
)

// Payments gives the demo customer what the payment pages show: a
// checking account confirmed by its two micro-deposits (sent in today's
// NACHA file), a Visa from the test processor, a card payment of $25.00
// on the loan (processed, with its receipt) and, on the lease, a payment
// of the amount due scheduled for a later business day (changeable and
// cancellable). pay must use the test card processor. It does nothing
// when the customer has a payment method already.
func Payments(ctx context.Context, d *db.DB, pay *payments.Service, customerID int64) error {
	ms, err := pay.Methods(ctx, customerID)
	if err != nil {
		return fmt.Errorf("demo payments: %w", err)
	}
	if len(ms) > 0 {
		return nil
	}
	proc, ok := pay.Config().Processor.(*cardtest.Processor)
	if !ok {
		return errors.New("demo payments: the test card processor is not configured")
	}
	cut := pay.Config().Cutoff
	var name string
	if err := d.Read.QueryRowContext(ctx, `SELECT first_name || ' ' || last_name FROM customers WHERE id = $1`, customerID).Scan(&name); err != nil {
		return fmt.Errorf("demo payments: %w", err)
	}
	if r := []rune(name); len(r) > 22 {
		name = string(r[:22])
	}
	bank, err := pay.AddBankAccount(ctx, customerID, payments.NewBankAccount{HolderName: name, AccountType: "checking",
		Routing: demoBankRouting, Account: demoBankAccount, ConfirmAccount: demoBankAccount, Nickname: "Household checking"})
	if err != nil {
		return fmt.Errorf("demo payments: bank account: %w", err)
	}
	// The two small deposits go out in a NACHA file, and the customer
	// reads them on the bank statement.
	if _, err := pay.OriginateACH(ctx, calendar.OnOrAfterBusinessDay(cut.Today(d.Now()))); err != nil {
		return fmt.Errorf("demo payments: micro-deposits: %w", err)
	}
	var a, b money.Cents
	if err := d.Read.QueryRowContext(ctx, `SELECT micro1_cents, micro2_cents FROM payment_methods WHERE id = $1`, bank.ID).Scan(&a, &b); err != nil {
		return fmt.Errorf("demo payments: micro-deposits: %w", err)
	}
	if _, err := pay.ConfirmMicroDeposits(ctx, customerID, bank.ID, a, b); err != nil {
		return fmt.Errorf("demo payments: micro-deposits: %w", err)
	}
	year := cut.Today(d.Now()).Year() + 3
	tok, err := proc.Tokenize(cardtest.Card{Number: "4242424242424242", ExpMonth: 8, ExpYear: year, CVC: "123", Name: name})
	if err != nil {
		return fmt.Errorf("demo payments: card: %w", err)
	}
	card, err := pay.AddCard(ctx, customerID, tok.Token, "Travel Visa", "")
	if err != nil {
		return fmt.Errorf("demo payments: card: %w", err)
	}

	var loan, lease int64
	rows, err := d.Read.QueryContext(ctx, `SELECT id, kind FROM contracts WHERE customer_id = $1 AND state IN ('active', 'matured') ORDER BY id`, customerID)
	if err != nil {
		return fmt.Errorf("demo payments: %w", err)
	}
	for rows.Next() {
		var id int64
		var kind string
		if err := rows.Scan(&id, &kind); err != nil {
			rows.Close()
			return err
		}
		if kind == string(servicing.KindLoan) && loan == 0 {
			loan = id
		} else if kind == string(servicing.KindLease) && lease == 0 {
			lease = id
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if loan != 0 {
		if _, err := pay.Pay(ctx, customerID, payments.OneTime{ContractID: loan, MethodID: card.ID, Choice: payments.PayOther, Other: "25.00",
			IdempotencyKey: "demo-card-payment"}); err != nil {
			return fmt.Errorf("demo payments: card payment: %w", err)
		}
	}
	if lease != 0 {
		o, err := pay.Options(ctx, customerID, lease)
		if err != nil {
			return fmt.Errorf("demo payments: lease: %w", err)
		}
		// The latest business day on or before the next due date, if it is
		// after the earliest (so the payment can still be changed).
		date := o.NextDue
		for date > o.Earliest && !calendar.IsBusinessDay(date) {
			date--
		}
		if date <= o.Earliest || date > o.Latest {
			date = calendar.AddBusinessDays(o.Earliest, 3)
		}
		if _, err := pay.Pay(ctx, customerID, payments.OneTime{ContractID: lease, MethodID: bank.ID, Choice: payments.PayAmountDue, Date: date,
			IdempotencyKey: "demo-scheduled-payment"}); err != nil && !errors.Is(err, payments.ErrAmount) {
			return fmt.Errorf("demo payments: scheduled payment: %w", err)
		}
	}
	return nil
}
