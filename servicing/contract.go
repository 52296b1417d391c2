package servicing

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"carfin/calendar"
	"carfin/db"
	"carfin/finance"
	"carfin/ledger"
	"carfin/money"
)

// NewCustomer is a borrower or lessee as the lender's origination system
// hands them over. carfin keeps only what servicing and identity checks
// need: no full SSN, only its last four digits.
type NewCustomer struct {
	FirstName, LastName string
	Email, Phone        string
	AddressLine1        string
	AddressLine2        string
	City, State, ZIP    string
	BirthDate           calendar.Date
	SSNLast4            string
}

// Limits on customer fields.
const (
	nameLenMax    = 100
	addressLenMax = 200
)

// Validate reports the first problem with the customer, naming the field.
func (c NewCustomer) Validate(today calendar.Date) error {
	text := func(field, v string, required bool, maxLen int) error {
		if required && strings.TrimSpace(v) == "" {
			return fmt.Errorf("%s is required: %w", field, ErrInvalid)
		}
		if utf8.RuneCountInString(v) > maxLen || !utf8.ValidString(v) || strings.ContainsAny(v, "\x00\r\n") {
			return fmt.Errorf("%s is too long or has control characters: %w", field, ErrInvalid)
		}
		return nil
	}
	for _, f := range []struct {
		name, v  string
		required bool
		maxLen   int
	}{
		{"first name", c.FirstName, true, nameLenMax}, {"last name", c.LastName, true, nameLenMax},
		{"address", c.AddressLine1, true, addressLenMax}, {"address line 2", c.AddressLine2, false, addressLenMax},
		{"city", c.City, true, nameLenMax}, {"phone", c.Phone, false, 20},
	} {
		if err := text(f.name, f.v, f.required, f.maxLen); err != nil {
			return err
		}
	}
	if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email || len(c.Email) > 254 {
		return fmt.Errorf("email %q is not an address: %w", c.Email, ErrInvalid)
	}
	if len(c.State) != 2 || strings.ToUpper(c.State) != c.State || !isLetters(c.State) {
		return fmt.Errorf("state must be a two-letter code: %w", ErrInvalid)
	}
	zip5 := len(c.ZIP) == 5 && isDigits(c.ZIP)
	zip9 := len(c.ZIP) == 10 && c.ZIP[5] == '-' && isDigits(c.ZIP[:5]+c.ZIP[6:])
	if !zip5 && !zip9 {
		return fmt.Errorf("ZIP code must be 12345 or 12345-6789: %w", ErrInvalid)
	}
	if len(c.SSNLast4) != 4 || !isDigits(c.SSNLast4) {
		return fmt.Errorf("SSN last four must be four digits: %w", ErrInvalid)
	}
	if c.BirthDate.IsZero() || c.BirthDate > today.AddMonths(-16*12) || c.BirthDate < calendar.New(1900, 1, 1) {
		return fmt.Errorf("date of birth %s is not plausible for a borrower: %w", c.BirthDate, ErrInvalid)
	}
	return nil
}

func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isLetters(s string) bool {
	for i := range len(s) {
		if (s[i] < 'A' || s[i] > 'Z') && (s[i] < 'a' || s[i] > 'z') {
			return false
		}
	}
	return s != ""
}

// CreateCustomer records a customer and returns the id.
func (sv *Service) CreateCustomer(ctx context.Context, c NewCustomer) (int64, error) {
	var id int64
	err := sv.db.InTx(ctx, func(tx *db.Tx) error {
		if err := c.Validate(sv.today(tx.Now())); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO customers (first_name, last_name, email, phone, address_line1, address_line2,
			city, state, zip, birth_date, ssn_last4, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			c.FirstName, c.LastName, c.Email, c.Phone, c.AddressLine1, c.AddressLine2, c.City, c.State, c.ZIP,
			c.BirthDate, c.SSNLast4, tx.Now()).Scan(&id)
	})
	return id, err
}

