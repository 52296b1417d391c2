// Package callers verifies a caller before a servicing agent sees the
// account: the agent has the account number, and either two of three
// facts from the customer's record (the ZIP of the address on file, the
// last four digits of the taxpayer ID, the date of birth) or a one-time
// code sent to the customer's own email or phone and read back.
//
// The rules:
//
//   - Every attempt is recorded (caller_verifications) and audited
//     (action "caller.verify", with the method and result only: never the
//     answers). A pass lets its staff member see the account until the
//     call's time limit (callTTL); see Active.
//   - A failure never says which answer was wrong, nor whether the
//     account number exists (ErrNotVerified in every case).
//   - Failures are throttled in the database, so every server counts the
//     same: at most failsPerCustomerHour per customer and failsPerStaffHour
//     per staff member in any hour (ErrThrottled).
//     An attempt refused by the throttle is recorded as a failure too, so
//     the hour runs from the last try. Attempts on one customer, and by one
//     staff member, are counted one at a time (row locks), so concurrent
//     tries cannot slip past the limits.
//   - Secrets are compared in constant time.
//
// Until a caller is verified, the console shows only Masked: the name and
// the account number's last four characters.
package callers

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"carfin/audit"
	"carfin/calendar"
	"carfin/db"
)

// Limits, named so they are easy to find.
const (
	// callTTL is how long a pass lets its staff member see the account:
	// the length of a long call.
	callTTL = 30 * time.Minute
	// failsPerCustomerHour: guessing two of three facts is easy for
	// someone who knows the customer a little; five tries an hour, from
	// any agent, leaves no room to work through them.
	failsPerCustomerHour = 5
	// failsPerStaffHour: an agent (or a stolen staff session) trying many
	// accounts.
	failsPerStaffHour = 30
	// codeDigits, codeTTL and codeAttemptsMax: a code sent to the customer
	// has 10⁶ values and codeAttemptsMax tries.
	codeDigits      = 6
	codeTTL         = 10 * time.Minute
	codeAttemptsMax = 5
	// codesPerCustomerHour: each code is an email or a paid text message
	// to the customer.
	codesPerCustomerHour = 3
	// answersMatchMin of the three facts must match.
	answersMatchMin = 2
	// fieldBytesMax bounds every string an agent types.
	fieldBytesMax = 64
)

// Methods of verification.
const (
	MethodQuestions = "questions"
	MethodCode      = "code"
)

// Channels a code travels by.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// Errors of callers. Callers branch on them with errors.Is.
var (
	// ErrNotVerified is a failed verification: an unknown account number,
	// fewer than two matching answers, or a wrong, expired or used code.
	// It never says which.
	ErrNotVerified = errors.New("the caller could not be verified")
	// ErrThrottled is an attempt past the hourly limits of failures.
	ErrThrottled = errors.New("too many failed verifications: try again later")
	// ErrNotStaff is an agent who is not a staff login.
	ErrNotStaff = errors.New("not a staff login")
	// ErrNotFound is an unknown account number (Masked only: it is what the
	// agent typed, and shows nothing of the account).
	ErrNotFound = errors.New("no such account")
	// ErrNoChannel is a customer without a verified email (an online
	// login) or without a phone on file, for the channel asked.
	ErrNoChannel = errors.New("no verified address for a code")
	// ErrInvalid is input that cannot be an answer (over fieldBytesMax).
	ErrInvalid = errors.New("invalid input")
)

// Answers are what the caller says when asked. An empty answer counts as
// not matching.
type Answers struct {
	// ZIP is the five-digit ZIP code of the address on file (a ZIP+4
	// matches on its first five digits).
	ZIP string
	// SSNLast4 is the last four digits of the taxpayer ID.
	SSNLast4 string
	// BirthDate is the date of birth (0 when not given).
	BirthDate calendar.Date
}

// Verification is one recorded attempt.
type Verification struct {
	ID           int64
	StaffLoginID int64
	// CustomerID is 0 when the account number was unknown.
	CustomerID int64
	CallID     string
	Method     string
	Passed     bool
	CreatedAt  time.Time
	// ExpiresAt ends the call: a pass shows the account until then.
	ExpiresAt time.Time
}

// Service verifies callers.
type Service struct {
	db     *db.DB
	lender string
}

// New returns a Service over d; lender names the lender in the codes it
// sends.
func New(d *db.DB, lender string) *Service { return &Service{db: d, lender: lender} }

// Verify checks the caller's answers for accountNumber on behalf of the
// staff login by (callID names the call in the phone system, or is ""),
// records the attempt and audits it. It returns the passed Verification,
// or ErrNotVerified (recorded), ErrThrottled (recorded, answers not
// checked), ErrNotStaff or ErrInvalid (nothing recorded).
func (s *Service) Verify(ctx context.Context, by int64, callID, accountNumber string, a Answers) (Verification, error) {
	if err := checkFields(callID, accountNumber, a.ZIP, a.SSNLast4); err != nil {
		return Verification{}, err
	}
	return s.attempt(ctx, by, callID, accountNumber, MethodQuestions, func(_ *db.Tx, c customer) (bool, error) {
		return answersMatch(c, a), nil
	})
}

