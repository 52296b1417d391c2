package servicing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/documents"
	"carfin/finance"
	"carfin/money"
)

// Reads for the customer portal's pages that must be fast or that need
// what the other reads leave out. Like every read here, each is scoped by
// the customer: another customer's contract is ErrNotFound.

// dashboardContractsMax bounds the contracts one dashboard shows (a
// customer with more is a fleet, served by the staff console).
const dashboardContractsMax = 50

// DashboardContract is a contract on the dashboard: its summary, and its
// newest statement (by statement date) made since the time Dashboard was
// given, if any.
type DashboardContract struct {
	Summary
	NewStatementID int64 // a document of kind statement; 0 if none
	// NewStatementAt is its statement date (the document's created_at).
	NewStatementAt time.Time
	Next           NextPayment
	// UnreadThreads counts the customer's support threads with a reply
	// not yet read: the same on each of one customer's contracts, read
	// here so that the dashboard stays one query.
	UnreadThreads int
}

// NextPayment is the payment already on its way for a contract, as the
// payments tables hold it: the soonest scheduled or authorized payment
// (one-time, or an autopay debit already created), and the active autopay
// enrolment. Dashboard reads it in its one query; payments owns the rules
// (payments.AutopayDebit turns an enrolment into its next debit).
type NextPayment struct {
	ScheduledDate     calendar.Date // zero if none is scheduled
	ScheduledCents    money.Cents
	ScheduledKind     string // one_time, autopay or retry
	Autopay           bool   // an enrolment is active
	AutopayDaysBefore int
	AutopayExtraCents money.Cents
}

// Dashboard returns the summaries of all of a customer's contracts, open
// ones first, as [Service.ContractSummary] computes each, but in a single
// query: the contract, vehicle, lease terms, cached state, the last
// payment standing, the count of recently returned payments, the newest
// statement since statementsSince and the next payment on its way come
// back in one row per contract. The dashboard runs on every sign-in and
// every visit home, so it costs one round trip however many contracts
// there are (which is why this read looks into the documents, payments
// and autopay tables too).
func (sv *Service) Dashboard(ctx context.Context, customerID int64, statementsSince time.Time) ([]DashboardContract, error) {
	var out []DashboardContract
	if err := sv.db.ReadPipelined(ctx, sv.plainDashboard.Read(customerID, statementsSince, &out)); err != nil {
		return nil, fmt.Errorf("dashboard of customer %d: %w", customerID, err)
	}
	return out, nil
}

// DashboardQuery is Dashboard's query for a customer named by an SQL
// expression, to send with other reads in one round trip
// (db.ReadPipelined): the signed-in home page sends it keyed by the
// session's token beside the session's own query. Its rows are as
// Dashboard's, each with its CustomerID, which the caller checks.
type DashboardQuery struct {
	sv  *Service
	sql string
}

// DashboardQuery builds the query for customers given by customerSQL, an
// expression of the customer's id in terms of $1 (built once: the
// statement is long).
func (sv *Service) DashboardQuery(customerSQL string) *DashboardQuery {
	q := dashboardSQL[0]
	if sv.db.Engine == db.Postgres {
		q = dashboardSQL[1]
	}
	return &DashboardQuery{sv: sv, sql: strings.ReplaceAll(q, dashboardCustomer, customerSQL)}
}

// Read is the query with key as $1, appending the contracts to out.
func (q *DashboardQuery) Read(key any, statementsSince time.Time, out *[]DashboardContract) db.Read {
	today := q.sv.Today()
	return db.Read{SQL: q.sql, Args: []any{key, today.AddDays(-returnedRecentDays), statementsSince.UTC()},
		Scan: func(rows db.Rows) error {
			for rows.Next() {
				c, err := scanDashboardContract(rows, today)
				if err != nil {
					return err
				}
				*out = append(*out, c)
			}
			return nil
		}}
}

