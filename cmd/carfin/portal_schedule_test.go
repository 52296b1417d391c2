package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"

	"carfin/calendar"
	"carfin/db"
	"carfin/identity"
	"carfin/money"
)

// accountSchedules (issue 11): on every contract of the demo book, the
// contract page's schedule shows in each installment's row what the
// payments still standing in its period paid, as the ledger holds it
// (a returned payment paid nothing), and its summary ("your payments so
// far paid … of interest and … of principal") is the ledger's total and
// the history page's. The ledger is read here with SQL of its own, not
// through servicing. Each row's period runs from the day after the
// installment before it fell due through its own due date (the first
// from the contract's date, the last with everything after it). The
// balance column is the ledger's principal through the due date, less
// the principal projected through it, ending at zero on an open loan,
// whose projection pays exactly today's principal.
func accountSchedules(t *testing.T, d *db.DB, s *server, ab accountBook) {
	ctx := context.Background()
	id, err := identity.New(identity.Config{DB: d, Params: cheapParams, BaseURL: s.base})
	if err != nil {
		t.Fatal(err)
	}
	type contract struct {
		id, customer int64
		kind, email  string
		open         bool
	}
	var contracts []contract
	rows, err := d.Read.QueryContext(ctx, `SELECT c.id, c.customer_id, c.kind, u.email, c.state IN ('active', 'matured')
		FROM contracts c JOIN customers u ON u.id = c.customer_id ORDER BY c.id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c contract
		if err := rows.Scan(&c.id, &c.customer, &c.kind, &c.email, &c.open); err != nil {
			t.Fatal(err)
		}
		contracts = append(contracts, c)
	}
	rows.Close()
	if len(contracts) < 50 {
		t.Fatalf("the demo book has %d contracts", len(contracts))
	}
	browsers := map[int64]*browser{}
	signIn := func(t *testing.T, c contract) *browser {
		t.Helper()
		if b := browsers[c.customer]; b != nil {
			return b
		}
		var n int
		if err := d.Read.QueryRowContext(ctx, `SELECT count(*) FROM logins WHERE customer_id = $1`, c.customer).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			_, err := id.CreateCustomerLogin(ctx, c.customer, testPassword)
			if errors.Is(err, identity.ErrExists) {
				// The demo gives customers 25 apart the same name and
				// address: the second signs in under an address of its own.
				c.email = fmt.Sprintf("customer-%d@example.com", c.customer)
				if _, err := d.SQL.ExecContext(ctx, `UPDATE customers SET email = $1 WHERE id = $2`, c.email, c.customer); err != nil {
					t.Fatal(err)
				}
				_, err = id.CreateCustomerLogin(ctx, c.customer, testPassword)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		b := s.browser(fmt.Sprintf("203.0.113.%d", 1+len(browsers)))
		b.mustSignIn(c.email, testPassword)
		browsers[c.customer] = b
		return b
	}
	returned := 0
	for _, c := range contracts {
		t.Run(fmt.Sprintf("contract %d", c.id), func(t *testing.T) {
			want := ledgerSchedule(t, d, c.id)
			b := signIn(t, c)
			page := b.get(fmt.Sprintf("/contracts/%d", c.id))
			page.must(t, 200)
			got := scheduleRows(t, page.body)
			if len(got) != len(want.rows) {
				t.Fatalf("%d rows on the page, %d installments", len(got), len(want.rows))
			}
			var projected money.Cents
			for i, r := range got {
				w := want.rows[i]
				if c.kind == "loan" {
					if r.posted != w.paid {
						t.Errorf("row %s (%s): paid %+v on the page, the ledger's payments in its period %+v", r.number, w.due, r.posted, w.paid)
					}
					projected += r.projected.PrincipalCents
					if balance := want.principalThrough(w.due, i == len(got)-1) - projected; r.balance != balance {
						t.Errorf("row %s (%s): balance %s, want %s (ledger less projected)", r.number, w.due, r.balance, balance)
					}
				} else if r.posted.FeesCents != w.paid.FeesCents {
					t.Errorf("row %s (%s): fees %s on the page, the ledger's %s", r.number, w.due, r.posted.FeesCents, w.paid.FeesCents)
				}
			}
			if c.kind != "loan" {
				return
			}
			if c.open && (projected != want.principalThrough(0, true) || got[len(got)-1].balance != 0) {
				t.Errorf("the projection pays %s of principal, the ledger holds %s; last balance %s", projected, want.principalThrough(0, true), got[len(got)-1].balance)
			}
			// The summary is the ledger's total and the history page's.
			m := paidSoFar.FindStringSubmatch(page.body)
			if m == nil {
				t.Fatalf("no summary of what was paid on the page")
			}
			interest, principal := parseDollars(t, m[1]), parseDollars(t, m[2])
			if interest != want.total.InterestCents || principal != want.total.PrincipalCents {
				t.Errorf("so far paid %s of interest and %s of principal on the page, the ledger says %s and %s",
					interest, principal, want.total.InterestCents, want.total.PrincipalCents)
			}
			h := b.get(fmt.Sprintf("/contracts/%d/history?type=interest", c.id))
			h.must(t, 200)
			if m := interestShown.FindStringSubmatch(h.body); (m == nil && interest != 0) || (m != nil && parseDollars(t, m[1]) != interest) {
				t.Errorf("the history's interest paid %q, the schedule's %s", m, interest)
			}
			csvRes := b.get(fmt.Sprintf("/contracts/%d/history.csv?type=payment&type=payoff", c.id))
			csvRes.must(t, 200)
			recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvRes.body, "\ufeff"))).ReadAll()
			if err != nil || len(recs) == 0 || recs[0][4] != "Principal" {
				t.Fatalf("history CSV: %v %v", recs, err)
			}
			var historyPrincipal money.Cents
			for _, r := range recs[1:] {
				historyPrincipal += money.MustParse(r[4])
			}
			if historyPrincipal != principal {
				t.Errorf("the history's payments paid %s of principal, the schedule's %s", historyPrincipal, principal)
			}
			if want.returned {
				returned++
			}
		})
	}
	if returned == 0 {
		t.Error("no loan of the demo book has a returned payment")
	}
}

var (
	paidSoFar     = regexp.MustCompile(`Your payments so far paid (\$[\d,.]+) of interest and (\$[\d,.]+) of principal`)
	interestShown = regexp.MustCompile(`Together, the payments that match paid (\$[\d,.]+) of interest`)
)

// ledgerContract is what the ledger holds of a contract's payments, with
// its installments' due dates.
type ledgerContract struct {
	rows []struct {
		due  calendar.Date
		paid split
	}
	total     split
	returned  bool
	principal []struct {
		on     calendar.Date
		amount money.Cents
	}
}

type split struct{ InterestCents, PrincipalCents, FeesCents money.Cents }

// principalThrough is the ledger's principal from postings dated on or
// before d (all of them if all).
func (l ledgerContract) principalThrough(d calendar.Date, all bool) money.Cents {
	var sum money.Cents
	for _, p := range l.principal {
		if all || p.on <= d {
			sum += p.amount
		}
	}
	return sum
}

// ledgerSchedule reads a contract's live payment entries from the ledger
// (not reversed: a returned payment's entry is) and puts each in the
// installment period of its date. What a payment paid to interest is
// what it took off the interest owed plus the interest it recognised.
func ledgerSchedule(t *testing.T, d *db.DB, contractID int64) ledgerContract {
	t.Helper()
	ctx := context.Background()
	var l ledgerContract
	rows, err := d.Read.QueryContext(ctx, `SELECT due_date FROM installments WHERE contract_id = $1 ORDER BY number`, contractID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var due calendar.Date
		if err := rows.Scan(&due); err != nil {
			t.Fatal(err)
		}
		l.rows = append(l.rows, struct {
			due  calendar.Date
			paid split
		}{due: due})
	}
	rows.Close()
	rows, err = d.Read.QueryContext(ctx, `SELECT t.effective_date,
		SUM(CASE WHEN p.account IN ('interest', 'interest_income') THEN -p.amount_cents ELSE 0 END),
		SUM(CASE WHEN p.account = 'principal' THEN -p.amount_cents ELSE 0 END),
		SUM(CASE WHEN p.account = 'fees' THEN -p.amount_cents ELSE 0 END)
		FROM ledger_transactions t JOIN ledger_postings p ON p.transaction_id = t.id
		WHERE t.contract_id = $1 AND t.kind IN ('payment', 'payoff')
		AND NOT EXISTS (SELECT 1 FROM ledger_transactions r WHERE r.reverses_id = t.id)
		GROUP BY t.id, t.effective_date`, contractID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var on calendar.Date
		var interest, principal, fees int64
		if err := rows.Scan(&on, &interest, &principal, &fees); err != nil {
			t.Fatal(err)
		}
		k := len(l.rows) - 1
		for i, r := range l.rows {
			if on <= r.due {
				k = i
				break
			}
		}
		p := &l.rows[k].paid
		p.InterestCents += money.Cents(interest)
		p.PrincipalCents += money.Cents(principal)
		p.FeesCents += money.Cents(fees)
		l.total.InterestCents += money.Cents(interest)
		l.total.PrincipalCents += money.Cents(principal)
		l.total.FeesCents += money.Cents(fees)
	}
	rows.Close()
	rows, err = d.Read.QueryContext(ctx, `SELECT t.effective_date, p.amount_cents FROM ledger_transactions t
		JOIN ledger_postings p ON p.transaction_id = t.id WHERE t.contract_id = $1 AND p.account = 'principal'`, contractID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var p struct {
			on     calendar.Date
			amount money.Cents
		}
		var amount int64
		if err := rows.Scan(&p.on, &amount); err != nil {
			t.Fatal(err)
		}
		p.amount = money.Cents(amount)
		l.principal = append(l.principal, p)
	}
	rows.Close()
	if err := d.Read.QueryRowContext(ctx, `SELECT count(*) > 0 FROM ledger_transactions t
		WHERE t.contract_id = $1 AND t.kind IN ('payment', 'payoff') AND EXISTS (SELECT 1 FROM servicing_events e
			JOIN servicing_events r ON r.target_event_id = e.id AND r.kind = 'reversal' WHERE t.ref = 'ev:' || e.id)`,
		contractID).Scan(&l.returned); err != nil {
		t.Fatal(err)
	}
	return l
}

// pageRow is one row of the schedule table as the page shows it: the
// figures of what was paid, and of what is projected (a whole row in
// italics, or the line under what was paid).
type pageRow struct {
	number            string
	posted, projected split
	balance           money.Cents
}

var (
	scheduleRow  = regexp.MustCompile(`(?s)<tr( class="projected")?><th scope="row">(\d+)</th>(.*?)</tr>`)
	scheduleCell = regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`)
	thenPart     = regexp.MustCompile(`<span class="then">[^$<]*(\$[\d,.]+)`)
)

