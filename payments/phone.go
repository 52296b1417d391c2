package payments

import (
	"context"
	"crypto/sha256"
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
	"carfin/locale"
	"carfin/money"
	"carfin/notify"
)

// Payments taken by telephone.
//
// A servicing agent takes a one-time payment from a caller the agent has
// verified (package callers) on the customer's own saved bank account, by
// the portal's one-time payment path: the same cut-off, dates, limits,
// idempotency, receipt and NACHA file. What differs is the authorization:
// the entry is a TEL entry (Nacha Operating Rules, Subsection 2.5.15,
// Telephone-Initiated Entries), and the rule asks of the originator that
//
//   - the consumer authorizes the debit orally, on a call, after the
//     originator states its terms: the date on or after which the account
//     is debited, the amount, the consumer's name, a telephone number for
//     inquiries during normal business hours, the date of the oral
//     authorization, and that the authorization is used to originate an
//     ACH debit to the consumer's account (2.5.15.2); and
//   - the originator either records the oral authorization or sends the
//     consumer, before the entry settles, a written notice that confirms
//     it (2.5.15.2); carfin sends the written notice (an email with the
//     script, in the same transaction as the payment) and keeps the
//     script verbatim (phone_payment_authorizations) for the two years
//     Nacha asks; and
//   - it uses commercially reasonable procedures to verify the consumer's
//     identity (the caller verification) and the routing number
//     (2.5.15.3; the routing number was checked when the account was added).
//
// Reg E 1005.10(b) (written authorization) governs preauthorized, that
// is recurring, transfers; a single payment taken on a call is not one.
// The script says how and until when the customer can cancel: as in the
// portal, until the cut-off of the business day before the debit.
//
// Only a bank account already on file and validated can pay by telephone.
// An account the customer reads out on the call is added by
// AddBankAccountByPhone as the portal adds one: pending until validated
// (micro-deposits or a prenote), because the portal validates every new
// account before its first debit (Nacha's WEB rule, research notes 4.7)
// and the notes state no exception for TEL entries. So it pays on a
// later call (or in the portal), not on this one.

// PhoneScriptVersion names the wording of the telephone authorization
// script; it changes whenever the wording does.
const PhoneScriptVersion = "tel-2026-12-07"

// phoneAction is the audit action of a phone payment (staff.TakePhonePayment).
const phoneAction = "payment.phone"

// Errors of telephone payments. Nothing is written when one is returned.
var (
	// ErrNotStaff: the agent is not a staff login.
	ErrNotStaff = errors.New("not a staff login")
	// ErrCallerNotVerified: the verification named is not this staff
	// member's passed, unexpired verification of the contract's customer
	// (callers.Active's rule).
	ErrCallerNotVerified = errors.New("the caller is not verified on this call")
	// ErrCallerDeclined: the customer did not say yes to the script.
	ErrCallerDeclined = errors.New("the customer must authorize the payment (say yes) after the script is read")
	// ErrScriptChanged: the script the agent read is not the one the
	// payment would record now (the amount, date or account changed, or
	// the cut-off passed and moved the date): read the new one.
	ErrScriptChanged = errors.New("the authorization script changed: read the new script to the customer")
	// ErrBankOnly: a payment by telephone is a TEL debit of a bank account.
	ErrBankOnly = errors.New("payments by telephone are from a bank account")
	// ErrNoPhone: Config.Phone is not set, and the script must give one.
	ErrNoPhone = errors.New("no customer-service phone number is configured")
)

// PhonePayment is a one-time payment an agent takes on a call.
type PhonePayment struct {
	ContractID int64
	// MethodID is a validated bank account of the contract's customer.
	MethodID    int64
	AmountCents money.Cents
	// Date is the debit date; zero is the earliest (today, or the next
	// business day after the cut-off), as in the portal.
	Date calendar.Date
	// Lang is the script's language, "en" (default) or "es".
	Lang string
	// VerificationID is the agent's passed caller verification of the
	// customer on this call (callers.Verification.ID).
	VerificationID int64
	// ScriptSHA256 is PhoneScript.SHA256 of the script the agent read.
	ScriptSHA256 string
	// AuthorizedByCaller: the customer said yes to the script.
	AuthorizedByCaller bool
	// IdempotencyKey comes from the console's form: submitting it twice
	// makes one payment.
	IdempotencyKey string
	// Again confirms a second payment identical to one made in the last
	// DuplicateWindow, as OneTime.Again.
	Again bool
	IP    string
}