// scanDashboardContract reads one row of dashboardSQL.
func scanDashboardContract(rows db.Rows, today calendar.Date) (DashboardContract, error) {
	var s Summary
	var statement int64
	var statementAt sql.NullTime
	var vin string
	var mf int64
	var ts termsScan
	var ss stateScan
	var lastDate calendar.Date
	var lastCents *int64
	var returned int
	var next NextPayment
	var nextCents, days, extra sql.NullInt64
	var nextKind sql.NullString
	var unread int
	dest := []any{&s.AccountNumber, &s.VehicleYear, &s.Make, &s.Model, &vin, &s.CustomerID,
		&s.TermMonths, &s.PaymentCents, &s.FirstDue, &s.MaturityDate, &mf}
	dest = append(dest, ts.dest()...)
	dest = append(dest, ss.dest()...)
	dest = append(dest, &lastDate, &lastCents, &returned, &statement, &statementAt, &next.ScheduledDate, &nextCents, &nextKind, &days, &extra, &unread)
	if err := rows.Scan(dest...); err != nil {
		return DashboardContract{}, err
	}
	t, err := ts.finish()
	if err != nil {
		return DashboardContract{}, err
	}
	st, _ := ss.finish()
	s.ID, s.Kind, s.Status, s.VINLast6 = t.ContractID, t.Kind, st.Status, vin[len(vin)-6:]
	s.AmountFinancedCents, s.APR, s.MoneyFactor, s.ContractDate = t.AmountFinancedCents, t.APR, money.MoneyFactor(mf), t.ContractDate
	s.ClosedOn, s.MileageAllowance = st.ClosedOn, t.MileageAllowance
	if lastCents != nil {
		s.LastPaymentDate, s.LastPaymentCents = lastDate, money.Cents(*lastCents)
	}
	s.ReturnedPayment = returned > 0
	summarize(&s, t, st, today)
	next.ScheduledCents, next.ScheduledKind = money.Cents(nextCents.Int64), nextKind.String
	next.Autopay, next.AutopayDaysBefore, next.AutopayExtraCents = days.Valid, int(days.Int64), money.Cents(extra.Int64)
	return DashboardContract{Summary: s, NewStatementID: statement, NewStatementAt: statementAt.Time, Next: next, UnreadThreads: unread}, nil
}

// dashboardCustomer stands for the customer's id in dashboardSQL, which
// DashboardQuery replaces.
const dashboardCustomer = "{{customer}}"

