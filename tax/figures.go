package tax

import (
	"context"
	"fmt"

	"carfin/calendar"
	"carfin/db"
	"carfin/money"
	"carfin/servicing"
)

// The ledger's payment transactions (servicing's fold names them so), and
// the accounts a payment's interest moves: interest recognised on the
// payment's date is credited to interest income and what the payment paid
// of it leaves the interest receivable, so the interest a payment paid is
// minus the sum of its postings to the two (servicing's Application).
const (
	paymentKinds     = `('payment', 'payoff')`
	interestAccounts = `('` + servicing.AccountInterest + `', '` + servicing.AccountInterestIncome + `')`
)

// yearPaymentsWhere selects the postings of the payments dated in a year
// ($1-$2) and of their reversals, each reversal counted in the year of the
// payment it reverses: servicing dates the reversal of a replayed or
// returned payment on the payment's own date, and a reversal dated later
// still takes back interest that was never received in the payment's
// year. t is the transaction, o the one it reverses, p the posting.
const yearPaymentsWhere = `((t.kind IN ` + paymentKinds + ` AND t.effective_date >= $1 AND t.effective_date <= $2)
	OR (t.kind = 'reversal' AND o.kind IN ` + paymentKinds + ` AND o.effective_date >= $1 AND o.effective_date <= $2))`

// InterestReceived returns the interest received in a year on each
// contract that received any (box 1): what the payments with an effective
// date in the year paid to interest, net of reversed (returned or
// re-applied) payments, from the ledger. It agrees with
// servicing.Service.InterestPaid, which reads the same payments through
// the contract's history.
func InterestReceived(ctx context.Context, q db.Querier, year int) (map[int64]money.Cents, error) {
	from, to := yearSpan(year)
	rows, err := q.QueryContext(ctx, `SELECT t.contract_id, SUM(p.amount_cents)
		FROM ledger_transactions t JOIN ledger_postings p ON p.transaction_id = t.id
		LEFT JOIN ledger_transactions o ON o.id = t.reverses_id
		WHERE p.account IN `+interestAccounts+` AND t.contract_id IS NOT NULL AND `+yearPaymentsWhere+`
		GROUP BY t.contract_id`, from, to)
	if err != nil {
		return nil, fmt.Errorf("interest received in %d: %w", year, err)
	}
	defer rows.Close()
	out := map[int64]money.Cents{}
	for rows.Next() {
		var id, sum int64
		if err := rows.Scan(&id, &sum); err != nil {
			return nil, fmt.Errorf("interest received in %d: %w", year, err)
		}
		if sum != 0 {
			out[id] = money.Cents(-sum)
		}
	}
	return out, rows.Err()
}

// YearTotals is what a contract's payments with an effective date in a
// year paid, net of reversed payments: the year-end summary's figures.
// Leases put what paid billed payments (and a lease payoff's balance)
// under principal; a lease pays no interest.
type YearTotals struct {
	PaidCents      money.Cents // received
	InterestCents  money.Cents
	PrincipalCents money.Cents
	FeesCents      money.Cents
}

// yearTotals reads a contract's YearTotals.
func yearTotals(ctx context.Context, q db.Querier, contractID int64, year int) (YearTotals, error) {
	from, to := yearSpan(year)
	rows, err := q.QueryContext(ctx, `SELECT p.account, SUM(p.amount_cents)
		FROM ledger_transactions t JOIN ledger_postings p ON p.transaction_id = t.id
		LEFT JOIN ledger_transactions o ON o.id = t.reverses_id
		WHERE t.contract_id = $3 AND `+yearPaymentsWhere+`
		GROUP BY p.account`, from, to, contractID)
	if err != nil {
		return YearTotals{}, fmt.Errorf("payments of contract %d in %d: %w", contractID, year, err)
	}
	defer rows.Close()
	var y YearTotals
	for rows.Next() {
		var account string
		var sum int64
		if err := rows.Scan(&account, &sum); err != nil {
			return YearTotals{}, err
		}
		switch c := money.Cents(sum); account {
		case servicing.AccountCash:
			y.PaidCents += c
		case servicing.AccountInterest, servicing.AccountInterestIncome:
			y.InterestCents -= c
		case servicing.AccountPrincipal, servicing.AccountLeaseAsset, servicing.AccountBilled:
			y.PrincipalCents -= c
		case servicing.AccountFees:
			y.FeesCents -= c
		}
	}
	return y, rows.Err()
}

// principalBefore returns a loan's principal from its ledger postings dated
// before a day (box 4).
func principalBefore(ctx context.Context, q db.Querier, contractID int64, day calendar.Date) (money.Cents, error) {
	var sum int64
	err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(p.amount_cents), 0)
		FROM ledger_transactions t JOIN ledger_postings p ON p.transaction_id = t.id
		WHERE t.contract_id = $1 AND p.account = $2 AND t.effective_date < $3`, contractID, servicing.AccountPrincipal, day).Scan(&sum)
	if err != nil {
		return 0, fmt.Errorf("principal of contract %d before %s: %w", contractID, day, err)
	}
	return money.Cents(sum), nil
}

// box4Date is the day whose opening principal box 4 reports: January 1
// of the year, or, for a loan the lender originated or acquired during
// the year, the day after (the principal as of that day), as the IRS asks
// of Form 1098's outstanding principal.
func box4Date(year int, contractDate, acquired calendar.Date) calendar.Date {
	jan1, dec31 := yearSpan(year)
	switch {
	case acquired >= jan1 && acquired <= dec31:
		return acquired.AddDays(1)
	case contractDate >= jan1 && contractDate <= dec31:
		return contractDate.AddDays(1)
	}
	return jan1
}
