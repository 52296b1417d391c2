// Package bigbook loads a large servicing book for benchmarks: contracts
// and customers through servicing's bulk imports, then what a customer's
// account gathers over two years (payment methods and payments, monthly
// statements, secure messages, staff notes, sessions and a long audit
// log), by COPY. It is for benchmarks only: its audit events are not
// chained (audit.Verify fails on a big book) and its payments are not
// posted to servicing.
package bigbook

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/money"
	"carfin/servicing"
)

// Sizes of the book, per contract or customer, named so they are easy to
// find and change.
const (
	contractsPerImport = 5000 // contracts per servicing import
	customersPerCopy   = 5000 // customers whose history goes in one round of COPYs
	paymentsPerLoan    = 12   // settled monthly payments per contract
	statementsPerLoan  = 12   // monthly statements (documents) per contract
	sessionsPerLogin   = 6    // sessions per online login, all but one ended
	notesPerCustomer   = 3    // staff notes of every other customer
	// viewsPerCustomer staff openings of each record, signInsPerLogin
	// sign-ins of each online login and eventsPerContract system events
	// of each contract make the audit log about 35 events a customer
	// (2.8 million on 100,000 contracts).
	viewsPerCustomer  = 20
	signInsPerLogin   = 24
	eventsPerContract = 6
	auditRowsPerCopy  = 50_000
)

// Book is a loaded book.
type Book struct {
	Contracts int
	Customers int
}

// Customers is the number of customers of a book of n contracts: every
// fifth contract is the fourth customer's second.
func Customers(n int) int { return n * 4 / 5 }

// AccountNumber is contract i's account number.
func AccountNumber(i int) string { return fmt.Sprintf("CF-%08d", i) }

// CustomerEmail is customer i's email on record; LoginEmail the email of
// their online login (a quarter of the customers have one, and the one in
// the middle of the book).
func CustomerEmail(i int) string { return fmt.Sprintf("cust%d@example.com", i) }

// LoginEmail is customer i's online login email, when HasLogin.
func LoginEmail(i int) string { return fmt.Sprintf("web%d@example.net", i) }

// HasLogin reports whether customer i of a book of n contracts has an
// online login.
func HasLogin(i, n int) bool { return i%4 == 0 || i == Customers(n/2) }

var (
	firsts = []string{"Maria", "James", "John", "Linda", "Robert", "Mary", "Michael", "Patricia", "David", "Jennifer",
		"Jose", "Elizabeth", "William", "Susan", "Richard", "Jessica", "Joseph", "Sarah", "Thomas", "Karen", "Ana", "Luis", "Wei", "Fatima"}
	commonLasts = []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
		"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin"}
	syllables = []string{"ka", "lo", "mer", "din", "sa", "vel", "tor", "an", "bri", "gus", "hol", "ney", "ric", "ston", "wa", "zel",
		"pe", "quin", "ros", "ter"}
)

// LastName is the last name of customer i: a common one for a third of
// the book, else one of 8,000 made of syllables (about ten customers
// each), so that prefixes match as many as in a real book.
func LastName(i int) string {
	if i%3 == 0 {
		return commonLasts[(i/3)%len(commonLasts)]
	}
	l := len(syllables)
	name := syllables[i%l] + syllables[(i/l)%l] + syllables[(i/l/l)%l]
	return string(name[0]-'a'+'A') + name[1:]
}

// Phone is customer i's phone, written one of three ways (style 0, 1, 2).
func Phone(i, style int) string {
	d := fmt.Sprintf("%07d", 2000000+i)
	switch style {
	case 0:
		return "+1555" + d
	case 1:
		return "(555) " + d[:3] + "-" + d[3:]
	}
	return "555-" + d[:3] + "-" + d[3:]
}

// Load loads a book of n contracts into d once: a second call on the same
// schema finds it loaded and returns at once. Contracts come first (the
// search benchmark needs no more); an account's history is added in one
// transaction after, and is added to a book an earlier version loaded
// without it. It returns an error when the schema holds a partial book.
func Load(ctx context.Context, d *db.DB, n int) (Book, error) {
	b := Book{Contracts: n, Customers: Customers(n)}
	loaded, err := loadContracts(ctx, d, n)
	if err != nil {
		return b, err
	}
	var histories int
	if err := d.Read.QueryRowContext(ctx, `SELECT count(*) FROM customer_notes`).Scan(&histories); err != nil {
		return b, fmt.Errorf("big book: %w", err)
	}
	if histories == 0 {
		if err := loadHistory(ctx, d); err != nil {
			return b, err
		}
		loaded = true
	}
	if !loaded {
		return b, nil
	}
	if _, err := d.SQL.ExecContext(ctx, `ANALYZE`); err != nil {
		return b, fmt.Errorf("big book: analyze: %w", err)
	}
	return b, nil
}

