package payments

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"carfin/audit"
	"carfin/calendar"
	"carfin/db"
	"carfin/money"
)

// AutopayStatus is where an enrolment stands.
type AutopayStatus string

const (
	AutopayActive AutopayStatus = "active"
	// AutopaySuspended: a return (account closed, unauthorized…) stopped
	// the debits until the customer gives a new account.
	AutopaySuspended AutopayStatus = "suspended"
	AutopayStopped   AutopayStatus = "stopped"
)

// AuthorizationVersion is the version of the autopay authorization text.
// Change it whenever AuthorizationTemplate changes: an enrolment or change
// must be accepted on the current version.
const AuthorizationVersion = "2026-11-v1"

// AuthorizationTemplate is the Reg E 1005.10(b) authorization a customer
// accepts to enrol (placeholders in braces). It states the amount, the
// timing, the account, that a paid installment is skipped, how to revoke, the 10-day notice of a different amount
// (1005.10(d)), and that autopay is optional (1005.10(e)(1): no credit
// may be conditioned on it).
const AuthorizationTemplate = `I authorize {lender} to debit my {accountType} account {method} at {bank} by ACH for my {kind} account {contract}: each installment of {installment}{extra}, {when}, starting with the installment due on or after {start}, until I stop autopay or the contract is paid.

If an installment is already paid when its debit is due, {lender} will skip that debit. If a debit will be a different amount, such as my final installment, {lender} will tell me the amount and date at least 10 days before.

I can change or stop autopay in the portal, or by calling {lender}, at least 3 business days before a debit. I can also stop a debit by telling my bank at least 3 business days before it.

Autopay is optional: my credit does not depend on it. If a debit is returned unpaid, {lender} may charge the returned-payment fee in my contract and may present the debit again as NACHA rules allow.

I will receive a copy of this authorization by email.`

// Autopay is an enrolment as the portal shows it.
type Autopay struct {
	ID              int64
	CustomerID      int64
	ContractID      int64
	ContractAccount string
	MethodID        int64
	MethodLabel     string
	// Method is the account as far as a label needs it.
	Method               Method
	Status               AutopayStatus
	StatusReason         string
	InstallmentCents     money.Cents
	ExtraCents           money.Cents
	DaysBefore           int
	StartDate            calendar.Date
	FirstInstallment     int
	SEC                  string
	AuthorizationText    string
	AuthorizationVersion string
	AuthorizedAt         time.Time
	// NextDebit is the next debit, if one is due (zero Date: none).
	NextDebit Debit
}

// Debit is one autopay debit, planned or created.
type Debit struct {
	Installment int
	DueDate     calendar.Date
	Date        calendar.Date
	AmountCents money.Cents
	// Locked: the debit is fixed (created three business days before it
	// goes out); a change or stop applies to the debit after it.
	Locked bool
}

// AmountText describes the amount in English: "the installment
// ($412.50) plus $50.00".
func (a Autopay) AmountText() string { return autopayAmount("en", a) }

// DayText describes the timing in English: "on each due date" or "3 days
// before each due date", moved to the next business day when it is not
// one.
func (a Autopay) DayText() string { return autopayTiming("en", a.DaysBefore) }

// AutopayRequest is the autopay form.
type AutopayRequest struct {
	ContractID int64
	MethodID   int64
	// Extra is an amount added to each installment ("" or "0": none).
	Extra string
	// DaysBefore: 0 debits on the due date, up to Config.AutopayDaysBeforeMax before.
	DaysBefore int
	// StartDate: the first debit is for the first installment due on or
	// after it (zero: the earliest installment whose debit can still be
	// set up).
	StartDate calendar.Date
	// Accepted and Version: the customer accepted the authorization text
	// of this version (AutopayTerms rendered it).
	Accepted bool
	Version  string
	// InWriting marks an authorization signed on paper and entered by
	// staff: its debits go out as PPD, not WEB.
	InWriting bool
	IP        string
}

// AutopayTerms is the review step of enrolment: the rendered
// authorization and the first debit.
type AutopayTerms struct {
	Text       string
	Version    string
	ExtraCents money.Cents
	StartDate  calendar.Date
	FirstDebit Debit
	Method     Method
	Contract   string
}

