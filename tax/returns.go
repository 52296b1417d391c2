package tax

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/money"
	"carfin/servicing"
)

// Form is the information return carfin files.
const Form = "1098-VLI"

// Return statuses: pending until a filing export holds the return.
const (
	StatusPending = "pending"
	StatusFiled   = "filed"
)

// yearBatch is how many contracts one read of a year's contracts holds.
const yearBatch = 500

// Return is one recorded Form 1098-VLI, its boxes as filed: frozen when
// recorded. Box 5 (refund of overpaid interest) is always 0: carfin never
// takes more than a loan's payoff (servicing refuses an overpayment) and
// posts no interest refunds, so no interest received is ever paid back.
// A corrected return that withdraws an earlier one (the loan no longer
// qualifies for the year) has Eligible false and every money box 0, as
// the IRS asks of a return filed in error.
type Return struct {
	ID           int64
	ContractID   int64
	CustomerID   int64
	Year         int
	Seq          int // 0: the original; n: the nth correction
	Corrected    bool
	SupersedesID int64
	Eligible     bool
	Status       string

	Box1InterestCents  money.Cents   // interest received from the borrower in the year
	Box4PrincipalCents money.Cents   // principal outstanding at the start of the year (or at origination/acquisition in it)
	Box5RefundCents    money.Cents   // refund of overpaid interest
	VehicleYear        int           // box 2a
	Make               string        // box 2b
	Model              string        // box 2c
	VIN                string        // box 2d
	OriginationDate    calendar.Date // box 3a
	AcquisitionDate    calendar.Date // box 3b (0: none)
	OriginalUse        bool          // box 6: original use began with the borrower
	USFinalAssembly    bool          // box 7: final assembly in the United States
	AccountNumber      string

	DocumentID int64         // the borrower statement (0 until issued)
	MailedOn   calendar.Date // queued for mailing (0: not)
	CreatedAt  time.Time
}

// sameBoxes reports whether two returns file the same figures.
func sameBoxes(a, b Return) bool {
	return a.Eligible == b.Eligible && a.Box1InterestCents == b.Box1InterestCents && a.Box4PrincipalCents == b.Box4PrincipalCents &&
		a.Box5RefundCents == b.Box5RefundCents && a.VehicleYear == b.VehicleYear && a.Make == b.Make && a.Model == b.Model &&
		a.VIN == b.VIN && a.OriginationDate == b.OriginationDate && a.AcquisitionDate == b.AcquisitionDate &&
		a.OriginalUse == b.OriginalUse && a.USFinalAssembly == b.USFinalAssembly
}

// candidate is a contract open at some time in a tax year, with what
// eligibility and the boxes need.
type candidate struct {
	id, customerID int64
	kind           servicing.Kind
	account        string
	contractDate   calendar.Date
	vehicleYear    int
	make, model    string
	vin            string
	hasData        bool
	data           Data
}

