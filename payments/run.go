package payments

import (
	"context"
	"errors"
	"fmt"
	"time"

	"carfin/audit"
	"carfin/calendar"
	"carfin/db"
	"carfin/money"
	"carfin/notify"
	"carfin/preferences"
)

// ErrTooEarly is returned by RunDay for a date whose cut-off has not
// passed: the day's payments may still change.
var ErrTooEarly = errors.New("the day's cut-off has not passed yet")

// DayStats is what a day's run did.
type DayStats struct {
	Date     calendar.Date
	Settled  int
	Prenotes int // bank accounts validated by an unreturned prenote
	Autopay  AutopayStats
	Cards    CardStats
	// Reversals: refunds and voids owed to cards, retried every run.
	Reversals ReversalStats
	File      FileResult
	Notices   NoticeStats
}

// RunDay runs business date d's payment work, in order: pending debits
// past the return window settle; autopay creates the debits now fixed;
// due card payments are charged; refunds and voids owed to cards are
// tried again; the day's NACHA file is written (on business days);
// reminders and varying-amount notices go out. Every step can run again:
// a second run does only what the first did not. It returns ErrTooEarly
// before d's cut-off. A refund or void the processor refuses is counted
// in Reversals, not returned, and even a database error in that step is
// returned only after the NACHA file and the notices: money owed back to
// one card must not hold up every customer's ACH debit.
func (s *Service) RunDay(ctx context.Context, d calendar.Date) (DayStats, error) {
	st := DayStats{Date: d}
	if now := s.db.Now(); now.Before(s.cfg.Cutoff.Deadline(d)) {
		return st, fmt.Errorf("run %s at %s: %w", d, now.In(s.cfg.Cutoff.Location).Format(time.DateTime), ErrTooEarly)
	}
	var err error
	if st.Settled, st.Prenotes, err = s.Settle(ctx, d); err != nil {
		return st, err
	}
	if st.Autopay, err = s.RunAutopay(ctx, d); err != nil {
		return st, err
	}
	if st.Cards, err = s.ChargeDueCards(ctx, d); err != nil {
		return st, err
	}
	var reverseErr error
	if st.Reversals, reverseErr = s.ReverseCards(ctx); reverseErr != nil {
		reverseErr = fmt.Errorf("run %s: card refunds and voids: %w", d, reverseErr)
	}
	if s.cfg.Origin.ODFIRouting != "" {
		if st.File, err = s.OriginateACH(ctx, d); err != nil {
			return st, errors.Join(err, reverseErr)
		}
	}
	if st.Notices, err = s.SendNotices(ctx, d); err != nil {
		return st, errors.Join(err, reverseErr)
	}
	return st, reverseErr
}

// Settle marks bank debits whose return window has passed as settled
// (final), and activates bank accounts whose prenote was not returned
// within three banking days of its settlement. It returns both counts.
func (s *Service) Settle(ctx context.Context, d calendar.Date) (settled, validated int, err error) {
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE payments SET status = 'settled', updated_at = $1 WHERE status = 'pending' AND rail = 'ach' AND settles_on < $2
			RETURNING id, amount_cents, COALESCE(servicing_event_id, 0)`, tx.Now(), d)
		if err != nil {
			return fmt.Errorf("settle: %w", err)
		}
		var total money.Cents
		var first int64
		for rows.Next() {
			var id, event int64
			var cents money.Cents
			if err := rows.Scan(&id, &cents, &event); err != nil {
				rows.Close()
				return err
			}
			settled++
			if event != 0 {
				total += cents
			}
			if first == 0 || id < first {
				first = id
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// Final now: out of transit, into cash.
		if err := postTransit(ctx, tx, fmt.Sprintf("ach-settled:%s:%d", d, first), d, total, false,
			fmt.Sprintf("%d bank debits final on %s", settled, d)); err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, `SELECT v.method_id, f.effective_date FROM ach_verifications v
			JOIN ach_files f ON f.id = v.ach_file_id JOIN payment_methods m ON m.id = v.method_id
			WHERE v.kind = 'prenote' AND v.status = 'sent' AND m.status = 'pending'`)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			var eff calendar.Date
			if err := rows.Scan(&id, &eff); err != nil {
				rows.Close()
				return err
			}
			if calendar.AddBusinessDays(eff, prenoteWaitBusinessDays) <= d {
				ids = append(ids, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE payment_methods SET status = 'active', validated_at = $1, updated_at = $1 WHERE id = $2 AND status = 'pending'`,
				tx.Now(), id); err != nil {
				return err
			}
		}
		validated = len(ids)
		return nil
	})
	return settled, validated, err
}