// DebitDate is the day autopay debits an installment due on due:
// daysBefore earlier, moved to the next business day when it is not one.
// Statements print it.
func DebitDate(due calendar.Date, daysBefore int) calendar.Date { return debitDate(due, daysBefore) }

// debitDate is the day an installment due on due is debited: daysBefore
// earlier, moved to the next business day when it is not one.
func debitDate(due calendar.Date, daysBefore int) calendar.Date {
	return calendar.OnOrAfterBusinessDay(due - calendar.Date(daysBefore))
}

// lockDate is the business day at whose cut-off a debit going out on d
// is fixed: autopayLockBusinessDays business days before it.
func lockDate(d calendar.Date) calendar.Date {
	return calendar.AddBusinessDays(d, -autopayLockBusinessDays)
}

// remaining is what installment k still needs, given what was credited.
func remaining(in installment, credited money.Cents) money.Cents {
	return max(0, in.cumulative-max(credited, in.cumulative-in.amount))
}

// AutopayTerms validates the autopay form and renders the authorization
// text to show for acceptance. It returns ErrNotFound (contract, method),
// ErrContractClosed, ErrMethodUnusable (autopay needs a validated bank
// account), ErrNotValidated, ErrAmount (extra), ErrDate (days before or
// start date) or ErrAutopayExists.
func (s *Service) AutopayTerms(ctx context.Context, customerID int64, r AutopayRequest) (AutopayTerms, error) {
	return s.autopayTerms(ctx, s.db.Read, customerID, r, s.db.Now(), 0)
}

// ChangeTerms is AutopayTerms for a change of the contract's live
// enrolment: the authorization the customer accepts for ChangeAutopay,
// and the first debit the change applies to. It returns AutopayTerms'
// errors, and ErrNotFound when the contract has no live enrolment.
func (s *Service) ChangeTerms(ctx context.Context, customerID int64, r AutopayRequest) (AutopayTerms, error) {
	cur, err := s.autopayTx(ctx, s.db.Read, customerID, r.ContractID)
	if err != nil {
		return AutopayTerms{}, err
	}
	return s.autopayTerms(ctx, s.db.Read, customerID, r, s.db.Now(), cur.ID)
}

