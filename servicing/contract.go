package servicing

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"carfin/calendar"
	"carfin/db"
	"carfin/finance"
	"carfin/ledger"
	"carfin/money"
	"carfin/postal"
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

// Limits on customer fields (an address's are package postal's: the
// Postal Service's, which the letters are laid out for).
const nameLenMax = 100

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
		{"address", c.AddressLine1, true, postal.LineRunesMax}, {"address line 2", c.AddressLine2, false, postal.LineRunesMax},
		{"city", c.City, true, postal.CityRunesMax}, {"phone", c.Phone, false, 20},
	} {
		if err := text(f.name, f.v, f.required, f.maxLen); err != nil {
			return err
		}
	}
	// The address is printed on letters, statements and tax forms and
	// read by the Postal Service: Latin letters, as package postal says.
	for _, f := range []struct{ name, v string }{{"address", c.AddressLine1}, {"address line 2", c.AddressLine2}, {"city", c.City}} {
		if !postal.Printable(f.v) {
			return fmt.Errorf("%s %q has characters a letter cannot print: %w", f.name, f.v, ErrInvalid)
		}
	}
	if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email || len(c.Email) > 254 {
		return fmt.Errorf("email %q is not an address: %w", c.Email, ErrInvalid)
	}
	if !postal.ValidState(c.State) {
		return fmt.Errorf("state %q must be a USPS two-letter code in capitals: %w", c.State, ErrInvalid)
	}
	if !postal.ValidZIP(c.ZIP) {
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

// CreateCustomers records many customers in bulk (an import) and returns
// their ids in order. Every customer is validated first.
func (sv *Service) CreateCustomers(ctx context.Context, cs []NewCustomer) ([]int64, error) {
	today := sv.today(sv.db.Now())
	for i, c := range cs {
		if err := c.Validate(today); err != nil {
			return nil, fmt.Errorf("customer %d: %w", i+1, err)
		}
	}
	var ids []int64
	err := sv.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if ids, err = tx.NextIDs(ctx, "customers", len(cs)); err != nil {
			return err
		}
		rows := make([][]any, len(cs))
		for i, c := range cs {
			rows[i] = []any{ids[i], c.FirstName, c.LastName, c.Email, c.Phone, c.AddressLine1, c.AddressLine2, c.City, c.State,
				c.ZIP, c.BirthDate, c.SSNLast4, tx.Now()}
		}
		return tx.CopyFrom(ctx, "customers", []string{"id", "first_name", "last_name", "email", "phone", "address_line1",
			"address_line2", "city", "state", "zip", "birth_date", "ssn_last4", "created_at"}, rows)
	})
	return ids, err
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
	var ids []int64
	err := sv.db.InTx(ctx, func(tx *db.Tx) error {
		p, err := prepareContract(nc, sv.today(tx.Now()))
		if err != nil {
			return err
		}
		ids, err = writeContracts(ctx, tx, []*preparedContract{p})
		return err
	})
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// openBatchMax bounds the contracts OpenContracts writes per transaction.
const openBatchMax = 5000

// OpenContracts records many funded contracts in bulk (an import from the
// origination system), in transactions of up to openBatchMax contracts.
// Every contract is validated before anything is written; the first bad
// one is returned as an error naming its account number.
func (sv *Service) OpenContracts(ctx context.Context, ncs []NewContract) ([]int64, error) {
	today := sv.today(sv.db.Now())
	prepared := make([]*preparedContract, len(ncs))
	for i, nc := range ncs {
		p, err := prepareContract(nc, today)
		if err != nil {
			return nil, fmt.Errorf("contract %s: %w", nc.AccountNumber, err)
		}
		prepared[i] = p
	}
	ids := make([]int64, 0, len(ncs))
	for start := 0; start < len(prepared); start += openBatchMax {
		batch := prepared[start:min(start+openBatchMax, len(prepared))]
		err := sv.db.InTx(ctx, func(tx *db.Tx) error {
			got, err := writeContracts(ctx, tx, batch)
			if err == nil {
				ids = append(ids, got...)
			}
			return err
		})
		if err != nil {
			return ids, err
		}
	}
	return ids, nil
}

