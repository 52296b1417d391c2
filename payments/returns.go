package payments

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"carfin/audit"
	"carfin/calendar"
	"carfin/db"
	"carfin/money"
	"carfin/payments/ach"
	"carfin/servicing"
)

// ReturnClass groups return codes by what the lender does about them.
type ReturnClass string

const (
	// ClassFunds: R01 insufficient, R09 uncollected funds. Reverse, charge
	// the contract's NSF fee, and present again if the lender enabled
	// retries (at most twice within 180 days).
	ClassFunds ReturnClass = "funds"
	// ClassAccount: R02 closed, R03 no account, R04 invalid number (and
	// R12, R13, R14, R15, R16, R20). Reverse, disable the account, suspend
	// autopay, ask for a new account.
	ClassAccount ReturnClass = "account"
	// ClassUnauthorized: R05, R07 revoked, R10 not authorized, R11, R29.
	// Reverse, disable, suspend autopay, flag for review.
	ClassUnauthorized ReturnClass = "unauthorized"
	// ClassOther: R08 stop payment and the rest. Reverse and tell the
	// customer; no retry. An R08 on an autopay debit also pauses autopay.
	ClassOther ReturnClass = "other"
	// ClassDishonored: the banks' dispute about a return, not a return of
	// the payment: dishonored returns (R61, R62, R67–R70, the lender's
	// bank refusing the customer's bank's return) and contested dishonored
	// returns (R71–R77, the customer's bank disputing that refusal).
	// Nothing changes and the customer is told nothing; staff review it.
	ClassDishonored ReturnClass = "dishonored"
)

// ClassOf returns the class of a return code. The parsers accept only the
// codes of the Nacha Operating Rules (ach.KnownReturnCode); R28 (a check
// digit error), R34 (a bank whose participation is limited) and R90 (the
// bank's sanctions obligations) stop the account as R13 and R16 do.
func ClassOf(code string) ReturnClass {
	switch {
	case ach.Dishonored(code), ach.Contested(code):
		return ClassDishonored
	}
	switch code {
	case "R01", "R09":
		return ClassFunds
	case "R02", "R03", "R04", "R12", "R13", "R14", "R15", "R16", "R20", "R28", "R34", "R90":
		return ClassAccount
	case "R05", "R07", "R10", "R11", "R29", "R51":
		return ClassUnauthorized
	}
	return ClassOther
}

// ReturnStats is what importing a return file did.
type ReturnStats struct {
	// Already: the same file was imported before; nothing was done again.
	Already   bool
	Returns   int // payments reversed
	NOCs      int // accounts corrected
	Retries   int // re-presentments scheduled
	Fees      int // NSF fees charged
	Review    int // flagged for review
	Duplicate int // returns processed before
	Unmatched int // entries that match nothing carfin sent
}

// ErrReturnFormat is returned for a file that is neither a NACHA return
// file nor the CSV form.
var ErrReturnFormat = errors.New("not a NACHA return file or a returns CSV")