// NewLease holds a lease's Regulation M figures.
type NewLease struct {
	GrossCapCostCents     money.Cents
	CapCostReductionCents money.Cents
	ResidualCents         money.Cents
	MoneyFactor           money.MoneyFactor
	TaxRate               money.Rate
	MileageAllowance      int64 // miles over the whole term
	ExcessMileRateCents   money.Cents
	PurchaseOptionCents   money.Cents
	PurchaseFeeCents      money.Cents
	DispositionFeeCents   money.Cents
	OdometerStart         int64
}

// NewContract is a funded contract handed over for servicing.
type NewContract struct {
	AccountNumber string
	CustomerID    int64
	VIN           string
	VehicleYear   int
	Make, Model   string
	Kind          Kind
	// Loans: the amount financed and APR. Leases: computed from Lease.
	AmountFinancedCents money.Cents
	APR                 money.Rate
	TermMonths          int
	ContractDate        calendar.Date // funding; interest starts here
	FirstDue            calendar.Date
	DueDay              int // 0: FirstDue's day
	DayCount            finance.DayCount
	GraceDays           int
	LateFee             LateFeeRule
	NSFFeeCents         money.Cents
	Waterfall           []Bucket // nil: the default for the kind
	PayAhead            PayAhead // "": advance
	Lease               *NewLease
}

// accountNumberLenMax bounds account numbers.
const accountNumberLenMax = 32

// OpenContract records a funded contract: vehicle, contract, installment
// schedule, funding entry and balances, in one transaction. It returns
// ErrInvalid (wrapped with the field) for bad terms, ErrVIN for a bad VIN.
func (sv *Service) OpenContract(ctx context.Context, nc NewContract) (int64, error) {
	var id int64
	err := sv.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		id, err = sv.openContractTx(ctx, tx, nc)
		return err
	})
	return id, err
}