// PhoneScript is the authorization an agent reads to the customer.
type PhoneScript struct {
	Version string
	Lang    string
	// Text is the script, paragraphs separated by blank lines.
	Text   string
	SHA256 string
	// What the script states.
	CustomerName   string
	AmountCents    money.Cents
	Date           calendar.Date
	Method         Method
	ChangeDeadline time.Time // zero: it goes out too soon to cancel
}

// PhoneAuthorizationScript returns the script the agent must read before
// taking req (its amount, date, method and language; the authorization
// fields are ignored), filled in from the records: the lender, the
// customer's name, the amount, the debit date, the account (type, bank,
// last four digits), how and until when the customer can cancel, the
// lender's phone number. It returns ErrNotStaff, ErrNotFound (contract,
// or a method not the contract's customer's), ErrCallerNotVerified,
// ErrBankOnly, ErrNoPhone, and the portal's refusals (Quote's errors:
// ErrAmount, ErrOverPayoff, ErrDate, ErrNotValidated, ErrMethodUnusable,
// ErrContractClosed).
func (s *Service) PhoneAuthorizationScript(ctx context.Context, staffLoginID int64, req PhonePayment) (PhoneScript, error) {
	_, _, sc, err := s.phoneQuote(ctx, s.db.Read, staffLoginID, req, s.db.Now())
	if err != nil {
		return PhoneScript{}, fmt.Errorf("phone authorization script: %w", err)
	}
	return sc, nil
}