// candidates calls fn for each contract signed by the end of the year and
// not closed before it began, in id order, a batch at a time.
func candidates(ctx context.Context, q db.Querier, year int, fn func(candidate) error) error {
	jan1, dec31 := yearSpan(year)
	var after int64
	for {
		rows, err := q.QueryContext(ctx, `SELECT c.id, c.customer_id, c.kind, c.account_number, c.contract_date,
			v.year, v.make, v.model, v.vin, x.contract_id IS NOT NULL,
			COALESCE(x.taxpayer_id_kind, ''), COALESCE(x.taxpayer_id_last4, ''), COALESCE(x.condition, ''),
			COALESCE(x.original_use_by_borrower, 0), COALESCE(x.personal_use, 0), COALESCE(x.first_lien, 0),
			COALESCE(x.vehicle_type, ''), COALESCE(x.gvwr_lbs, 0), COALESCE(x.us_final_assembly, 0),
			x.origination_date, x.acquisition_date
			FROM contracts c JOIN vehicles v ON v.id = c.vehicle_id
			LEFT JOIN contract_tax_data x ON x.contract_id = c.id
			WHERE c.contract_date <= $1 AND (c.closed_on IS NULL OR c.closed_on >= $2) AND c.id > $3
			ORDER BY c.id LIMIT `+fmt.Sprint(yearBatch), dec31, jan1, after)
		if err != nil {
			return fmt.Errorf("contracts of %d: %w", year, err)
		}
		var batch []candidate
		for rows.Next() {
			var c candidate
			var kind string
			var has bool
			d, err := scanData(rowsScanner{rows, func(dest []any) []any {
				return append([]any{&c.id, &c.customerID, &kind, &c.account, &c.contractDate, &c.vehicleYear, &c.make, &c.model, &c.vin, &has}, dest...)
			}})
			if err != nil {
				rows.Close()
				return fmt.Errorf("contracts of %d: %w", year, err)
			}
			c.kind, c.hasData, c.data = servicing.Kind(kind), has, d
			batch = append(batch, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("contracts of %d: %w", year, err)
		}
		for _, c := range batch {
			if err := fn(c); err != nil {
				return err
			}
		}
		if len(batch) < yearBatch {
			return nil
		}
		after = batch[len(batch)-1].id
	}
}

// rowsScanner puts columns before those scanData reads.
type rowsScanner struct {
	rows   *sql.Rows
	before func([]any) []any
}

func (r rowsScanner) Scan(dest ...any) error { return r.rows.Scan(r.before(dest)...) }

// compute works out a contract's return for a year as the ledger and its
// tax data stand now. ok is false when the loan does not qualify (the
// reason says why).
func compute(ctx context.Context, q db.Querier, c candidate, year int, interest money.Cents) (Return, bool, Reason, error) {
	ok, why := Eligible(Facts{Kind: c.kind, HasData: c.hasData, Data: c.data, Year: year, InterestCents: interest})
	r := Return{ContractID: c.id, CustomerID: c.customerID, Year: year, Eligible: ok, VehicleYear: c.vehicleYear,
		Make: c.make, Model: c.model, VIN: c.vin, AccountNumber: c.account, OriginationDate: c.data.OriginationDate,
		AcquisitionDate: c.data.AcquisitionDate, OriginalUse: c.data.OriginalUseByBorrower, USFinalAssembly: c.data.USFinalAssembly}
	if r.OriginationDate == 0 {
		r.OriginationDate = c.contractDate
	}
	if !ok {
		return r, false, why, nil
	}
	r.Box1InterestCents = interest
	p, err := principalBefore(ctx, q, c.id, box4Date(year, c.contractDate, c.data.AcquisitionDate))
	if err != nil {
		return Return{}, false, "", err
	}
	r.Box4PrincipalCents = max(p, 0)
	return r, true, ReasonNone, nil
}

// insertReturn records a return; inserted is false when another run
// recorded this contract, year and sequence first.
func insertReturn(ctx context.Context, tx *db.Tx, r *Return) (inserted bool, err error) {
	var supersedes any
	if r.SupersedesID != 0 {
		supersedes = r.SupersedesID
	}
	r.Status, r.CreatedAt = StatusPending, tx.Now()
	err = tx.QueryRowContext(ctx, `INSERT INTO tax_returns (contract_id, tax_year, form, seq, corrected, supersedes_id, eligible, status,
		box1_cents, box4_cents, box5_cents, vehicle_year, vehicle_make, vehicle_model, vin, origination_date, acquisition_date,
		original_use, us_final_assembly, account_number, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
		ON CONFLICT DO NOTHING RETURNING id`,
		r.ContractID, r.Year, Form, r.Seq, b01(r.Corrected), supersedes, b01(r.Eligible), r.Status,
		r.Box1InterestCents, r.Box4PrincipalCents, r.Box5RefundCents, r.VehicleYear, r.Make, r.Model, r.VIN, r.OriginationDate,
		r.AcquisitionDate, b01(r.OriginalUse), b01(r.USFinalAssembly), r.AccountNumber, r.CreatedAt).Scan(&r.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record the %d return of contract %d: %w", r.Year, r.ContractID, err)
	}
	return true, nil
}

const returnColumns = `r.id, r.contract_id, c.customer_id, r.tax_year, r.seq, r.corrected, COALESCE(r.supersedes_id, 0), r.eligible, r.status,
	r.box1_cents, r.box4_cents, r.box5_cents, r.vehicle_year, r.vehicle_make, r.vehicle_model, r.vin, r.origination_date,
	r.acquisition_date, r.original_use, r.us_final_assembly, r.account_number, COALESCE(r.document_id, 0), r.mailed_on, r.created_at`

func scanReturn(s interface{ Scan(...any) error }) (Return, error) {
	var r Return
	var corrected, eligible, orig, us int
	err := s.Scan(&r.ID, &r.ContractID, &r.CustomerID, &r.Year, &r.Seq, &corrected, &r.SupersedesID, &eligible, &r.Status,
		&r.Box1InterestCents, &r.Box4PrincipalCents, &r.Box5RefundCents, &r.VehicleYear, &r.Make, &r.Model, &r.VIN,
		&r.OriginationDate, &r.AcquisitionDate, &orig, &us, &r.AccountNumber, &r.DocumentID, &r.MailedOn, &r.CreatedAt)
	r.Corrected, r.Eligible, r.OriginalUse, r.USFinalAssembly = corrected == 1, eligible == 1, orig == 1, us == 1
	return r, err
}

// returnsMax bounds one read of returns (a year of a large book).
const returnsMax = 1_000_000

// Returns lists a year's recorded returns, originals and corrections, by
// contract and sequence.
func Returns(ctx context.Context, q db.Querier, year int) ([]Return, error) {
	return queryReturns(ctx, q, `WHERE r.tax_year = $1 ORDER BY r.contract_id, r.seq LIMIT `+fmt.Sprint(returnsMax), year)
}

// ContractReturns lists a contract's returns for a year, by sequence.
func ContractReturns(ctx context.Context, q db.Querier, contractID int64, year int) ([]Return, error) {
	return queryReturns(ctx, q, `WHERE r.contract_id = $1 AND r.tax_year = $2 ORDER BY r.seq`, contractID, year)
}

func queryReturns(ctx context.Context, q db.Querier, where string, args ...any) ([]Return, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+returnColumns+` FROM tax_returns r JOIN contracts c ON c.id = r.contract_id `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("tax returns: %w", err)
	}
	defer rows.Close()
	var out []Return
	for rows.Next() {
		r, err := scanReturn(rows)
		if err != nil {
			return nil, fmt.Errorf("tax returns: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// latest returns a contract's latest return for a year (ok false: none).
func latest(ctx context.Context, q db.Querier, contractID int64, year int) (Return, bool, error) {
	r, err := scanReturn(q.QueryRowContext(ctx, `SELECT `+returnColumns+` FROM tax_returns r JOIN contracts c ON c.id = r.contract_id
		WHERE r.contract_id = $1 AND r.tax_year = $2 ORDER BY r.seq DESC LIMIT 1`, contractID, year))
	if errors.Is(err, sql.ErrNoRows) {
		return Return{}, false, nil
	}
	if err != nil {
		return Return{}, false, fmt.Errorf("latest %d return of contract %d: %w", year, contractID, err)
	}
	return r, true, nil
}

// ReportStats counts what Report or Corrections did.
type ReportStats struct {
	Contracts int // contracts looked at
	Recorded  int // original returns recorded by this run
	Corrected int // corrected returns recorded by this run
	Existing  int // returns already recorded, left as they were
}

// Report records a tax year's returns, once: every loan that qualifies
// (see [Eligible]) gets its original return with its boxes frozen as the
// ledger stands now. A return already recorded is left as it is, so
// Report is idempotent; what changed since is Corrections' work. It
// returns ErrTaxYear outside 2025-2028 and ErrYearOpen before the year
// has ended (a return holds a whole year).
func (s *Service) Report(ctx context.Context, year int) (ReportStats, error) {
	if err := checkYear(year); err != nil {
		return ReportStats{}, err
	}
	if s.today().Year() <= year {
		return ReportStats{}, fmt.Errorf("report %d on %s: %w", year, s.today(), ErrYearOpen)
	}
	interest, err := InterestReceived(ctx, s.db.Read, year)
	if err != nil {
		return ReportStats{}, err
	}
	var st ReportStats
	err = candidates(ctx, s.db.Read, year, func(c candidate) error {
		st.Contracts++
		return s.db.InTx(ctx, func(tx *db.Tx) error {
			if _, found, err := latest(ctx, tx, c.id, year); err != nil || found {
				if found {
					st.Existing++
				}
				return err
			}
			r, ok, _, err := compute(ctx, tx, c, year, interest[c.id])
			if err != nil || !ok {
				return err
			}
			inserted, err := insertReturn(ctx, tx, &r)
			if inserted {
				st.Recorded++
			}
			return err
		})
	})
	if err != nil {
		return st, err
	}
	if err := s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO tax_years_reported (tax_year, reported_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, year, tx.Now())
		return err
	}); err != nil {
		return st, fmt.Errorf("report %d: %w", year, err)
	}
	return st, nil
}

// reported reports whether Report ran for a year.
func reported(ctx context.Context, q db.Querier, year int) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM tax_years_reported WHERE tax_year = $1`, year).Scan(&n); err != nil {
		return false, fmt.Errorf("tax year %d reported: %w", year, err)
	}
	return n > 0, nil
}

// Corrections looks again at a reported tax year (a daily job runs it):
// each contract's return is worked out as the ledger and its tax data
// stand now and compared with the latest recorded one. Where a figure or
// eligibility differs (a payment of the year reversed or backdated, tax
// data corrected), it records a corrected return superseding the latest
// (the CORRECTED box checked; a loan that no longer qualifies gets one
// with every money box 0) and issues the corrected borrower statement; a
// loan that now qualifies and had none gets its original return. Frozen
// returns are never changed, and a second run finds nothing to do. A year
// not yet reported is left to Report (zero stats).
func (s *Service) Corrections(ctx context.Context, year int) (Stats, error) {
	if err := checkYear(year); err != nil {
		return Stats{}, err
	}
	if ok, err := reported(ctx, s.db.Read, year); err != nil || !ok {
		return Stats{}, err
	}
	var st Stats
	rs, err := s.correct(ctx, year)
	st.ReportStats = rs
	if err != nil {
		return st, err
	}
	err = s.issueStatements(ctx, year, s.today(), &st)
	return st, err
}

func (s *Service) correct(ctx context.Context, year int) (ReportStats, error) {
	interest, err := InterestReceived(ctx, s.db.Read, year)
	if err != nil {
		return ReportStats{}, err
	}
	var st ReportStats
	err = candidates(ctx, s.db.Read, year, func(c candidate) error {
		st.Contracts++
		return s.db.InTx(ctx, func(tx *db.Tx) error {
			last, found, err := latest(ctx, tx, c.id, year)
			if err != nil {
				return err
			}
			r, ok, _, err := compute(ctx, tx, c, year, interest[c.id])
			if err != nil {
				return err
			}
			switch {
			case !found && !ok:
				return nil
			case !found:
				inserted, err := insertReturn(ctx, tx, &r)
				if inserted {
					st.Recorded++
				}
				return err
			case !ok && !last.Eligible:
				st.Existing++
				return nil
			}
			if !ok {
				// Withdraw: the loan no longer qualifies for the year.
				r.Box1InterestCents, r.Box4PrincipalCents, r.Box5RefundCents = 0, 0, 0
			}
			if sameBoxes(r, last) {
				st.Existing++
				return nil
			}
			r.Seq, r.Corrected, r.SupersedesID = last.Seq+1, true, last.ID
			inserted, err := insertReturn(ctx, tx, &r)
			if inserted {
				st.Corrected++
			}
			return err
		})
	})
	return st, err
}
