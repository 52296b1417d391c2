package payments

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"carfin/audit"
	"carfin/calendar"
	"carfin/db"
	"carfin/money"
	"carfin/payments/ach"
)

// MethodKind is a bank account or a card.
type MethodKind string

const (
	KindBank MethodKind = "bank"
	KindCard MethodKind = "card"
)

// MethodStatus is where a payment method stands.
type MethodStatus string

const (
	// MethodPending: a bank account waiting for validation; it cannot pay.
	MethodPending  MethodStatus = "pending"
	MethodActive   MethodStatus = "active"
	MethodDisabled MethodStatus = "disabled" // by a return or by staff
	MethodFailed   MethodStatus = "failed"   // validation failed
	MethodRemoved  MethodStatus = "removed"
)

// Validation is how a bank account is validated before its first debit:
// the Nacha WEB debit rule (in force since 2021) requires a commercially
// reasonable account validation on first use and whenever the account
// number changes.
type Validation string

const (
	// MicroDeposits: two credits under $1.00 (Nacha Micro-Entries,
	// description ACCTVERIFY) whose amounts the customer confirms.
	MicroDeposits Validation = "microdeposits"
	// Prenote: a zero-dollar entry; the account may be debited three
	// banking days after its settlement date if the bank does not return it.
	Prenote Validation = "prenote"
)

// Method is a payment method as the portal shows it. It never holds a
// full account or card number.
type Method struct {
	ID           int64
	CustomerID   int64
	Kind         MethodKind
	Status       MethodStatus
	StatusReason string
	Nickname     string
	HolderName   string
	Last4        string
	// Bank accounts.
	AccountType   string // "checking" or "savings"
	RoutingNumber string
	BankName      string
	Validation    Validation
	// MicroDepositsSent: the two small deposits are on their way, and the
	// customer can confirm their amounts (AttemptsLeft more tries).
	MicroDepositsSent bool
	AttemptsLeft      int
	// Cards.
	Brand    string
	ExpMonth int
	ExpYear  int
	// ReviewRequired: a return said the debit was unauthorized.
	ReviewRequired bool
	CreatedAt      time.Time
}

// Masked is the number as it may be shown: "••••1234".
func (m Method) Masked() string { return "••••" + m.Last4 }

// Label describes the method in a sentence: "Checking at Prairie Gate
// Savings Bank ••••1234" or "Visa ••••4242, expires 12/2028".
func (m Method) Label() string { return methodLabel("en", m) }

// LabelIn is Label in lang ("en" or "es"), as pages and messages say it.
func (m Method) LabelIn(lang string) string { return methodLabel(lang, m) }

// brandName is a card network's name ("" for one carfin does not know).
func brandName(b string) string {
	switch b {
	case "visa":
		return "Visa"
	case "mastercard":
		return "Mastercard"
	case "amex":
		return "American Express"
	case "discover":
		return "Discover"
	}
	return ""
}

// Usable reports whether the method can pay on date d, and why not.
func (m Method) Usable(d calendar.Date) error {
	switch {
	case m.Status == MethodPending:
		return fmt.Errorf("%s: %w", m.Label(), ErrNotValidated)
	case m.Status != MethodActive:
		return fmt.Errorf("%s is %s: %w", m.Label(), m.Status, ErrMethodUnusable)
	case m.Kind == KindBank && !nameCarried(m.HolderName):
		// An account added before names were checked: its entries would
		// carry no name, and the bank's file would be refused.
		return fmt.Errorf("%s: %w: %w", m.Label(), ErrMethodUnusable, ErrHolderNameLetters)
	case m.Kind == KindCard && cardExpired(m.ExpMonth, m.ExpYear, d):
		return fmt.Errorf("%s: %w", m.Label(), ErrCardExpired)
	}
	return nil
}

func cardExpired(month, year int, d calendar.Date) bool {
	return year < d.Year() || year == d.Year() && month < int(d.Month())
}