// scheduleRows reads the schedule table of a contract page. Loans'
// cells are due date, payment, status, payments received, interest,
// principal, fees and balance; leases' end with depreciation, rent
// charge, tax and fees.
var cellMarkup = regexp.MustCompile(`(?: data-label="[^"]*"| col-opt|<span class="stack-only">[^<]*</span>)|<span class="status[^"]*">([^<]*)</span>`)

func scheduleRows(t *testing.T, body string) []pageRow {
	t.Helper()
	// The cells' column names (for phones), widths and status badges are
	// the stylesheet's business; the figures are this test's.
	body = cellMarkup.ReplaceAllString(body, "${1}")
	table := body[strings.Index(body, `id="schedule-h"`):]
	var out []pageRow
	for _, m := range scheduleRow.FindAllStringSubmatch(table, -1) {
		whole := m[1] != ""
		cells := scheduleCell.FindAllStringSubmatch(m[3], -1)
		if len(cells) != 8 {
			t.Fatalf("row %s has %d cells", m[2], len(cells))
		}
		r := pageRow{number: m[2]}
		// amounts returns what was paid and what is projected in a cell.
		amounts := func(cell string) (paid, projected money.Cents) {
			first, _, _ := strings.Cut(cell, "<")
			v := parseDollars(t, first)
			if whole {
				return 0, v
			}
			if p := thenPart.FindStringSubmatch(cell); p != nil {
				projected = parseDollars(t, p[1])
			}
			return v, projected
		}
		if strings.Contains(body, `scope="col" class="num">Interest</th>`) {
			r.posted.InterestCents, r.projected.InterestCents = amounts(cells[4][1])
			r.posted.PrincipalCents, r.projected.PrincipalCents = amounts(cells[5][1])
			r.posted.FeesCents, r.projected.FeesCents = amounts(cells[6][1])
			r.balance = parseDollars(t, cells[7][1])
		} else {
			r.posted.FeesCents, r.projected.FeesCents = amounts(cells[7][1])
		}
		out = append(out, r)
	}
	return out
}

// parseDollars reads an amount as the English pages write it: "$1,234.56".
func parseDollars(t *testing.T, s string) money.Cents {
	t.Helper()
	s = strings.NewReplacer("$", "", ",", "").Replace(strings.TrimSpace(html.UnescapeString(s)))
	c, err := money.Parse(s)
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	return c
}