// preparedContract is a validated contract with its computed schedule.
type preparedContract struct {
	nc      NewContract
	vin     string
	dueDay  int
	ins     []Due
	payment money.Cents
	lp      finance.LeasePayment
}

// prepareContract validates a contract and computes its schedule.
func prepareContract(nc NewContract, today calendar.Date) (*preparedContract, error) {
	vin, err := NormalizeVIN(nc.VIN)
	if err != nil {
		return nil, err
	}
	switch {
	case nc.AccountNumber == "" || len(nc.AccountNumber) > accountNumberLenMax || strings.ContainsAny(nc.AccountNumber, " \t\r\n"):
		return nil, fmt.Errorf("account number must be 1–%d characters without spaces: %w", accountNumberLenMax, ErrInvalid)
	case nc.CustomerID <= 0:
		return nil, fmt.Errorf("customer id: %w", ErrInvalid)
	case nc.VehicleYear < 1980 || nc.VehicleYear > today.Year()+2:
		return nil, fmt.Errorf("vehicle year %d: %w", nc.VehicleYear, ErrInvalid)
	case strings.TrimSpace(nc.Make) == "" || strings.TrimSpace(nc.Model) == "" || len(nc.Make) > 50 || len(nc.Model) > 50:
		return nil, fmt.Errorf("vehicle make and model are required: %w", ErrInvalid)
	case nc.ContractDate.IsZero() || nc.ContractDate > today:
		return nil, fmt.Errorf("contract date %s must be on or before %s: %w", nc.ContractDate, today, ErrInvalid)
	case nc.GraceDays < 0 || nc.GraceDays > 60:
		return nil, fmt.Errorf("grace days %d: want 0–60: %w", nc.GraceDays, ErrInvalid)
	case nc.NSFFeeCents < 0 || nc.NSFFeeCents > 100_00:
		return nil, fmt.Errorf("NSF fee %s: want 0–100.00: %w", nc.NSFFeeCents, ErrInvalid)
	}
	if err := nc.LateFee.Validate(); err != nil {
		return nil, err
	}
	if nc.PayAhead == "" {
		nc.PayAhead = PayAheadAdvance
	}
	if nc.PayAhead != PayAheadAdvance && nc.PayAhead != PayAheadPrincipal {
		return nil, fmt.Errorf("pay-ahead %q: %w", nc.PayAhead, ErrInvalid)
	}
	p := &preparedContract{vin: vin, dueDay: nc.DueDay}
	if p.dueDay == 0 && !nc.FirstDue.IsZero() {
		p.dueDay = nc.FirstDue.Day()
	}
	switch nc.Kind {
	case KindLoan:
		if nc.Waterfall == nil {
			nc.Waterfall = DefaultLoanWaterfall
		}
		if nc.AmountFinancedCents > 10_000_000_00 || nc.APR > money.Rate(100*money.RateScale) {
			return nil, fmt.Errorf("amount financed at most 10,000,000.00 and APR at most 100: %w", ErrInvalid)
		}
		lt := finance.LoanTerms{AmountCents: nc.AmountFinancedCents, APR: nc.APR, Term: nc.TermMonths, Start: nc.ContractDate,
			FirstDue: nc.FirstDue, DueDay: p.dueDay, DayCount: nc.DayCount}
		if p.ins, err = LoanInstallments(lt); err != nil {
			return nil, fmt.Errorf("schedule: %w", joinInvalid(err))
		}
		p.payment = p.ins[0].AmountCents
	case KindLease:
		if nc.Waterfall == nil {
			nc.Waterfall = DefaultLeaseWaterfall
		}
		l := nc.Lease
		if l == nil {
			return nil, fmt.Errorf("lease terms are required for a lease: %w", ErrInvalid)
		}
		if nc.FirstDue.IsZero() || nc.FirstDue < nc.ContractDate || int(nc.FirstDue-nc.ContractDate) > 45 {
			return nil, fmt.Errorf("a lease's first payment is due within 45 days of signing: %w", ErrInvalid)
		}
		if l.MileageAllowance <= 0 || l.ExcessMileRateCents < 0 || l.ExcessMileRateCents > 5_00 || l.OdometerStart < 0 ||
			l.PurchaseOptionCents < 0 || l.PurchaseFeeCents < 0 || l.DispositionFeeCents < 0 || l.DispositionFeeCents > 2000_00 {
			return nil, fmt.Errorf("lease mileage, fees and purchase option must be sensible: %w", ErrInvalid)
		}
		p.lp, err = finance.LeaseMonthly(finance.LeaseTerms{GrossCapCostCents: l.GrossCapCostCents, CapCostReductionCents: l.CapCostReductionCents,
			ResidualCents: l.ResidualCents, MoneyFactor: l.MoneyFactor, Term: nc.TermMonths, TaxRate: l.TaxRate})
		if err != nil {
			return nil, fmt.Errorf("lease: %w", joinInvalid(err))
		}
		if p.ins, err = LeaseInstallments(p.lp, l.ResidualCents, nc.TermMonths, nc.FirstDue, p.dueDay); err != nil {
			return nil, err
		}
		nc.AmountFinancedCents = p.lp.AdjustedCapCostCents
		nc.APR = l.MoneyFactor.APR()
		p.payment = p.lp.PaymentCents
	default:
		return nil, fmt.Errorf("contract kind %q: want loan or lease: %w", nc.Kind, ErrInvalid)
	}
	if _, err := ParseWaterfall(nc.Kind, FormatWaterfall(nc.Waterfall)); err != nil {
		return nil, err
	}
	p.nc = nc
	return p, nil
}