// dashboardSQL is Dashboard's query for SQLite [0] and PostgreSQL [1]
// (dashboardCustomer the customer, $2 the first day a returned payment is recent, $3 the
// oldest statement date that is new). Each contract's newest statement,
// next payment and last payment standing are one row each, found by
// index: PostgreSQL reads them as LATERAL subqueries, which it plans as
// one index probe per contract whatever its statistics say (joined on a
// subquery's id instead, stale statistics had it hash or scan whole
// tables per dashboard, and planning the nine-way join took 4 ms on a
// warm connection instead of 0.8); SQLite has no LATERAL and probes by
// key already.
var dashboardSQL = func() [2]string {
	head := `SELECT c.account_number, v.year, v.make, v.model, v.vin, c.customer_id,
		c.term_months, c.payment_cents, c.first_due_date, c.maturity_date, COALESCE(l.money_factor, 0),
		` + termsColumns + `, ` + stateColumns + `,
		lp.effective_date, lp.amount_cents,
		(SELECT count(*) FROM servicing_events r JOIN servicing_events p ON p.id = r.target_event_id
			WHERE r.contract_id = c.id AND r.kind = 'reversal' AND p.kind IN ('payment', 'payoff') AND r.effective_date >= $2),
		COALESCE(ns.id, 0), ns.created_at,
		np.scheduled_date, np.amount_cents, np.kind, a.days_before, a.extra_cents,
		(SELECT count(*) FROM support_threads t WHERE t.customer_id = ` + dashboardCustomer + ` AND t.unread_by_customer = 1)
		FROM contracts c JOIN vehicles v ON v.id = c.vehicle_id LEFT JOIN lease_terms l ON l.contract_id = c.id
		JOIN contract_balances b ON b.contract_id = c.id
		LEFT JOIN autopay_enrolments a ON a.contract_id = c.id AND a.status = 'active'
		`
	// The newest statement by its statement date (created_at), not by id:
	// a statement run repeated for an earlier cycle must not hide it.
	statement := `FROM documents d
			WHERE d.customer_id = c.customer_id AND d.created_at >= $3 AND d.kind = '` + documents.KindStatement + `' AND d.contract_id = c.id
			ORDER BY d.created_at DESC, d.id DESC LIMIT 1`
	next := `FROM payments p WHERE p.contract_id = c.id
			AND p.status IN ('scheduled', 'authorized') ORDER BY p.scheduled_date, p.id LIMIT 1`
	// The last payment still standing.
	last := `FROM servicing_events e
			WHERE e.contract_id = c.id AND e.kind IN ('payment', 'payoff')
			AND NOT EXISTS (SELECT 1 FROM servicing_events r WHERE r.kind = 'reversal' AND r.target_event_id = e.id)
			ORDER BY e.effective_date DESC, e.id DESC LIMIT 1`
	tail := `
		WHERE c.customer_id = ` + dashboardCustomer + `
		ORDER BY CASE WHEN c.state IN ('active', 'matured') THEN 0 ELSE 1 END, c.id
		LIMIT ` + fmt.Sprint(dashboardContractsMax)
	sqlite := head + `LEFT JOIN documents ns ON ns.id = (SELECT d.id ` + statement + `)
		LEFT JOIN payments np ON np.id = (SELECT p.id ` + next + `)
		LEFT JOIN servicing_events lp ON lp.id = (SELECT e.id ` + last + `)` + tail
	postgres := head + `LEFT JOIN LATERAL (SELECT d.id, d.created_at ` + statement + `) ns ON TRUE
		LEFT JOIN LATERAL (SELECT p.scheduled_date, p.amount_cents, p.kind ` + next + `) np ON TRUE
		LEFT JOIN LATERAL (SELECT e.effective_date, e.amount_cents ` + last + `) lp ON TRUE` + tail
	return [2]string{sqlite, postgres}
}()

// summarize fills in what a contract owes and when, as of today: the one
// rule ContractSummary and Dashboard share (TestDashboardMatchesSummary
// holds their other reads equal).
func summarize(s *Summary, t *Terms, st State, today calendar.Date) {
	s.BusinessDate = today
	if st.Status.Open() && today > st.AdvancedThrough {
		// What today brings (a late fee, a lease bill) shows before day close books it.
		st, _ = AdvanceTo(t, st, today)
	}
	s.PrincipalCents, s.FeesCents, s.BilledCents = st.PrincipalCents, st.FeesCents, st.BilledCents
	for _, in := range t.Installments {
		if in.CumulativeCents <= st.CreditedCents {
			continue
		}
		owed := min(in.AmountCents, in.CumulativeCents-st.CreditedCents)
		if in.Date < today {
			s.PastDueCents += owed
			if s.DaysPastDue == 0 {
				s.DaysPastDue = int(today - in.Date)
			}
			continue
		}
		if s.NextDue == 0 {
			s.NextDue, s.NextDueCents = in.Date, owed
		}
		s.RemainingPayments++
	}
	s.RemainingPayments += countPastDue(t, st, today)
	s.Bucket = DelinquencyBucket(s.DaysPastDue)
	if st.Status.Open() {
		s.AmountDueCents = s.PastDueCents + s.NextDueCents + s.FeesCents
		if t.Kind == KindLease && s.BilledCents < 0 {
			s.AmountDueCents = max(0, s.AmountDueCents+s.BilledCents)
		}
		s.PayoffCents = st.payoffAt(t, today)
		if t.Kind == KindLoan {
			s.PerDiemCents = finance.PerDiem(st.PrincipalCents, t.APR)
		}
		// A payment can never be asked for beyond the payoff.
		s.AmountDueCents = min(s.AmountDueCents, s.PayoffCents)
	} else {
		s.NextDue, s.NextDueCents, s.RemainingPayments = 0, 0, 0
	}
	if t.Kind == KindLease && st.Status.Open() && s.MaturityDate <= today.AddDays(90) {
		s.MaturesWithin90 = true
	}
}