// loadContracts loads n contracts of Customers(n) customers, a quarter
// of them with an online login, unless the schema holds them already
// (loaded false).
func loadContracts(ctx context.Context, d *db.DB, n int) (loaded bool, err error) {
	var have int
	if err := d.Read.QueryRowContext(ctx, `SELECT count(*) FROM contracts WHERE account_number LIKE 'CF-%'`).Scan(&have); err != nil {
		return false, fmt.Errorf("big book: %w", err)
	}
	if have >= n {
		return false, nil
	}
	if have > 0 {
		return false, fmt.Errorf("big book: the schema holds a partial book (%d of %d contracts): drop it", have, n)
	}
	sv := servicing.New(d, func(t time.Time) calendar.Date { return calendar.Of(t) })
	today := sv.Today()
	rng := rand.New(rand.NewPCG(2026, 12))
	for start := 0; start < n; start += contractsPerImport {
		end := min(start+contractsPerImport, n)
		var custs []servicing.NewCustomer
		first := Customers(start) // customer number of the chunk's first
		for c := first; c < Customers(end); c++ {
			custs = append(custs, servicing.NewCustomer{FirstName: firsts[rng.IntN(len(firsts))], LastName: LastName(c),
				Email: CustomerEmail(c), Phone: Phone(c, c%3), AddressLine1: "1 Bench Way", City: "Testville",
				State: "OH", ZIP: "43004", BirthDate: calendar.New(1980, 1, 1), SSNLast4: "0000"})
		}
		custIDs, err := sv.CreateCustomers(ctx, custs)
		if err != nil {
			return false, fmt.Errorf("big book: customers: %w", err)
		}
		var ncs []servicing.NewContract
		for i := start; i < end; i++ {
			c := min(Customers(i), Customers(end)-1) - first
			signed := today.AddDays(-30 - rng.IntN(700))
			ncs = append(ncs, servicing.NewContract{AccountNumber: AccountNumber(i), CustomerID: custIDs[c],
				// Serial numbers repeat across plants: a VIN's end matches two vehicles.
				VIN: servicing.WithCheckDigit(fmt.Sprintf("1CFBNCH00P%c%06d", 'A'+byte(i%2), i%(n/2+1))), VehicleYear: 2020 + rng.IntN(6),
				Make: "Bench", Model: "Sedan", Kind: servicing.KindLoan, AmountFinancedCents: money.Cents(10000_00 + rng.Int64N(35000_00)),
				APR: money.Rate(rng.Int64N(15 * money.RateScale)), TermMonths: 60, ContractDate: signed, FirstDue: signed.AddMonths(1),
				GraceDays: 10, LateFee: servicing.LateFeeRule{Kind: "fixed", FixedCents: 25_00}, NSFFeeCents: 25_00})
		}
		if _, err := sv.OpenContracts(ctx, ncs); err != nil {
			return false, fmt.Errorf("big book: contracts: %w", err)
		}
		err = d.InTx(ctx, func(tx *db.Tx) error {
			var logins [][]any
			for j, id := range custIDs {
				if c := first + j; HasLogin(c, n) {
					logins = append(logins, []any{"customer", id, LoginEmail(c), "Bench", "", tx.Now(),
						[]byte(fmt.Sprint("bench-handle-", c)), tx.Now()})
				}
			}
			return tx.CopyFrom(ctx, "logins", []string{"realm", "customer_id", "email", "display_name", "password_hash",
				"password_changed_at", "webauthn_handle", "created_at"}, logins)
		})
		if err != nil {
			return false, fmt.Errorf("big book: logins: %w", err)
		}
	}
	return true, nil
}

// account is one customer of the book, as loadHistory reads it back.
type account struct {
	customerID int64
	loginID    int64 // 0: no online login
	contracts  []int64
}

// loadHistory adds two years of an account's life to every customer of
// the book, in one transaction (a failed load leaves none of it).
func loadHistory(ctx context.Context, d *db.DB) error {
	accounts, err := readAccounts(ctx, d)
	if err != nil {
		return err
	}
	return d.InTx(ctx, func(tx *db.Tx) error {
		now := tx.Now().UTC().Truncate(time.Microsecond)
		staffID, err := seederLogin(ctx, tx, now)
		if err != nil {
			return err
		}
		for start := 0; start < len(accounts); start += customersPerCopy {
			part := accounts[start:min(start+customersPerCopy, len(accounts))]
			if err := loadAccounts(ctx, tx, part, staffID, now); err != nil {
				return err
			}
		}
		return loadAudit(ctx, tx, accounts, staffID, now)
	})
}