// writeContracts writes prepared contracts in bulk: vehicles, contracts,
// lease terms, installments, funding events and entries, and balances.
// A VIN or account number already on file fails the whole batch.
func writeContracts(ctx context.Context, tx *db.Tx, ps []*preparedContract) ([]int64, error) {
	n := len(ps)
	vehicleIDs, err := tx.NextIDs(ctx, "vehicles", n)
	if err != nil {
		return nil, err
	}
	ids, err := tx.NextIDs(ctx, "contracts", n)
	if err != nil {
		return nil, err
	}
	eventIDs, err := tx.NextIDs(ctx, "servicing_events", n)
	if err != nil {
		return nil, err
	}
	vehicles := make([][]any, n)
	contracts := make([][]any, n)
	var leases, installments, events [][]any
	now := tx.Now()
	for i, p := range ps {
		nc := p.nc
		vehicles[i] = []any{vehicleIDs[i], p.vin, nc.VehicleYear, strings.TrimSpace(nc.Make), strings.TrimSpace(nc.Model)}
		contracts[i] = []any{ids[i], nc.AccountNumber, nc.CustomerID, vehicleIDs[i], string(nc.Kind), "active", int64(nc.AmountFinancedCents),
			int64(nc.APR), nc.TermMonths, int64(p.payment), nc.ContractDate, p.ins[0].Date, p.dueDay, p.ins[len(p.ins)-1].Date,
			nc.DayCount.String(), nc.GraceDays, nc.LateFee.Kind, int64(nc.LateFee.FixedCents), int64(nc.LateFee.Rate),
			int64(nc.LateFee.CapCents), int64(nc.NSFFeeCents), FormatWaterfall(nc.Waterfall), string(nc.PayAhead),
			packSchedule(nc.ContractDate, p.ins), now}
		if l := nc.Lease; nc.Kind == KindLease {
			leases = append(leases, []any{ids[i], int64(l.GrossCapCostCents), int64(l.CapCostReductionCents), int64(l.ResidualCents),
				int64(l.MoneyFactor), int64(p.lp.BasePaymentCents), int64(l.TaxRate), int64(p.lp.TaxCents), l.MileageAllowance,
				int64(l.ExcessMileRateCents), int64(l.PurchaseOptionCents), int64(l.PurchaseFeeCents), int64(l.DispositionFeeCents),
				l.OdometerStart})
		}
		for _, in := range p.ins {
			installments = append(installments, []any{ids[i], in.Number, in.Date, int64(in.AmountCents), int64(in.CumulativeCents),
				int64(in.DepreciationCents), int64(in.RentCents), int64(in.TaxCents)})
		}
		req := eventRequest{ContractID: ids[i], Event: Event{Kind: EventFunding, Date: nc.ContractDate, AmountCents: nc.AmountFinancedCents},
			Key: "fund:" + nc.AccountNumber, Actor: "origination"}
		events = append(events, []any{eventIDs[i], ids[i], string(EventFunding), nc.ContractDate, int64(nc.AmountFinancedCents),
			nil, int64(0), req.Key, req.hash(), req.Actor, "", now})
	}
	for _, w := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"vehicles", []string{"id", "vin", "year", "make", "model"}, vehicles},
		{"contracts", []string{"id", "account_number", "customer_id", "vehicle_id", "kind", "state", "amount_financed_cents",
			"apr_rate", "term_months", "payment_cents", "contract_date", "first_due_date", "due_day", "maturity_date", "day_count",
			"grace_days", "late_fee_kind", "late_fee_cents", "late_fee_rate", "late_fee_cap_cents", "nsf_fee_cents", "waterfall",
			"pay_ahead", "schedule", "created_at"}, contracts},
		{"lease_terms", []string{"contract_id", "gross_cap_cost_cents", "cap_cost_reduction_cents", "residual_cents", "money_factor",
			"base_payment_cents", "tax_rate", "tax_cents", "mileage_allowance", "excess_mile_cents", "purchase_option_cents",
			"purchase_fee_cents", "disposition_fee_cents", "odometer_start"}, leases},
		{"installments", []string{"contract_id", "number", "due_date", "amount_cents", "cumulative_cents", "depreciation_cents",
			"rent_cents", "tax_cents"}, installments},
		{"servicing_events", []string{"id", "contract_id", "kind", "effective_date", "amount_cents", "target_event_id", "odometer",
			"idempotency_key", "request_hash", "actor", "memo", "created_at"}, events},
	} {
		if err := tx.CopyFrom(ctx, w.table, w.cols, w.rows); err != nil {
			if db.IsUniqueViolation(err) {
				return nil, fmt.Errorf("a VIN or account number is already on file: %w", ErrInvalid)
			}
			if db.IsForeignKeyViolation(err) {
				return nil, fmt.Errorf("unknown customer: %w", ErrInvalid)
			}
			return nil, err
		}
	}
	var entries []*ledger.Transaction
	rows := make([]balanceRow, n)
	for i, p := range ps {
		t := termsOf(ids[i], p)
		s, es, err := Apply(t, State{}, Event{ID: eventIDs[i], Kind: EventFunding, Date: p.nc.ContractDate, AmountCents: p.nc.AmountFinancedCents})
		if err != nil {
			return nil, err
		}
		k := cached{accruedThrough: p.nc.ContractDate}
		entries = append(entries, toLedger(ids[i], es, &k, "funding")...)
		rows[i], _ = balanceRowOf(t, s, k)
	}
	if err := ledger.PostMany(ctx, tx, entries); err != nil {
		return nil, err
	}
	if err := insertBalances(ctx, tx, rows); err != nil {
		return nil, err
	}
	return ids, nil
}