// ImportReturns processes a file of returns and notifications of change
// from the bank: a NACHA return file, or the CSV form
// (trace_number,code,corrected_data). Each return is matched to the entry
// carfin sent by its trace number (and the confirmation number the entry
// carried) and processed in its own transaction by its class (see
// ReturnClass): the payment is reversed in servicing as of its own date
// (later activity is replayed), the return is recorded with the
// customer's words for it, and the customer is emailed. A notification of
// change updates the stored account (C01 account number, C02 routing
// number, C03 both, C05 account type, C06 account number and type, C07
// all three). Importing a file again does nothing; a run interrupted
// part-way can be run again.
func (s *Service) ImportReturns(ctx context.Context, name string, data []byte) (ReturnStats, error) {
	var st ReturnStats
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	var seen int
	if err := s.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM ach_return_files WHERE sha256 = $1`, hash).Scan(&seen); err != nil {
		return st, err
	}
	if seen > 0 {
		st.Already = true
		return st, nil
	}
	var rets []ach.Return
	var err error
	trimmed := bytes.TrimLeft(data, " \r\n\t")
	switch {
	case len(trimmed) > 0 && trimmed[0] == '1':
		rets, err = ach.ParseReturns(bytes.NewReader(data))
	case bytes.HasPrefix(trimmed, []byte("trace_number,")):
		rets, err = ach.ParseReturnsCSV(bytes.NewReader(data))
	default:
		return st, fmt.Errorf("import %s: %w", name, ErrReturnFormat)
	}
	if err != nil {
		return st, fmt.Errorf("import %s: %w", name, err)
	}
	var fileID int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO ach_return_files (name, sha256, returns, nocs, unmatched, imported_at) VALUES ($1, $2, 0, 0, 0, $3) RETURNING id`,
			name, hash, tx.Now()).Scan(&fileID)
	})
	if db.IsUniqueViolation(err) {
		st.Already = true
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("import %s: %w", name, err)
	}
	for _, r := range rets {
		if err := s.processReturn(ctx, fileID, r, &st); err != nil {
			return st, fmt.Errorf("import %s line %d (%s %s): %w", name, r.Line, r.Code, r.OriginalTrace, err)
		}
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE ach_return_files SET returns = $1, nocs = $2, unmatched = $3 WHERE id = $4`,
			st.Returns, st.NOCs, st.Unmatched, fileID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Actor: "system", Action: "ach.returns_imported", Subject: fmt.Sprintf("ach_return_file:%d", fileID),
			Details: map[string]string{"name": name, "sha256": hash, "returns": strconv.Itoa(st.Returns), "nocs": strconv.Itoa(st.NOCs),
				"unmatched": strconv.Itoa(st.Unmatched), "retries": strconv.Itoa(st.Retries)}})
	})
	return st, err
}

// sentPayment is a payment a return names.
type sentPayment struct {
	id, customerID, contractID, methodID, eventID int64
	status                                        Status
	kind                                          PaymentKind
	amount                                        money.Cents
	date                                          calendar.Date
	presentment                                   int
	originalID                                    int64
	installment                                   sql.NullInt64
	autopayID                                     sql.NullInt64 // of an autopay debit, or of the debit a retry presents again
	fileEffective                                 calendar.Date
	sec                                           string
}

// processReturn handles one return or NOC in its own transaction.
func (s *Service) processReturn(ctx context.Context, fileID int64, r ach.Return, st *ReturnStats) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		p, found, err := s.findSent(ctx, tx, r)
		if err != nil {
			return err
		}
		if !found {
			return s.verificationReturn(ctx, tx, fileID, r, st)
		}
		if r.Kind == ach.KindNOC {
			return s.applyNOC(ctx, tx, fileID, r, p.customerID, p.methodID, p.id, 0, st)
		}
		if ClassOf(r.Code) == ClassDishonored {
			return s.flagDishonored(ctx, tx, fileID, r, p, st)
		}
		var dup int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM ach_returns WHERE payment_id = $1 AND kind = 'return'
			AND code NOT IN (`+dishonorCodes+`)`, p.id).Scan(&dup); err != nil {
			return err
		}
		if dup > 0 || p.status == StatusReturned {
			st.Duplicate++
			return nil
		}
		return s.returnPayment(ctx, tx, fileID, r, p, st)
	})
}