func (sv *Service) openContractTx(ctx context.Context, tx *db.Tx, nc NewContract) (int64, error) {
	vin, err := NormalizeVIN(nc.VIN)
	if err != nil {
		return 0, err
	}
	today := sv.today(tx.Now())
	switch {
	case nc.AccountNumber == "" || len(nc.AccountNumber) > accountNumberLenMax || strings.ContainsAny(nc.AccountNumber, " \t\r\n"):
		return 0, fmt.Errorf("account number must be 1–%d characters without spaces: %w", accountNumberLenMax, ErrInvalid)
	case nc.VehicleYear < 1980 || nc.VehicleYear > today.Year()+2:
		return 0, fmt.Errorf("vehicle year %d: %w", nc.VehicleYear, ErrInvalid)
	case strings.TrimSpace(nc.Make) == "" || strings.TrimSpace(nc.Model) == "" || len(nc.Make) > 50 || len(nc.Model) > 50:
		return 0, fmt.Errorf("vehicle make and model are required: %w", ErrInvalid)
	case nc.ContractDate.IsZero() || nc.ContractDate > today:
		return 0, fmt.Errorf("contract date %s must be on or before %s: %w", nc.ContractDate, today, ErrInvalid)
	case nc.GraceDays < 0 || nc.GraceDays > 60:
		return 0, fmt.Errorf("grace days %d: want 0–60: %w", nc.GraceDays, ErrInvalid)
	case nc.NSFFeeCents < 0 || nc.NSFFeeCents > 100_00:
		return 0, fmt.Errorf("NSF fee %s: want 0–100.00: %w", nc.NSFFeeCents, ErrInvalid)
	}
	if err := nc.LateFee.Validate(); err != nil {
		return 0, err
	}
	if nc.PayAhead == "" {
		nc.PayAhead = PayAheadAdvance
	}
	if nc.PayAhead != PayAheadAdvance && nc.PayAhead != PayAheadPrincipal {
		return 0, fmt.Errorf("pay-ahead %q: %w", nc.PayAhead, ErrInvalid)
	}
	dueDay := nc.DueDay
	if dueDay == 0 && !nc.FirstDue.IsZero() {
		dueDay = nc.FirstDue.Day()
	}
	var ins []Due
	var payment money.Cents
	var lp finance.LeasePayment
	switch nc.Kind {
	case KindLoan:
		if nc.Waterfall == nil {
			nc.Waterfall = DefaultLoanWaterfall
		}
		if nc.AmountFinancedCents > 10_000_000_00 || nc.APR > money.Rate(100*money.RateScale) {
			return 0, fmt.Errorf("amount financed at most 10,000,000.00 and APR at most 100: %w", ErrInvalid)
		}
		lt := finance.LoanTerms{AmountCents: nc.AmountFinancedCents, APR: nc.APR, Term: nc.TermMonths, Start: nc.ContractDate,
			FirstDue: nc.FirstDue, DueDay: dueDay, DayCount: nc.DayCount}
		if ins, err = LoanInstallments(lt); err != nil {
			return 0, fmt.Errorf("schedule: %w", joinInvalid(err))
		}
		payment = ins[0].AmountCents
	case KindLease:
		if nc.Waterfall == nil {
			nc.Waterfall = DefaultLeaseWaterfall
		}
		l := nc.Lease
		if l == nil {
			return 0, fmt.Errorf("lease terms are required for a lease: %w", ErrInvalid)
		}
		if nc.FirstDue.IsZero() || nc.FirstDue < nc.ContractDate || int(nc.FirstDue-nc.ContractDate) > 45 {
			return 0, fmt.Errorf("a lease's first payment is due within 45 days of signing: %w", ErrInvalid)
		}
		if l.MileageAllowance <= 0 || l.ExcessMileRateCents < 0 || l.ExcessMileRateCents > 5_00 || l.OdometerStart < 0 ||
			l.PurchaseOptionCents < 0 || l.PurchaseFeeCents < 0 || l.DispositionFeeCents < 0 || l.DispositionFeeCents > 2000_00 {
			return 0, fmt.Errorf("lease mileage, fees and purchase option must be sensible: %w", ErrInvalid)
		}
		lp, err = finance.LeaseMonthly(finance.LeaseTerms{GrossCapCostCents: l.GrossCapCostCents, CapCostReductionCents: l.CapCostReductionCents,
			ResidualCents: l.ResidualCents, MoneyFactor: l.MoneyFactor, Term: nc.TermMonths, TaxRate: l.TaxRate})
		if err != nil {
			return 0, fmt.Errorf("lease: %w", joinInvalid(err))
		}
		if ins, err = LeaseInstallments(lp, l.ResidualCents, nc.TermMonths, nc.FirstDue, dueDay); err != nil {
			return 0, err
		}
		nc.AmountFinancedCents = lp.AdjustedCapCostCents
		nc.APR = l.MoneyFactor.APR()
		payment = lp.PaymentCents
	default:
		return 0, fmt.Errorf("contract kind %q: want loan or lease: %w", nc.Kind, ErrInvalid)
	}
	if _, err := ParseWaterfall(nc.Kind, FormatWaterfall(nc.Waterfall)); err != nil {
		return 0, err
	}
	var customerExists int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM customers WHERE id = $1`, nc.CustomerID).Scan(&customerExists); err != nil {
		return 0, err
	}
	if customerExists == 0 {
		return 0, fmt.Errorf("customer %d: %w", nc.CustomerID, ErrInvalid)
	}
	var vehicleID int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO vehicles (vin, year, make, model) VALUES ($1, $2, $3, $4) RETURNING id`,
		vin, nc.VehicleYear, strings.TrimSpace(nc.Make), strings.TrimSpace(nc.Model)).Scan(&vehicleID); err != nil {
		if db.IsUniqueViolation(err) {
			return 0, fmt.Errorf("VIN %s is already on a contract: %w", vin, ErrInvalid)
		}
		return 0, fmt.Errorf("record vehicle: %w", err)
	}
	maturity := ins[len(ins)-1].Date
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO contracts (account_number, customer_id, vehicle_id, kind, state, amount_financed_cents,
		apr_rate, term_months, payment_cents, contract_date, first_due_date, due_day, maturity_date, day_count, grace_days,
		late_fee_kind, late_fee_cents, late_fee_rate, late_fee_cap_cents, nsf_fee_cents, waterfall, pay_ahead, schedule, created_at)
		VALUES ($1, $2, $3, $4, 'active', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
		RETURNING id`,
		nc.AccountNumber, nc.CustomerID, vehicleID, string(nc.Kind), nc.AmountFinancedCents, nc.APR, nc.TermMonths, payment,
		nc.ContractDate, ins[0].Date, dueDay, maturity, nc.DayCount.String(), nc.GraceDays, nc.LateFee.Kind, nc.LateFee.FixedCents,
		nc.LateFee.Rate, nc.LateFee.CapCents, nc.NSFFeeCents, FormatWaterfall(nc.Waterfall), string(nc.PayAhead),
		packSchedule(nc.ContractDate, ins), tx.Now()).Scan(&id)
	if err != nil {
		if db.IsUniqueViolation(err) {
			return 0, fmt.Errorf("account number %s is taken: %w", nc.AccountNumber, ErrInvalid)
		}
		return 0, fmt.Errorf("record contract: %w", err)
	}
	if nc.Kind == KindLease {
		l := nc.Lease
		if _, err := tx.ExecContext(ctx, `INSERT INTO lease_terms (contract_id, gross_cap_cost_cents, cap_cost_reduction_cents,
			residual_cents, money_factor, base_payment_cents, tax_rate, tax_cents, mileage_allowance, excess_mile_cents,
			purchase_option_cents, purchase_fee_cents, disposition_fee_cents, odometer_start)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			id, l.GrossCapCostCents, l.CapCostReductionCents, l.ResidualCents, l.MoneyFactor, lp.BasePaymentCents, l.TaxRate,
			lp.TaxCents, l.MileageAllowance, l.ExcessMileRateCents, l.PurchaseOptionCents, l.PurchaseFeeCents,
			l.DispositionFeeCents, l.OdometerStart); err != nil {
			return 0, fmt.Errorf("record lease terms: %w", err)
		}
	}
	rows := make([][]any, len(ins))
	for i, in := range ins {
		rows[i] = []any{id, in.Number, in.Date, int64(in.AmountCents), int64(in.CumulativeCents),
			int64(in.DepreciationCents), int64(in.RentCents), int64(in.TaxCents)}
	}
	if err := tx.CopyFrom(ctx, "installments", []string{"contract_id", "number", "due_date", "amount_cents", "cumulative_cents",
		"depreciation_cents", "rent_cents", "tax_cents"}, rows); err != nil {
		return 0, err
	}
	t, err := loadTerms(ctx, tx, id)
	if err != nil {
		return 0, err
	}
	req := eventRequest{ContractID: id, Event: Event{Kind: EventFunding, Date: nc.ContractDate, AmountCents: nc.AmountFinancedCents},
		Key: "fund:" + nc.AccountNumber, Actor: "origination"}
	evID, err := insertEvent(ctx, tx, req)
	if err != nil {
		return 0, err
	}
	req.Event.ID = evID
	s, entries, err := Apply(t, State{}, req.Event)
	if err != nil {
		return 0, err
	}
	k := cached{accruedThrough: nc.ContractDate}
	if err := ledger.PostMany(ctx, tx, toLedger(id, entries, &k, "funding")); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO contract_balances (contract_id, principal_cents, interest_cents, fees_cents,
		billed_cents, interest_from, credited_cents, late_checked_through, billed_through, advanced_through, paid_interest_cents,
		next_unpaid_number, next_unpaid_due, next_event_date, accrued_cents, accrued_through, days_past_due, bucket, posting_seq, updated_at)
		VALUES ($1, 0, 0, 0, 0, $2, 0, 0, 0, $2, 0, 1, NULL, NULL, 0, $2, 0, 'current', 0, $3)`, id, nc.ContractDate, tx.Now()); err != nil {
		return 0, fmt.Errorf("record balances: %w", err)
	}
	if err := sv.saveState(ctx, tx, t, s, k); err != nil {
		return 0, err
	}
	return id, nil
}

func joinInvalid(err error) error { return fmt.Errorf("%w: %w", ErrInvalid, err) }

// Today returns the lender's business date now.
func (sv *Service) Today() calendar.Date { return sv.today(time.Now()) }
