package payments

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"carfin/audit"
	"carfin/calendar"
	"carfin/db"
	"carfin/money"
	"carfin/notify"
	"carfin/payments/ach"
	"carfin/preferences"
	"carfin/servicing"
)

// ErrNotConfigured is returned by the ACH runs when the lender's origin
// (ODFI routing number, company identification) or the output directory
// is not set.
var ErrNotConfigured = errors.New("ACH origination is not configured (ODFI routing number, company id, output directory)")

// FileResult is what one origination did.
type FileResult struct {
	FileID        int64
	Date          calendar.Date
	EffectiveDate calendar.Date
	Path          string
	SHA256        string
	// Entries counts the file's entries: Debits of them are payments.
	Entries, Debits int
	DebitCents      money.Cents
	CreditCents     money.Cents
	// Posted payments this run posted; Skipped (nothing left to collect)
	// and Failed (the account cannot be used) ones; Held ones servicing
	// refused for a reason not the customer's: still scheduled, for the
	// next run, and in staff review.
	Posted, Skipped, Failed, Held int
}

// Trace number sequences: payments use their id modulo 9,000,000 and
// validation entries 9,000,000 plus their id modulo 1,000,000, so the
// two never share a trace number within a file (the 7-digit sequence
// repeats only after 9 million payments).
func paymentTrace(odfi8 string, id int64) string { return ach.Trace(odfi8, id%9_000_000) }
func verificationTrace(odfi8 string, id int64) string {
	return ach.Trace(odfi8, 9_000_000+id%1_000_000)
}

// OriginateACH writes the NACHA file of business date d: it posts every
// bank payment scheduled on or before d to servicing (with its own date
// as the effective date), attaches the accounts' validation entries, and
// writes the file atomically into the output directory. The work runs in
// transactions of up to 2,000 payments over a few connections; a run
// killed part-way leaves its file "building", and running again for the
// same date finishes it without posting any payment twice. A second run
// on a day whose file is written makes a new file (ID modifier B, C, …)
// only if new payments became due. Non-business days have no file. A
// payment never goes out before the lender's business date reaches its
// date (servicing cannot post it earlier): a file written ahead of its
// day, the next business day's on a weekend for account validations,
// takes only payments dated up to today.
func (s *Service) OriginateACH(ctx context.Context, d calendar.Date) (FileResult, error) {
	o := s.cfg.Origin
	if o.ODFIRouting == "" || o.CompanyID == "" || s.cfg.OutDir == "" {
		return FileResult{}, ErrNotConfigured
	}
	if !calendar.IsBusinessDay(d) {
		return FileResult{Date: d}, nil
	}
	through := min(d, s.cfg.Cutoff.Today(s.db.Now()))
	fileID, effective, err := s.openFile(ctx, d, through)
	if err != nil || fileID == 0 {
		return FileResult{Date: d}, err
	}
	res := FileResult{FileID: fileID, Date: d, EffectiveDate: effective}
	if err := s.postDebits(ctx, d, through, fileID, effective, &res); err != nil {
		return res, err
	}
	if err := s.attachVerifications(ctx, d, fileID); err != nil {
		return res, err
	}
	if err := s.writeFile(ctx, fileID, &res); err != nil {
		return res, err
	}
	s.log.Info("ACH file written", "date", d, "path", res.Path, "entries", res.Entries, "debits", res.DebitCents, "posted", res.Posted,
		"skipped", res.Skipped, "failed", res.Failed, "held", res.Held)
	return res, nil
}

// lockRuns serialises the payment runs of the whole deployment inside tx
// (PostgreSQL advisory lock; SQLite has one writer already).
func lockRuns(ctx context.Context, tx *db.Tx, name string) error {
	if tx.Engine() != db.Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "carfin.payments."+name)
	return err
}