// NewBankAccount is a bank account as the customer enters it.
type NewBankAccount struct {
	HolderName  string
	AccountType string // "checking" or "savings"
	Routing     string
	// Account and ConfirmAccount are the number entered twice; they must
	// match (a transposed digit would send the debit elsewhere).
	Account        string
	ConfirmAccount string
	Nickname       string
	// Validation: MicroDeposits (default) or Prenote.
	Validation Validation
	IP         string
}

// cleanDigits removes the spaces and dashes people type in numbers.
func cleanDigits(s string) string {
	return strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(strings.TrimSpace(s))
}

// checkAccount validates the bank account entry, returning the cleaned
// routing and account numbers.
func (s *Service) checkAccount(n NewBankAccount) (routing, account string, bank ach.Bank, err error) {
	name := strings.TrimSpace(n.HolderName)
	if name == "" || utf8.RuneCountInString(name) > holderNameLenMax || strings.ContainsAny(name, "\x00\r\n\t") {
		return "", "", bank, ErrHolderName
	}
	if !nameCarried(name) {
		return "", "", bank, fmt.Errorf("holder name %q: %w", name, ErrHolderNameLetters)
	}
	if n.AccountType != "checking" && n.AccountType != "savings" {
		return "", "", bank, ErrAccountType
	}
	routing = cleanDigits(n.Routing)
	if bank, err = s.cfg.Directory.Lookup(routing); err != nil {
		return "", "", bank, fmt.Errorf("routing number: %w", err)
	}
	account = cleanDigits(n.Account)
	if len(account) < 4 || len(account) > 17 || !isDigits(account) {
		return "", "", bank, ErrAccountNumber
	}
	if cleanDigits(n.ConfirmAccount) != account {
		return "", "", bank, ErrAccountMismatch
	}
	if utf8.RuneCountInString(n.Nickname) > nicknameLenMax || strings.ContainsAny(n.Nickname, "\x00\r\n") {
		return "", "", bank, fmt.Errorf("nickname is at most %d characters: %w", nicknameLenMax, ErrHolderName)
	}
	switch n.Validation {
	case "", MicroDeposits, Prenote:
	default:
		return "", "", bank, fmt.Errorf("validation %q: %w", n.Validation, ErrAccountType)
	}
	return routing, account, bank, nil
}

// nameCarried reports whether an account holder's name keeps at least two
// letters A–Z once written in the ACH character set (ach.Name): Ł, ß, Ø
// and accented letters are transliterated, but a name in another script
// would reach the bank as blanks.
func nameCarried(name string) bool {
	_, err := ach.Name(name)
	return err == nil
}

func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// AddBankAccount records a checking or savings account for the customer.
// The account is pending until validated: with micro-deposits (default),
// two deposits under $1.00 go out in the next ACH file and the customer
// confirms their amounts (ConfirmMicroDeposits); with a prenote, it
// becomes active three banking days after the prenote settles unless the
// bank returns it. The account number is stored encrypted. The customer
// gets an alert. It returns ErrHolderName, ErrHolderNameLetters, ErrAccountType,
// ach.ErrRoutingFormat, ach.ErrRoutingCheckDigit, ach.ErrRoutingUnknown,
// ErrAccountNumber, ErrAccountMismatch, ErrDuplicateMethod,
// ErrMethodsMax, ErrNotFound (no such customer) or ErrNoKeys, writing
// nothing.
func (s *Service) AddBankAccount(ctx context.Context, customerID int64, n NewBankAccount) (Method, error) {
	return s.addBankAccount(ctx, customerID, n, actorOf(customerID), nil)
}

