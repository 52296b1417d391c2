// Package tax reports the interest borrowers pay on qualifying vehicle
// loans: Form 1098-VLI under 26 USC 6050AA (added by Public Law 119-21 of
// 2025), for the deduction of "qualified passenger vehicle loan interest"
// of 26 USC 163(h)(4), tax years 2025-2028.
//
// A lender that receives $600 or more of interest in a calendar year on a
// specified passenger vehicle loan files an information return with the
// IRS and gives the borrower a written statement by January 31 of the
// next year (6050AA(a), (c); [DueBy]). For 2025, Notice 2025-57 relieved
// lenders of the IRS filing: the borrower statement is still due.
//
// carfin records each year's returns once, with their box figures frozen
// ([Service.Report]); a later reversal or backdated posting that changes
// a year's figures becomes a corrected return and a corrected borrower
// statement ([Service.Corrections]), never a silent change. Every
// contract, loan or lease, eligible or not, also gets a year-end
// interest-paid summary ([Service.YearEnd]).
package tax

import (
	"context"
	"errors"
	"fmt"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/keyring"
)

// Lender is the filer (RECIPIENT'S/LENDER'S boxes): name, street address
// lines, telephone and taxpayer id (an EIN).
type Lender struct {
	Name    string
	Address []string
	Phone   string
	TIN     string
}

// Mailer queues a stored document for printing and mailing on a business
// date, in tx (mailhouse.Enqueue). Borrower statements of customers who
// did not consent to electronic delivery go through it.
type Mailer func(ctx context.Context, tx *db.Tx, documentID int64, businessDate calendar.Date) error

// Config is what the tax service needs from the lender's configuration.
type Config struct {
	Lender Lender
	// Keys opens taxpayer ids, for the filing export only (nil: the
	// export refuses; statements show the last four digits without it).
	Keys *keyring.Keyring
	// Mailer queues paper statements; nil leaves them unmailed (counted in
	// Stats.Unmailed) until a run with a mailer.
	Mailer Mailer
	// Zone is the lender's time zone, for the business date of runs that
	// are given none (default UTC).
	Zone *time.Location
}

// Service records returns and issues statements.
type Service struct {
	db  *db.DB
	cfg Config
}

// Errors callers branch on.
var (
	ErrTaxYear  = errors.New("not a tax year of 26 USC 6050AA (2025-2028)")
	ErrYearOpen = errors.New("the tax year has not ended")
	ErrNoKeys   = errors.New("no key ring: CARFIN_PAYMENT_KEYS opens taxpayer ids")
)

// New returns the tax service. It returns an error wrapping ErrInvalid
// when the lender has no name or its taxpayer id is not an EIN.
func New(d *db.DB, cfg Config) (*Service, error) {
	if cfg.Lender.Name == "" {
		return nil, fmt.Errorf("tax: the lender's name is required: %w", ErrInvalid)
	}
	if cfg.Lender.TIN != "" {
		tin, _, err := ValidateTIN(cfg.Lender.TIN, TINEIN)
		if err != nil {
			return nil, fmt.Errorf("tax: lender's taxpayer id: %w", err)
		}
		cfg.Lender.TIN = tin
	}
	if cfg.Zone == nil {
		cfg.Zone = time.UTC
	}
	return &Service{db: d, cfg: cfg}, nil
}

// today is the lender's date now.
func (s *Service) today() calendar.Date { return calendar.Of(s.db.Now().In(s.cfg.Zone)) }

// DueBy returns the day the borrower statements for a tax year are due:
// January 31 of the next year (26 USC 6050AA(c)), or the next business
// day when that is a Saturday, Sunday or legal holiday (26 USC 7503).
func DueBy(year int) calendar.Date {
	return calendar.OnOrAfterBusinessDay(calendar.New(year+1, time.January, 31))
}

// CorrectionYears returns the tax years a daily corrections job looks at
// on a business date: every tax year of the law that has ended by then
// (Corrections itself skips a year not yet reported).
func CorrectionYears(today calendar.Date) []int {
	var out []int
	for y := FirstTaxYear; y <= LastTaxYear && y < today.Year(); y++ {
		out = append(out, y)
	}
	return out
}

func checkYear(year int) error {
	if year < FirstTaxYear || year > LastTaxYear {
		return fmt.Errorf("tax year %d: %w", year, ErrTaxYear)
	}
	return nil
}

// yearSpan is a year's first and last day.
func yearSpan(year int) (calendar.Date, calendar.Date) {
	return calendar.New(year, time.January, 1), calendar.New(year, time.December, 31)
}