func (s *Service) autopayTerms(ctx context.Context, q db.Querier, customerID int64, r AutopayRequest, now time.Time, changing int64) (AutopayTerms, error) {
	c, err := loadContract(ctx, q, customerID, r.ContractID)
	if err != nil {
		return AutopayTerms{}, err
	}
	if !c.open() {
		return AutopayTerms{}, fmt.Errorf("contract %s is %s: %w", c.account, c.state, ErrContractClosed)
	}
	m, err := s.methodTx(ctx, q, customerID, r.MethodID)
	if err != nil {
		return AutopayTerms{}, err
	}
	today := s.cfg.Cutoff.Today(now)
	if m.Kind != KindBank {
		return AutopayTerms{}, fmt.Errorf("autopay needs a bank account: %w", ErrMethodUnusable)
	}
	if err := m.Usable(today); err != nil {
		return AutopayTerms{}, err
	}
	var extra money.Cents
	if e := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(r.Extra), "$")); e != "" {
		if extra, err = money.Parse(e); err != nil {
			return AutopayTerms{}, fmt.Errorf("extra amount %q: %w: %w", r.Extra, ErrAmount, err)
		}
		if extra < 0 || extra > 10*c.paymentCents {
			return AutopayTerms{}, fmt.Errorf("extra amount %s: %w", extra, ErrAmount)
		}
	}
	if r.DaysBefore < 0 || r.DaysBefore > s.cfg.AutopayDaysBeforeMax {
		return AutopayTerms{}, fmt.Errorf("days before the due date must be 0–%d: %w", s.cfg.AutopayDaysBeforeMax, ErrDate)
	}
	if !r.StartDate.IsZero() && (r.StartDate < today || r.StartDate > today+366) {
		return AutopayTerms{}, fmt.Errorf("start date %s must be within a year from today: %w", r.StartDate, ErrDate)
	}
	var live int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM autopay_enrolments WHERE contract_id = $1 AND status <> 'stopped' AND id <> $2`,
		r.ContractID, changing).Scan(&live); err != nil {
		return AutopayTerms{}, err
	}
	if live > 0 {
		return AutopayTerms{}, fmt.Errorf("contract %s: %w", c.account, ErrAutopayExists)
	}
	// The first debit: the first installment, due on or after the start
	// date, not yet paid and not already debited, whose debit is not yet
	// fixed (its lock cut-off is still ahead).
	last, err := lastDebited(ctx, q, c.id)
	if err != nil {
		return AutopayTerms{}, err
	}
	var first Debit
	for _, in := range c.installments {
		if in.number < c.nextUnpaid || in.due < r.StartDate || in.number <= last {
			continue
		}
		d := debitDate(in.due, r.DaysBefore)
		if !now.Before(s.cfg.Cutoff.Deadline(lockDate(d))) {
			continue
		}
		first = Debit{Installment: in.number, DueDate: in.due, Date: d, AmountCents: in.amount + extra}
		break
	}
	if first.Date.IsZero() {
		return AutopayTerms{}, fmt.Errorf("no installment is left to debit after %s: %w", r.StartDate, ErrDate)
	}
	kind := "auto loan"
	if c.kind == "lease" {
		kind = "vehicle lease"
	}
	extraText := ""
	if extra > 0 {
		extraText = " plus " + extra.Dollars() + " more each time"
	}
	accountType := "checking"
	if m.AccountType == "savings" {
		accountType = "savings"
	}
	bank := m.BankName
	if bank == "" {
		bank = "the bank with routing number " + m.RoutingNumber
	}
	text := strings.NewReplacer("{lender}", s.cfg.LenderName, "{accountType}", accountType, "{method}", m.Masked(), "{bank}", bank,
		"{kind}", kind, "{contract}", c.account, "{installment}", c.paymentCents.Dollars(), "{extra}", extraText,
		"{when}", autopayTiming("en", r.DaysBefore), "{start}", first.DueDate.Time().Format("January 2, 2006")).Replace(AuthorizationTemplate)
	return AutopayTerms{Text: text, Version: AuthorizationVersion, ExtraCents: extra, StartDate: first.DueDate, FirstDebit: first, Method: m, Contract: c.account}, nil
}

// lastDebited returns the highest installment of a contract that has an
// autopay debit (whatever became of it), 0 for none: autopay moves
// forward and never goes back to an earlier installment.
func lastDebited(ctx context.Context, q db.Querier, contractID int64) (int, error) {
	var n sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT MAX(installment_number) FROM payments WHERE contract_id = $1 AND kind = 'autopay'`, contractID).Scan(&n)
	return int(n.Int64), err
}

// EnrolAutopay enrols a contract in autopay from a validated bank account.
// The customer must have accepted the authorization text of the current
// version (ErrNotAuthorized, ErrAuthorizationVersion); the text, its
// version, the time and the IP are stored (Reg E 1005.10(b)) and a copy
// is emailed. It returns AutopayTerms' errors.
func (s *Service) EnrolAutopay(ctx context.Context, customerID int64, r AutopayRequest) (Autopay, error) {
	if !r.Accepted {
		return Autopay{}, ErrNotAuthorized
	}
	if r.Version != AuthorizationVersion {
		return Autopay{}, fmt.Errorf("version %q, current %q: %w", r.Version, AuthorizationVersion, ErrAuthorizationVersion)
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		terms, err := s.autopayTerms(ctx, tx, customerID, r, tx.Now(), 0)
		if err != nil {
			return err
		}
		sec := "WEB"
		if r.InWriting {
			sec = "PPD"
		}
		now := tx.Now()
		err = tx.QueryRowContext(ctx, `INSERT INTO autopay_enrolments (customer_id, contract_id, method_id, status, extra_cents, days_before, start_date,
			first_installment, sec_code, authorization_text, authorization_version, authorized_at, authorized_ip, created_at, updated_at)
			VALUES ($1, $2, $3, 'active', $4, $5, $6, $7, $8, $9, $10, $11, $12, $11, $11) RETURNING id`,
			customerID, r.ContractID, r.MethodID, int64(terms.ExtraCents), r.DaysBefore, terms.StartDate, terms.FirstDebit.Installment,
			sec, terms.Text, terms.Version, now, r.IP).Scan(&id)
		if db.IsUniqueViolation(err) {
			return ErrAutopayExists
		}
		if err != nil {
			return fmt.Errorf("insert enrolment: %w", err)
		}
		a, err := s.autopayTx(ctx, tx, customerID, r.ContractID)
		if err != nil {
			return err
		}
		c, err := contactOf(ctx, tx, customerID)
		if err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, c, msgAutopayEnrolled(s.cfg, c, a)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Actor: actorOf(customerID), Action: "autopay.enrol", Subject: fmt.Sprintf("autopay:%d", id), IP: r.IP,
			Details: map[string]string{"contract": terms.Contract, "method": fmt.Sprint(r.MethodID), "extra": terms.ExtraCents.String(),
				"days_before": fmt.Sprint(r.DaysBefore), "version": terms.Version}})
	})
	if err != nil {
		return Autopay{}, fmt.Errorf("enrol autopay: %w", err)
	}
	return s.Autopay(ctx, customerID, r.ContractID)
}