// addBankAccount is AddBankAccount audited as actor; check, if not nil,
// runs first in the transaction and refuses with its error.
func (s *Service) addBankAccount(ctx context.Context, customerID int64, n NewBankAccount, actor string, check func(tx *db.Tx) error) (Method, error) {
	if s.cfg.Keys == nil {
		return Method{}, ErrNoKeys
	}
	routing, account, bank, err := s.checkAccount(n)
	if err != nil {
		return Method{}, fmt.Errorf("add bank account: %w", err)
	}
	if n.Validation == "" {
		n.Validation = MicroDeposits
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if check != nil {
			if err := check(tx); err != nil {
				return err
			}
		}
		c, err := contactOf(ctx, tx, customerID)
		if err != nil {
			return err
		}
		existing, err := s.methodsOf(ctx, tx, customerID)
		if err != nil {
			return err
		}
		if len(existing) >= methodsPerCustomerMax {
			return ErrMethodsMax
		}
		for _, m := range existing {
			// An account that failed validation may be added again.
			if m.Kind != KindBank || m.Status == MethodFailed || m.RoutingNumber != routing || m.Last4 != account[len(account)-4:] {
				continue
			}
			same, err := s.accountEquals(ctx, tx, m.ID, customerID, account)
			if err != nil {
				return err
			}
			if same {
				return ErrDuplicateMethod
			}
		}
		keyID, sealed := s.cfg.Keys.seal(account, accountAAD(customerID))
		now := tx.Now()
		err = tx.QueryRowContext(ctx, `INSERT INTO payment_methods (customer_id, kind, status, holder_name, nickname, account_type,
			routing_number, bank_name, account_cipher, account_key_id, last4, validation, created_at, updated_at)
			VALUES ($1, 'bank', 'pending', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id`,
			customerID, strings.TrimSpace(n.HolderName), strings.TrimSpace(n.Nickname), n.AccountType, routing, bank.Name,
			sealed, keyID, account[len(account)-4:], string(n.Validation), now).Scan(&id)
		if err != nil {
			return fmt.Errorf("insert method: %w", err)
		}
		if err := scheduleValidation(ctx, tx, id, n.Validation); err != nil {
			return err
		}
		m := Method{Kind: KindBank, AccountType: n.AccountType, BankName: bank.Name, Last4: account[len(account)-4:]}
		if err := s.enqueue(ctx, tx, c, msgMethodAdded(s.cfg, c, m, n.Validation)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "payment_method.add", Subject: fmt.Sprintf("payment_method:%d", id),
			IP: n.IP, Details: map[string]string{"kind": "bank", "routing": routing, "last4": m.Last4, "validation": string(n.Validation)}})
	})
	if err != nil {
		return Method{}, fmt.Errorf("add bank account: %w", err)
	}
	return s.Method(ctx, customerID, id)
}

// scheduleValidation queues the validation entries of a new account for
// the next ACH file.
func scheduleValidation(ctx context.Context, tx *db.Tx, methodID int64, v Validation) error {
	var rows [][]any
	now := tx.Now()
	if v == Prenote {
		rows = append(rows, []any{methodID, "prenote", int64(0), "scheduled", now})
	} else {
		// Two different amounts of 1–99 cents, and the offsetting debit
		// of their sum (Nacha Micro-Entries: debits may not exceed the
		// credits and go in the same file).
		a := randomCents()
		b := randomCents()
		for b == a {
			b = randomCents()
		}
		if _, err := tx.ExecContext(ctx, `UPDATE payment_methods SET micro1_cents = $1, micro2_cents = $2 WHERE id = $3`, int64(a), int64(b), methodID); err != nil {
			return fmt.Errorf("micro-deposit amounts: %w", err)
		}
		rows = append(rows, []any{methodID, "micro_credit", int64(a), "scheduled", now},
			[]any{methodID, "micro_credit", int64(b), "scheduled", now},
			[]any{methodID, "micro_debit", int64(a + b), "scheduled", now})
	}
	return tx.CopyFrom(ctx, "ach_verifications", []string{"method_id", "kind", "amount_cents", "status", "created_at"}, rows)
}

func randomCents() money.Cents {
	n, err := rand.Int(rand.Reader, big.NewInt(99))
	if err != nil {
		panic("payments: no randomness: " + err.Error())
	}
	return money.Cents(n.Int64() + 1)
}

// accountEquals decrypts a stored account number and compares it.
func (s *Service) accountEquals(ctx context.Context, q db.Querier, methodID, customerID int64, account string) (bool, error) {
	got, err := s.accountNumber(ctx, q, methodID, customerID)
	return got == account, err
}

