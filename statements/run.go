package statements

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"carfin/calendar"
	"carfin/db"
	"carfin/documents"
	"carfin/money"
	"carfin/payments"
	"carfin/preferences"
	"carfin/profile"
	"carfin/servicing"
)

// Limits and defaults.
const (
	// LeadDaysDefault is how many days before its due date a statement is
	// made: 21 gives a mailed statement two weeks in the post and the
	// customer a week to pay, as the large captive lenders do.
	LeadDaysDefault = 21
	// LeadDaysMin and LeadDaysMax bound the setting: at least the mail's
	// time, at most one cycle.
	LeadDaysMin = 7
	LeadDaysMax = 28
	// batchMax is how many statements one transaction writes: a batch
	// is rendered in parallel, then stored with its documents,
	// notifications and print entries at once.
	batchMax = 500
	// finalWindowDays: a contract closed longer ago than this (two
	// cycles) gets no final statement any more.
	finalWindowDays = 62
)

// Config is what the lender sets.
type Config struct {
	Lender Lender
	// LeadDays is how many days before the due date the statement is made
	// (0: LeadDaysDefault).
	LeadDays int
	// BaseURL is the portal's public URL for the links in messages.
	BaseURL string
	// Print queues stored documents for the mail house's print batch of
	// a business date, in the caller's transaction (mailhouse.EnqueueMany).
	// Without it paper statements are only stored.
	Print func(ctx context.Context, tx *db.Tx, documentIDs []int64, businessDate calendar.Date) error
	// Backfill makes the statements of past dates (a demo book, a
	// lender's history brought over): stored and listed, but no message
	// sent and nothing queued for print, since they went out at the time.
	Backfill bool
}

// Service makes, stores and delivers statements.
type Service struct {
	db  *db.DB
	sv  *servicing.Service
	cfg Config
}

// New returns the statement service. It returns an error for a missing
// lender name or a lead time out of range.
func New(d *db.DB, sv *servicing.Service, cfg Config) (*Service, error) {
	if strings.TrimSpace(cfg.Lender.Name) == "" {
		return nil, errors.New("statements: the lender's name is required")
	}
	if cfg.LeadDays == 0 {
		cfg.LeadDays = LeadDaysDefault
	}
	if cfg.LeadDays < LeadDaysMin || cfg.LeadDays > LeadDaysMax {
		return nil, fmt.Errorf("statements: lead days %d: want %d to %d", cfg.LeadDays, LeadDaysMin, LeadDaysMax)
	}
	if cfg.Lender.Portal == "" {
		cfg.Lender.Portal = cfg.BaseURL
	}
	return &Service{db: d, sv: sv, cfg: cfg}, nil
}

// DB returns the service's database.
func (s *Service) DB() *db.DB { return s.db }

// Config returns the service's settings.
func (s *Service) Config() Config { return s.cfg }

// Stats says what a run made.
type Stats struct {
	Date       calendar.Date
	Chunks     int
	Statements int
	Final      int
	Paper      int // queued for the mail house
	Emails     int // statement-ready emails queued
	Texts      int // statement-ready texts queued
	PDFBytes   int64
}

func (st *Stats) add(o Stats) {
	st.Chunks += o.Chunks
	st.Statements += o.Statements
	st.Final += o.Final
	st.Paper += o.Paper
	st.Emails += o.Emails
	st.Texts += o.Texts
	st.PDFBytes += o.PDFBytes
}

