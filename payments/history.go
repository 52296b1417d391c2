package payments

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"

	"carfin/payments/ach"
)

// PostedPayment is the kind of a payment the lender received some other
// way than the portal — a check by mail, a payment by phone, the
// customer's bank bill pay, a payment before the portal existed — and
// posted to the account. It is never stored in payments (servicing holds
// it): it has no confirmation number, no method on file and no page of
// its own, and it is completed, or returned if it came back.
const PostedPayment PaymentKind = "posted"

// Limits of the payment history.
const (
	// HistoryPageSize is how many payments a page of the history shows.
	HistoryPageSize = 20
	// historyRowsMax bounds what the history reads of each source (the
	// portal's payments, the payments posted otherwise): decades of
	// monthly payments with their retries.
	historyRowsMax = 2_000
)

// History is a page of a customer's payment history.
type History struct {
	// Payments are the page's payments, newest first.
	Payments []Payment
	// Page is the page shown (1 is the newest), of Pages; Total counts
	// the payments on every page.
	Page, Pages, Total int
}

// History returns a page (1 the newest, HistoryPageSize a page) of every
// payment the customer's contracts have had, newest first, except the
// ones still to go out (scheduled and approved: see Payments with
// Upcoming): the portal's and autopay's payments whatever became of them
// (processing, completed, returned, declined, not made, not needed,
// cancelled), and the payments the lender received another way and
// posted (PostedPayment), completed or returned. A page past the last is
// the last.
//
// The two sources meet in servicing: a portal payment that was applied
// carries its servicing event, so an event that no payment of the
// customer's carries was posted otherwise, and each payment appears once.
func (s *Service) History(ctx context.Context, customerID int64, page int) (History, error) {
	own, err := s.historyPayments(ctx, customerID)
	if err != nil {
		return History{}, err
	}
	posted, err := s.postedPayments(ctx, customerID)
	if err != nil {
		return History{}, err
	}
	all := append(own, posted...)
	slices.SortStableFunc(all, func(a, b Payment) int {
		return cmp.Or(cmp.Compare(b.Date, a.Date), b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	h := History{Total: len(all), Pages: max(1, (len(all)+HistoryPageSize-1)/HistoryPageSize)}
	h.Page = min(max(page, 1), h.Pages)
	from := (h.Page - 1) * HistoryPageSize
	h.Payments = all[from:min(from+HistoryPageSize, len(all))]
	return h, nil
}

// historyPayments reads the customer's payments that are not still to go
// out, newest first.
func (s *Service) historyPayments(ctx context.Context, customerID int64) ([]Payment, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+paymentColumns+paymentFrom+`
		WHERE p.customer_id = $1 AND p.status NOT IN ('scheduled', 'authorized')
		ORDER BY p.scheduled_date DESC, p.id DESC LIMIT `+fmt.Sprint(historyRowsMax), customerID)
	if err != nil {
		return nil, fmt.Errorf("payment history of customer %d: %w", customerID, err)
	}
	defer rows.Close()
	var out []Payment
	for rows.Next() {
		p, err := s.scanPayment(rows)
		if err != nil {
			return nil, fmt.Errorf("payment history of customer %d: %w", customerID, err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// returnMemo reads the return code a reversal's memo starts with ("R01
// insufficient funds").
var returnMemo = regexp.MustCompile(`^(R[0-9]{2})\b`)

// postedPayments reads the payments and payoffs posted to the customer's
// contracts that no payment of the customer's carries (PostedPayment),
// newest first, each returned if a reversal took it back.
func (s *Service) postedPayments(ctx context.Context, customerID int64) ([]Payment, error) {
	q := s.db.Read
	carried := map[int64]bool{}
	rows, err := q.QueryContext(ctx, `SELECT servicing_event_id FROM payments WHERE customer_id = $1 AND servicing_event_id IS NOT NULL`, customerID)
	if err != nil {
		return nil, fmt.Errorf("posted payments of customer %d: %w", customerID, err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("posted payments of customer %d: %w", customerID, err)
		}
		carried[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("posted payments of customer %d: %w", customerID, err)
	}
	rows, err = q.QueryContext(ctx, `SELECT e.id, e.contract_id, c.account_number, e.effective_date, e.amount_cents, e.created_at,
		r.id IS NOT NULL, COALESCE(r.memo, ''), r.created_at
		FROM contracts c JOIN servicing_events e ON e.contract_id = c.id
		LEFT JOIN servicing_events r ON r.target_event_id = e.id AND r.kind = 'reversal'
		WHERE c.customer_id = $1 AND e.kind IN ('payment', 'payoff')
		ORDER BY e.effective_date DESC, e.id DESC LIMIT `+fmt.Sprint(historyRowsMax), customerID)
	if err != nil {
		return nil, fmt.Errorf("posted payments of customer %d: %w", customerID, err)
	}
	defer rows.Close()
	var out []Payment
	for rows.Next() {
		var eventID int64
		var returned bool
		var memo string
		var returnedAt sql.NullTime
		p := Payment{CustomerID: customerID, Kind: PostedPayment, Status: StatusSettled}
		if err := rows.Scan(&eventID, &p.ContractID, &p.ContractAccount, &p.Date, &p.AmountCents, &p.CreatedAt,
			&returned, &memo, &returnedAt); err != nil {
			return nil, fmt.Errorf("posted payments of customer %d: %w", customerID, err)
		}
		if carried[eventID] {
			continue
		}
		p.CreatedAt = p.CreatedAt.UTC()
		if returned {
			p.Status = StatusReturned
			p.Return = &ReturnInfo{On: returnedAt.Time.UTC()}
			if m := returnMemo.FindStringSubmatch(memo); m != nil {
				reason := ach.Reason(m[1])
				p.Return.Code, p.Return.Title, p.Return.Description = m[1], reason.Title, reason.Customer
			}
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