// ChangeAutopay changes an enrolment's account, extra amount or day (or
// resumes a suspended one with a new account). It is a new authorization:
// the customer accepts the newly rendered text. A debit already fixed
// (within three business days, Reg E 1005.10(c)) still goes out as it was;
// the change applies from the next one. It returns EnrolAutopay's errors
// and ErrNotFound when the contract has no live enrolment.
func (s *Service) ChangeAutopay(ctx context.Context, customerID int64, r AutopayRequest) (Autopay, error) {
	if !r.Accepted {
		return Autopay{}, ErrNotAuthorized
	}
	if r.Version != AuthorizationVersion {
		return Autopay{}, fmt.Errorf("version %q, current %q: %w", r.Version, AuthorizationVersion, ErrAuthorizationVersion)
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		cur, err := s.autopayTx(ctx, tx, customerID, r.ContractID)
		if err != nil {
			return err
		}
		terms, err := s.autopayTerms(ctx, tx, customerID, r, tx.Now(), cur.ID)
		if err != nil {
			return err
		}
		now := tx.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE autopay_enrolments SET method_id = $1, extra_cents = $2, days_before = $3, start_date = $4,
			first_installment = $5, status = 'active', status_reason = '', authorization_text = $6, authorization_version = $7, authorized_at = $8,
			authorized_ip = $9, updated_at = $8 WHERE id = $10`, r.MethodID, int64(terms.ExtraCents), r.DaysBefore, terms.StartDate,
			terms.FirstDebit.Installment, terms.Text, terms.Version, now, r.IP, cur.ID); err != nil {
			return fmt.Errorf("update enrolment: %w", err)
		}
		a, err := s.autopayTx(ctx, tx, customerID, r.ContractID)
		if err != nil {
			return err
		}
		c, err := contactOf(ctx, tx, customerID)
		if err != nil {
			return err
		}
		change, locked := autopayChanged, Debit{}
		if cur.Status == AutopaySuspended {
			change = autopayBackOn
		}
		if cur.NextDebit.Locked {
			locked = cur.NextDebit
		}
		if err := s.enqueue(ctx, tx, c, msgAutopayChanged(s.cfg, c, a, change, locked)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Actor: actorOf(customerID), Action: "autopay.change", Subject: fmt.Sprintf("autopay:%d", cur.ID), IP: r.IP,
			Details: map[string]string{"method": fmt.Sprint(r.MethodID), "extra": terms.ExtraCents.String(), "days_before": fmt.Sprint(r.DaysBefore), "version": terms.Version}})
	})
	if err != nil {
		return Autopay{}, fmt.Errorf("change autopay: %w", err)
	}
	return s.Autopay(ctx, customerID, r.ContractID)
}

// StopAutopay stops a contract's autopay. A debit already fixed (three
// business days before it goes out) still goes out; the result's
// NextDebit shows it. It returns ErrNotFound when there is no live
// enrolment.
func (s *Service) StopAutopay(ctx context.Context, customerID, contractID int64, ip string) (Autopay, error) {
	var a Autopay
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		a, err = s.autopayTx(ctx, tx, customerID, contractID)
		if err != nil {
			return err
		}
		now := tx.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE autopay_enrolments SET status = 'stopped', status_reason = 'stopped by you', stopped_at = $1, updated_at = $1 WHERE id = $2`,
			now, a.ID); err != nil {
			return err
		}
		a.Status, a.StatusReason = AutopayStopped, "stopped by you"
		if !a.NextDebit.Locked {
			a.NextDebit = Debit{}
		}
		c, err := contactOf(ctx, tx, customerID)
		if err != nil {
			return err
		}
		locked := Debit{}
		if a.NextDebit.Locked {
			locked = a.NextDebit
		}
		if err := s.enqueue(ctx, tx, c, msgAutopayChanged(s.cfg, c, a, autopayStopped, locked)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Actor: actorOf(customerID), Action: "autopay.stop", Subject: fmt.Sprintf("autopay:%d", a.ID), IP: ip})
	})
	if err != nil {
		return Autopay{}, fmt.Errorf("stop autopay: %w", err)
	}
	return a, nil
}