// TakePhonePayment makes the one-time payment req on behalf of the staff
// login staffLoginID, as Pay does for the portal (scheduled for its date,
// in that day's NACHA file, here as a TEL entry), records the customer's
// oral authorization (the script, its hash and version, the agent, the
// verification, the time), emails the customer the receipt and the written
// notice of the authorization, and audits it as "staff:ID". It returns the
// payment: its Confirmation is what the agent reads back.
//
// The same IdempotencyKey again returns the first payment (Duplicate
// set); with another request, ErrIdempotencyConflict. It returns
// ErrCallerDeclined (AuthorizedByCaller false), ErrScriptChanged (the
// script read is not the current one), ErrDuplicatePayment (an identical
// payment minutes ago, without Again), and PhoneAuthorizationScript's
// errors, writing nothing.
func (s *Service) TakePhonePayment(ctx context.Context, staffLoginID int64, req PhonePayment) (Payment, error) {
	if req.IdempotencyKey == "" || len(req.IdempotencyKey) > keyLenMax {
		return Payment{}, fmt.Errorf("phone payment: idempotency key must be 1–%d characters: %w", keyLenMax, ErrIdempotencyConflict)
	}
	if !req.AuthorizedByCaller {
		return Payment{}, fmt.Errorf("phone payment: %w", ErrCallerDeclined)
	}
	if err := requireStaff(ctx, s.db.Read, staffLoginID); err != nil {
		return Payment{}, fmt.Errorf("phone payment: %w", err)
	}
	customerID, err := customerOfContract(ctx, s.db.Read, req.ContractID)
	if err != nil {
		return Payment{}, fmt.Errorf("phone payment: %w", err)
	}
	// The agent's keys live beside the customer's own (one UNIQUE per
	// customer): the prefix keeps a console key from meeting a portal one.
	key := "tel:" + req.IdempotencyKey
	if p, ok, err := s.repeated(ctx, customerID, key, req.requestHash()); err != nil || ok {
		return p, err
	}
	var made Payment
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := tx.Now()
		cust, qt, sc, err := s.phoneQuote(ctx, tx, staffLoginID, req, now)
		if err != nil {
			return err
		}
		if cust != customerID {
			return fmt.Errorf("contract %d: %w", req.ContractID, ErrNotFound) // it changed hands meanwhile
		}
		if req.ScriptSHA256 != sc.SHA256 {
			return ErrScriptChanged
		}
		if qt.Recent != nil && !req.Again {
			var same int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM payments WHERE customer_id = $1 AND idempotency_key = $2`,
				customerID, key).Scan(&same); err != nil {
				return err
			}
			if same > 0 {
				return errRepeated
			}
			return fmt.Errorf("%s on %s like %s: %w", qt.AmountCents.Dollars(), qt.Date, qt.Recent.Confirmation, ErrDuplicatePayment)
		}
		var id int64
		err = tx.QueryRowContext(ctx, `INSERT INTO payments (customer_id, contract_id, method_id, kind, rail, status, amount_cents, fee_cents,
			scheduled_date, sec_code, idempotency_key, request_hash, created_at, updated_at)
			VALUES ($1, $2, $3, 'one_time', 'ach', 'scheduled', $4, 0, $5, 'TEL', $6, $7, $8, $8) RETURNING id`,
			customerID, req.ContractID, req.MethodID, int64(qt.AmountCents), qt.Date, key, req.requestHash(), now).Scan(&id)
		if db.IsUniqueViolation(err) {
			return errRepeated
		}
		if err != nil {
			return fmt.Errorf("insert payment: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO phone_payment_authorizations (payment_id, customer_id, staff_login_id, verification_id,
			script_version, script_lang, script_sha256, script_text, authorized_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			id, customerID, staffLoginID, req.VerificationID, sc.Version, sc.Lang, sc.SHA256, sc.Text, now); err != nil {
			return fmt.Errorf("record authorization: %w", err)
		}
		made = s.recorded(id, customerID, qt, now)
		if err := s.announcePayment(ctx, tx, customerID, made); err != nil {
			return err
		}
		// Nacha 2.5.15.2: the written notice confirming the oral
		// authorization, sent before the entry settles.
		c, err := contactOf(ctx, tx, customerID)
		if err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, c, msgPhoneAuthorization(s.cfg, c, made, sc, now)); err != nil {
			return err
		}
		// Last: the audit log's head row is held until the commit.
		return audit.Record(ctx, tx, audit.Event{Actor: "staff:" + strconv.FormatInt(staffLoginID, 10), Action: phoneAction,
			Subject: fmt.Sprintf("payment:%d", id), IP: req.IP,
			Details: map[string]string{"amount": qt.AmountCents.String(), "date": qt.Date.String(), "sec": "TEL", "contract": qt.ContractAccount,
				"customer": strconv.FormatInt(customerID, 10), "verification": strconv.FormatInt(req.VerificationID, 10),
				"script_version": sc.Version, "script_sha256": sc.SHA256}})
	})
	if errors.Is(err, errRepeated) {
		p, _, err := s.repeated(ctx, customerID, key, req.requestHash())
		return p, err
	}
	if err != nil {
		return Payment{}, fmt.Errorf("phone payment: %w", err)
	}
	return made, nil
}

// requestHash identifies a phone payment, for idempotency.
func (r PhonePayment) requestHash() string {
	h := sha256.Sum256(fmt.Appendf(nil, "tel|%d|%d|%d|%s|%d|%s", r.ContractID, r.MethodID, int64(r.AmountCents), r.Date, r.VerificationID, r.ScriptSHA256))
	return hex.EncodeToString(h[:])
}

// phoneQuote checks req for the staff member at instant now and returns
// the contract's customer, the portal's quote and the script.
func (s *Service) phoneQuote(ctx context.Context, q db.Querier, staffLoginID int64, req PhonePayment, now time.Time) (int64, Quote, PhoneScript, error) {
	if err := requireStaff(ctx, q, staffLoginID); err != nil {
		return 0, Quote{}, PhoneScript{}, err
	}
	customerID, err := customerOfContract(ctx, q, req.ContractID)
	if err != nil {
		return 0, Quote{}, PhoneScript{}, err
	}
	if err := verifiedCall(ctx, q, staffLoginID, req.VerificationID, customerID, now); err != nil {
		return 0, Quote{}, PhoneScript{}, err
	}
	if req.AmountCents <= 0 {
		return 0, Quote{}, PhoneScript{}, fmt.Errorf("amount %s: %w", req.AmountCents, ErrAmount)
	}
	if s.cfg.Phone == "" {
		return 0, Quote{}, PhoneScript{}, ErrNoPhone
	}
	// The method is looked up by the contract's customer: another
	// customer's is ErrNotFound.
	m, err := s.methodTx(ctx, q, customerID, req.MethodID)
	if err != nil {
		return 0, Quote{}, PhoneScript{}, err
	}
	if m.Kind != KindBank {
		return 0, Quote{}, PhoneScript{}, fmt.Errorf("%s: %w", m.Label(), ErrBankOnly)
	}
	qt, err := s.quote(ctx, q, customerID, OneTime{ContractID: req.ContractID, MethodID: req.MethodID, Choice: PayOther,
		Other: req.AmountCents.String(), Date: req.Date}, now, 0)
	if err != nil {
		return 0, Quote{}, PhoneScript{}, err
	}
	c, err := contactOf(ctx, q, customerID)
	if err != nil {
		return 0, Quote{}, PhoneScript{}, err
	}
	sc := PhoneScript{Version: PhoneScriptVersion, Lang: scriptLang(req.Lang), CustomerName: c.name, AmountCents: qt.AmountCents,
		Date: qt.Date, Method: qt.Method, ChangeDeadline: qt.ChangeDeadline}
	sc.Text = RenderPhoneScript(s.cfg, sc, qt.ContractAccount, s.cfg.Cutoff.Today(now))
	sum := sha256.Sum256([]byte(sc.Text))
	sc.SHA256 = hex.EncodeToString(sum[:])
	return customerID, qt, sc, nil
}

func scriptLang(lang string) string {
	if lang == "es" {
		return "es"
	}
	return "en"
}

// phoneScripts are the script's paragraphs in each language, as
// fmt formats: today, lender, account; name, lender, amount, account type,
// bank (" at …", or ""), last four, date, account; phone, cut-off time,
// cut-off day (or the paragraph for a payment that goes out today);
// phone; name, lender, amount, last four, date.
var phoneScripts = map[string]struct {
	opening, terms, at, cancel, cancelNone, inquiries, question string
}{
	"en": {
		opening: "Today is %s. This call with %s is about account %s.",
		terms: "%s, you are authorizing %s to make a single electronic (ACH) debit of %s from your %s account%s ending in %s " +
			"on or after %s, as a payment on account %s. This authorization is for this one debit only; it is not a recurring payment.",
		at:         " at %s",
		cancel:     "You can cancel this payment by calling us at %s before %s on %s.",
		cancelNone: "Because this payment goes out today, it cannot be cancelled after this call.",
		inquiries: "If you have questions about this payment, call us at %s during business hours. We will email you " +
			"a written confirmation of this authorization and your receipt, with the confirmation number, before the debit is made.",
		question: "%s, do you authorize %s to debit %s from your account ending in %s on %s? Please answer yes or no.",
	},
	"es": {
		opening: "Hoy es %s. Esta llamada con %s es sobre la cuenta %s.",
		terms: "%s, usted autoriza a %s a hacer un único débito electrónico (ACH) de %s de su %s%s que termina en %s, " +
			"el %s o después, como pago de la cuenta %s. Esta autorización se usa solo para este débito; no es un pago recurrente.",
		at:         " en %s",
		cancel:     "Puede cancelar este pago llamándonos al %s antes de las %s del %s.",
		cancelNone: "Como este pago se envía hoy, no se puede cancelar después de esta llamada.",
		inquiries: "Si tiene preguntas sobre este pago, llámenos al %s en horario hábil. Le enviaremos por correo electrónico " +
			"la confirmación por escrito de esta autorización y el recibo, con el número de confirmación, antes de hacer el débito.",
		question: "%s, ¿autoriza a %s a debitar %s de su cuenta que termina en %s el %s? Por favor, responda sí o no.",
	},
}

// RenderPhoneScript writes the telephone authorization script of sc
// (Version, Lang, CustomerName, AmountCents, Date, Method, ChangeDeadline)
// for contract account on the day today, in plain-text paragraphs: what
// Nacha's TEL rule (2.5.15.2) asks an originator to state, and the
// question the customer answers.
func RenderPhoneScript(cfg Config, sc PhoneScript, account string, today calendar.Date) string {
	lang := scriptLang(sc.Lang)
	w := phoneScripts[lang]
	amount := locale.Money(lang, sc.AmountCents)
	date := locale.FullDate(lang, sc.Date)
	kind := word(lang, "checking", nil)
	if sc.Method.AccountType == "savings" {
		kind = word(lang, "savings", nil)
	}
	at := ""
	if sc.Method.BankName != "" {
		at = fmt.Sprintf(w.at, sc.Method.BankName)
	}
	cancel := w.cancelNone
	if !sc.ChangeDeadline.IsZero() {
		d := sc.ChangeDeadline.In(cfg.Cutoff.Location)
		cancel = fmt.Sprintf(w.cancel, cfg.Phone, locale.Clock(lang, d), locale.FullDate(lang, calendar.Of(d)))
	}
	return strings.Join([]string{
		fmt.Sprintf(w.opening, locale.FullDate(lang, today), cfg.LenderName, account),
		fmt.Sprintf(w.terms, sc.CustomerName, cfg.LenderName, amount, strings.ToLower(kind), at, sc.Method.Last4, date, account),
		cancel,
		fmt.Sprintf(w.inquiries, cfg.Phone),
		fmt.Sprintf(w.question, sc.CustomerName, cfg.LenderName, amount, sc.Method.Last4, date),
	}, "\n\n") + "\n"
}

// requireStaff returns ErrNotStaff unless by is a staff login (what the
// console may do by role is staff.Can, asked by the console).
func requireStaff(ctx context.Context, q db.Querier, by int64) error {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM logins WHERE id = $1 AND realm = 'staff'`, by).Scan(&n); err != nil {
		return fmt.Errorf("read staff %d: %w", by, err)
	}
	if n == 0 {
		return fmt.Errorf("login %d: %w", by, ErrNotStaff)
	}
	return nil
}