// Run makes the statements of business date d for every contract, chunk
// by chunk as day close splits the book. It is idempotent: a contract's
// statement for a cycle is made once, however often Run is repeated or
// wherever a run was cut off.
func (s *Service) Run(ctx context.Context, d calendar.Date) (Stats, error) {
	chunks, err := s.sv.DayCloseChunks(ctx)
	if err != nil {
		return Stats{}, err
	}
	// Chunks are independent: on PostgreSQL two go side by side, so that
	// one renders while the other reads or writes; SQLite has one writer.
	workers := 1
	if s.db.Engine == db.Postgres {
		workers = runWorkersMax
	}
	total := Stats{Date: d}
	var mu sync.Mutex
	var firstErr error
	next := make(chan servicing.Chunk)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ch := range next {
				st, err := s.RunChunk(ctx, d, ch)
				mu.Lock()
				total.add(st)
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	for _, ch := range chunks {
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			break
		}
		next <- ch
	}
	close(next)
	wg.Wait()
	return total, firstErr
}

// runWorkersMax is how many chunks Run makes at once on PostgreSQL.
const runWorkersMax = 2

// candidate is a contract due a statement on the run's date.
type candidate struct {
	contractID int64
	cycleDue   calendar.Date
	final      bool
}

// RunChunk makes the statements of date d for the contracts of one chunk:
// those with an installment due LeadDays after d and no statement for it
// yet, and those closed since their last statement whose next statement
// date is d (the final statement). Each batch of statements is one
// transaction with its documents, messages and print entries, so a crash
// leaves whole statements or none.
func (s *Service) RunChunk(ctx context.Context, d calendar.Date, ch servicing.Chunk) (Stats, error) {
	st := Stats{Date: d}
	var done int
	if err := s.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM statement_chunks WHERE statement_date = $1 AND first_id = $2`,
		d, ch.First).Scan(&done); err != nil {
		return st, fmt.Errorf("statement chunk: %w", err)
	}
	if done > 0 {
		return st, nil
	}
	st.Chunks = 1
	cands, err := s.candidates(ctx, d, ch)
	if err != nil {
		return st, err
	}
	for start := 0; start < len(cands); start += batchMax {
		bs, err := s.runBatch(ctx, d, cands[start:min(start+batchMax, len(cands))])
		st.add(bs)
		if err != nil {
			return st, err
		}
	}
	// Two instances may finish the same chunk: the second mark is a no-op.
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO statement_chunks (statement_date, first_id, statements, finished_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (statement_date, first_id) DO NOTHING`, d, ch.First, st.Statements, tx.Now())
		return err
	})
	return st, err
}