// Autopay returns a contract's live (active or suspended) enrolment, or
// ErrNotFound.
func (s *Service) Autopay(ctx context.Context, customerID, contractID int64) (Autopay, error) {
	return s.autopayTx(ctx, s.db.Read, customerID, contractID)
}

func (s *Service) autopayTx(ctx context.Context, q db.Querier, customerID, contractID int64) (Autopay, error) {
	var a Autopay
	var status string
	var m Method
	var mkind string
	err := q.QueryRowContext(ctx, `SELECT e.id, e.customer_id, e.contract_id, c.account_number, e.method_id, e.status, e.status_reason,
		c.payment_cents, e.extra_cents, e.days_before, e.start_date, e.first_installment, e.sec_code, e.authorization_text, e.authorization_version, e.authorized_at,
		m.kind, COALESCE(m.account_type, ''), m.bank_name, m.last4
		FROM autopay_enrolments e JOIN contracts c ON c.id = e.contract_id JOIN payment_methods m ON m.id = e.method_id
		WHERE e.contract_id = $1 AND e.customer_id = $2 AND e.status <> 'stopped'`, contractID, customerID).
		Scan(&a.ID, &a.CustomerID, &a.ContractID, &a.ContractAccount, &a.MethodID, &status, &a.StatusReason,
			&a.InstallmentCents, &a.ExtraCents, &a.DaysBefore, &a.StartDate, &a.FirstInstallment, &a.SEC, &a.AuthorizationText, &a.AuthorizationVersion, &a.AuthorizedAt,
			&mkind, &m.AccountType, &m.BankName, &m.Last4)
	if errors.Is(err, sql.ErrNoRows) {
		return Autopay{}, fmt.Errorf("autopay of contract %d: %w", contractID, ErrNotFound)
	}
	if err != nil {
		return Autopay{}, fmt.Errorf("autopay of contract %d: %w", contractID, err)
	}
	m.Kind, m.ID = MethodKind(mkind), a.MethodID
	a.Status, a.MethodLabel, a.Method = AutopayStatus(status), m.Label(), m
	a.AuthorizedAt = a.AuthorizedAt.UTC()
	a.NextDebit, err = s.nextDebit(ctx, q, a)
	return a, err
}

// nextDebit is the enrolment's next debit: one already created and not
// yet sent, or the next one the autopay run will create.
func (s *Service) nextDebit(ctx context.Context, q db.Querier, a Autopay) (Debit, error) {
	var d Debit
	err := q.QueryRowContext(ctx, `SELECT p.installment_number, i.due_date, p.scheduled_date, p.amount_cents FROM payments p
		JOIN installments i ON i.contract_id = p.contract_id AND i.number = p.installment_number
		WHERE p.contract_id = $1 AND p.kind = 'autopay' AND p.status = 'scheduled' ORDER BY p.scheduled_date LIMIT 1`, a.ContractID).
		Scan(&d.Installment, &d.DueDate, &d.Date, &d.AmountCents)
	if err == nil {
		d.Locked = true
		return d, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return d, err
	}
	if a.Status != AutopayActive {
		return Debit{}, nil
	}
	c, err := loadContract(ctx, q, a.CustomerID, a.ContractID)
	if err != nil || !c.open() {
		return Debit{}, err
	}
	last, err := lastDebited(ctx, q, a.ContractID)
	if err != nil {
		return Debit{}, err
	}
	for _, in := range c.installments {
		if in.number < c.nextUnpaid || in.number <= last || in.number < a.FirstInstallment {
			continue
		}
		return Debit{Installment: in.number, DueDate: in.due, Date: debitDate(in.due, a.DaysBefore), AmountCents: in.amount + a.ExtraCents}, nil
	}
	return Debit{}, nil
}