// attempt runs one verification by method for the staff login by: it
// checks the staff member, reads and locks the customer of accountNumber,
// applies the throttles, asks check (for a known customer only, and not
// when throttled) whether the caller passed, and records and audits the
// attempt. It returns the passed Verification, or ErrNotVerified or
// ErrThrottled (both recorded), ErrNotStaff, or the database's error.
func (s *Service) attempt(ctx context.Context, by int64, callID, accountNumber, method string,
	check func(*db.Tx, customer) (bool, error)) (Verification, error) {
	var v Verification
	var result error
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		result = nil // a retried transaction starts afresh
		if err := requireStaff(ctx, tx, by); err != nil {
			return err
		}
		c, err := customerOf(ctx, tx, accountNumber)
		if err != nil {
			return err
		}
		limited, err := throttled(ctx, tx, by, c.id)
		if err != nil {
			return err
		}
		if limited {
			result = ErrThrottled
		} else if c.id == 0 {
			result = ErrNotVerified
		} else if ok, err := check(tx, c); err != nil {
			return err
		} else if !ok {
			result = ErrNotVerified
		}
		v, err = record(ctx, tx, by, c.id, callID, method, result)
		return err
	})
	if err != nil {
		return Verification{}, err
	}
	if result != nil {
		return Verification{}, result
	}
	return v, nil
}

// customer is what verification reads of a customer (id 0: none).
type customer struct {
	id                   int64
	zip, ssnLast4, email string
	phone, lang          string
	birth                calendar.Date
	hasLogin             bool
}

// customerOf reads the customer of accountNumber, locking the row
// (PostgreSQL) so that concurrent attempts count failures one at a time;
// an unknown number gives the zero customer.
func customerOf(ctx context.Context, tx *db.Tx, accountNumber string) (customer, error) {
	var c customer
	var loginEmail sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT cu.id, cu.zip, cu.ssn_last4, cu.birth_date, cu.phone,
			(SELECT l.email FROM logins l WHERE l.customer_id = cu.id AND l.realm = 'customer'),
			COALESCE((SELECT p.lang FROM notification_preferences p WHERE p.customer_id = cu.id), 'en')
		FROM contracts co JOIN customers cu ON cu.id = co.customer_id
		WHERE co.account_number = $1`+tx.DB().ForUpdate(), strings.TrimSpace(accountNumber)).Scan(
		&c.id, &c.zip, &c.ssnLast4, &c.birth, &c.phone, &loginEmail, &c.lang)
	if errors.Is(err, sql.ErrNoRows) {
		return customer{}, nil
	}
	if err != nil {
		return customer{}, fmt.Errorf("read account: %w", err)
	}
	c.email, c.hasLogin = loginEmail.String, loginEmail.Valid
	return c, nil
}

// answersMatch reports whether at least answersMatchMin answers match
// the record, comparing each in constant time and always all three.
func answersMatch(c customer, a Answers) bool {
	matches := 0
	zip := zip5(strings.TrimSpace(a.ZIP))
	matches += subtle.ConstantTimeCompare([]byte(zip), []byte(zip5(c.zip))) & nonEmpty(zip)
	ssn := strings.TrimSpace(a.SSNLast4)
	matches += subtle.ConstantTimeCompare([]byte(ssn), []byte(c.ssnLast4)) & nonEmpty(ssn)
	birth := ""
	if a.BirthDate != 0 {
		birth = a.BirthDate.String()
	}
	matches += subtle.ConstantTimeCompare([]byte(birth), []byte(c.birth.String())) & nonEmpty(birth)
	return matches >= answersMatchMin
}

// zip5 is a ZIP code's first five characters: a ZIP+4 matches its ZIP.
func zip5(zip string) string {
	if len(zip) > 5 {
		return zip[:5]
	}
	return zip
}

func nonEmpty(s string) int {
	if s == "" {
		return 0
	}
	return 1
}

func checkFields(fields ...string) error {
	for _, f := range fields {
		if len(f) > fieldBytesMax {
			return fmt.Errorf("%w: over %d characters", ErrInvalid, fieldBytesMax)
		}
	}
	return nil
}

// requireStaff returns ErrNotStaff unless by is a staff login, and locks
// the login's row (PostgreSQL) so that the staff member's attempts count
// one at a time.
func requireStaff(ctx context.Context, tx *db.Tx, by int64) error {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM logins WHERE id = $1 AND realm = 'staff'`+tx.DB().ForUpdate(), by).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotStaff
	}
	if err != nil {
		return fmt.Errorf("read staff %d: %w", by, err)
	}
	return nil
}