// flagDishonored records a dishonored return (the lender's bank refused
// the customer's bank's return of this payment, R61, R62, R67–R70) or a
// contested one (the customer's bank disputes that refusal, R71–R77) for
// staff review and changes nothing else: whether the payment stands again
// depends on the dispute between the banks, which the lender's bank
// settles and reports; carfin neither reverses nor re-applies on its own,
// and the customer is not told anything yet.
func (s *Service) flagDishonored(ctx context.Context, tx *db.Tx, fileID int64, r ach.Return, p sentPayment, st *ReturnStats) error {
	var seen int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM ach_returns WHERE payment_id = $1 AND kind = 'return' AND code = $2`, p.id, r.Code).
		Scan(&seen); err != nil {
		return err
	}
	if seen > 0 {
		st.Duplicate++
		return nil
	}
	reason := ach.Reason(r.Code)
	what := "Dishonored return: our bank refused a return of this payment."
	if ach.Contested(r.Code) {
		what = "Contested dishonored return: the customer's bank disputes our bank's refusal of its return of this payment."
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO ach_returns (return_file_id, payment_id, method_id, kind, code, original_trace, title, description,
		action, review_required, created_at) VALUES ($1, $2, $3, 'return', $4, $5, $6, $7, $8, 1, $9)`,
		fileID, p.id, p.methodID, r.Code, r.OriginalTrace, reason.Title, what,
		"Nothing was changed: staff review the dispute with our bank.", tx.Now()); err != nil {
		return fmt.Errorf("record dishonored return of payment %d: %w", p.id, err)
	}
	st.Review++
	return audit.Record(ctx, tx, audit.Event{Actor: "system", Action: "payment.return_dishonored", Subject: fmt.Sprintf("payment:%d", p.id),
		Details: map[string]string{"code": r.Code, "trace": r.OriginalTrace, "status": string(p.status)}})
}

// findSent finds the payment an entry's trace number names. A payment's
// trace number carries its id modulo 9,000,000 (paymentTrace), so the
// candidates are that number plus multiples of 9,000,000, newest first:
// key lookups, no trace index. The confirmation number the entry carried
// back, when it is one, must agree.
func (s *Service) findSent(ctx context.Context, tx *db.Tx, r ach.Return) (sentPayment, bool, error) {
	var p sentPayment
	seq, err := strconv.ParseInt(r.OriginalTrace[8:], 10, 64)
	if err != nil || seq >= 9_000_000 {
		return p, false, nil
	}
	want, _ := PaymentID(r.IndividualID)
	var top int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM payments`).Scan(&top); err != nil {
		return p, false, err
	}
	if top < seq {
		return p, false, nil
	}
	for id := seq + (top-seq)/9_000_000*9_000_000; id > 0; id -= 9_000_000 {
		if want != 0 && id != want {
			continue
		}
		var status, kind string
		var orig sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT p.id, p.customer_id, p.contract_id, p.method_id, COALESCE(p.servicing_event_id, 0), p.status, p.kind,
			p.amount_cents, p.scheduled_date, p.presentment, p.original_payment_id, p.installment_number,
			COALESCE(p.autopay_id, (SELECT o.autopay_id FROM payments o WHERE o.id = p.original_payment_id)), f.effective_date, p.sec_code
			FROM payments p JOIN ach_files f ON f.id = p.ach_file_id WHERE p.id = $1 AND p.trace_number = $2`, id, r.OriginalTrace).
			Scan(&p.id, &p.customerID, &p.contractID, &p.methodID, &p.eventID, &status, &kind, &p.amount, &p.date, &p.presentment, &orig,
				&p.installment, &p.autopayID, &p.fileEffective, &p.sec)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return p, false, fmt.Errorf("find payment by trace %s: %w", r.OriginalTrace, err)
		}
		p.status, p.kind = Status(status), PaymentKind(kind)
		p.originalID = p.id
		if orig.Valid {
			p.originalID = orig.Int64
		}
		return p, true, nil
	}
	return p, false, nil
}