// Addressee is who and what a letter about a contract is addressed to:
// the customer's name and mailing address, the account and the vehicle
// with its full VIN.
type Addressee struct {
	ContractID    int64
	CustomerID    int64
	AccountNumber string
	Kind          Kind
	Status        Status
	FirstName     string
	LastName      string
	AddressLine1  string
	AddressLine2  string
	City          string
	State         string
	ZIP           string
	VIN           string
	VehicleYear   int
	Make, Model   string
	MaturityDate  calendar.Date
	// Leases: the miles allowed over the whole term and the odometer at signing.
	MileageAllowance int64
	OdometerStart    int64
}

// AddresseeOf returns the addressee of a letter about one of the
// customer's contracts. ErrNotFound if it is not the customer's.
func (sv *Service) AddresseeOf(ctx context.Context, customerID, contractID int64) (Addressee, error) {
	var a Addressee
	var kind, status string
	err := sv.db.Read.QueryRowContext(ctx, `SELECT c.id, c.customer_id, c.account_number, c.kind, c.state,
		u.first_name, u.last_name, u.address_line1, u.address_line2, u.city, u.state, u.zip,
		v.vin, v.year, v.make, v.model, c.maturity_date, COALESCE(l.mileage_allowance, 0), COALESCE(l.odometer_start, 0)
		FROM contracts c JOIN customers u ON u.id = c.customer_id JOIN vehicles v ON v.id = c.vehicle_id
		LEFT JOIN lease_terms l ON l.contract_id = c.id
		WHERE c.id = $1 AND c.customer_id = $2`, contractID, customerID).Scan(&a.ContractID, &a.CustomerID, &a.AccountNumber,
		&kind, &status, &a.FirstName, &a.LastName, &a.AddressLine1, &a.AddressLine2, &a.City, &a.State, &a.ZIP,
		&a.VIN, &a.VehicleYear, &a.Make, &a.Model, &a.MaturityDate, &a.MileageAllowance, &a.OdometerStart)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Addressee{}, fmt.Errorf("contract %d of customer %d: %w", contractID, customerID, ErrNotFound)
		}
		return Addressee{}, fmt.Errorf("addressee of contract %d: %w", contractID, err)
	}
	a.Kind, a.Status = Kind(kind), Status(status)
	return a, nil
}

// AmortPoint is one installment of a loan's amortization as the portal
// charts it: what went (or goes) to interest and to principal, and the
// principal balance after it.
type AmortPoint struct {
	Number         int
	Date           calendar.Date
	InterestCents  money.Cents
	PrincipalCents money.Cents
	BalanceCents   money.Cents
	Projected      bool // the installment's figures are (in part) projected
}

// Amortization turns a loan's schedule (from [Service.ScheduleOf]) into
// chart points: each row's payments still standing and its projection,
// and its balance.
func Amortization(rows []Row) []AmortPoint {
	pts := make([]AmortPoint, len(rows))
	for i, r := range rows {
		pts[i] = AmortPoint{Number: r.Number, Date: r.Due,
			InterestCents:  r.Posted.InterestCents + r.Projection.InterestCents,
			PrincipalCents: r.Posted.PrincipalCents + r.Projection.PrincipalCents,
			BalanceCents:   r.BalanceCents, Projected: r.Projected}
	}
	return pts
}