// Done reports whether every chunk's statements of date d are made, so
// that the date's print batch is complete.
func (s *Service) Done(ctx context.Context, d calendar.Date) (bool, error) {
	chunks, err := s.sv.DayCloseChunks(ctx)
	if err != nil {
		return false, err
	}
	var n int
	if err := s.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM statement_chunks WHERE statement_date = $1`, d).Scan(&n); err != nil {
		return false, fmt.Errorf("statement chunks of %s: %w", d, err)
	}
	return n >= len(chunks), nil
}

// candidates lists the chunk's contracts due a statement on d.
func (s *Service) candidates(ctx context.Context, d calendar.Date, ch servicing.Chunk) ([]candidate, error) {
	q := s.db.Read
	cycle := d.AddDays(s.cfg.LeadDays)
	// Installments fall on the contract's due day (the month's last day
	// when it has fewer days), so the contracts of the chunk are narrowed
	// by it before their schedules are looked at.
	dayFrom, dayTo := cycle.Day(), cycle.Day()
	if cycle.Day() == calendar.DaysIn(cycle.Year(), cycle.Month()) {
		dayTo = 31
	}
	rows, err := q.QueryContext(ctx, `SELECT c.id FROM contracts c
		WHERE c.id BETWEEN $1 AND $2 AND c.due_day BETWEEN $5 AND $6 AND c.state IN ('active', 'matured') AND c.contract_date <= $4
		AND EXISTS (SELECT 1 FROM installments i WHERE i.contract_id = c.id AND i.due_date = $3)
		AND NOT EXISTS (SELECT 1 FROM statements s WHERE s.contract_id = c.id AND s.cycle_due = $3)
		ORDER BY c.id`, ch.First, ch.Last, cycle, d, dayFrom, dayTo)
	if err != nil {
		return nil, fmt.Errorf("statement candidates: %w", err)
	}
	var out []candidate
	for rows.Next() {
		c := candidate{cycleDue: cycle}
		if err := rows.Scan(&c.contractID); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Closed contracts: one final statement, on the first statement date
	// after closing, the schedule's day of the month continuing.
	rows, err = q.QueryContext(ctx, `SELECT c.id, c.due_day, c.closed_on FROM contracts c
		WHERE c.id BETWEEN $1 AND $2 AND c.state NOT IN ('active', 'matured') AND c.closed_on IS NOT NULL
		AND c.closed_on <= $3 AND c.closed_on >= $4
		AND NOT EXISTS (SELECT 1 FROM statements s WHERE s.contract_id = c.id AND s.final = 1)
		ORDER BY c.id`, ch.First, ch.Last, d, d.AddDays(-finalWindowDays))
	if err != nil {
		return nil, fmt.Errorf("final statement candidates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var dueDay int
		var closed calendar.Date
		if err := rows.Scan(&id, &dueDay, &closed); err != nil {
			return nil, err
		}
		if due := s.cycleAfter(closed, dueDay); due.AddDays(-s.cfg.LeadDays) == d {
			out = append(out, candidate{contractID: id, cycleDue: due, final: true})
		}
	}
	return out, rows.Err()
}

// cycleAfter is the due date of the first cycle whose statement date
// falls after closed: the schedule's day of the month, month by month.
func (s *Service) cycleAfter(closed calendar.Date, dueDay int) calendar.Date {
	y, m, _ := closed.Date()
	for {
		due := calendar.MonthlyOn(y, m, dueDay)
		if due.AddDays(-s.cfg.LeadDays) > closed {
			return due
		}
		m++
	}
}

// made is one statement built and rendered, ready to store.
type made struct {
	st       Statement
	pdf      []byte
	customer customerInfo
}

// runBatch builds, renders and stores the statements of cands.
func (s *Service) runBatch(ctx context.Context, d calendar.Date, cands []candidate) (Stats, error) {
	st := Stats{Date: d}
	var out []made
	// Build in a snapshot transaction, so that every figure of the batch
	// comes from one state of the database.
	err := s.db.InSnapshotTx(ctx, func(tx *db.Tx) error {
		out = out[:0]
		ids := make([]int64, len(cands))
		for i, c := range cands {
			ids[i] = c.contractID
		}
		snaps, err := s.sv.SnapshotsAsOf(ctx, tx, ids, d)
		if err != nil {
			return err
		}
		var custIDs []int64
		for _, sn := range snaps {
			custIDs = append(custIDs, sn.Summary.CustomerID)
		}
		customers, err := customersOf(ctx, tx, custIDs)
		if err != nil {
			return err
		}
		autopays, err := autopaysOf(ctx, tx, ids)
		if err != nil {
			return err
		}
		previous, err := previousStatements(ctx, tx, ids, d)
		if err != nil {
			return err
		}
		for _, c := range cands {
			sn := snaps[c.contractID]
			if sn == nil {
				continue
			}
			cust := customers[sn.Summary.CustomerID]
			statement := build(sn, cust, autopays[c.contractID], c, previous[c.contractID], d)
			out = append(out, made{st: statement, customer: cust})
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("statements of %s: %w", d, err)
	}
	if err := s.renderAll(out); err != nil {
		return st, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		st = Stats{Date: d}
		return s.storeAll(ctx, tx, out, &st)
	})
	if err != nil {
		return Stats{Date: d}, fmt.Errorf("store statements of %s: %w", d, err)
	}
	return st, nil
}

// renderAll renders the batch's PDFs, one goroutine per core.
func (s *Service) renderAll(out []made) error {
	workers := min(runtime.GOMAXPROCS(0), len(out))
	var wg sync.WaitGroup
	errs := make([]error, len(out))
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				out[i].pdf, errs[i] = Render(s.cfg.Lender, out[i].st)
			}
		})
	}
	for i := range out {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}

// storeAll writes a batch of statements in a few statements: the
// documents, the statement rows, the print queue entries, and a message
// for each paperless customer. A statement already stored for its cycle
// (another instance made it meanwhile) is left alone.
func (s *Service) storeAll(ctx context.Context, tx *db.Tx, out []made, st *Stats) error {
	if len(out) == 0 {
		return nil
	}
	ids := make([]int64, len(out))
	for i, m := range out {
		ids[i] = m.st.ContractID
	}
	where, args := db.InList(tx, "contract_id", ids)
	rows, err := tx.QueryContext(ctx, `SELECT contract_id, cycle_due FROM statements WHERE `+where, args...)
	if err != nil {
		return err
	}
	type key struct {
		id  int64
		due calendar.Date
	}
	stored := map[key]bool{}
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.id, &k.due); err != nil {
			rows.Close()
			return err
		}
		stored[k] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var todo []*made
	var docs []documents.Document
	for i := range out {
		x := &out[i].st
		if stored[key{x.ContractID, x.CycleDue}] {
			continue
		}
		todo = append(todo, &out[i])
		docs = append(docs, documents.Document{CustomerID: x.CustomerID, ContractID: x.ContractID, Kind: documents.KindStatement,
			Title: Title(*x), FileName: FileName(*x), ContentType: "application/pdf", Content: out[i].pdf, Ref: Ref(x.ContractID, x.CycleDue)})
	}
	if len(todo) == 0 {
		return nil
	}
	docIDs, err := documents.SaveMany(ctx, tx, docs)
	if err != nil {
		return err
	}
	rows2 := make([]statementRow, len(todo))
	var paper []int64
	for i, m := range todo {
		x := m.st
		data, err := json.Marshal(x)
		if err != nil {
			return err
		}
		delivery := "paper"
		if m.customer.paperless {
			delivery = "electronic"
		}
		rows2[i] = statementRow{x: &todo[i].st, delivery: delivery, docID: docIDs[i], data: string(data)}
		st.Statements++
		st.PDFBytes += int64(len(m.pdf))
		if x.Final {
			st.Final++
		}
		if s.cfg.Backfill {
			continue
		}
		if delivery == "paper" {
			st.Paper++
			paper = append(paper, docIDs[i])
		} else if err := s.notifyReady(ctx, tx, m.customer, x, docIDs[i], st); err != nil {
			return err
		}
	}
	if err := insertStatements(ctx, tx, rows2); err != nil {
		return fmt.Errorf("store %d statements: %w", len(todo), err)
	}
	if len(paper) > 0 && s.cfg.Print != nil {
		// Statements of one run share their date: the print batch's.
		return s.cfg.Print(ctx, tx, paper, todo[0].st.StatementDate)
	}
	return nil
}

// statementRow is one row of statements to insert.
type statementRow struct {
	x        *Statement
	delivery string
	docID    int64
	data     string
}

// insertStatements inserts statement rows: from arrays on PostgreSQL
// (as documents.SaveMany does), a VALUES list on SQLite.
func insertStatements(ctx context.Context, tx *db.Tx, rows []statementRow) error {
	now := tx.Now()
	if tx.Engine() == db.Postgres {
		n := len(rows)
		contract, customer, total, final, doc := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		cycle, on, from, lang, delivery, data := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		due := make([]*string, n)
		for i, r := range rows {
			x := r.x
			contract[i], customer[i], total[i], final[i], doc[i] = x.ContractID, x.CustomerID, int64(x.Due.TotalCents), int64(boolInt(x.Final)), r.docID
			cycle[i], on[i], from[i], lang[i], delivery[i], data[i] = x.CycleDue.String(), x.StatementDate.String(), x.PeriodFrom.String(), x.Lang, r.delivery, r.data
			if x.Due.DueDate != 0 {
				d := x.Due.DueDate.String()
				due[i] = &d
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO statements (contract_id, customer_id, cycle_due, statement_date, period_from, due_date,
			total_due_cents, final, lang, delivery, document_id, data, created_at)
			SELECT v.contract_id, v.customer_id, CAST(v.cycle AS date), CAST(v.stmt AS date), CAST(v.period_from AS date), CAST(v.due AS date),
				v.total, v.final, v.lang, v.delivery, v.doc, v.data, $13::timestamptz
			FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::text[],
				$10::text[], $11::bigint[], $12::text[]) AS v(contract_id, customer_id, cycle, stmt, period_from, due, total, final, lang, delivery, doc, data)`,
			contract, customer, cycle, on, from, due, total, final, lang, delivery, doc, data, now)
		return err
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO statements (contract_id, customer_id, cycle_due, statement_date, period_from, due_date,
		total_due_cents, final, lang, delivery, document_id, data, created_at) VALUES `)
	var args []any
	for i, r := range rows {
		x := r.x
		if i > 0 {
			b.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)",
			n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10, n+11, n+12, n+13)
		args = append(args, x.ContractID, x.CustomerID, x.CycleDue, x.StatementDate, x.PeriodFrom, x.Due.DueDate, x.Due.TotalCents,
			boolInt(x.Final), x.Lang, r.delivery, r.docID, r.data, now)
	}
	_, err := tx.ExecContext(ctx, b.String(), args...)
	return err
}

// Ref is the document reference of a contract's statement for a cycle.
func Ref(contractID int64, cycleDue calendar.Date) string {
	return "statement:" + strconv.FormatInt(contractID, 10) + ":" + cycleDue.String()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// customerInfo is what a statement needs of its customer.
type customerInfo struct {
	name      string
	address   []string
	email     string
	lang      string
	paperless bool
	prefs     preferences.Preferences
}

// customersOf reads the customers' names, addresses, languages, alert
// choices and paperless consent in one query.
func customersOf(ctx context.Context, tx *db.Tx, ids []int64) (map[int64]customerInfo, error) {
	out := map[int64]customerInfo{}
	if len(ids) == 0 {
		return out, nil
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	where, args := db.InList(tx, "c.id", ids)
	rows, err := tx.QueryContext(ctx, `SELECT c.id, c.first_name, c.last_name, c.address_line1, c.address_line2, c.city, c.state, c.zip, c.phone,
		COALESCE((SELECT l.email FROM logins l WHERE l.customer_id = c.id AND l.realm = 'customer'), c.email), `+preferences.Columns+`
		FROM customers c LEFT JOIN notification_preferences np ON np.customer_id = c.id WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("customers of statements: %w", err)
	}
	for rows.Next() {
		var id int64
		var first, last, a1, a2, city, state, zip, phone, email string
		var row preferences.Row
		if err := rows.Scan(append([]any{&id, &first, &last, &a1, &a2, &city, &state, &zip, &phone, &email}, row.Dest()...)...); err != nil {
			rows.Close()
			return nil, err
		}
		addr := []string{a1}
		if strings.TrimSpace(a2) != "" {
			addr = append(addr, a2)
		}
		addr = append(addr, fmt.Sprintf("%s, %s %s", city, state, zip))
		p := row.Preferences(phone)
		out[id] = customerInfo{name: strings.TrimSpace(first + " " + last), address: addr, email: email, lang: p.Lang, prefs: p}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	paperless, err := profile.PaperlessOf(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	for id, c := range out {
		c.paperless = paperless[id]
		out[id] = c
	}
	return out, nil
}

// enrolment is a contract's live autopay as a statement needs it.
type enrolment struct {
	daysBefore int
	extra      money.Cents
	method     payments.Method
	// scheduled: debits already created, by installment number.
	scheduled map[int]payments.Debit
}

// autopaysOf reads the active autopay enrolments of the contracts and
// their debits already created.
func autopaysOf(ctx context.Context, tx *db.Tx, ids []int64) (map[int64]*enrolment, error) {
	out := map[int64]*enrolment{}
	where, args := db.InList(tx, "e.contract_id", ids)
	rows, err := tx.QueryContext(ctx, `SELECT e.contract_id, e.days_before, e.extra_cents, m.kind, COALESCE(m.account_type, ''), m.bank_name, m.last4,
		COALESCE(m.card_brand, ''), COALESCE(m.exp_month, 0), COALESCE(m.exp_year, 0)
		FROM autopay_enrolments e JOIN payment_methods m ON m.id = e.method_id WHERE e.status = 'active' AND `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("autopay of statements: %w", err)
	}
	for rows.Next() {
		var id int64
		e := &enrolment{scheduled: map[int]payments.Debit{}}
		var kind string
		m := &e.method
		if err := rows.Scan(&id, &e.daysBefore, &e.extra, &kind, &m.AccountType, &m.BankName, &m.Last4, &m.Brand, &m.ExpMonth, &m.ExpYear); err != nil {
			rows.Close()
			return nil, err
		}
		m.Kind = payments.MethodKind(kind)
		out[id] = e
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	where, args = db.InList(tx, "p.contract_id", ids)
	rows, err = tx.QueryContext(ctx, `SELECT p.contract_id, p.installment_number, p.scheduled_date, p.amount_cents FROM payments p
		WHERE p.kind = 'autopay' AND p.status = 'scheduled' AND `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("autopay debits of statements: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var debit payments.Debit
		if err := rows.Scan(&id, &debit.Installment, &debit.Date, &debit.AmountCents); err != nil {
			return nil, err
		}
		if e := out[id]; e != nil {
			e.scheduled[debit.Installment] = debit
		}
	}
	return out, rows.Err()
}

// previousStatements returns each contract's latest statement date before
// d (0 for none).
func previousStatements(ctx context.Context, tx *db.Tx, ids []int64, d calendar.Date) (map[int64]calendar.Date, error) {
	where, args := db.InList(tx, "contract_id", ids)
	rows, err := tx.QueryContext(ctx, `SELECT contract_id, MAX(statement_date) FROM statements WHERE `+where+` GROUP BY contract_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("previous statements: %w", err)
	}
	defer rows.Close()
	out := map[int64]calendar.Date{}
	for rows.Next() {
		var id int64
		var last calendar.Date
		if err := rows.Scan(&id, &last); err != nil {
			return nil, err
		}
		if last < d {
			out[id] = last
		}
	}
	return out, rows.Err()
}

// Preview builds the statement a contract would get on date d, for the
// cycle of its next due date after d, without storing or sending it
// (benchmarks, and a look before a run). It returns
// servicing.ErrNotFound for an unknown contract.
func (s *Service) Preview(ctx context.Context, contractID int64, d calendar.Date) (Statement, error) {
	var x Statement
	err := s.db.InSnapshotTx(ctx, func(tx *db.Tx) error {
		snaps, err := s.sv.SnapshotsAsOf(ctx, tx, []int64{contractID}, d)
		if err != nil {
			return err
		}
		sn := snaps[contractID]
		if sn == nil {
			return fmt.Errorf("contract %d: %w", contractID, servicing.ErrNotFound)
		}
		c := candidate{contractID: contractID, final: !sn.State.Status.Open()}
		for _, in := range sn.Terms.Installments {
			if in.Date > d {
				c.cycleDue = in.Date
				break
			}
		}
		customers, err := customersOf(ctx, tx, []int64{sn.Summary.CustomerID})
		if err != nil {
			return err
		}
		autopays, err := autopaysOf(ctx, tx, []int64{contractID})
		if err != nil {
			return err
		}
		previous, err := previousStatements(ctx, tx, []int64{contractID}, d)
		if err != nil {
			return err
		}
		x = build(sn, customers[sn.Summary.CustomerID], autopays[contractID], c, previous[contractID], d)
		return nil
	})
	return x, err
}