// returnPayment reverses a returned payment and acts on its class.
func (s *Service) returnPayment(ctx context.Context, tx *db.Tx, fileID int64, r ach.Return, p sentPayment, st *ReturnStats) error {
	today := s.today(tx)
	reason := ach.Reason(r.Code)
	class := ClassOf(r.Code)
	if p.eventID != 0 {
		_, err := s.sv.ReverseTx(ctx, tx, servicing.Request{ContractID: p.contractID, Date: today, IdempotencyKey: "return:" + strconv.FormatInt(p.id, 10),
			Actor: "ach-return", Memo: r.Code + " " + reason.Title + " " + Confirmation(p.id)}, p.eventID)
		if err != nil && !errors.Is(err, servicing.ErrAlreadyReversed) {
			return fmt.Errorf("reverse payment %d: %w", p.id, err)
		}
	}
	if p.status == StatusPending && p.eventID != 0 {
		// It never became final: out of transit again, as the reversal
		// takes the payment back from cash.
		if err := postTransit(ctx, tx, "ach-returned:"+strconv.FormatInt(p.id, 10), today, p.amount, false,
			r.Code+" return of "+Confirmation(p.id)); err != nil {
			return err
		}
	}
	now := tx.Now()
	if _, err := tx.ExecContext(ctx, `UPDATE payments SET status = 'returned', return_code = $1, status_reason = $2, updated_at = $3 WHERE id = $4`,
		r.Code, reason.Title, now, p.id); err != nil {
		return err
	}
	var actions []phrase
	review := false
	switch class {
	case ClassFunds:
		if p.kind != RetryPayment {
			fee, err := s.sv.AssessNSFFeeTx(ctx, tx, servicing.Request{ContractID: p.contractID, Date: today,
				IdempotencyKey: "nsf-fee:" + strconv.FormatInt(p.id, 10), Actor: "ach-return", Memo: r.Code + " " + Confirmation(p.id)})
			if err != nil && !errors.Is(err, servicing.ErrClosed) {
				return fmt.Errorf("NSF fee for payment %d: %w", p.id, err)
			}
			if fee.EventID != 0 {
				st.Fees++
				actions = append(actions, phrase{key: "action.fee"})
			}
		}
		retry, err := s.scheduleRetry(ctx, tx, p, today)
		if err != nil {
			return err
		}
		if !retry.IsZero() {
			st.Retries++
			actions = append(actions, phrase{key: "action.retry", data: msg{Date: retry}})
		} else {
			actions = append(actions, phrase{key: "action.pay_again_other"})
		}
	case ClassAccount, ClassUnauthorized:
		review = class == ClassUnauthorized
		if err := s.disableMethod(ctx, tx, p.methodID, r.Code+" "+reason.Title, review); err != nil {
			return err
		}
		actions = append(actions, phrase{key: "action.account_stopped"})
		if review {
			st.Review++
		}
	default:
		if r.Code == "R08" && p.autopayID.Valid {
			// The customer had the bank stop an autopay debit: a stop on a
			// recurring debit may be meant for all of them (Reg E
			// 1005.10(c)), so autopay pauses until the customer turns it
			// back on, rather than debiting again next month.
			res, err := tx.ExecContext(ctx, `UPDATE autopay_enrolments SET status = 'suspended', status_reason = $1, updated_at = $2
				WHERE id = $3 AND status = 'active'`, "R08 Payment stopped at your bank", tx.Now(), p.autopayID.Int64)
			if err != nil {
				return fmt.Errorf("pause autopay after a stop payment: %w", err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				actions = append(actions, phrase{key: "action.autopay_paused_stop"})
			}
		}
		actions = append(actions, phrase{key: "action.pay_again"})
	}
	// The history keeps what was done in English, the language of the
	// record; the customer is told in theirs.
	action := sentences("en", actions)
	if _, err := tx.ExecContext(ctx, `INSERT INTO ach_returns (return_file_id, payment_id, method_id, kind, code, original_trace, title, description,
		action, review_required, created_at) VALUES ($1, $2, $3, 'return', $4, $5, $6, $7, $8, $9, $10)`,
		fileID, p.id, p.methodID, r.Code, r.OriginalTrace, reason.Title, reason.Customer, action, boolInt(review), now); err != nil {
		return fmt.Errorf("record return of payment %d: %w", p.id, err)
	}
	st.Returns++
	c, err := contactOf(ctx, tx, p.customerID)
	if err != nil {
		return err
	}
	pay, err := s.paymentTx(ctx, tx, p.customerID, p.id)
	if err != nil {
		return err
	}
	// Always sent, whatever the alert preferences: the payment did not
	// happen, a fee may have been charged and the customer may have to act
	// (pay again, give a new account). It is a notice the lender must
	// send, not the "payment received" courtesy alert.
	if err := s.enqueue(ctx, tx, c, msgReturned(s.cfg, c, pay, reason, actions)); err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Event{Actor: "system", Action: "payment.returned", Subject: fmt.Sprintf("payment:%d", p.id),
		Details: map[string]string{"code": r.Code, "class": string(class), "trace": r.OriginalTrace}})
}