func readAccounts(ctx context.Context, d *db.DB) ([]account, error) {
	rows, err := d.Read.QueryContext(ctx, `SELECT c.id, COALESCE(l.id, 0), k.id FROM customers c
		JOIN contracts k ON k.customer_id = c.id
		LEFT JOIN logins l ON l.customer_id = c.id AND l.realm = 'customer'
		ORDER BY c.id, k.id`)
	if err != nil {
		return nil, fmt.Errorf("big book: read accounts: %w", err)
	}
	defer rows.Close()
	var out []account
	for rows.Next() {
		var cust, login, contract int64
		if err := rows.Scan(&cust, &login, &contract); err != nil {
			return nil, fmt.Errorf("big book: read accounts: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].customerID != cust {
			out = append(out, account{customerID: cust, loginID: login})
		}
		out[len(out)-1].contracts = append(out[len(out)-1].contracts, contract)
	}
	return out, rows.Err()
}

// seederLogin adds the staff login that wrote the book's notes and
// opened its records (a login only: not a staff member who may sign in).
func seederLogin(ctx context.Context, tx *db.Tx, now time.Time) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO logins (realm, email, display_name, password_hash, password_changed_at, webauthn_handle, created_at)
		VALUES ('staff', 'bigbook@bench.example', 'Book Seeder', '', $1, $2, $1) RETURNING id`, now, []byte("bigbook-seeder")).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("big book: seeder login: %w", err)
	}
	return id, nil
}

// pdfBytes stands for a statement's PDF (the screen lists documents; it
// does not read them).
var pdfBytes = []byte("%PDF-1.4\n% bigbook statement\n%%EOF\n")

// loadAccounts adds the history of part's accounts but their audit log:
// a bank account and a year of payments on each contract (and the next
// one scheduled on every other), monthly statements, secure messages for
// half of the customers, notes on half of them, and the sessions of each
// online login.
func loadAccounts(ctx context.Context, tx *db.Tx, part []account, staffID int64, now time.Time) error {
	today := calendar.Of(now)
	methodIDs, err := tx.NextIDs(ctx, "payment_methods", len(part))
	if err != nil {
		return fmt.Errorf("big book: %w", err)
	}
	var methods, pays, docs, threads, messages, notes, sessions [][]any
	var threadCount int
	for _, a := range part {
		if a.customerID%2 == 0 {
			threadCount += 1 + int(a.customerID%10/8)*2 // 1, or 3 for one in five
		}
	}
	threadIDs, err := tx.NextIDs(ctx, "support_threads", threadCount)
	if err != nil {
		return fmt.Errorf("big book: %w", err)
	}
	for j, a := range part {
		c := a.customerID
		created := now.AddDate(-2, 0, 0)
		methods = append(methods, []any{methodIDs[j], c, "bank", "active", "Bench Customer", "checking", "021000021", "First Example Bank",
			fmt.Sprintf("%04d", c%10000), "prenote", created, created, created})
		for k, contract := range a.contracts {
			for m := range paymentsPerLoan {
				on := today.AddMonths(m - paymentsPerLoan)
				at := on.Time()
				pays = append(pays, []any{c, contract, methodIDs[j], "one_time", "ach", "settled", int64(412_37 + 10*k),
					on, fmt.Sprintf("bigbook-%d-%d", contract, m), "bigbook", on.AddDays(2), at, at})
			}
			if contract%2 == 0 {
				on := today.AddDays(5 + int(contract%20))
				pays = append(pays, []any{c, contract, methodIDs[j], "one_time", "ach", "scheduled", int64(412_37 + 10*k),
					on, fmt.Sprintf("bigbook-%d-next", contract), "bigbook", nil, now, now})
			}
			for m := range statementsPerLoan {
				at := today.AddMonths(m - statementsPerLoan).Time()
				title := "Statement " + at.Format("January 2006")
				docs = append(docs, []any{c, contract, "statement", title, "statement-" + at.Format("2006-01") + ".pdf", "application/pdf",
					int64(len(pdfBytes)), "bigbook", pdfBytes, at})
			}
		}
		if c%2 == 0 {
			for range 1 + int(c%10/8)*2 {
				id := threadIDs[0]
				threadIDs = threadIDs[1:]
				at := now.Add(-time.Duration(id%700) * 24 * time.Hour)
				status, awaiting := "closed", any(nil)
				if id%5 == 0 {
					status, awaiting = "open", at
				}
				threads = append(threads, []any{id, c, "Question about my payment", "en", 0, 0, at, at, status, awaiting})
				messages = append(messages,
					[]any{id, "customer", nil, "Hello, I have a question about my last payment.", at},
					[]any{id, "staff", staffID, "Thank you for writing: your payment was received.", at.Add(time.Hour)})
			}
			for k := range notesPerCustomer {
				notes = append(notes, []any{c, a.contracts[0], staffID, "Customer called about the payoff amount; explained it (" + strconv.Itoa(k) + ").",
					now.AddDate(0, -k*3, 0)})
			}
		}
		if a.loginID != 0 {
			for k := range sessionsPerLogin {
				at := now.Add(-time.Duration(k*40) * time.Hour)
				expires := at.Add(12 * time.Hour)
				sessions = append(sessions, []any{fmt.Sprintf("bigbook-%d-%d", a.loginID, k), a.loginID, "full", at, at.Add(20 * time.Minute),
					expires, at, "203.0.113.7", "Mozilla/5.0 (bench)", "Columbus, OH"})
			}
		}
	}
	copies := []struct {
		table   string
		columns []string
		rows    [][]any
	}{
		{"payment_methods", []string{"id", "customer_id", "kind", "status", "holder_name", "account_type", "routing_number", "bank_name",
			"last4", "validation", "validated_at", "created_at", "updated_at"}, methods},
		{"payments", []string{"customer_id", "contract_id", "method_id", "kind", "rail", "status", "amount_cents", "scheduled_date",
			"idempotency_key", "request_hash", "settles_on", "created_at", "updated_at"}, pays},
		{"documents", []string{"customer_id", "contract_id", "kind", "title", "file_name", "content_type", "size_bytes", "sha256",
			"content", "created_at"}, docs},
		{"support_threads", []string{"id", "customer_id", "subject", "lang", "unread_by_customer", "unread_by_staff", "created_at",
			"last_message_at", "status", "awaiting_since"}, threads},
		{"support_messages", []string{"thread_id", "author", "staff_login_id", "body", "created_at"}, messages},
		{"customer_notes", []string{"customer_id", "contract_id", "staff_login_id", "body", "created_at"}, notes},
		{"sessions", []string{"token_hash", "login_id", "level", "created_at", "last_seen_at", "expires_at", "auth_at", "ip",
			"user_agent", "place"}, sessions},
	}
	for _, cp := range copies {
		if err := tx.CopyFrom(ctx, cp.table, cp.columns, cp.rows); err != nil {
			return fmt.Errorf("big book: %w", err)
		}
	}
	return nil
}

// loadAudit appends the book's audit log after the events already in it:
// in rounds, one event of each account a round, so that an account's
// events lie scattered through the table as they would after two years
// of page views, sign-ins and statements. Their hashes are stand-ins.
func loadAudit(ctx context.Context, tx *db.Tx, accounts []account, staffID int64, now time.Time) error {
	var seq int64
	if err := tx.QueryRowContext(ctx, `SELECT seq FROM audit_head WHERE id = 1`).Scan(&seq); err != nil {
		return fmt.Errorf("big book: audit head: %w", err)
	}
	const rounds = viewsPerCustomer + signInsPerLogin + eventsPerContract
	staff := "staff:" + strconv.FormatInt(staffID, 10)
	var rows [][]any
	hash := func(s int64) string { return fmt.Sprintf("%064x", s) }
	flush := func() error {
		err := tx.CopyFrom(ctx, "audit_events", []string{"seq", "at", "actor", "action", "subject", "ip", "details", "prev_hash", "hash"}, rows)
		rows = rows[:0]
		return err
	}
	for r := range rounds {
		at := now.Add(-time.Duration(rounds-r) * 18 * time.Hour)
		for _, a := range accounts {
			customer := "customer:" + strconv.FormatInt(a.customerID, 10)
			login := "login:" + strconv.FormatInt(a.loginID, 10)
			var ev []any
			switch {
			case r < viewsPerCustomer:
				ev = []any{staff, "customer.view", customer, "10.0.0.5", `{"page":"account","view":"full"}`}
			case r < viewsPerCustomer+signInsPerLogin:
				if a.loginID == 0 {
					continue
				}
				action := "login.success"
				switch r % 8 {
				case 3:
					action = "login.failure"
				case 5:
					action = "payment.create"
				}
				ev = []any{login, action, login, "203.0.113.7", `{"method":"password"}`}
			default:
				for _, k := range a.contracts {
					seq++
					rows = append(rows, []any{seq, at, "system", "statement.issue", "contract:" + strconv.FormatInt(k, 10), "", "{}",
						hash(seq - 1), hash(seq)})
				}
			}
			if ev != nil {
				seq++
				rows = append(rows, append([]any{seq, at}, append(ev, hash(seq-1), hash(seq))...))
			}
			if len(rows) >= auditRowsPerCopy {
				if err := flush(); err != nil {
					return fmt.Errorf("big book: %w", err)
				}
			}
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("big book: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, seq, hash(seq)); err != nil {
		return fmt.Errorf("big book: audit head: %w", err)
	}
	return nil
}