// AutopayStats is what an autopay run did.
type AutopayStats struct {
	Created int // debits created (fixed) by this run
	Skipped int // installments covered by a payment the customer scheduled
}

// candidate is an active enrolment and the installment its next debit is
// for: the first installment not yet paid, due on or after the start
// date, without an autopay debit.
type candidate struct {
	enrolment, customer, contract, method int64
	extra                                 money.Cents
	daysBefore                            int
	sec                                   string
	account                               string
	installmentCents                      money.Cents
	credited                              money.Cents
	in                                    installment
	methodStatus                          string
	methodLabel                           string // in the customer's language (prefs.Lang)
	name, email                           string
	// prefs are the customer's alert preferences (the autopay reminder
	// follows the due reminder's).
	prefs preferences.Preferences
}

func (c candidate) debit() calendar.Date { return debitDate(c.in.due, c.daysBefore) }

// candidates returns the active enrolments whose next installment is due
// on or before dueBy, with the customer's contact and reminder preference
// when withContact (for notices). The next installment is the latest of
// the first unpaid one, the one after the last autopay debit, and the
// enrolment's first one: one index probe and one key lookup per
// enrolment, so the run stays linear in the book.
func (s *Service) candidates(ctx context.Context, q db.Querier, dueBy calendar.Date, withContact bool) ([]candidate, error) {
	contact := `'', '', '', '', '', ''`
	joins := ""
	if withContact {
		contact = `COALESCE(m.account_type, ''), m.bank_name, m.last4, cu.first_name || ' ' || cu.last_name, COALESCE(l.email, cu.email),
			cu.phone, ` + preferences.Columns
		joins = `JOIN customers cu ON cu.id = e.customer_id
			LEFT JOIN logins l ON l.customer_id = cu.id AND l.realm = 'customer'
			LEFT JOIN notification_preferences np ON np.customer_id = e.customer_id`
	}
	rows, err := q.QueryContext(ctx, `WITH d AS (
			SELECT e.id, e.contract_id, e.first_installment AS f, b.next_unpaid_number AS u,
				COALESCE((SELECT MAX(p.installment_number) FROM payments p WHERE p.contract_id = e.contract_id AND p.kind = 'autopay'), 0) + 1 AS a
			FROM autopay_enrolments e JOIN contract_balances b ON b.contract_id = e.contract_id
			WHERE e.status = 'active'
		), k AS (
			SELECT id, contract_id, CASE WHEN u >= a AND u >= f THEN u WHEN a >= f THEN a ELSE f END AS number FROM d
		)
		SELECT e.id, e.customer_id, e.contract_id, e.method_id, e.extra_cents, e.days_before, e.sec_code,
			c.account_number, c.payment_cents, b.credited_cents, i.number, i.due_date, i.amount_cents, i.cumulative_cents, m.status, `+contact+`
		FROM k
		JOIN autopay_enrolments e ON e.id = k.id
		JOIN installments i ON i.contract_id = k.contract_id AND i.number = k.number
		JOIN contracts c ON c.id = e.contract_id
		JOIN contract_balances b ON b.contract_id = e.contract_id
		JOIN payment_methods m ON m.id = e.method_id
		`+joins+`
		WHERE c.state IN ('active', 'matured') AND i.due_date <= $1
		ORDER BY e.id`, dueBy)
	if err != nil {
		return nil, fmt.Errorf("autopay candidates: %w", err)
	}
	defer rows.Close()
	var out []candidate
	for rows.Next() {
		var c candidate
		var accountType, bank, last4, phone string
		var prefs preferences.Row
		dest := []any{&c.enrolment, &c.customer, &c.contract, &c.method, &c.extra, &c.daysBefore, &c.sec, &c.account, &c.installmentCents,
			&c.credited, &c.in.number, &c.in.due, &c.in.amount, &c.in.cumulative, &c.methodStatus, &accountType, &bank, &last4,
			&c.name, &c.email, &phone}
		if withContact {
			dest = append(dest, prefs.Dest()...)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		if withContact {
			c.prefs = prefs.Preferences(phone)
			c.methodLabel = methodLabel(c.prefs.Lang, Method{Kind: KindBank, AccountType: accountType, BankName: bank, Last4: last4})
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// scheduledOneTime returns, per contract, the one-time payments scheduled
// and not yet sent, dated on or before by.
func scheduledOneTime(ctx context.Context, q db.Querier, by calendar.Date) (map[int64][]struct {
	date   calendar.Date
	amount money.Cents
}, error) {
	rows, err := q.QueryContext(ctx, `SELECT contract_id, scheduled_date, amount_cents FROM payments
		WHERE status IN ('scheduled', 'authorized') AND kind = 'one_time' AND scheduled_date <= $1`, by)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]struct {
		date   calendar.Date
		amount money.Cents
	}{}
	for rows.Next() {
		var id int64
		var x struct {
			date   calendar.Date
			amount money.Cents
		}
		if err := rows.Scan(&id, &x.date, &x.amount); err != nil {
			return nil, err
		}
		out[id] = append(out[id], x)
	}
	return out, rows.Err()
}

// RunAutopay creates the autopay debits that the run of date d fixes:
// for every active enrolment, the next installment's debit once its lock
// date (three business days before it goes out) is d or earlier. A debit
// collects the installment plus the extra amount; an installment the
// customer's own scheduled payments cover is recorded as skipped (and one
// paid by the time the file goes out is skipped then). The debits are written in bulk, and a
// unique index (contract, installment) makes a second debit for one
// installment impossible, however the runs overlap or repeat.
func (s *Service) RunAutopay(ctx context.Context, d calendar.Date) (AutopayStats, error) {
	var st AutopayStats
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		st = AutopayStats{}
		if err := lockRuns(ctx, tx, "autopay"); err != nil {
			return err
		}
		t0 := time.Now()
		horizon := calendar.AddBusinessDays(d, autopayLockBusinessDays+1) + calendar.Date(s.cfg.AutopayDaysBeforeMax)
		cs, err := s.candidates(ctx, tx, horizon, false)
		tCandidates := time.Since(t0)
		if err != nil {
			return err
		}
		oneTime, err := scheduledOneTime(ctx, tx, horizon+calendar.Date(autopayLockBusinessDays*3))
		if err != nil {
			return err
		}
		tOneTime := time.Since(t0)
		earliest := calendar.OnOrAfterBusinessDay(d)
		now := tx.Now()
		var rows [][]any
		for _, c := range cs {
			e := c.debit()
			if lockDate(e) > d || c.methodStatus != string(MethodActive) {
				continue
			}
			date := max(e, earliest)
			// A debit collects the installment and the extra amount; one the
			// customer's own scheduled payments cover is skipped.
			need := remaining(c.in, c.credited)
			for _, p := range oneTime[c.contract] {
				if p.date <= date {
					need -= p.amount
				}
			}
			status, reason, amount := "scheduled", "", c.in.amount+c.extra
			if need <= 0 {
				status, reason = "skipped", "covered by a payment you scheduled"
				st.Skipped++
			} else {
				st.Created++
			}
			rows = append(rows, []any{c.customer, c.contract, c.method, "autopay", "ach", status, reason, int64(amount), int64(0), date,
				c.in.number, c.enrolment, 1, c.sec, fmt.Sprintf("autopay:%d:%d", c.enrolment, c.in.number), "autopay", now, now})
		}
		tBuild := time.Since(t0)
		if err := tx.CopyFrom(ctx, "payments", []string{"customer_id", "contract_id", "method_id", "kind", "rail", "status", "status_reason",
			"amount_cents", "fee_cents", "scheduled_date", "installment_number", "autopay_id", "presentment", "sec_code", "idempotency_key",
			"request_hash", "created_at", "updated_at"}, rows); err != nil {
			return fmt.Errorf("create autopay debits: %w", err)
		}
		s.log.Debug("autopay run timing", "candidates", tCandidates, "one-time", tOneTime, "build", tBuild, "total", time.Since(t0), "debits", len(rows))
		if err := s.crash("autopay"); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		return audit.Record(ctx, tx, audit.Event{Actor: "system", Action: "autopay.run", Subject: "autopay:" + d.String(),
			Details: map[string]string{"created": fmt.Sprint(st.Created), "skipped": fmt.Sprint(st.Skipped)}})
	})
	if err != nil {
		return st, fmt.Errorf("autopay run %s: %w", d, err)
	}
	return st, nil
}

// NoticeStats counts the notices a run sent.
type NoticeStats struct {
	Reminders int
	Varying   int
}

// upcoming is an autopay debit a notice may be about: planned (not yet
// fixed) or created and not yet sent.
type upcoming struct {
	enrolment   int64
	installment int
	date        calendar.Date
	amount      money.Cents
	usual       money.Cents
	prefs       preferences.Preferences
	name, email string
	account     string
	methodLabel string // in the customer's language (prefs.Lang)
}

// upcomingDebits returns the autopay debits going out from d on: the ones
// the autopay runs created and the ones they will create, due by dueBy.
func (s *Service) upcomingDebits(ctx context.Context, tx *db.Tx, d, dueBy calendar.Date) ([]upcoming, error) {
	cs, err := s.candidates(ctx, tx, dueBy, true)
	if err != nil {
		return nil, err
	}
	var out []upcoming
	for _, c := range cs {
		if c.methodStatus != string(MethodActive) {
			continue
		}
		out = append(out, upcoming{enrolment: c.enrolment, installment: c.in.number, date: c.debit(), amount: c.in.amount + c.extra,
			usual: c.installmentCents + c.extra, prefs: c.prefs, name: c.name, email: c.email, account: c.account, methodLabel: c.methodLabel})
	}
	rows, err := tx.QueryContext(ctx, `SELECT e.id, p.installment_number, p.scheduled_date, p.amount_cents, c.payment_cents + e.extra_cents,
		cu.first_name || ' ' || cu.last_name, COALESCE(l.email, cu.email), c.account_number,
		COALESCE(m.account_type, ''), m.bank_name, m.last4, cu.phone, `+preferences.Columns+`
		FROM payments p
		JOIN autopay_enrolments e ON e.id = p.autopay_id
		JOIN contracts c ON c.id = p.contract_id
		JOIN payment_methods m ON m.id = p.method_id
		JOIN customers cu ON cu.id = p.customer_id
		LEFT JOIN logins l ON l.customer_id = cu.id AND l.realm = 'customer'
		LEFT JOIN notification_preferences np ON np.customer_id = p.customer_id
		WHERE p.kind = 'autopay' AND p.status = 'scheduled' AND p.scheduled_date >= $1`, d)
	if err != nil {
		return nil, fmt.Errorf("created autopay debits: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u upcoming
		var accountType, bank, last4, phone string
		var prefs preferences.Row
		if err := rows.Scan(append([]any{&u.enrolment, &u.installment, &u.date, &u.amount, &u.usual, &u.name, &u.email, &u.account,
			&accountType, &bank, &last4, &phone}, prefs.Dest()...)...); err != nil {
			return nil, err
		}
		u.prefs = prefs.Preferences(phone)
		u.methodLabel = methodLabel(u.prefs.Lang, Method{Kind: KindBank, AccountType: accountType, BankName: bank, Last4: last4})
		out = append(out, u)
	}
	return out, rows.Err()
}

// SendNotices sends, for each autopay debit ahead, the reminder the
// customer's alert preferences ask for — the due reminder's channels
// (email, text) and lead time (default 5 days before the debit; off: none),
// in place of the due reminder, so a contract in autopay gets one reminder
// — and, when the debit will differ from the usual amount (installment
// plus extra) — a final installment, say — the Reg E 1005.10(d) notice of
// the amount and date at least 10 days before it, by email whatever the
// preferences (a notice the lender must send). Each goes once per
// installment.
func (s *Service) SendNotices(ctx context.Context, d calendar.Date) (NoticeStats, error) {
	var st NoticeStats
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		st = NoticeStats{}
		if err := lockRuns(ctx, tx, "notices"); err != nil {
			return err
		}
		// The varying notice goes out as soon as the debit is within a
		// week of the 10-day limit, so a missed run still meets it.
		window := calendar.Date(varyingNoticeDays + 7)
		ups, err := s.upcomingDebits(ctx, tx, d, d+window+calendar.Date(s.cfg.AutopayDaysBeforeMax))
		if err != nil {
			return err
		}
		sent := map[[2]int64]map[string]bool{}
		rows, err := tx.QueryContext(ctx, `SELECT enrolment_id, installment_number, kind FROM autopay_notices WHERE debit_date >= $1`, d)
		if err != nil {
			return err
		}
		for rows.Next() {
			var e, n int64
			var kind string
			if err := rows.Scan(&e, &n, &kind); err != nil {
				rows.Close()
				return err
			}
			k := [2]int64{e, n}
			if sent[k] == nil {
				sent[k] = map[string]bool{}
			}
			sent[k][kind] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		now := tx.Now()
		var notices [][]any
		var msgs []notify.Message
		note := func(u upcoming, kind string, varying bool) {
			k := [2]int64{u.enrolment, int64(u.installment)}
			if sent[k] == nil {
				sent[k] = map[string]bool{}
			}
			sent[k][kind] = true
			notices = append(notices, []any{u.enrolment, u.installment, kind, u.date, int64(u.amount), now})
			if u.email != "" && (varying || u.prefs.Allows(preferences.DueReminder, notify.Email)) {
				m := autopayUpcomingMessage(s.cfg, u.prefs.Lang, u.name, u.account, u.amount, u.date, u.methodLabel, varying)
				m.Channel, m.To = notify.Email, u.email
				msgs = append(msgs, m)
			}
			if !varying && u.prefs.Allows(preferences.DueReminder, notify.SMS) {
				msgs = append(msgs, autopayReminderSMS(s.cfg, u.prefs.Lang, u.prefs.Phone, u.account, u.amount, u.date))
			}
		}
		for _, u := range ups {
			if u.date < d {
				continue
			}
			k := [2]int64{u.enrolment, int64(u.installment)}
			if u.amount != u.usual && u.date-d <= window && !sent[k]["varying"] {
				note(u, "varying", true)
				st.Varying++
			}
			remind := u.prefs.Allows(preferences.DueReminder, notify.Email) && u.email != "" || u.prefs.Allows(preferences.DueReminder, notify.SMS)
			if remind && int(u.date-d) <= u.prefs.DueReminderDays && !sent[k]["reminder"] {
				note(u, "reminder", false)
				st.Reminders++
			}
		}
		if err := tx.CopyFrom(ctx, "autopay_notices", []string{"enrolment_id", "installment_number", "kind", "debit_date", "amount_cents", "sent_at"}, notices); err != nil {
			return fmt.Errorf("record notices: %w", err)
		}
		return notify.EnqueueMany(ctx, tx, msgs)
	})
	if err != nil {
		return st, fmt.Errorf("autopay notices %s: %w", d, err)
	}
	return st, nil
}

// CardStats counts the card payments a run charged.
type CardStats struct {
	Charged, Declined, Failed int
	// Skipped: scheduled on a contract paid off or closed since.
	Skipped int
}

// ChargeDueCards authorizes and captures the card payments dated d or
// earlier that are waiting (scheduled for a later date at confirmation,
// or authorized after the cut-off), and posts them. A decline or a
// processor failure is recorded on the payment and emailed; it does not
// stop the others. A refund or void it owes a card and could not make is
// left to ReverseCards.
func (s *Service) ChargeDueCards(ctx context.Context, d calendar.Date) (CardStats, error) {
	var st CardStats
	if s.cfg.Processor == nil {
		return st, nil
	}
	ids, err := db.QueryIDs(ctx, s.db.Read, `SELECT id FROM payments WHERE rail = 'card' AND status IN ('scheduled', 'authorized') AND scheduled_date <= $1 ORDER BY id`, d)
	if err != nil {
		return st, fmt.Errorf("due card payments: %w", err)
	}
	for _, id := range ids {
		err := s.chargeCard(ctx, id, false)
		switch {
		case err == nil:
			st.Charged++
		case errors.Is(err, errCardSkipped):
			st.Skipped++
		case errors.Is(err, ErrCardDeclined):
			st.Declined++
		case errors.Is(err, ErrProcessorTimeout), errors.Is(err, ErrProcessorBadRequest):
			st.Failed++
		default:
			return st, err
		}
	}
	return st, nil
}

// RunDue returns the business date whose run is due at the service's
// clock: today, once today's cut-off has passed.
func (s *Service) RunDue() (calendar.Date, bool) {
	now := s.db.Now()
	today := s.cfg.Cutoff.Today(now)
	return today, !now.Before(s.cfg.Cutoff.Deadline(today))
}