// scheduleRetry presents an R01/R09 return again if the lender enabled
// retries: Nacha allows two re-presentments within 180 days of the
// original entry's settlement, as "RETRY PYMT". It returns the retry's
// date, or zero when there is none.
func (s *Service) scheduleRetry(ctx context.Context, tx *db.Tx, p sentPayment, today calendar.Date) (calendar.Date, error) {
	if p.presentment > s.cfg.Retries {
		return 0, nil
	}
	var methodStatus, contractState string
	var firstSettled calendar.Date
	if err := tx.QueryRowContext(ctx, `SELECT m.status, c.state, f.effective_date FROM payments o
		JOIN payment_methods m ON m.id = $2 JOIN contracts c ON c.id = o.contract_id JOIN ach_files f ON f.id = o.ach_file_id
		WHERE o.id = $1`, p.originalID, p.methodID).Scan(&methodStatus, &contractState, &firstSettled); err != nil {
		return 0, fmt.Errorf("retry of payment %d: %w", p.id, err)
	}
	date := calendar.AddBusinessDays(today, s.cfg.RetryAfterBusinessDays)
	if methodStatus != string(MethodActive) || (contractState != "active" && contractState != "matured") || date > firstSettled+retryWindowDays {
		return 0, nil
	}
	now := tx.Now()
	_, err := tx.ExecContext(ctx, `INSERT INTO payments (customer_id, contract_id, method_id, kind, rail, status, amount_cents, scheduled_date,
		installment_number, original_payment_id, presentment, sec_code, idempotency_key, request_hash, created_at, updated_at)
		VALUES ($1, $2, $3, 'retry', 'ach', 'scheduled', $4, $5, $6, $7, $8, $9, $10, 'retry', $11, $11)`,
		p.customerID, p.contractID, p.methodID, p.amount, date, p.installment, p.originalID, p.presentment+1, p.sec,
		fmt.Sprintf("retry:%d:%d", p.originalID, p.presentment+1), now)
	if err != nil {
		return 0, fmt.Errorf("schedule retry of payment %d: %w", p.id, err)
	}
	return date, nil
}

