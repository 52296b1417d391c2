package payments_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/internal/nachatest"
	"carfin/ledger"
	"carfin/money"
	"carfin/notify"
	"carfin/payments"
	"carfin/payments/ach"
	"carfin/payments/cardtest"
	"carfin/servicing"
)

var (
	cents = money.MustParse
	day   = calendar.MustParse
)

// env is a lender with a book, the payments service and a test processor.
type env struct {
	t      *testing.T
	ctx    context.Context
	db     *db.DB
	sv     *servicing.Service
	pay    *payments.Service
	proc   *cardtest.Processor
	clock  *dbtest.Clock // the database's
	cutoff calendar.Cutoff
	outDir string
	seq    int
}

const odfi = "061993512"

// newEnv returns an env over d, a dbtest database, whose clock reads
// 10:00 New York time on today.
func newEnv(t *testing.T, d *db.DB, today string, tweak ...func(*payments.Config)) *env {
	t.Helper()
	cut, err := calendar.ParseCutoff("17:00", "America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: context.Background(), db: d, clock: dbtest.ClockOf(d), cutoff: cut, outDir: t.TempDir()}
	e.at(today, 10, 0)
	e.sv = servicing.New(d, cut.Today)
	e.proc = cardtest.New("test-secret")
	e.proc.Now = e.clock.Now
	cfg := payments.Config{LenderName: "Northwind Motor Finance", Cutoff: cut, Keys: payments.DevKeyring(), Directory: ach.SampleDirectory(),
		Processor: e.proc, ProcessorTimeout: 300 * time.Millisecond, OutDir: e.outDir,
		Origin:    payments.Origin{ODFIRouting: odfi, DestinationName: "Peachtree Meadow Bank", CompanyName: "Northwind Motor", CompanyID: "1987654321"},
		PortalURL: "https://portal.northwind.example", Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, f := range tweak {
		f(&cfg)
	}
	e.pay, err = payments.New(d, e.sv, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// at sets the clock to hh:mm New York time on date.
func (e *env) at(date string, hh, mm int) {
	y, m, dd := day(date).Date()
	e.clock.Set(time.Date(y, m, dd, hh, mm, 0, 0, e.cutoff.Location))
}

func (e *env) today() calendar.Date { return e.cutoff.Today(e.clock.Now()) }

// customer creates a customer.
func (e *env) customer(first string) int64 {
	e.t.Helper()
	e.seq++
	id, err := e.sv.CreateCustomer(e.ctx, servicing.NewCustomer{FirstName: first, LastName: "Tester", Email: fmt.Sprintf("%s%d@example.com", strings.ToLower(first), e.seq),
		AddressLine1: "1 Main St", City: "Springfield", State: "IL", ZIP: "62701", BirthDate: day("1980-02-29"), SSNLast4: "1234"})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// loan opens a loan for the customer, signed on start (which must not be
// after the clock's date).
func (e *env) loan(customer int64, amount string, term int, start, firstDue string) int64 {
	e.t.Helper()
	e.seq++
	id, err := e.sv.OpenContract(e.ctx, servicing.NewContract{AccountNumber: fmt.Sprintf("NW-%06d", e.seq), CustomerID: customer,
		VIN: servicing.WithCheckDigit(fmt.Sprintf("1HGCM8263A%07d", e.seq)), VehicleYear: 2024, Make: "Subaru", Model: "Outback",
		Kind: servicing.KindLoan, AmountFinancedCents: cents(amount), APR: money.MustParseRate("6.99"), TermMonths: term,
		ContractDate: day(start), FirstDue: day(firstDue), GraceDays: 10,
		LateFee:     servicing.LateFeeRule{Kind: "fixed", FixedCents: cents("25")},
		NSFFeeCents: cents("30")})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// bank adds a bank account and validates it by micro-deposits, sending
// them in an ACH file first.
func (e *env) bank(customer int64, routing, account string) payments.Method {
	e.t.Helper()
	m, err := e.pay.AddBankAccount(e.ctx, customer, payments.NewBankAccount{HolderName: "Pat Tester", AccountType: "checking",
		Routing: routing, Account: account, ConfirmAccount: account})
	if err != nil {
		e.t.Fatal(err)
	}
	e.validate(customer, m.ID)
	m, err = e.pay.Method(e.ctx, customer, m.ID)
	if err != nil || m.Status != payments.MethodActive {
		e.t.Fatalf("method after validation: %+v %v", m, err)
	}
	return m
}

// validate sends pending micro-deposits and confirms them.
func (e *env) validate(customer, method int64) {
	e.t.Helper()
	if _, err := e.pay.OriginateACH(e.ctx, calendar.OnOrAfterBusinessDay(e.today())); err != nil {
		e.t.Fatal(err)
	}
	a, b := e.micro(method)
	if _, err := e.pay.ConfirmMicroDeposits(e.ctx, customer, method, b, a); err != nil {
		e.t.Fatal(err)
	}
}

// micro reads the micro-deposit amounts the customer would see on their
// statement.
func (e *env) micro(method int64) (money.Cents, money.Cents) {
	e.t.Helper()
	var a, b money.Cents
	if err := e.db.Read.QueryRowContext(e.ctx, `SELECT micro1_cents, micro2_cents FROM payment_methods WHERE id = $1`, method).Scan(&a, &b); err != nil {
		e.t.Fatal(err)
	}
	return a, b
}

// card tokenizes a test card and adds it.
func (e *env) card(customer int64, number string) payments.Method {
	e.t.Helper()
	c, err := e.proc.Tokenize(cardtest.Card{Number: number, ExpMonth: 12, ExpYear: e.today().Year() + 3, CVC: "123"})
	if err != nil {
		e.t.Fatal(err)
	}
	m, err := e.pay.AddCard(e.ctx, customer, c.Token, "", "")
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.Read.QueryRowContext(e.ctx, query, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// checks runs servicing's and the ledger's own checks, and checks the
// NACHA files.
func (e *env) checks() {
	e.t.Helper()
	e.checkBooks()
	e.checkFiles()
}

// checkBooks runs servicing's, the ledger's and the in-transit checks.
func (e *env) checkBooks() {
	e.t.Helper()
	if f, err := servicing.Check(e.ctx, e.db); err != nil || len(f) > 0 {
		e.t.Fatalf("servicing check: %v %v", f, err)
	}
	if f, err := ledger.Check(e.ctx, e.db.Read); err != nil || len(f) > 0 {
		e.t.Fatalf("ledger check: %v %v", f, err)
	}
	if f, err := payments.CheckInTransit(e.ctx, e.db); err != nil || len(f) > 0 {
		e.t.Fatalf("in-transit check: %v %v", f, err)
	}
}

// checkFiles parses every NACHA file written so far with the independent
// parser (record layouts, blocking, batch and file controls recomputed)
// and holds its entries and totals to what ach_files recorded; moov-io/ach
// must read each as valid and write it back the same.
func (e *env) checkFiles() {
	e.t.Helper()
	rows, err := e.db.Read.QueryContext(e.ctx, `SELECT path, entries, debit_cents, credit_cents FROM ach_files WHERE status = 'written'`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var path string
		var entries int
		var debit, credit int64
		if err := rows.Scan(&path, &entries, &debit, &credit); err != nil {
			e.t.Fatal(err)
		}
		data := readFile(e.t, path)
		p := nachatest.Parse(e.t, data)
		checkWithMoov(e.t, path, data)
		if p.Entries != entries || p.DebitCents != debit || p.CreditCents != credit {
			e.t.Errorf("%s: parsed %+v; ach_files says %d entries, %d debit, %d credit", path, p, entries, debit, credit)
		}
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
}

// payOther makes a one-time payment of amount (dollars) on date (zero:
// the earliest) from a method, failing the test if it is refused.
func (e *env) payOther(customer, contract, method int64, amount string, date calendar.Date, key string) payments.Payment {
	e.t.Helper()
	p, err := e.pay.Pay(e.ctx, customer, payments.OneTime{ContractID: contract, MethodID: method, Choice: payments.PayOther,
		Other: amount, Date: date, IdempotencyKey: key})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// balances returns a contract's ledger balances.
func (e *env) balances(contract int64) map[string]money.Cents {
	e.t.Helper()
	b, err := ledger.Balances(e.ctx, e.db.Read, contract)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// outbox returns the kinds of messages sent to an address.
func (e *env) outbox(to string) []notify.Queued {
	e.t.Helper()
	q, err := notify.Outbox(e.ctx, e.db, to, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	return q
}

func kinds(q []notify.Queued) string {
	var ks []string
	for _, m := range q {
		ks = append(ks, m.Message.Kind)
	}
	return strings.Join(ks, ",")
}

func (e *env) email(customer int64) string {
	e.t.Helper()
	var s string
	if err := e.db.Read.QueryRowContext(e.ctx, `SELECT email FROM customers WHERE id = $1`, customer).Scan(&s); err != nil {
		e.t.Fatal(err)
	}
	return s
}

// readFile reads an ACH file the service wrote.
func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