// openFile returns the file being built for d, or starts one if anything
// is due (a payment dated through, a validation entry); 0 when nothing is.
func (s *Service) openFile(ctx context.Context, d, through calendar.Date) (int64, calendar.Date, error) {
	var id int64
	var effective calendar.Date
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		id, effective = 0, 0
		if err := lockRuns(ctx, tx, "ach"); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `SELECT id, effective_date FROM ach_files WHERE file_date = $1 AND status = 'building'`, d).Scan(&id, &effective)
		if err == nil || !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var due int
		if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT count(*) FROM (SELECT 1 FROM payments WHERE rail = 'ach' AND status = 'scheduled' AND scheduled_date <= $1 LIMIT 1) a) +
			(SELECT count(*) FROM (SELECT 1 FROM ach_verifications v JOIN payment_methods m ON m.id = v.method_id
				WHERE v.status = 'scheduled' AND m.status = 'pending' LIMIT 1) b)`, through).Scan(&due); err != nil {
			return fmt.Errorf("anything due: %w", err)
		}
		if due == 0 {
			return nil
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM ach_files WHERE file_date = $1`, d).Scan(&n); err != nil {
			return err
		}
		const modifiers = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		if n >= len(modifiers) {
			return fmt.Errorf("%d ACH files on %s already: the file ID modifiers are used up", n, d)
		}
		effective = calendar.NextBusinessDay(d)
		return tx.QueryRowContext(ctx, `INSERT INTO ach_files (file_date, id_modifier, effective_date, status, created_at)
			VALUES ($1, $2, $3, 'building', $4) RETURNING id`, d, modifiers[n:n+1], effective, tx.Now()).Scan(&id)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("open ACH file for %s: %w", d, err)
	}
	return id, effective, nil
}

// dueDebit is a bank payment due to go out.
type dueDebit struct {
	id, customerID, contractID  int64
	methodID                    int64
	kind                        PaymentKind
	amount                      money.Cents
	date                        calendar.Date
	installment                 int
	methodStatus, contractState string
	account                     string
	// nextUnpaid is the contract's first installment not fully paid (its
	// cached state): an installment before it is paid.
	nextUnpaid               int
	name, email, methodLabel string
	prefs                    preferences.Preferences
}

// paymentUpdate is what a run sets on a payment.
type paymentUpdate struct {
	id        int64
	status    Status
	reason    string
	amount    money.Cents
	eventID   int64
	trace     string
	fileID    int64
	settlesOn calendar.Date
}