// termsOf returns the Terms of a prepared contract, as loadTerms would read
// them back.
func termsOf(id int64, p *preparedContract) *Terms {
	nc := p.nc
	t := &Terms{ContractID: id, Kind: nc.Kind, APR: nc.APR, DayCount: nc.DayCount, GraceDays: nc.GraceDays, LateFee: nc.LateFee,
		NSFFeeCents: nc.NSFFeeCents, Waterfall: nc.Waterfall, PayAhead: nc.PayAhead, ContractDate: nc.ContractDate,
		AmountFinancedCents: nc.AmountFinancedCents, Installments: p.ins}
	if l := nc.Lease; nc.Kind == KindLease {
		t.ResidualCents, t.PurchaseOptionCents, t.PurchaseFeeCents = l.ResidualCents, l.PurchaseOptionCents, l.PurchaseFeeCents
		t.DispositionFeeCents, t.MileageAllowance, t.ExcessMileRateCents, t.OdometerStart = l.DispositionFeeCents,
			l.MileageAllowance, l.ExcessMileRateCents, l.OdometerStart
	}
	return t
}

func joinInvalid(err error) error { return fmt.Errorf("%w: %w", ErrInvalid, err) }

// Today returns the lender's business date now.
func (sv *Service) Today() calendar.Date { return sv.today(sv.db.Now()) }
