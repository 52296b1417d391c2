package payments

import (
	"context"
	"database/sql"
	"fmt"

	"carfin/calendar"
	"carfin/db"
	"carfin/ledger"
	"carfin/money"
	"carfin/servicing"
)

// AccountACHInTransit is the general-ledger account of bank debits sent
// and not yet final: the money the lender's bank was asked to collect
// that a customer's bank may still return. A debit is posted to its
// contract when its file is written (the customer's balance and interest
// move on its date), and at the same time its amount moves from cash to
// this account; when the return window passes it moves back to cash
// (settled), and a return moves it back too, beside the reversal of the
// payment. So the account's balance is always the total of the pending
// debits (CheckInTransit), and cash holds only money that is final.
const AccountACHInTransit = "ach_in_transit"

// postTransit books cents of bank debits into (in) or out of the
// in-transit account against cash, under key (once).
func postTransit(ctx context.Context, tx *db.Tx, key string, date calendar.Date, cents money.Cents, in bool, memo string) error {
	if cents == 0 {
		return nil
	}
	transit, cash := cents, -cents
	if !in {
		transit, cash = -cents, cents
	}
	_, _, err := ledger.Post(ctx, tx, &ledger.Transaction{Kind: "ach_transit", EffectiveDate: date, IdempotencyKey: key, Memo: memo,
		Postings: []ledger.Posting{{Account: AccountACHInTransit, AmountCents: transit}, {Account: servicing.AccountCash, AmountCents: cash}}})
	if err != nil {
		return fmt.Errorf("book %s in transit: %w", cents, err)
	}
	return nil
}

// CheckInTransit compares the in-transit account with the pending bank
// debits, for `carfin check`: they must be equal. Both are read in one
// snapshot, since a payment run may be booking debits meanwhile.
func CheckInTransit(ctx context.Context, d *db.DB) ([]ledger.Finding, error) {
	var book money.Cents
	var pending sql.NullInt64
	err := d.ReadSnapshot(ctx, func(q db.Querier) error {
		var err error
		if book, err = ledger.AccountBalance(ctx, q, AccountACHInTransit); err != nil {
			return err
		}
		if err := q.QueryRowContext(ctx, `SELECT SUM(amount_cents) FROM payments WHERE status = 'pending' AND rail = 'ach' AND servicing_event_id IS NOT NULL`).
			Scan(&pending); err != nil {
			return fmt.Errorf("pending bank debits: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if book != money.Cents(pending.Int64) {
		return []ledger.Finding{{What: fmt.Sprintf("%s holds %s, the pending bank debits total %s", AccountACHInTransit, book, money.Cents(pending.Int64))}}, nil
	}
	return nil, nil
}