// postDebits posts the bank payments due (dated through) and attaches them to the file,
// over up to originateStreamsMax connections on PostgreSQL (each takes
// the contracts whose id falls in its stream, so no two touch one
// contract), one on SQLite.
func (s *Service) postDebits(ctx context.Context, d, through calendar.Date, fileID int64, effective calendar.Date, res *FileResult) error {
	streams := 1
	if s.db.Engine == db.Postgres {
		streams = min(runtime.GOMAXPROCS(0)*2, originateStreamsMax)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	errs := make([]error, streams)
	for i := range streams {
		wg.Go(func() {
			var after dueKey
			for {
				var part FileResult
				n, err := s.postChunk(ctx, d, through, fileID, effective, streams, i, &after, &part)
				if err != nil {
					errs[i] = err
					return
				}
				s.log.Debug("ACH chunk posted", "date", d, "stream", i, "posted", part.Posted, "skipped", part.Skipped, "failed", part.Failed)
				mu.Lock()
				res.Posted += part.Posted
				res.Skipped += part.Skipped
				res.Failed += part.Failed
				res.Held += part.Held
				mu.Unlock()
				if n < s.chunk {
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// dueKey is a stream's place in the due-payments index: the last
// (scheduled date, id) its chunks took.
type dueKey struct {
	date calendar.Date
	id   int64
}

// postChunk posts one transaction's worth of due payments of a stream,
// the next ones after *after in the due-payments index, moves *after past
// them once committed, and returns how many it took. Starting after the
// previous chunk (rather than from the top of the index each time) keeps
// a big file linear: the entries of payments already taken stay in the
// index as dead versions until vacuum, and every chunk would walk them.
func (s *Service) postChunk(ctx context.Context, d, through calendar.Date, fileID int64, effective calendar.Date, streams, stream int, after *dueKey, res *FileResult) (int, error) {
	var taken int
	var last dueKey
	odfi8 := s.cfg.Origin.ODFIRouting[:8]
	settles := calendar.AddBusinessDays(effective, returnWindowBusinessDays)
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		*res = FileResult{}
		t0 := time.Now()
		if err := tx.BulkPlans(ctx); err != nil {
			return err
		}
		lock := ""
		if tx.Engine() == db.Postgres {
			lock = " FOR UPDATE OF p"
		}
		// First the chunk's ids, in the order of the due-payments index (so
		// the scan stops after the chunk), locked; then their details by key.
		past, args := "", []any{through, streams, stream}
		if after.id != 0 {
			past, args = " AND (p.scheduled_date, p.id) > ($4, $5)", append(args, after.date, after.id)
		}
		ids, lastKey, err := dueIDs(ctx, tx, `SELECT p.id, p.scheduled_date FROM payments p WHERE p.status IN ('scheduled', 'authorized') AND p.status = 'scheduled'
			AND p.rail = 'ach' AND p.scheduled_date <= $1 AND p.contract_id % $2 = $3`+past+`
			ORDER BY p.scheduled_date, p.id LIMIT `+strconv.Itoa(s.chunk)+lock, args...)
		if err != nil {
			return fmt.Errorf("due payments: %w", err)
		}
		taken, last = len(ids), lastKey
		if taken == 0 {
			return nil
		}
		// On PostgreSQL the ids drive the join as an unnested array, which
		// the planner sizes small and so probes each table by key instead of
		// hashing whole tables for every chunk.
		from, where := "payments p", ""
		if tx.Engine() == db.Postgres {
			from, where, args = "unnest($1::bigint[]) AS x(id) JOIN payments p ON p.id = x.id", "TRUE", []any{ids}
		} else {
			where, args = db.InList(tx, "p.id", ids)
		}
		rows, err := tx.QueryContext(ctx, `SELECT p.id, p.customer_id, p.contract_id, p.method_id, p.kind, p.amount_cents, p.scheduled_date,
			COALESCE(p.installment_number, 0), m.status, c.state, c.account_number, b.next_unpaid_number,
			cu.first_name || ' ' || cu.last_name, COALESCE(l.email, cu.email), COALESCE(m.account_type, ''), m.bank_name, m.last4,
			cu.phone, `+preferences.Columns+`
			FROM `+from+`
			JOIN payment_methods m ON m.id = p.method_id
			JOIN contracts c ON c.id = p.contract_id
			JOIN contract_balances b ON b.contract_id = p.contract_id
			JOIN customers cu ON cu.id = p.customer_id
			LEFT JOIN logins l ON l.customer_id = cu.id AND l.realm = 'customer'
			LEFT JOIN notification_preferences np ON np.customer_id = p.customer_id
			WHERE `+where+` ORDER BY p.id`, args...)
		if err != nil {
			return fmt.Errorf("due payments: %w", err)
		}
		var due []dueDebit
		for rows.Next() {
			var x dueDebit
			var kind, accountType, bank, last4, phone string
			var prefs preferences.Row
			if err := rows.Scan(append([]any{&x.id, &x.customerID, &x.contractID, &x.methodID, &kind, &x.amount, &x.date, &x.installment, &x.methodStatus,
				&x.contractState, &x.account, &x.nextUnpaid, &x.name, &x.email, &accountType, &bank, &last4, &phone},
				prefs.Dest()...)...); err != nil {
				rows.Close()
				return err
			}
			x.prefs = prefs.Preferences(phone)
			x.kind = PaymentKind(kind)
			x.methodLabel = Method{Kind: KindBank, AccountType: accountType, BankName: bank, Last4: last4}.Label()
			due = append(due, x)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		updates := make([]paymentUpdate, 0, len(due))
		var reqs []servicing.PaymentRequest
		var posting []int // index into due of each request
		for i, x := range due {
			u := paymentUpdate{id: x.id, amount: x.amount}
			switch {
			case x.methodStatus != string(MethodActive):
				u.status, u.reason = StatusFailed, "the bank account can no longer be used"
			case x.contractState != "active" && x.contractState != "matured":
				u.status, u.reason = StatusSkipped, "the contract is closed"
			case x.installment > 0 && (x.kind == AutopayPayment || x.kind == RetryPayment) &&
				x.installment < x.nextUnpaid:
				// The customer paid the installment since its debit was set up.
				u.status, u.reason = StatusSkipped, "the installment was already paid"
			}
			updates = append(updates, u)
			if u.status == "" {
				reqs = append(reqs, servicing.PaymentRequest{Request: servicing.Request{ContractID: x.contractID, Date: x.date,
					IdempotencyKey: postingKey(x.id), Actor: "ach", Memo: "ACH debit " + Confirmation(x.id)}, AmountCents: u.amount})
				posting = append(posting, i)
			}
		}
		tSelect := time.Since(t0)
		results, err := s.sv.PostPaymentsTx(ctx, tx, reqs)
		tPost := time.Since(t0) - tSelect
		if err != nil {
			return fmt.Errorf("post %d debits: %w", len(reqs), err)
		}
		for j, r := range results {
			u := &updates[posting[j]]
			amount := reqs[j].AmountCents
			if errors.Is(r.Err, servicing.ErrOverpayment) {
				// More than the contract owes now: collect the payoff.
				r, amount = s.postPayoffInstead(ctx, tx, reqs[j])
			}
			switch {
			case r.Err == nil:
				u.status, u.amount, u.eventID, u.trace, u.fileID, u.settlesOn = StatusPending, amount, r.EventID, paymentTrace(odfi8, u.id), fileID, settles
			case errors.Is(r.Err, servicing.ErrClosed), errors.Is(r.Err, servicing.ErrOverpayment):
				// The customer's doing: the contract is paid off or closed.
				u.status, u.reason = StatusSkipped, "the contract is already paid"
			default:
				// Not the customer's doing (a date servicing cannot take
				// yet, a record it cannot read): the payment stays
				// scheduled for the next run, staff review why, and the
				// customer is told nothing, since nothing failed for them.
				u.status = StatusScheduled
				s.log.Error("servicing refused a debit; it stays scheduled, for staff review", "payment", u.id, "err", r.Err)
				if err := holdForReview(ctx, tx, due[posting[j]], r.Err); err != nil {
					return err
				}
			}
		}
		decided := make([]paymentUpdate, 0, len(updates))
		for _, u := range updates {
			if u.status != StatusScheduled {
				decided = append(decided, u)
			}
		}
		if err := updatePayments(ctx, tx, decided); err != nil {
			return err
		}
		var sent money.Cents
		for _, u := range updates {
			if u.status == StatusPending {
				sent += u.amount
			}
		}
		if err := postTransit(ctx, tx, fmt.Sprintf("ach-sent:%d:%d", fileID, updates[0].id), d, sent, true,
			fmt.Sprintf("bank debits sent in ACH file %d", fileID)); err != nil {
			return err
		}
		tUpdate := time.Since(t0) - tSelect - tPost
		var msgs []notify.Message
		for i, u := range updates {
			x := due[i]
			switch u.status {
			case StatusPending:
				res.Posted++
				// "Payment received" is a courtesy alert: sent as the
				// customer's preferences say.
				if x.email != "" && x.prefs.Allows(preferences.PaymentReceived, notify.Email) {
					m := processedMessage(s.cfg, x.name, x.account, Confirmation(x.id), u.amount, x.date, x.methodLabel, 0)
					m.Channel, m.To = notify.Email, x.email
					msgs = append(msgs, m)
				}
				if x.prefs.Allows(preferences.PaymentReceived, notify.SMS) {
					msgs = append(msgs, processedSMS(s.cfg, x.prefs.Phone, x.account, Confirmation(x.id), u.amount, x.date))
				}
			case StatusSkipped:
				res.Skipped++
			case StatusScheduled:
				res.Held++
			case StatusFailed:
				res.Failed++
				if x.email != "" {
					m := msgFailed(s.cfg, contact{name: x.name}, Payment{Confirmation: Confirmation(x.id), AmountCents: u.amount, Date: x.date}, u.reason)
					m.Channel, m.To = notify.Email, x.email
					msgs = append(msgs, m)
				}
			}
		}
		if err := notify.EnqueueMany(ctx, tx, msgs); err != nil {
			return err
		}
		s.log.Debug("ACH chunk timing", "select", tSelect, "post", tPost, "update", tUpdate, "notify", time.Since(t0)-tSelect-tPost-tUpdate)
		return s.crash("originate")
	})
	if err != nil {
		return 0, fmt.Errorf("originate %s (stream %d): %w", d, stream, err)
	}
	if taken > 0 {
		*after = last
	}
	return taken, nil
}

// holdForReview puts a debit servicing refused, for a reason that is not
// the customer's, in the staff review of returns (ach_returns, kind
// refusal, review_required), once per payment and reason however often
// the runs meet it again.
func holdForReview(ctx context.Context, tx *db.Tx, x dueDebit, cause error) error {
	code := "refused"
	switch {
	case errors.Is(cause, servicing.ErrFutureDate):
		code = "future_date"
	case errors.Is(cause, servicing.ErrBeforeFunding):
		code = "before_funding"
	}
	why := cause.Error()
	if len(why) > reviewTextMax {
		why = why[:reviewTextMax]
	}
	r, err := tx.ExecContext(ctx, `INSERT INTO ach_returns (payment_id, method_id, kind, code, original_trace, title, description, action,
		review_required, created_at) VALUES ($1, $2, 'refusal', $3, '', $4, $5, $6, 1, $7) ON CONFLICT DO NOTHING`,
		x.id, x.methodID, code, "Servicing refused the debit", why,
		"The payment stays scheduled and is tried again in the next file; the customer was not told. Find why servicing refused it.", tx.Now())
	if err != nil {
		return fmt.Errorf("hold payment %d for review: %w", x.id, err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return nil // held for this reason before
	}
	return audit.Record(ctx, tx, audit.Event{Actor: "system", Action: "payment.held_for_review", Subject: fmt.Sprintf("payment:%d", x.id),
		Details: map[string]string{"code": code, "reason": why}})
}

// reviewTextMax bounds the reason a review row keeps.
const reviewTextMax = 500

// postPayoffInstead posts the payoff on the request's date when the
// request overpays (a debit set up before another payment), returning the
// result and the amount posted. It quotes inside tx, so a debit of the
// same contract posted earlier in the chunk is counted.
func (s *Service) postPayoffInstead(ctx context.Context, tx *db.Tx, req servicing.PaymentRequest) (servicing.BatchResult, money.Cents) {
	q, err := s.sv.QuotePayoffTx(ctx, tx, req.ContractID, req.Date)
	if err != nil || q.PayoffCents <= 0 || q.PayoffCents >= req.AmountCents {
		return servicing.BatchResult{Err: servicing.ErrOverpayment}, 0
	}
	res, err := s.sv.PostPaymentTx(ctx, tx, req.Request, q.PayoffCents)
	return servicing.BatchResult{Result: res, Err: err}, q.PayoffCents
}

// updatePayments writes a run's outcome for many payments: one UPDATE
// from arrays on PostgreSQL, a prepared UPDATE per row on SQLite (in
// process, that is as fast).
func updatePayments(ctx context.Context, tx *db.Tx, us []paymentUpdate) error {
	if len(us) == 0 {
		return nil
	}
	now := tx.Now()
	if tx.Engine() == db.Postgres {
		ids := make([]int64, len(us))
		statuses := make([]string, len(us))
		reasons := make([]string, len(us))
		amounts := make([]int64, len(us))
		events := make([]int64, len(us))
		traces := make([]string, len(us))
		files := make([]int64, len(us))
		settles := make([]string, len(us))
		for i, u := range us {
			ids[i], statuses[i], reasons[i], amounts[i], events[i], traces[i], files[i] = u.id, string(u.status), u.reason, int64(u.amount), u.eventID, u.trace, u.fileID
			if !u.settlesOn.IsZero() {
				settles[i] = u.settlesOn.String()
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE payments AS p SET status = u.status, status_reason = u.reason, amount_cents = u.amount,
			servicing_event_id = NULLIF(u.event, 0), trace_number = NULLIF(u.trace, ''), ach_file_id = NULLIF(u.file, 0),
			settles_on = CAST(NULLIF(u.settles, '') AS date), updated_at = $9
			FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::bigint[], $8::text[])
				AS u(id, status, reason, amount, event, trace, file, settles)
			WHERE p.id = u.id`, ids, statuses, reasons, amounts, events, traces, files, settles, now)
		if err != nil {
			return fmt.Errorf("update %d payments: %w", len(us), err)
		}
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `UPDATE payments SET status = ?, status_reason = ?, amount_cents = ?, servicing_event_id = ?,
		trace_number = ?, ach_file_id = ?, settles_on = ?, updated_at = ? WHERE id = ?`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, u := range us {
		var trace, settles any
		if u.trace != "" {
			trace = u.trace
		}
		if !u.settlesOn.IsZero() {
			settles = u.settlesOn
		}
		if _, err := stmt.ExecContext(ctx, string(u.status), u.reason, int64(u.amount), nullIfZero(u.eventID), trace, nullIfZero(u.fileID),
			settles, now, u.id); err != nil {
			return fmt.Errorf("update payment %d: %w", u.id, err)
		}
	}
	return nil
}

// attachVerifications puts the pending accounts' validation entries in
// the file.
func (s *Service) attachVerifications(ctx context.Context, d calendar.Date, fileID int64) error {
	odfi8 := s.cfg.Origin.ODFIRouting[:8]
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		ids, err := db.QueryIDs(ctx, tx, `SELECT v.id FROM ach_verifications v JOIN payment_methods m ON m.id = v.method_id
			WHERE v.status = 'scheduled' AND m.status = 'pending' ORDER BY v.id`)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE ach_verifications SET status = 'sent', ach_file_id = $1, trace_number = $2, sent_on = $3 WHERE id = $4`,
				fileID, verificationTrace(odfi8, id), d, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("attach validation entries: %w", err)
	}
	return nil
}

// fileEntry is one entry of a file as read back for writing.
type fileEntry struct {
	batch batchKey
	entry ach.Entry
}

type batchKey struct {
	sec, description, paymentType string
}

// writeFile writes a file's entries in NACHA form, atomically, and marks
// it written.
func (s *Service) writeFile(ctx context.Context, fileID int64, res *FileResult) error {
	o := s.cfg.Origin
	var d, effective calendar.Date
	var modifier string
	if err := s.db.Read.QueryRowContext(ctx, `SELECT file_date, effective_date, id_modifier FROM ach_files WHERE id = $1`, fileID).Scan(&d, &effective, &modifier); err != nil {
		return fmt.Errorf("ACH file %d: %w", fileID, err)
	}
	t0 := time.Now()
	entries, err := s.fileEntries(ctx, fileID)
	if err != nil {
		return err
	}
	tRead := time.Since(t0)
	groups := map[batchKey][]ach.Entry{}
	for _, e := range entries {
		groups[e.batch] = append(groups[e.batch], e.entry)
	}
	keys := make([]batchKey, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b batchKey) int {
		return cmp.Or(cmp.Compare(a.sec, b.sec), cmp.Compare(a.description, b.description), cmp.Compare(a.paymentType, b.paymentType))
	})
	f := &ach.File{Header: ach.FileHeader{ImmediateDestination: o.Destination, ImmediateOrigin: o.ImmediateOrigin, DestinationName: o.DestinationName,
		OriginName: o.OriginName, Created: s.db.Now().In(s.cfg.Cutoff.Location), IDModifier: modifier[0]}}
	for _, k := range keys {
		es := groups[k]
		slices.SortFunc(es, func(a, b ach.Entry) int { return cmp.Compare(a.TraceNumber, b.TraceNumber) })
		f.Batches = append(f.Batches, ach.Batch{CompanyName: o.CompanyName, CompanyID: o.CompanyID, SEC: k.sec, EntryDescription: k.description,
			EffectiveDate: effective, ODFI: o.ODFIRouting[:8], Entries: es})
	}
	name := fmt.Sprintf("ach-%s-%s.txt", d.Time().Format("20060102"), modifier)
	var sum ach.Summary
	path, hash, err := writeAtomic(s.cfg.OutDir, name, func(w io.Writer) error {
		var err error
		sum, err = ach.Write(w, f)
		return err
	})
	if err != nil {
		return fmt.Errorf("write ACH file %s: %w", name, err)
	}
	s.log.Debug("ACH file timing", "entries", len(entries), "read", tRead, "write", time.Since(t0)-tRead)
	res.Path, res.SHA256, res.Entries, res.Debits = path, hash, sum.EntryCount, sum.DebitEntries
	res.DebitCents, res.CreditCents = money.Cents(sum.DebitCents), money.Cents(sum.CreditCents)
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE ach_files SET status = 'written', path = $1, sha256 = $2, entries = $3, debit_cents = $4, credit_cents = $5,
			written_at = $6 WHERE id = $7`, path, hash, sum.EntryCount, sum.DebitCents, sum.CreditCents, tx.Now(), fileID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Actor: "system", Action: "ach.file_written", Subject: fmt.Sprintf("ach_file:%d", fileID),
			Details: map[string]string{"path": path, "sha256": hash, "entries": strconv.Itoa(sum.EntryCount), "debits": money.Cents(sum.DebitCents).String(),
				"credits": money.Cents(sum.CreditCents).String()}})
	})
	if err != nil {
		return fmt.Errorf("record ACH file %s: %w", name, err)
	}
	return nil
}

// fileEntries reads the entries of a file: its payments and validation
// entries, with account numbers decrypted.
func (s *Service) fileEntries(ctx context.Context, fileID int64) ([]fileEntry, error) {
	keys := s.cfg.Keys
	if keys == nil {
		return nil, ErrNoKeys
	}
	var out []fileEntry
	rows, err := s.db.Read.QueryContext(ctx, `SELECT p.id, p.trace_number, p.amount_cents, p.sec_code, p.kind, COALESCE(o.kind, ''),
		m.customer_id, m.account_type, m.routing_number, m.account_key_id, m.account_cipher, m.holder_name
		FROM payments p JOIN payment_methods m ON m.id = p.method_id LEFT JOIN payments o ON o.id = p.original_payment_id
		WHERE p.ach_file_id = $1`, fileID)
	if err != nil {
		return nil, fmt.Errorf("entries of ACH file %d: %w", fileID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, customer int64
		var trace, sec, kind, origKind, accountType, routing, keyID, holder string
		var amount int64
		var sealed []byte
		if err := rows.Scan(&id, &trace, &amount, &sec, &kind, &origKind, &customer, &accountType, &routing, &keyID, &sealed, &holder); err != nil {
			return nil, err
		}
		account, err := keys.open(keyID, sealed, accountAAD(customer))
		if err != nil {
			return nil, fmt.Errorf("payment %d: %w", id, err)
		}
		k := batchKey{sec: sec, description: "LOAN PYMT", paymentType: "S"}
		switch PaymentKind(kind) {
		case AutopayPayment:
			k.description, k.paymentType = "AUTO PYMT", "R"
		case RetryPayment:
			// Nacha: a reinitiated entry says RETRY PYMT.
			k.description = "RETRY PYMT"
			if PaymentKind(origKind) == AutopayPayment {
				k.paymentType = "R"
			}
		}
		if sec != "WEB" {
			k.paymentType = ""
		}
		code := ach.CheckingDebit
		if accountType == "savings" {
			code = ach.SavingsDebit
		}
		out = append(out, fileEntry{batch: k, entry: ach.Entry{TransactionCode: code, Routing: routing, Account: account, AmountCents: amount,
			IndividualID: Confirmation(id), IndividualName: holder, Discretionary: k.paymentType, TraceNumber: trace}})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	vrows, err := s.db.Read.QueryContext(ctx, `SELECT v.id, v.kind, v.amount_cents, v.trace_number, m.customer_id, m.account_type, m.routing_number,
		m.account_key_id, m.account_cipher, m.holder_name
		FROM ach_verifications v JOIN payment_methods m ON m.id = v.method_id WHERE v.ach_file_id = $1`, fileID)
	if err != nil {
		return nil, fmt.Errorf("validation entries of ACH file %d: %w", fileID, err)
	}
	defer vrows.Close()
	for vrows.Next() {
		var id, customer, amount int64
		var kind, trace, accountType, routing, keyID, holder string
		var sealed []byte
		if err := vrows.Scan(&id, &kind, &amount, &trace, &customer, &accountType, &routing, &keyID, &sealed, &holder); err != nil {
			return nil, err
		}
		account, err := keys.open(keyID, sealed, accountAAD(customer))
		if err != nil {
			return nil, fmt.Errorf("validation entry %d: %w", id, err)
		}
		savings := accountType == "savings"
		k := batchKey{sec: "WEB", description: "ACCTVERIFY", paymentType: "S"}
		var code int
		switch kind {
		case "micro_credit":
			code = pick(savings, ach.SavingsCredit, ach.CheckingCredit)
		case "micro_debit":
			code = pick(savings, ach.SavingsDebit, ach.CheckingDebit)
		default: // prenote, in the batch its live debits will use
			k.description = "LOAN PYMT"
			code = pick(savings, ach.SavingsDebitPrenote, ach.CheckingDebitPrenote)
		}
		out = append(out, fileEntry{batch: k, entry: ach.Entry{TransactionCode: code, Routing: routing, Account: account, AmountCents: amount,
			IndividualID: "V" + strconv.FormatInt(id, 10), IndividualName: holder, Discretionary: "S", TraceNumber: trace}})
	}
	return out, vrows.Err()
}

func pick(cond bool, a, b int) int {
	if cond {
		return a
	}
	return b
}

// writeAtomic writes a file in dir so that it appears whole or not at
// all: into a temporary file in the same directory, fsync, rename over
// the name, fsync the directory. It returns the path and the SHA-256.
func writeAtomic(dir, name string, write func(io.Writer) error) (string, string, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", "", err
	}
	tmp, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return "", "", err
	}
	defer os.Remove(tmp.Name()) // gone after the rename; cleans up a failure
	h := sha256.New()
	if err := write(io.MultiWriter(tmp, h)); err != nil {
		tmp.Close()
		return "", "", err
	}
	if err := tmp.Chmod(0o640); err != nil {
		tmp.Close()
		return "", "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", "", err
	}
	if err := tmp.Close(); err != nil {
		return "", "", err
	}
	path := filepath.Join(dir, name)
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", "", err
	}
	if dh, err := os.Open(dir); err == nil {
		_ = dh.Sync() // make the rename durable; not every file system supports it
		dh.Close()
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return abs, hex.EncodeToString(h.Sum(nil)), nil
}

// dueIDs reads (id, scheduled date) rows: the ids, and the key of the last.
func dueIDs(ctx context.Context, q db.Querier, query string, args ...any) ([]int64, dueKey, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, dueKey{}, err
	}
	defer rows.Close()
	var ids []int64
	var last dueKey
	for rows.Next() {
		if err := rows.Scan(&last.id, &last.date); err != nil {
			return nil, dueKey{}, err
		}
		ids = append(ids, last.id)
	}
	return ids, last, rows.Err()
}