// disableMethod stops using a bank account after a return: the method is
// disabled, autopay on it suspended, and its scheduled payments
// cancelled.
func (s *Service) disableMethod(ctx context.Context, tx *db.Tx, methodID int64, why string, review bool) error {
	now := tx.Now()
	if _, err := tx.ExecContext(ctx, `UPDATE payment_methods SET status = 'disabled', status_reason = $1, review_required = $2, updated_at = $3
		WHERE id = $4 AND status <> 'removed'`, why, boolInt(review), now, methodID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE autopay_enrolments SET status = 'suspended', status_reason = $1, updated_at = $2
		WHERE method_id = $3 AND status = 'active'`, "the bank returned a payment: "+why, now, methodID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE payments SET status = 'cancelled', status_reason = 'the bank account can no longer be used', updated_at = $1
		WHERE method_id = $2 AND status = 'scheduled'`, now, methodID)
	return err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// verificationReturn handles a return or NOC of a validation entry (a
// micro-deposit or prenote), or counts an entry that matches nothing.
func (s *Service) verificationReturn(ctx context.Context, tx *db.Tx, fileID int64, r ach.Return, st *ReturnStats) error {
	var vid, methodID, customerID int64
	err := tx.QueryRowContext(ctx, `SELECT v.id, v.method_id, m.customer_id FROM ach_verifications v JOIN payment_methods m ON m.id = v.method_id
		WHERE v.trace_number = $1 AND v.ach_file_id IS NOT NULL ORDER BY v.id DESC LIMIT 1`, r.OriginalTrace).Scan(&vid, &methodID, &customerID)
	if errors.Is(err, sql.ErrNoRows) {
		st.Unmatched++
		s.log.Warn("return matches no entry", "code", r.Code, "trace", r.OriginalTrace)
		return nil
	}
	if err != nil {
		return err
	}
	if r.Kind == ach.KindNOC {
		return s.applyNOC(ctx, tx, fileID, r, customerID, methodID, 0, vid, st)
	}
	var dup int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM ach_returns WHERE verification_id = $1 AND kind = 'return'`, vid).Scan(&dup); err != nil {
		return err
	}
	if dup > 0 {
		st.Duplicate++
		return nil
	}
	reason := ach.Reason(r.Code)
	now := tx.Now()
	if _, err := tx.ExecContext(ctx, `UPDATE ach_verifications SET status = 'returned' WHERE id = $1`, vid); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE payment_methods SET status = 'failed', status_reason = $1, updated_at = $2 WHERE id = $3 AND status IN ('pending', 'active')`,
		"validation returned: "+r.Code+" "+reason.Title, now, methodID); err != nil {
		return err
	}
	action := sentences("en", []phrase{{key: "action.account_not_verified"}})
	if _, err := tx.ExecContext(ctx, `INSERT INTO ach_returns (return_file_id, verification_id, method_id, kind, code, original_trace, title, description,
		action, created_at) VALUES ($1, $2, $3, 'return', $4, $5, $6, $7, $8, $9)`,
		fileID, vid, methodID, r.Code, r.OriginalTrace, reason.Title, reason.Customer, action, now); err != nil {
		return err
	}
	st.Returns++
	return audit.Record(ctx, tx, audit.Event{Actor: "system", Action: "payment_method.validation_returned", Subject: fmt.Sprintf("payment_method:%d", methodID),
		Details: map[string]string{"code": r.Code}})
}