// accountNumber decrypts a method's account number (for the NACHA file
// and comparisons only; it is never shown or logged).
func (s *Service) accountNumber(ctx context.Context, q db.Querier, methodID, customerID int64) (string, error) {
	var keyID string
	var sealed []byte
	err := q.QueryRowContext(ctx, `SELECT account_key_id, account_cipher FROM payment_methods WHERE id = $1 AND customer_id = $2 AND kind = 'bank'`,
		methodID, customerID).Scan(&keyID, &sealed)
	if err != nil {
		return "", fmt.Errorf("account of method %d: %w", methodID, err)
	}
	if s.cfg.Keys == nil {
		return "", ErrNoKeys
	}
	return s.cfg.Keys.open(keyID, sealed, accountAAD(customerID))
}

// ConfirmMicroDeposits checks the two deposit amounts the customer saw on
// their statement (in either order). Right: the account becomes active.
// Wrong: it returns ErrMicroDepositAmounts and counts the attempt; after
// the third wrong attempt the account fails validation
// (ErrValidationFailed) and must be added again. It returns ErrNotFound,
// ErrMethodUnusable (not waiting for micro-deposits) or
// ErrMicroDepositsUnsent (not in an ACH file yet).
func (s *Service) ConfirmMicroDeposits(ctx context.Context, customerID, methodID int64, first, second money.Cents) (Method, error) {
	var outcome error
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		outcome = nil
		var status, validation string
		var m1, m2 sql.NullInt64
		var attempts int
		err := tx.QueryRowContext(ctx, `SELECT status, COALESCE(validation, ''), micro1_cents, micro2_cents, validation_attempts
			FROM payment_methods WHERE id = $1 AND customer_id = $2 AND status <> 'removed'`+s.db.ForUpdate(),
			methodID, customerID).Scan(&status, &validation, &m1, &m2, &attempts)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("method %d: %w", methodID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if status != string(MethodPending) || validation != string(MicroDeposits) || !m1.Valid || !m2.Valid {
			return fmt.Errorf("method %d is %s: %w", methodID, status, ErrMethodUnusable)
		}
		var sent int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM ach_verifications WHERE method_id = $1 AND kind = 'micro_credit' AND status = 'sent'`,
			methodID).Scan(&sent); err != nil {
			return err
		}
		if sent < 2 {
			return ErrMicroDepositsUnsent
		}
		a, b := money.Cents(m1.Int64), money.Cents(m2.Int64)
		now := tx.Now()
		if (first == a && second == b) || (first == b && second == a) {
			if _, err := tx.ExecContext(ctx, `UPDATE payment_methods SET status = 'active', validated_at = $1, updated_at = $1 WHERE id = $2`, now, methodID); err != nil {
				return err
			}
			return audit.Record(ctx, tx, audit.Event{Actor: actorOf(customerID), Action: "payment_method.validated", Subject: fmt.Sprintf("payment_method:%d", methodID),
				Details: map[string]string{"validation": "microdeposits"}})
		}
		attempts++
		if attempts >= microAttemptsMax {
			if _, err := tx.ExecContext(ctx, `UPDATE payment_methods SET status = 'failed', status_reason = 'micro-deposit amounts did not match', validation_attempts = $1, updated_at = $2 WHERE id = $3`,
				attempts, now, methodID); err != nil {
				return err
			}
			outcome = ErrValidationFailed
		} else {
			if _, err := tx.ExecContext(ctx, `UPDATE payment_methods SET validation_attempts = $1, updated_at = $2 WHERE id = $3`, attempts, now, methodID); err != nil {
				return err
			}
			outcome = fmt.Errorf("%d attempts left: %w", microAttemptsMax-attempts, ErrMicroDepositAmounts)
		}
		return nil
	})
	if err != nil {
		return Method{}, fmt.Errorf("confirm micro-deposits: %w", err)
	}
	m, err := s.Method(ctx, customerID, methodID)
	if err != nil {
		return Method{}, err
	}
	if outcome != nil {
		return m, fmt.Errorf("confirm micro-deposits: %w", outcome)
	}
	return m, nil
}

// AddCard records a card the processor tokenized (the browser posted the
// number to the processor's tokenizer; carfin gets only the token). It
// stores the token, brand, last four digits and expiry. It returns
// ErrCardsUnavailable, ErrCardExpired, ErrDuplicateMethod, ErrMethodsMax,
// ErrNotFound or the processor's error for an unknown token.
func (s *Service) AddCard(ctx context.Context, customerID int64, token, nickname, ip string) (Method, error) {
	p := s.cfg.Processor
	if p == nil {
		return Method{}, ErrCardsUnavailable
	}
	if token == "" || len(token) > 200 {
		return Method{}, fmt.Errorf("add card: token: %w", ErrProcessorBadRequest)
	}
	if utf8.RuneCountInString(nickname) > nicknameLenMax || strings.ContainsAny(nickname, "\x00\r\n") {
		return Method{}, fmt.Errorf("add card: nickname is at most %d characters: %w", nicknameLenMax, ErrHolderName)
	}
	cctx, cancel := context.WithTimeout(ctx, processorTimeout)
	card, err := p.Card(cctx, token)
	cancel()
	if err != nil {
		return Method{}, fmt.Errorf("add card: %w", err)
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if cardExpired(card.ExpMonth, card.ExpYear, s.today(tx)) {
			return ErrCardExpired
		}
		c, err := contactOf(ctx, tx, customerID)
		if err != nil {
			return err
		}
		existing, err := s.methodsOf(ctx, tx, customerID)
		if err != nil {
			return err
		}
		if len(existing) >= methodsPerCustomerMax {
			return ErrMethodsMax
		}
		for _, m := range existing {
			if m.Kind == KindCard && m.Brand == card.Brand && m.Last4 == card.Last4 && m.ExpMonth == card.ExpMonth && m.ExpYear == card.ExpYear {
				return ErrDuplicateMethod
			}
		}
		now := tx.Now()
		err = tx.QueryRowContext(ctx, `INSERT INTO payment_methods (customer_id, kind, status, holder_name, nickname, last4, processor,
			card_token, card_brand, exp_month, exp_year, validated_at, created_at, updated_at)
			VALUES ($1, 'card', 'active', $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $10) RETURNING id`,
			customerID, c.name, strings.TrimSpace(nickname), card.Last4, p.Name(), card.Token, card.Brand, card.ExpMonth, card.ExpYear, now).Scan(&id)
		if err != nil {
			return fmt.Errorf("insert card: %w", err)
		}
		m := Method{Kind: KindCard, Brand: card.Brand, Last4: card.Last4, ExpMonth: card.ExpMonth, ExpYear: card.ExpYear}
		if err := s.enqueue(ctx, tx, c, msgMethodAdded(s.cfg, c, m, "")); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Actor: actorOf(customerID), Action: "payment_method.add", Subject: fmt.Sprintf("payment_method:%d", id),
			IP: ip, Details: map[string]string{"kind": "card", "brand": card.Brand, "last4": card.Last4}})
	})
	if err != nil {
		return Method{}, fmt.Errorf("add card: %w", err)
	}
	return s.Method(ctx, customerID, id)
}

// PreviewCard returns what the processor says of a token's card (brand,
// last four digits, expiry), for the customer to check before AddCard
// stores it. It returns ErrCardsUnavailable, ErrProcessorBadRequest for a
// malformed token, or the processor's error for an unknown one.
func (s *Service) PreviewCard(ctx context.Context, token string) (Card, error) {
	p := s.cfg.Processor
	if p == nil {
		return Card{}, ErrCardsUnavailable
	}
	if token == "" || len(token) > 200 {
		return Card{}, fmt.Errorf("preview card: token: %w", ErrProcessorBadRequest)
	}
	cctx, cancel := context.WithTimeout(ctx, processorTimeout)
	defer cancel()
	card, err := p.Card(cctx, token)
	if err != nil {
		return Card{}, fmt.Errorf("preview card: %w", err)
	}
	card.Token = ""
	return card, nil
}

// RemoveMethod removes a payment method. It returns ErrMethodInUse while
// a live autopay enrolment or a scheduled payment uses it, ErrNotFound for
// another customer's method. The customer gets an alert.
func (s *Service) RemoveMethod(ctx context.Context, customerID, methodID int64, ip string) error {
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		m, err := s.methodTx(ctx, tx, customerID, methodID)
		if err != nil {
			return err
		}
		var uses int
		if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT count(*) FROM autopay_enrolments WHERE method_id = $1 AND status <> 'stopped') +
			(SELECT count(*) FROM payments WHERE method_id = $1 AND status IN ('scheduled', 'authorized'))`, methodID).Scan(&uses); err != nil {
			return err
		}
		if uses > 0 {
			return ErrMethodInUse
		}
		if _, err := tx.ExecContext(ctx, `UPDATE payment_methods SET status = 'removed', updated_at = $1 WHERE id = $2 AND customer_id = $3`,
			tx.Now(), methodID, customerID); err != nil {
			return err
		}
		c, err := contactOf(ctx, tx, customerID)
		if err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, c, msgMethodRemoved(s.cfg, c, m)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Actor: actorOf(customerID), Action: "payment_method.remove", Subject: fmt.Sprintf("payment_method:%d", methodID), IP: ip})
	})
	if err != nil {
		return fmt.Errorf("remove method %d: %w", methodID, err)
	}
	return nil
}