// customerOfContract returns the contract's customer, or ErrNotFound.
func customerOfContract(ctx context.Context, q db.Querier, contractID int64) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT customer_id FROM contracts WHERE id = $1`, contractID).Scan(&id)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("contract %d: %w", contractID, ErrNotFound)
		}
		return 0, fmt.Errorf("contract %d: %w", contractID, err)
	}
	return id, nil
}

// msgPhoneAuthorization is the written notice of a telephone
// authorization: the script the customer said yes to.
func msgPhoneAuthorization(cfg Config, c contact, p Payment, sc PhoneScript, at time.Time) notify.Message {
	return render(cfg, c.lang, "payment.phone_authorization", msg{Name: c.name, Confirmation: p.Confirmation, Amount: p.AmountCents,
		Date: p.Date, Method: methodLabel(c.lang, p.PaidFrom), Authorization: sc.Text, Version: sc.Version,
		AuthorizedAt: at.In(cfg.Cutoff.Location), ForeignAuthorization: sc.Lang != c.lang})
}

// AddBankAccountByPhone records a bank account the customer of contractID
// reads out on a call verified by the staff login staffLoginID
// (verificationID, as TakePhonePayment), as AddBankAccount does for the
// portal: pending until validated by micro-deposits (default) or a
// prenote, the customer alerted, the number encrypted; audited as
// "staff:ID". It returns ErrNotStaff, ErrNotFound (contract),
// ErrCallerNotVerified and AddBankAccount's errors, writing nothing.
func (s *Service) AddBankAccountByPhone(ctx context.Context, staffLoginID, verificationID, contractID int64, n NewBankAccount) (Method, error) {
	if err := requireStaff(ctx, s.db.Read, staffLoginID); err != nil {
		return Method{}, fmt.Errorf("add bank account by phone: %w", err)
	}
	customerID, err := customerOfContract(ctx, s.db.Read, contractID)
	if err != nil {
		return Method{}, fmt.Errorf("add bank account by phone: %w", err)
	}
	return s.addBankAccount(ctx, customerID, n, "staff:"+strconv.FormatInt(staffLoginID, 10), func(tx *db.Tx) error {
		return verifiedCall(ctx, tx, staffLoginID, verificationID, customerID, tx.Now())
	})
}

// verifiedCall returns ErrCallerNotVerified unless verificationID is the
// staff member's passed, unexpired verification of the customer at now
// (callers.Active's rule, read in q).
func verifiedCall(ctx context.Context, q db.Querier, staffLoginID, verificationID, customerID int64, now time.Time) error {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM caller_verifications WHERE id = $1 AND staff_login_id = $2 AND customer_id = $3
		AND result = 'pass' AND expires_at > $4`, verificationID, staffLoginID, customerID, now.UTC()).Scan(&n); err != nil {
		return fmt.Errorf("caller verification: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("verification %d: %w", verificationID, ErrCallerNotVerified)
	}
	return nil
}