// throttled reports whether the staff member or the customer (0: none)
// has reached the hour's failures.
func throttled(ctx context.Context, tx *db.Tx, by, customerID int64) (bool, error) {
	since := tx.Now().Add(-time.Hour)
	var staffFails, customerFails int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM caller_verifications WHERE staff_login_id = $1 AND result = 'fail' AND created_at > $2`,
		by, since).Scan(&staffFails); err != nil {
		return false, fmt.Errorf("count staff failures: %w", err)
	}
	if customerID != 0 {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM caller_verifications WHERE customer_id = $1 AND result = 'fail' AND created_at > $2`,
			customerID, since).Scan(&customerFails); err != nil {
			return false, fmt.Errorf("count customer failures: %w", err)
		}
	}
	return staffFails >= failsPerStaffHour || customerFails >= failsPerCustomerHour, nil
}

// record writes and audits one attempt; result nil is a pass.
func record(ctx context.Context, tx *db.Tx, by, customerID int64, callID, method string, result error) (Verification, error) {
	v := Verification{StaffLoginID: by, CustomerID: customerID, CallID: callID, Method: method, Passed: result == nil,
		CreatedAt: tx.Now(), ExpiresAt: tx.Now().Add(callTTL)}
	outcome := "pass"
	if !v.Passed {
		outcome = "fail"
	}
	var cust sql.NullInt64
	subject := "account:unknown"
	if customerID != 0 {
		cust = sql.NullInt64{Int64: customerID, Valid: true}
		subject = "customer:" + strconv.FormatInt(customerID, 10)
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO caller_verifications (staff_login_id, customer_id, call_id, method, result, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, by, cust, callID, method, outcome, v.CreatedAt, v.ExpiresAt).Scan(&v.ID); err != nil {
		return Verification{}, fmt.Errorf("record verification: %w", err)
	}
	details := map[string]string{"method": method, "result": outcome, "verification": strconv.FormatInt(v.ID, 10)}
	if errors.Is(result, ErrThrottled) {
		details["result"] = "throttled"
	}
	if callID != "" {
		details["call"] = callID
	}
	if err := audit.Record(ctx, tx, audit.Event{Actor: "staff:" + strconv.FormatInt(by, 10), Action: "caller.verify",
		Subject: subject, Details: details}); err != nil {
		return Verification{}, err
	}
	return v, nil
}

// Active returns the staff member's unexpired passed verification of the
// customer (the newest), and whether there is one: whether a verified
// call is in progress. It returns an error only if the database fails.
func (s *Service) Active(ctx context.Context, staffLoginID, customerID int64) (Verification, bool, error) {
	v := Verification{StaffLoginID: staffLoginID, CustomerID: customerID, Passed: true}
	err := s.db.Read.QueryRowContext(ctx, `SELECT id, call_id, method, created_at, expires_at FROM caller_verifications
		WHERE staff_login_id = $1 AND customer_id = $2 AND result = 'pass' AND expires_at > $3 ORDER BY id DESC LIMIT 1`,
		staffLoginID, customerID, s.db.Now()).Scan(&v.ID, &v.CallID, &v.Method, &v.CreatedAt, &v.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Verification{}, false, nil
	}
	if err != nil {
		return Verification{}, false, fmt.Errorf("active verification of customer %d: %w", customerID, err)
	}
	v.CreatedAt, v.ExpiresAt = v.CreatedAt.UTC(), v.ExpiresAt.UTC()
	return v, true, nil
}

// Summary is what an unverified view shows of an account.
type Summary struct {
	// Name is the customer's name as on file.
	Name string
	// Account is the account number masked to its last four characters,
	// e.g. "••••0001".
	Account string
}

// Masked returns the name and masked account number of accountNumber.
// Returns ErrNotFound for an unknown number.
func (s *Service) Masked(ctx context.Context, accountNumber string) (Summary, error) {
	var first, last, number string
	err := s.db.Read.QueryRowContext(ctx, `SELECT cu.first_name, cu.last_name, co.account_number
		FROM contracts co JOIN customers cu ON cu.id = co.customer_id WHERE co.account_number = $1`,
		strings.TrimSpace(accountNumber)).Scan(&first, &last, &number)
	if errors.Is(err, sql.ErrNoRows) {
		return Summary{}, ErrNotFound
	}
	if err != nil {
		return Summary{}, fmt.Errorf("masked account: %w", err)
	}
	return Summary{Name: strings.TrimSpace(first + " " + last), Account: MaskAccount(number)}, nil
}

// MaskAccount shows only the last four characters of an account number.
func MaskAccount(number string) string {
	r := []rune(number)
	if len(r) > 4 {
		r = r[len(r)-4:]
	}
	return "••••" + string(r)
}

// codeHash is the stored form of a code: SHA-256 over the code and who
// it was sent for, so a code matches only its own call.
func codeHash(by, customerID int64, code string) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "caller_code\x00%d:%d:%s", by, customerID, code))
	return hex.EncodeToString(sum[:])
}