// applyNOC corrects a stored bank account as a notification of change
// asks (Nacha: before the next entry, within six banking days).
func (s *Service) applyNOC(ctx context.Context, tx *db.Tx, fileID int64, r ach.Return, customerID, methodID, paymentID, verificationID int64, st *ReturnStats) error {
	var dup int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM ach_returns WHERE kind = 'noc' AND code = $1 AND (payment_id = $2 OR verification_id = $3)`,
		r.Code, paymentID, verificationID).Scan(&dup); err != nil {
		return err
	}
	if dup > 0 {
		st.Duplicate++
		return nil
	}
	corr, ok := ach.ParseCorrection(r.Code, r.CorrectedData)
	action := "No change was needed."
	review := false
	if !ok && r.Code == "C04" {
		// A corrected name that keeps fewer than two letters A–Z in the ACH
		// character set cannot be carried by the next entry: it is not
		// stored, and staff take it up with the customer.
		action, review = "The corrected name cannot be sent to the bank (fewer than two letters A–Z): nothing was changed; staff review it.", true
		st.Review++
	}
	if ok {
		var sets []string
		var args []any
		arg := func(col string, v any) {
			args = append(args, v)
			sets = append(sets, fmt.Sprintf("%s = $%d", col, len(args)))
		}
		if corr.Routing != "" {
			bank, err := s.cfg.Directory.Lookup(corr.Routing)
			if err != nil && !errors.Is(err, ach.ErrRoutingUnknown) {
				return fmt.Errorf("corrected routing number %s: %w", corr.Routing, err)
			}
			arg("routing_number", corr.Routing)
			arg("bank_name", bank.Name)
		}
		if corr.Account != "" {
			if s.cfg.Keys == nil {
				return ErrNoKeys
			}
			keyID, sealed := s.cfg.Keys.seal(corr.Account, accountAAD(customerID))
			arg("account_cipher", sealed)
			arg("account_key_id", keyID)
			arg("last4", corr.Account[max(0, len(corr.Account)-4):])
		}
		if corr.Name != "" {
			// C04: the name the customer's bank holds the account under;
			// the next entry must carry it.
			arg("holder_name", corr.Name)
		}
		switch corr.TransactionCode {
		case ach.CheckingCredit, ach.CheckingDebit, ach.CheckingCreditPrenote, ach.CheckingDebitPrenote:
			arg("account_type", "checking")
		case ach.SavingsCredit, ach.SavingsDebit, ach.SavingsCreditPrenote, ach.SavingsDebitPrenote:
			arg("account_type", "savings")
		}
		if len(sets) > 0 {
			arg("updated_at", tx.Now())
			args = append(args, methodID)
			if _, err := tx.ExecContext(ctx, `UPDATE payment_methods SET `+strings.Join(sets, ", ")+fmt.Sprintf(` WHERE id = $%d`, len(args)), args...); err != nil {
				return fmt.Errorf("correct method %d: %w", methodID, err)
			}
			action = "Your bank asked us to update your account details (" + ach.ChangeTitle(r.Code) + "); we did."
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO ach_returns (return_file_id, payment_id, verification_id, method_id, kind, code, original_trace,
		corrected_data, title, description, action, review_required, created_at) VALUES ($1, $2, $3, $4, 'noc', $5, $6, $7, $8, $9, $10, $11, $12)`,
		fileID, nullIfZero(paymentID), nullIfZero(verificationID), methodID, r.Code, r.OriginalTrace, r.CorrectedData, ach.ChangeTitle(r.Code),
		"Your bank sent corrected account details.", action, boolInt(review), tx.Now()); err != nil {
		return fmt.Errorf("record notification of change: %w", err)
	}
	st.NOCs++
	return audit.Record(ctx, tx, audit.Event{Actor: "system", Action: "payment_method.noc", Subject: fmt.Sprintf("payment_method:%d", methodID),
		Details: map[string]string{"code": r.Code, "applied": strconv.FormatBool(ok)}})
}

// Return is a return or NOC as staff see it.
type Return struct {
	ID             int64
	Kind           string
	Code           string
	Title          string
	Description    string
	Action         string
	PaymentID      int64
	MethodID       int64
	ReviewRequired bool
	OriginalTrace  string
}

// ReturnsForReview lists the returns flagged for review (unauthorized
// debits: R05, R07, R10, R11, R29, R51; dishonored and contested
// returns; a C04 name correction that cannot be used) and the
// debits servicing refused for a reason not the customer's (Kind
// "refusal": still scheduled), newest first, for the staff console.
func (s *Service) ReturnsForReview(ctx context.Context, limit int) ([]Return, error) {
	if limit <= 0 || limit > paymentsListMax {
		limit = paymentsListMax
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, kind, code, title, description, action, COALESCE(payment_id, 0), COALESCE(method_id, 0), original_trace
		FROM ach_returns WHERE review_required = 1 ORDER BY id DESC LIMIT `+strconv.Itoa(limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Return
	for rows.Next() {
		r := Return{ReviewRequired: true}
		if err := rows.Scan(&r.ID, &r.Kind, &r.Code, &r.Title, &r.Description, &r.Action, &r.PaymentID, &r.MethodID, &r.OriginalTrace); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