// Methods returns the customer's payment methods that are not removed,
// oldest first.
func (s *Service) Methods(ctx context.Context, customerID int64) ([]Method, error) {
	return s.methodsOf(ctx, s.db.Read, customerID)
}

// Method returns one of the customer's payment methods, or ErrNotFound.
func (s *Service) Method(ctx context.Context, customerID, methodID int64) (Method, error) {
	return s.methodTx(ctx, s.db.Read, customerID, methodID)
}

const methodColumns = `m.id, m.customer_id, m.kind, m.status, m.status_reason, m.nickname, m.holder_name, m.last4,
	COALESCE(m.account_type, ''), COALESCE(m.routing_number, ''), m.bank_name, COALESCE(m.validation, ''),
	(SELECT count(*) FROM ach_verifications v WHERE v.method_id = m.id AND v.kind = 'micro_credit' AND v.status = 'sent'),
	m.validation_attempts, COALESCE(m.card_brand, ''), COALESCE(m.exp_month, 0), COALESCE(m.exp_year, 0), m.review_required, m.created_at`

func scanMethod(sc interface{ Scan(...any) error }) (Method, error) {
	var m Method
	var kind, status, validation string
	var sent, attempts, review int
	err := sc.Scan(&m.ID, &m.CustomerID, &kind, &status, &m.StatusReason, &m.Nickname, &m.HolderName, &m.Last4,
		&m.AccountType, &m.RoutingNumber, &m.BankName, &validation, &sent, &attempts, &m.Brand, &m.ExpMonth, &m.ExpYear, &review, &m.CreatedAt)
	m.Kind, m.Status, m.Validation = MethodKind(kind), MethodStatus(status), Validation(validation)
	m.MicroDepositsSent = sent >= 2
	m.ReviewRequired = review != 0
	if m.Status == MethodPending && m.Validation == MicroDeposits {
		m.AttemptsLeft = microAttemptsMax - attempts
	}
	m.CreatedAt = m.CreatedAt.UTC()
	return m, err
}

func (s *Service) methodsOf(ctx context.Context, q db.Querier, customerID int64) ([]Method, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+methodColumns+` FROM payment_methods m WHERE m.customer_id = $1 AND m.status <> 'removed' ORDER BY m.id`, customerID)
	if err != nil {
		return nil, fmt.Errorf("methods of customer %d: %w", customerID, err)
	}
	defer rows.Close()
	var out []Method
	for rows.Next() {
		m, err := scanMethod(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (s *Service) methodTx(ctx context.Context, q db.Querier, customerID, methodID int64) (Method, error) {
	m, err := scanMethod(q.QueryRowContext(ctx, `SELECT `+methodColumns+` FROM payment_methods m WHERE m.id = $1 AND m.customer_id = $2 AND m.status <> 'removed'`,
		methodID, customerID))
	if errors.Is(err, sql.ErrNoRows) {
		return Method{}, fmt.Errorf("payment method %d: %w", methodID, ErrNotFound)
	}
	if err != nil {
		return Method{}, fmt.Errorf("payment method %d: %w", methodID, err)
	}
	return m, nil
}
