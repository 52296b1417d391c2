package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/identity"
	"carfin/mailhouse"
	"carfin/money"
	"carfin/payments"
	"carfin/servicing"
	"carfin/statements"
	"carfin/web"
	"carfin/webcore"
)

// runBenchSoak: carfin bench soak --db DSN [--customers N] [--duration 10m] [--load 0.7]
//
// The soak test of issue 15, a command and not a CI test: it seeds a book
// of customers with online access, a bank account and statements (kept
// for the next run on the same database), starts two `carfin serve`
// processes on it, does every operation once on each, measures their
// capacity closed loop over the whole mix (sign-ins' argon2id and
// payments' receipts included: --load is a share of what the two can do
// with this traffic, not with page views alone), then sends the mix open
// loop at --load of the capacity for --duration, alternating instances.
// Every 10 s it reads each instance's /metrics (heap, RSS, goroutines,
// pool connections, CPU) and PostgreSQL's backends of the two; at the
// end it prints the figures per request kind, runs `carfin check`, and
// returns an error naming every goal missed: any 5xx or unexpected
// answer, a page p99 of --p99-max or more, a heap, RSS or goroutine
// floor grown by more than --growth-max, connections over the pools'
// limit, check not clean.
func runBenchSoak(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench soak", flag.ContinueOnError)
	var f dbFlags
	f.register(fs, getenv)
	c := soakConfig{command: soakCommand}
	fs.IntVar(&c.customers, "customers", 200, "customers in the soak book, each with a loan, online access, a bank account and a statement")
	fs.DurationVar(&c.duration, "duration", 10*time.Minute, "how long the open-loop mix runs")
	fs.Float64Var(&c.load, "load", 0.7, "open-loop rate as a share of the measured capacity")
	fs.Float64Var(&c.rate, "rate", 0, "open-loop rate in operations per second (0: --load of the measured capacity)")
	fs.DurationVar(&c.capacityFor, "capacity-for", 15*time.Second, "how long the capacity is measured closed loop (after a warm-up of a fifth of it)")
	fs.IntVar(&c.clients, "clients", 8, "closed-loop clients of the capacity measurement")
	fs.DurationVar(&c.sampleEvery, "sample", 10*time.Second, "how often each instance's /metrics is read")
	fs.DurationVar(&c.p99Max, "p99-max", 100*time.Millisecond, "the pages' p99 goal (strictly under)")
	fs.Float64Var(&c.growthMax, "growth-max", 0.25, "the most the floor of heap, RSS and goroutines may grow from the first third of the run to the last (0.25: 25 %)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if c.customers < 1 || c.duration <= 0 || c.load <= 0 || c.clients < 1 || c.sampleEvery <= 0 {
		return usagef("bench soak: --customers, --duration, --load, --clients and --sample must be positive")
	}
	cutoff, err := f.cutoffOf()
	if err != nil {
		return err
	}
	c.dsn, c.cutoff = f.dsn, cutoff
	return soak(ctx, c, stdout)
}

// soakConfig is a soak run's settings. command makes the process of one
// instance from serve's arguments (the tests run their own binary).
type soakConfig struct {
	dsn         string
	cutoff      calendar.Cutoff
	customers   int
	duration    time.Duration
	load, rate  float64
	capacityFor time.Duration
	clients     int
	sampleEvery time.Duration
	p99Max      time.Duration
	growthMax   float64
	command     func(args []string) *exec.Cmd
	// hashParams are the seeded logins' argon2id costs (zero: serve's
	// defaults, so that a sign-in does not rehash; the tests' are cheap).
	hashParams identity.Params
}

// soakCommand runs this binary's serve.
func soakCommand(args []string) *exec.Cmd { return exec.Command(os.Args[0], args...) }

// Limits of the soak.
const (
	soakInstances       = 2
	soakInflightMax     = 2000 // open-loop requests in flight past which a send is counted as dropped
	soakRequestTimeout  = 10 * time.Second
	soakStartTimeout    = 60 * time.Second
	soakStopTimeout     = 20 * time.Second
	soakWrongPasswordPc = 10 // per cent of sign-ins with a wrong password
	soakPassword        = "correct horse battery staple"
	// soakAmountsMax is how many payment amounts the soak cycles
	// through ($1.00 up): enough that no contract pays one twice within
	// payments.DuplicateWindow (which asks to confirm a second identical
	// payment), few enough that a customer's payments stay far below
	// the payoff.
	soakAmountsMax = 20_000
)

// soakKind is one kind of request of the mix.
type soakKind int

const (
	kindDashboard soakKind = iota
	kindHistory
	kindCSV
	kindStatement
	kindPayReview
	kindPaySubmit
	kindSignIn
	kindSignInWrong
	soakKinds
)

var soakKindNames = [soakKinds]string{"dashboard", "history", "history.csv", "statement.pdf", "pay review", "pay submit", "sign-in", "sign-in (wrong pw)"}

// isPage reports whether the p99 goal applies to k: the page views and
// downloads. Sign-in is argon2id by design and a payment's submission
// renders a receipt: their figures are reported, not held to it.
func (k soakKind) isPage() bool { return k <= kindPayReview }

// soakOp is one operation of the mix and its weight in it; a payment is
// two requests (review, then submit with its key), the others one.
type soakOp struct {
	name   string
	weight int
}

var soakMix = []soakOp{{"dashboard", 42}, {"history", 20}, {"csv", 10}, {"statement", 12}, {"payment", 6}, {"sign-in", 10}}

// soakUser is a seeded customer as the load generator uses it.
type soakUser struct {
	email, token, ip          string
	contract, method, statDoc int64
}

// soakBook is what the seed leaves for the traffic.
type soakBook struct {
	users   []soakUser
	payDate calendar.Date
	// amountFrom is above every amount the soak paid in the last
	// payments.DuplicateWindow: a payment like one made minutes ago
	// asks for a confirmation (409), and a rerun must not meet its
	// predecessor's.
	amountFrom int64
}

func soak(ctx context.Context, c soakConfig, stdout io.Writer) error {
	t0 := time.Now()
	d, err := openDB(ctx, c.dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	if d.Engine != db.Postgres {
		return usagef("bench soak: --db must be PostgreSQL (several instances share it)")
	}
	achDir, err := os.MkdirTemp("", "carfin-soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(achDir)
	env := map[string]string{"CARFIN_PAYMENT_KEYS": "dev", "CARFIN_ROUTING_FILE": "sample", "CARFIN_CARD_PROCESSOR": "test",
		"CARFIN_ACH_DIR": achDir, "CARFIN_ACH_ODFI": "061993512", "CARFIN_ACH_COMPANY_ID": "1987654321", "CARFIN_ACH_COMPANY_NAME": "Northwind Motor"}
	for k, v := range demoIdentity {
		env[k] = v
	}
	book, err := seedSoakBook(ctx, d, c, func(k string) string { return env[k] }, stdout)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintf(stdout, "book: %d customers with a loan, online access, a confirmed bank account and a statement (ready in %s)\n",
		len(book.users), time.Since(t0).Round(time.Millisecond))

	run := fmt.Sprintf("carfin-soak-%d", os.Getpid())
	var ins []*soakInstance
	defer func() {
		for _, in := range ins {
			_ = in.stop() // after an error: the run's error is the one to report
		}
	}()
	started := make([]*soakInstance, soakInstances)
	errs := make([]error, soakInstances)
	var starting sync.WaitGroup
	for i := range soakInstances { // side by side: each takes seconds to migrate-check and start
		starting.Go(func() { started[i], errs[i] = startSoakInstance(ctx, c, env, fmt.Sprintf("%s-%d", run, i+1)) })
	}
	starting.Wait()
	for i, in := range started {
		if in != nil {
			ins = append(ins, in)
			fmt.Fprintf(stdout, "instance %d: %s (metrics %s, pid %d)\n", i+1, in.base, in.metrics, in.cmd.Process.Pid)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	g := newSoakGen(ins, book)
	if err := g.smoke(ctx, stdout); err != nil {
		return err
	}

	// Warm up in every case, a given --rate too: a cold start (connections,
	// caches, the heap growing to its working size) is not what the soak
	// measures, and left in it shows as shed requests and as growth of
	// the memory floors.
	rate := c.rate
	warm := max(c.capacityFor/5, time.Second)
	g.closedLoop(ctx, c.clients, warm)
	g.reset()
	if rate <= 0 {
		cpu0 := readMachineCPU()
		ops, took := g.closedLoop(ctx, c.clients, c.capacityFor)
		capacity := float64(ops) / took.Seconds()
		fmt.Fprintf(stdout, "capacity: %.0f ops/s closed loop (%d clients, %s, after %s warm-up; load average %s; %s)\n",
			capacity, c.clients, took.Round(time.Millisecond), warm, soakLoadAvg(), readMachineCPU().since(cpu0, ops, took))
		g.printKinds(stdout, "  ")
		rate = c.load * capacity
	}
	if rate < 1 {
		return fmt.Errorf("bench soak: a rate of %.2f ops/s is too low to soak", rate)
	}
	g.reset()
	for _, in := range ins {
		in.out.reset()
	}
	fmt.Fprintf(stdout, "soak: %.0f ops/s open loop for %s over %d instances; mix %s; %d %% of sign-ins with a wrong password\n",
		rate, c.duration, len(ins), soakMixString(), soakWrongPasswordPc)

	// A server with autovacuum off (this machine's CI image turns it off)
	// never refreshes the planner's statistics while the soak's tables
	// grow from their seed: after minutes, plans made for tables of 200
	// rows scan tables of thousands on every request, which no production
	// server (autovacuum is on by default) would do. Stand in for it.
	analyze := soakAutovacuumOff(ctx, d)
	analyzeEvery := max(c.sampleEvery, soakAnalyzeEvery)
	if analyze {
		fmt.Fprintf(stdout, "PostgreSQL's autovacuum is off: the soak runs ANALYZE every %s in its place, on the tables autovacuum would analyze\n", analyzeEvery)
	}
	analyzed := time.Now()
	var samples []soakSample
	sampleCtx, stopSampling := context.WithCancel(ctx)
	var sampling sync.WaitGroup
	t1 := time.Now()
	sample := func() {
		s := takeSample(ctx, d, ins, run, time.Since(t1))
		s.sent, s.fiveXX, s.failed = g.sent.Load(), g.fiveXX.Load(), g.failed.Load()
		samples = append(samples, s)
		fmt.Fprintln(stdout, s)
	}
	sample()
	sampling.Go(func() {
		tick := time.NewTicker(c.sampleEvery)
		defer tick.Stop()
		for {
			select {
			case <-sampleCtx.Done():
				return
			case <-tick.C:
				if analyze && time.Since(analyzed) >= analyzeEvery {
					analyzed = time.Now()
					if _, err := soakAnalyze(ctx, d); err != nil {
						fmt.Fprintf(stdout, "ANALYZE: %v\n", err)
					}
				}
				sample()
			}
		}
	})
	cpu0, open0 := readMachineCPU(), time.Now()
	opsStarted, lateMax := g.openLoop(ctx, rate, c.duration)
	cpuOpen := readMachineCPU().since(cpu0, int64(opsStarted), time.Since(open0))
	stopSampling()
	sampling.Wait()
	sample()

	fmt.Fprintf(stdout, "\n%d operations started in %s (%.1f/s; %d answered as expected, %d not started: too many in flight; "+
		"started at most %s late on the schedule), %d requests; load average %s; %s:\n", opsStarted, c.duration, float64(opsStarted)/c.duration.Seconds(),
		g.ops.Load(), g.dropped.Load(), lateMax.Round(time.Millisecond), g.sent.Load(), soakLoadAvg(), cpuOpen)
	g.printKinds(stdout, "  ")

	var failed []string
	if n := g.fiveXX.Load(); n > 0 {
		failed = append(failed, fmt.Sprintf("%d responses 5xx, of which %d 503 of the load shedder (Retry-After)", n, g.shed.Load()))
	}
	if n := g.failed.Load(); n > 0 {
		failed = append(failed, fmt.Sprintf("%d requests failed (transport error or unexpected answer)", n))
	}
	if n := g.dropped.Load(); n > 0 {
		failed = append(failed, fmt.Sprintf("%d requests not sent: more than %d in flight", n, soakInflightMax))
	}
	if p := g.pageP99(); p >= c.p99Max {
		failed = append(failed, fmt.Sprintf("pages p99 %s, goal under %s", p.Round(time.Microsecond), c.p99Max))
	}
	failed = append(failed, printTrends(stdout, samples, ins, c.growthMax)...)

	for _, in := range ins {
		if err := in.stop(); err != nil {
			failed = append(failed, fmt.Sprintf("instance %s: %v", in.base, err))
		}
		fmt.Fprintf(stdout, "instance %s: %d ERROR and %d WARN log lines, exit %v\n", in.base, in.out.errors.Load(), in.out.warns.Load(),
			cmpOr(in.exitErr, "0"))
		if in.out.errors.Load() > 0 {
			failed = append(failed, fmt.Sprintf("instance %s logged %d errors; last lines:\n%s", in.base, in.out.errors.Load(), in.out.tail()))
		}
	}
	t2 := time.Now()
	findings, err := servicing.Check(ctx, d)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if len(findings) > 0 {
		failed = append(failed, fmt.Sprintf("check: %d findings, first %v", len(findings), findings[0]))
		fmt.Fprintf(stdout, "check: %d findings in %s\n", len(findings), time.Since(t2).Round(time.Millisecond))
	} else {
		fmt.Fprintf(stdout, "check: clean in %s\n", time.Since(t2).Round(time.Millisecond))
	}
	if len(failed) > 0 {
		fmt.Fprintf(stdout, "goals missed:\n  %s\n", strings.Join(failed, "\n  "))
		return fmt.Errorf("bench soak: %d goals missed", len(failed))
	}
	fmt.Fprintln(stdout, "goals met: no 5xx, pages p99 under", c.p99Max, "memory and goroutines flat, connections bounded, check clean")
	return nil
}

func cmpOr(err error, def string) string {
	if err != nil {
		return err.Error()
	}
	return def
}

func soakMixString() string {
	var parts []string
	for _, op := range soakMix {
		parts = append(parts, fmt.Sprintf("%s %d", op.name, op.weight))
	}
	return strings.Join(parts, ", ")
}

// seedSoakBook gives the book c.customers soak customers (soak0@example.com…),
// each with a loan signed 3 to 15 months ago and paid on time, online
// access (a login with soakPassword, hashed at serve's costs), a
// confirmed bank account and a statement; then signs each in once for
// its session. A book already there is kept and completed.
func seedSoakBook(ctx context.Context, d *db.DB, c soakConfig, getenv func(string) string, stdout io.Writer) (soakBook, error) {
	sv := servicing.New(d, c.cutoff.Today)
	today := c.cutoff.Today(d.Now())
	book := soakBook{payDate: calendar.OnOrAfterBusinessDay(today + 3)}
	var have, haveCustomers int
	if err := d.Read.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM contracts WHERE account_number LIKE 'SOAK-%'),
		(SELECT count(*) FROM customers WHERE email LIKE 'soak%@example.com')`).Scan(&have, &haveCustomers); err != nil {
		return book, err
	}
	if have != haveCustomers {
		return book, fmt.Errorf("the database holds a partial soak book (%d customers, %d loans): drop it", haveCustomers, have)
	}
	if have < c.customers {
		t0 := time.Now()
		if err := seedSoakLoans(ctx, d, sv, have, c.customers, today); err != nil {
			return book, err
		}
		fmt.Fprintf(stdout, "seed: %d loans opened, paid and closed to %s in %s\n", c.customers-have, today-1, time.Since(t0).Round(time.Millisecond))
	}
	rows, err := d.Read.QueryContext(ctx, `SELECT cu.id, cu.email, min(co.id) FROM customers cu JOIN contracts co ON co.customer_id = cu.id
		WHERE cu.email LIKE 'soak%@example.com' GROUP BY cu.id, cu.email ORDER BY cu.id LIMIT $1`, c.customers)
	if err != nil {
		return book, err
	}
	type cust struct {
		id, contract int64
		email        string
	}
	var custs []cust
	for rows.Next() {
		var x cust
		if err := rows.Scan(&x.id, &x.email, &x.contract); err != nil {
			rows.Close()
			return book, err
		}
		custs = append(custs, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return book, err
	}

	t0 := time.Now()
	ident, err := identity.New(identity.Config{DB: d, Params: cmp.Or(c.hashParams, identity.DefaultParams), BaseURL: "http://localhost"})
	if err != nil {
		return book, err
	}
	pay, err := paymentsFromEnv(getenv, d, sv, c.cutoff, slog.New(slog.DiscardHandler))
	if err != nil {
		return book, err
	}
	var unconfirmed []int64 // customers whose bank account waits for its micro-deposits
	for _, x := range custs {
		var logins, methods int
		if err := d.Read.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM logins WHERE customer_id = $1),
			(SELECT count(*) FROM payment_methods WHERE customer_id = $1)`, x.id).Scan(&logins, &methods); err != nil {
			return book, err
		}
		if logins == 0 {
			if _, err := ident.CreateCustomerLogin(ctx, x.id, soakPassword); err != nil {
				return book, fmt.Errorf("login of %s: %w", x.email, err)
			}
		}
		if methods == 0 {
			if _, err := pay.AddBankAccount(ctx, x.id, payments.NewBankAccount{HolderName: "Soak Customer", AccountType: "checking",
				Routing: "129083018", Account: fmt.Sprintf("555%08d", x.id), ConfirmAccount: fmt.Sprintf("555%08d", x.id)}); err != nil {
				return book, fmt.Errorf("bank account of %s: %w", x.email, err)
			}
			unconfirmed = append(unconfirmed, x.id)
		}
	}
	if len(unconfirmed) > 0 {
		if _, err := pay.OriginateACH(ctx, calendar.OnOrAfterBusinessDay(today)); err != nil {
			return book, fmt.Errorf("micro-deposits: %w", err)
		}
		for _, id := range unconfirmed {
			var m, a, b int64
			if err := d.Read.QueryRowContext(ctx, `SELECT id, micro1_cents, micro2_cents FROM payment_methods WHERE customer_id = $1`,
				id).Scan(&m, &a, &b); err != nil {
				return book, err
			}
			if _, err := pay.ConfirmMicroDeposits(ctx, id, m, money.Cents(a), money.Cents(b)); err != nil {
				return book, fmt.Errorf("confirm bank account of customer %d: %w", id, err)
			}
		}
	}
	var statementsHave int
	if err := d.Read.QueryRowContext(ctx, `SELECT count(DISTINCT d.customer_id) FROM documents d JOIN customers cu ON cu.id = d.customer_id
		WHERE d.kind = 'statement' AND cu.email LIKE 'soak%@example.com'`).Scan(&statementsHave); err != nil {
		return book, err
	}
	if statementsHave < len(custs) {
		b := webcore.DefaultBrand
		lender := statementLender(b, []web.MailingAddress{{Kind: "correspondence", Lines: []string{"PO Box 4100", "Columbus, OH 43216"}},
			{Kind: "payments", Lines: []string{"PO Box 4200", "Columbus, OH 43216"}}}, "", "http://localhost")
		st, err := statements.New(d, sv, statements.Config{Lender: lender, BaseURL: "http://localhost", Print: mailhouse.EnqueueMany})
		if err != nil {
			return book, err
		}
		for day := today; day < today.AddDays(31); day++ { // every due day of the month: a statement per contract
			if _, err := st.Run(ctx, day); err != nil {
				return book, fmt.Errorf("statements of %s: %w", day, err)
			}
		}
	}
	for i, x := range custs {
		u := soakUser{email: x.email, contract: x.contract, ip: fmt.Sprintf("10.%d.%d.%d", 100+i/62500, i/250%250, 1+i%250)}
		if err := d.Read.QueryRowContext(ctx, `SELECT id FROM payment_methods WHERE customer_id = $1 AND status = 'active'`,
			x.id).Scan(&u.method); err != nil {
			return book, fmt.Errorf("bank account of %s: %w", x.email, err)
		}
		if err := d.Read.QueryRowContext(ctx, `SELECT max(id) FROM documents WHERE customer_id = $1 AND kind = 'statement'`,
			x.id).Scan(&u.statDoc); err != nil {
			return book, fmt.Errorf("statement of %s: %w", x.email, err)
		}
		res, err := ident.PasswordLogin(ctx, identity.Customer, x.email, soakPassword, "", identity.Client{IP: u.ip, UserAgent: "carfin-soak",
			Device: fmt.Sprintf("soak-device-%031d", i), Lang: "en"})
		if err != nil || res.NeedSecondFactor {
			return book, fmt.Errorf("sign-in of %s: %v", x.email, err)
		}
		u.token = res.Session.Token
		book.users = append(book.users, u)
	}
	if err := d.Read.QueryRowContext(ctx, `SELECT COALESCE(max(p.amount_cents), 0) FROM payments p JOIN customers cu ON cu.id = p.customer_id
		WHERE cu.email LIKE 'soak%@example.com' AND p.created_at > $1`, d.Now().Add(-payments.DuplicateWindow)).Scan(&book.amountFrom); err != nil {
		return book, err
	}
	if len(book.users) == 0 {
		return book, errors.New("no soak customers")
	}
	fmt.Fprintf(stdout, "seed: logins, bank accounts, statements and %d sessions in %s\n", len(book.users), time.Since(t0).Round(time.Millisecond))
	return book, nil
}

// seedSoakLoans opens loans have+1..n, one per new customer, signed 90
// to 450 days ago, posts every installment due so far on its due date,
// and closes the days to yesterday.
func seedSoakLoans(ctx context.Context, d *db.DB, sv *servicing.Service, have, n int, today calendar.Date) error {
	rng := rand.New(rand.NewPCG(uint64(have), 15))
	custs := make([]servicing.NewCustomer, 0, n-have)
	for i := have; i < n; i++ {
		custs = append(custs, servicing.NewCustomer{FirstName: "Soak", LastName: fmt.Sprint("Customer", i), Email: fmt.Sprintf("soak%d@example.com", i),
			AddressLine1: "1 Soak Way", City: "Testville", State: "OH", ZIP: "43004", BirthDate: calendar.New(1980, 1, 1), SSNLast4: "0000"})
	}
	custIDs, err := sv.CreateCustomers(ctx, custs)
	if err != nil {
		return err
	}
	ncs := make([]servicing.NewContract, 0, n-have)
	for i, cust := range custIDs {
		signed := today.AddDays(-90 - rng.IntN(360))
		ncs = append(ncs, servicing.NewContract{AccountNumber: fmt.Sprintf("SOAK-%08d", have+i+1), CustomerID: cust,
			VIN: servicing.WithCheckDigit(fmt.Sprintf("4SKAA0000%08d", have+i+1)), VehicleYear: 2024, Make: "Soak", Model: "Sedan",
			Kind: servicing.KindLoan, AmountFinancedCents: money.Cents(15000_00 + rng.Int64N(30000_00)),
			APR: money.Rate(rng.Int64N(15 * money.RateScale)), TermMonths: []int{48, 60, 72}[rng.IntN(3)],
			ContractDate: signed, FirstDue: signed.AddMonths(1), GraceDays: 10,
			LateFee: servicing.LateFeeRule{Kind: "fixed", FixedCents: 25_00}, NSFFeeCents: 25_00})
	}
	ids, err := sv.OpenContracts(ctx, ncs)
	if err != nil {
		return err
	}
	rows, err := d.Read.QueryContext(ctx, `SELECT contract_id, number, due_date, amount_cents FROM installments
		WHERE contract_id BETWEEN $1 AND $2 AND due_date < $3 ORDER BY number, contract_id`, ids[0], ids[len(ids)-1], today)
	if err != nil {
		return err
	}
	var reqs []servicing.PaymentRequest // by installment number, so each contract's payments come in date order
	for rows.Next() {
		var id int64
		var num int
		var due calendar.Date
		var cents money.Cents
		if err := rows.Scan(&id, &num, &due, &cents); err != nil {
			rows.Close()
			return err
		}
		reqs = append(reqs, servicing.PaymentRequest{AmountCents: cents, Request: servicing.Request{ContractID: id, Date: due,
			IdempotencyKey: fmt.Sprintf("soak:%d:%d", id, num), Actor: "bench"}})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for start := 0; start < len(reqs); start += servicing.PaymentBatchMax {
		res, err := sv.PostPayments(ctx, reqs[start:min(start+servicing.PaymentBatchMax, len(reqs))])
		if err != nil {
			return err
		}
		for _, r := range res {
			if r.Err != nil {
				return fmt.Errorf("payment: %w", r.Err)
			}
		}
	}
	if _, err := sv.DayClose(ctx, today-1); err != nil {
		return err
	}
	_, err = d.SQL.ExecContext(ctx, `ANALYZE`) // fresh statistics, as autovacuum would gather them
	return err
}

// soakInstance is one `carfin serve` child process.
type soakInstance struct {
	base    string // http://localhost:port, its own origin
	metrics string // host:port of its /metrics
	cmd     *exec.Cmd
	out     *soakLog
	done    chan struct{}
	exitErr error
	stopped bool
}

// startSoakInstance starts `carfin serve` on free loopback ports with
// env, its pool's connections named app in PostgreSQL, and waits until
// it is ready.
func startSoakInstance(ctx context.Context, c soakConfig, env map[string]string, app string) (*soakInstance, error) {
	port, err := soakFreePort()
	if err != nil {
		return nil, err
	}
	mport, err := soakFreePort()
	if err != nil {
		return nil, err
	}
	dsn := c.dsn
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		q := u.Query()
		q.Set("application_name", app)
		// url.Values writes a space as "+", which neither pgx nor libpq
		// reads as one (options=-c%20x=y would become "+x"); a literal "+"
		// is written %2B, so every "+" here is a space.
		u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
		dsn = u.String()
	}
	in := &soakInstance{base: fmt.Sprintf("http://localhost:%d", port), metrics: fmt.Sprintf("127.0.0.1:%d", mport), out: &soakLog{},
		done: make(chan struct{})}
	in.cmd = c.command([]string{"serve", "--db", dsn, "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--base-url", in.base,
		"--trusted-proxies", "127.0.0.1/32", "--metrics-addr", in.metrics, "--jobs=false"})
	if in.cmd.Env == nil {
		in.cmd.Env = os.Environ()
	}
	for k, v := range env {
		in.cmd.Env = append(in.cmd.Env, k+"="+v)
	}
	in.cmd.Stdout, in.cmd.Stderr = in.out, in.out
	if err := in.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { in.exitErr = in.cmd.Wait(); close(in.done) }()
	cl := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(soakStartTimeout)
	for {
		select {
		case <-in.done:
			return nil, fmt.Errorf("instance on port %d ended before it was ready: %v\n%s", port, in.exitErr, in.out.tail())
		case <-ctx.Done():
			_ = in.stop()
			return nil, ctx.Err()
		default:
		}
		if res, err := cl.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", port)); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return in, nil
			}
		}
		if time.Now().After(deadline) {
			_ = in.stop()
			return nil, fmt.Errorf("instance on port %d not ready in %s\n%s", port, soakStartTimeout, in.out.tail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits for the exit; it kills the process after
// soakStopTimeout. It returns the exit's error; stopping twice is a no-op.
func (in *soakInstance) stop() error {
	if in.stopped {
		return nil
	}
	in.stopped = true
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.done:
		return in.exitErr
	case <-time.After(soakStopTimeout):
		_ = in.cmd.Process.Kill()
		<-in.done
		return fmt.Errorf("did not stop in %s after SIGTERM: killed", soakStopTimeout)
	}
}

// soakFreePort returns a loopback port below Linux's ephemeral range
// that nobody listens on now (as the multi-instance test picks them).
func soakFreePort() (int, error) {
	for range 100 {
		port := 20_000 + rand.IntN(12_000)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		ln.Close()
		return port, nil
	}
	return 0, errors.New("no free port in 20000-31999")
}

// soakLog takes an instance's output: it counts the ERROR and WARN lines,
// and keeps the last soakLogTail bytes of the ERROR lines and the first
// WARN lines, for the report.
type soakLog struct {
	mu           sync.Mutex
	partial      []byte
	last         []byte
	errors       atomic.Int64
	warns        atomic.Int64
	warnExamples []string
}

const soakLogTail = 16 << 10

func (l *soakLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		line := l.partial[:i+1]
		switch {
		case bytes.Contains(line, []byte("level=ERROR")):
			l.errors.Add(1)
			l.last = append(l.last, line...)
		case bytes.Contains(line, []byte("level=WARN")):
			l.warns.Add(1)
			if len(l.warnExamples) < 3 {
				l.warnExamples = append(l.warnExamples, string(line))
			}
		case !bytes.Contains(line, []byte("level=")):
			// Not a log record: what the process printed on its way out
			// ("carfin: open postgres …"), which a failed start reports.
			l.last = append(l.last, line...)
		}
		if len(l.last) > 2*soakLogTail {
			l.last = append(l.last[:0], l.last[len(l.last)-soakLogTail:]...)
		}
		l.partial = l.partial[i+1:]
	}
	l.partial = slices.Clone(l.partial)
	return len(p), nil
}

// reset forgets the lines so far (the closed-loop measurement ends by
// cancelling its requests in flight, which the server logs).
func (l *soakLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errors.Store(0)
	l.warns.Store(0)
	l.last, l.warnExamples = nil, nil
}

func (l *soakLog) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := string(l.last)
	if len(s) > soakLogTail {
		s = s[len(s)-soakLogTail:]
	}
	return s + strings.Join(l.warnExamples, "")
}

// soakGen sends the mix to the instances and keeps the figures.
type soakGen struct {
	ins    []*soakInstance
	book   soakBook
	client *http.Client
	next   atomic.Int64 // round robin over the instances
	amount atomic.Int64 // makes each payment's amount differ from the last few minutes'
	total  int

	mu      sync.Mutex
	kinds   [soakKinds]soakKindStats
	ops     atomic.Int64 // operations done (all their requests answered as expected)
	sent    atomic.Int64 // requests sent
	fiveXX  atomic.Int64
	shed    atomic.Int64 // of fiveXX: 503s of the load shedder
	failed  atomic.Int64 // transport errors and answers other than expected (5xx included)
	dropped atomic.Int64
}

type soakKindStats struct {
	latencies []time.Duration
	statuses  map[int]int
	errors    int
	examples  []string // the first unexpected answers, for the report
}

const soakExamplesMax = 3

func newSoakGen(ins []*soakInstance, book soakBook) *soakGen {
	tr := &http.Transport{
		// Every instance's origin is localhost:port (passkeys want a
		// name); dial it on IPv4, where serve listens.
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if host, port, err := net.SplitHostPort(addr); err == nil && host == "localhost" {
				addr = net.JoinHostPort("127.0.0.1", port)
			}
			return (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp4", addr)
		},
		MaxIdleConns: 1024, MaxIdleConnsPerHost: 512, IdleConnTimeout: 90 * time.Second,
	}
	g := &soakGen{ins: ins, book: book, client: &http.Client{Transport: tr, Timeout: soakRequestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	for _, op := range soakMix {
		g.total += op.weight
	}
	g.reset()
	return g
}

func (g *soakGen) reset() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for k := range g.kinds {
		g.kinds[k] = soakKindStats{statuses: map[int]int{}}
	}
	g.ops.Store(0)
	g.sent.Store(0)
	g.fiveXX.Store(0)
	g.shed.Store(0)
	g.failed.Store(0)
	g.dropped.Store(0)
}

var soakKeyRE = regexp.MustCompile(`name="key" value="([A-Za-z0-9_-]+)"`)

// do sends one request of kind k to instance in (nil: the next one in
// turn) and records it; it returns the answer's body when keep is set, and whether
// the status was one of want.
func (g *soakGen) do(ctx context.Context, in *soakInstance, k soakKind, method, path string, form url.Values, ip, token string, keep bool,
	want ...int) (string, *http.Response, bool) {
	if in == nil {
		in = g.ins[int(g.next.Add(1))%len(g.ins)]
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, in.base+path, body)
	if err != nil {
		panic(err) // the soak's own paths are valid
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("X-Forwarded-For", ip)
	req.Header.Set("User-Agent", "carfin-soak/1.0")
	req.Header.Set("Accept-Language", "en")
	if token != "" {
		req.Header.Set("Cookie", "carfin_session="+token)
	}
	g.sent.Add(1)
	t0 := time.Now()
	res, err := g.client.Do(req)
	var text string
	if err == nil {
		if keep || !slices.Contains(want, res.StatusCode) {
			b, rerr := io.ReadAll(res.Body)
			text, err = string(b), rerr
		} else {
			_, err = io.Copy(io.Discard, res.Body)
		}
		res.Body.Close()
	}
	took := time.Since(t0)
	if ctx.Err() != nil {
		return "", nil, false // cut off at the end of a closed-loop phase: not counted
	}
	ok := err == nil && slices.Contains(want, res.StatusCode)
	g.mu.Lock()
	s := &g.kinds[k]
	s.latencies = append(s.latencies, took)
	if err != nil {
		s.errors++
	} else {
		s.statuses[res.StatusCode]++
	}
	if !ok && len(s.examples) < soakExamplesMax {
		s.examples = append(s.examples, soakExample(method, path, res, err, text))
	}
	g.mu.Unlock()
	if err == nil && res.StatusCode >= 500 {
		g.fiveXX.Add(1)
		if res.StatusCode == http.StatusServiceUnavailable && res.Header.Get("Retry-After") != "" {
			g.shed.Add(1)
		}
	}
	if !ok {
		g.failed.Add(1)
	}
	return text, res, ok
}

// soakExample describes an unexpected answer: its status and the page's
// error summary (or the start of its text).
func soakExample(method, path string, res *http.Response, err error, body string) string {
	if err != nil {
		return fmt.Sprintf("%s %s: %v", method, path, err)
	}
	for _, mark := range []string{`class="error-summary"`, `class="field-error"`, "<main"} {
		if i := strings.Index(body, mark); i >= 0 {
			body = body[i+len(mark):]
			break
		}
	}
	msg := strings.Join(strings.Fields(soakTagRE.ReplaceAllString(body, " ")), " ")
	if len(msg) > 160 {
		msg = msg[:160]
	}
	return fmt.Sprintf("%s %s: %d %q", method, path, res.StatusCode, msg)
}

var soakTagRE = regexp.MustCompile(`<[^>]*>`)

// op runs one operation of the mix, chosen by weight, for a random user.
func (g *soakGen) op(ctx context.Context) {
	u := &g.book.users[rand.IntN(len(g.book.users))]
	pick := rand.IntN(g.total)
	name := soakMix[len(soakMix)-1].name
	for _, op := range soakMix {
		if pick < op.weight {
			name = op.name
			break
		}
		pick -= op.weight
	}
	if g.run(ctx, name, u, nil, rand.IntN(100) < soakWrongPasswordPc) {
		g.ops.Add(1)
	}
}

// run does the operation name for u on instance in (nil: each request
// to the next instance in turn), a sign-in with a wrong password if
// wrong is set, and reports whether every answer was the expected one.
func (g *soakGen) run(ctx context.Context, name string, u *soakUser, in *soakInstance, wrong bool) bool {
	ok := true
	contract := strconv.FormatInt(u.contract, 10)
	switch name {
	case "dashboard":
		_, _, ok = g.do(ctx, in, kindDashboard, "GET", "/", nil, u.ip, u.token, false, 200)
	case "history":
		_, _, ok = g.do(ctx, in, kindHistory, "GET", "/contracts/"+contract+"/history", nil, u.ip, u.token, false, 200)
	case "csv":
		_, _, ok = g.do(ctx, in, kindCSV, "GET", "/contracts/"+contract+"/history.csv", nil, u.ip, u.token, false, 200)
	case "statement":
		_, _, ok = g.do(ctx, in, kindStatement, "GET", "/documents/"+strconv.FormatInt(u.statDoc, 10), nil, u.ip, u.token, false, 200)
	case "payment":
		// The review page makes the form's idempotency key; the
		// confirmation posts it (as the browser's form does).
		cents := 100 + (g.book.amountFrom+g.amount.Add(1))%soakAmountsMax
		form := url.Values{"amount": {"other"}, "other": {fmt.Sprintf("%d.%02d", cents/100, cents%100)},
			"method": {strconv.FormatInt(u.method, 10)}, "date": {g.book.payDate.String()}}
		var page string
		page, _, ok = g.do(ctx, in, kindPayReview, "GET", "/contracts/"+contract+"/pay/review?"+form.Encode(), nil, u.ip, u.token, true, 200)
		if !ok {
			break
		}
		m := soakKeyRE.FindStringSubmatch(page)
		if m == nil {
			g.failed.Add(1)
			ok = false
			break
		}
		form.Set("key", m[1])
		var res *http.Response
		_, res, ok = g.do(ctx, in, kindPaySubmit, "POST", "/contracts/"+contract+"/pay", form, u.ip, u.token, false, http.StatusSeeOther)
		if ok && !strings.HasPrefix(res.Header.Get("Location"), "/payments/") {
			g.failed.Add(1)
			ok = false
		}
	case "sign-in":
		// From an address of its own, as customers sign in from theirs:
		// the per-IP and per-network limits are not what is measured.
		ip := fmt.Sprintf("10.%d.%d.%d", rand.IntN(100), rand.IntN(256), 1+rand.IntN(254))
		if wrong {
			_, _, ok = g.do(ctx, in, kindSignInWrong, "POST", "/login", url.Values{"email": {u.email}, "password": {"not the password"}}, ip, "", false,
				http.StatusUnauthorized)
		} else {
			var res *http.Response
			_, res, ok = g.do(ctx, in, kindSignIn, "POST", "/login", url.Values{"email": {u.email}, "password": {soakPassword}}, ip, "", false,
				http.StatusSeeOther)
			if ok && res.Header.Get("Location") != "/" {
				g.failed.Add(1)
				ok = false
			}
		}
	}
	return ok
}

// smoke does every operation once on every instance, sign-in with the
// right password and a wrong one, and returns an error showing the
// unexpected answers if any: a soak of requests that fail measures
// nothing.
func (g *soakGen) smoke(ctx context.Context, stdout io.Writer) error {
	ok := true
	for i, in := range g.ins {
		u := &g.book.users[i%len(g.book.users)]
		for _, op := range soakMix {
			ok = g.run(ctx, op.name, u, in, false) && ok
		}
		ok = g.run(ctx, "sign-in", u, in, true) && ok
	}
	if !ok {
		g.printKinds(stdout, "  ")
		return errors.New("bench soak: the smoke pass had unexpected answers (above)")
	}
	fmt.Fprintf(stdout, "smoke: every operation answered as expected on each instance\n")
	g.reset()
	return nil
}

// closedLoop runs clients that each do one operation after another for
// du and returns the operations done and the time taken.
func (g *soakGen) closedLoop(ctx context.Context, clients int, du time.Duration) (int64, time.Duration) {
	t0 := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			// An operation started runs to its end: one cut off would
			// show in the server's log as an error.
			for ctx.Err() == nil && time.Since(t0) < du {
				g.op(ctx)
			}
		})
	}
	wg.Wait()
	return g.ops.Load(), time.Since(t0)
}

// soakAnalyzeEvery is how often the soak refreshes statistics where
// autovacuum is off: autovacuum's own default naptime. (Every 10 s, the
// soak's ANALYZE took 6 % of a core from what it measures.)
const soakAnalyzeEvery = time.Minute

// soakAutovacuumOff reports whether d is a PostgreSQL server with
// autovacuum turned off.
func soakAutovacuumOff(ctx context.Context, d *db.DB) bool {
	if d.Engine != db.Postgres {
		return false
	}
	var on string
	return d.SQL.QueryRowContext(ctx, `SHOW autovacuum`).Scan(&on) == nil && on == "off"
}

// soakAnalyze does what autovacuum's analyze would on the soak's tables
// (its schema's only: others in the database may be big): it analyzes
// each table changed since its last analysis by more rows than
// autovacuum_analyze_threshold plus autovacuum_analyze_scale_factor of its
// size, and returns how many it analyzed. (Analyzing every table every
// minute, as it did, invalidated every instance's cached plans each
// time, which autovacuum does not do to a table barely changed.)
func soakAnalyze(ctx context.Context, d *db.DB) (int, error) {
	rows, err := d.SQL.QueryContext(ctx, `SELECT quote_ident(s.relname) FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
		WHERE s.schemaname = current_schema()
		AND s.n_mod_since_analyze > current_setting('autovacuum_analyze_threshold')::float8
			+ current_setting('autovacuum_analyze_scale_factor')::float8 * greatest(c.reltuples, 0)`)
	if err != nil {
		return 0, err
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return 0, err
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(tables) == 0 {
		return 0, err
	}
	// At autovacuum's pace. Autovacuum's analyze sleeps
	// autovacuum_vacuum_cost_delay each time it has done its cost limit's
	// worth of page reads; a manual ANALYZE runs flat out (its
	// vacuum_cost_delay is 0). The soak's first one, over every table the
	// first minute grew, took half a core for 2 s of a machine already
	// 95 % busy, and 298 requests were shed around it. Most of an
	// analyze's work is computing statistics, which no delay spreads: on
	// the soak's three biggest tables the pace took it from 417 to 527 ms.
	err = d.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT set_config('vacuum_cost_delay', current_setting('autovacuum_vacuum_cost_delay'), true),
			set_config('vacuum_cost_limit', CASE WHEN current_setting('autovacuum_vacuum_cost_limit')::int > 0
				THEN current_setting('autovacuum_vacuum_cost_limit') ELSE current_setting('vacuum_cost_limit') END, true)`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `ANALYZE `+strings.Join(tables, ", "))
		return err
	})
	return len(tables), err
}

// openLoop starts rate operations a second for du on a fixed schedule,
// whatever the answers (an operation late on its schedule starts at
// once), so that queueing shows in the latencies, and waits for the
// last answers. It returns the operations started and the most an
// operation started late (the generator's own CPU starved: what the
// latencies then miss).
func (g *soakGen) openLoop(ctx context.Context, rate float64, du time.Duration) (int, time.Duration) {
	interval := time.Duration(float64(time.Second) / rate)
	var inflight atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	started := 0
	var lateMax time.Duration
	for i := 0; ctx.Err() == nil; i++ {
		at := t0.Add(time.Duration(i) * interval)
		if at.Sub(t0) >= du {
			break
		}
		if w := time.Until(at); w > 0 {
			time.Sleep(w)
		} else {
			lateMax = max(lateMax, -w)
		}
		if inflight.Load() >= soakInflightMax {
			g.dropped.Add(1)
			continue
		}
		inflight.Add(1)
		started++
		wg.Go(func() {
			defer inflight.Add(-1)
			g.op(context.WithoutCancel(ctx))
		})
	}
	wg.Wait()
	return started, lateMax
}

// pageP99 is the p99 of every page request together.
func (g *soakGen) pageP99() time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	var all []time.Duration
	for k := range soakKinds {
		if k.isPage() {
			all = append(all, g.kinds[k].latencies...)
		}
	}
	return percentile(all, 0.99)
}

// percentile sorts ls and returns its p-quantile (0 for none).
func percentile(ls []time.Duration, p float64) time.Duration {
	if len(ls) == 0 {
		return 0
	}
	slices.Sort(ls)
	return ls[min(len(ls)-1, int(p*float64(len(ls))))]
}

func (g *soakGen) printKinds(w io.Writer, indent string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	fmt.Fprintf(w, "%s%-19s %8s %9s %9s %9s  %s\n", indent, "kind", "requests", "p50", "p99", "max", "statuses")
	var pages []time.Duration
	for k := range soakKinds {
		s := &g.kinds[k]
		if k.isPage() {
			pages = append(pages, s.latencies...)
		}
		if len(s.latencies) == 0 {
			continue
		}
		var st []string
		for _, code := range slices.Sorted(maps.Keys(s.statuses)) {
			st = append(st, fmt.Sprintf("%d×%d", s.statuses[code], code))
		}
		if s.errors > 0 {
			st = append(st, fmt.Sprintf("%d×error", s.errors))
		}
		fmt.Fprintf(w, "%s%-19s %8d %9s %9s %9s  %s\n", indent, soakKindNames[k], len(s.latencies), soakMS(percentile(s.latencies, 0.5)),
			soakMS(percentile(s.latencies, 0.99)), soakMS(percentile(s.latencies, 1)), strings.Join(st, " "))
		for _, e := range s.examples {
			fmt.Fprintf(w, "%s    unexpected: %s\n", indent, e)
		}
	}
	fmt.Fprintf(w, "%s%-19s %8d %9s %9s %9s\n", indent, "all pages", len(pages), soakMS(percentile(pages, 0.5)),
		soakMS(percentile(pages, 0.99)), soakMS(percentile(pages, 1)))
}

func soakMS(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}

// soakSample is one reading of every instance's /metrics and of
// PostgreSQL's connections of the run.
type soakSample struct {
	at                    time.Duration
	heap, rss, goroutines []float64 // per instance
	poolConns             []float64 // open connections of the instance's pools
	poolMax               []float64 // the most they may open
	cpu                   []float64 // CPU seconds the instance has used
	pgConns               int       // backends of the run's instances in pg_stat_activity
	sent, fiveXX, failed  int64
	errs                  []string
}

func (s soakSample) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "t=%-6s", s.at.Round(time.Second))
	for i := range s.heap {
		fmt.Fprintf(&b, " | i%d heap %5.1f MiB rss %5.1f MiB goroutines %3.0f pool %2.0f", i+1, s.heap[i]/(1<<20), s.rss[i]/(1<<20),
			s.goroutines[i], s.poolConns[i])
	}
	fmt.Fprintf(&b, " | pg %d | sent %d 5xx %d failed %d", s.pgConns, s.sent, s.fiveXX, s.failed)
	for _, e := range s.errs {
		fmt.Fprintf(&b, " [%s]", e)
	}
	return b.String()
}

func takeSample(ctx context.Context, d *db.DB, ins []*soakInstance, run string, at time.Duration) soakSample {
	s := soakSample{at: at}
	cl := &http.Client{Timeout: 5 * time.Second}
	for _, in := range ins {
		m, err := scrapeMetrics(ctx, cl, "http://"+in.metrics+"/metrics")
		if err != nil {
			s.errs = append(s.errs, err.Error())
		}
		s.heap = append(s.heap, m["go_memstats_heap_inuse_bytes"])
		s.rss = append(s.rss, m["process_resident_memory_bytes"])
		s.goroutines = append(s.goroutines, m["go_goroutines"])
		s.poolConns = append(s.poolConns, m["carfin_db_connections"])
		s.poolMax = append(s.poolMax, m["carfin_db_connections_max"])
		s.cpu = append(s.cpu, m["process_cpu_seconds_total"])
	}
	if err := d.Read.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE $1`,
		run+"-%").Scan(&s.pgConns); err != nil {
		s.errs = append(s.errs, err.Error())
	}
	return s
}

// scrapeMetrics reads a Prometheus text page into sums by metric name
// (the series of a name added up: every pool's connections).
func scrapeMetrics(ctx context.Context, cl *http.Client, u string) (map[string]float64, error) {
	out := map[string]float64{}
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return out, err
	}
	res, err := cl.Do(req)
	if err != nil {
		return out, err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return out, fmt.Errorf("%s: %s", u, res.Status)
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		name := line[:sp]
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = name[:i]
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			continue
		}
		out[name] += v
	}
	return out, sc.Err()
}

// Growth too small to mean a leak, whatever its share: the heap between
// two collections and the connections a burst leaves open.
const (
	soakHeapSlackBytes  = 32 << 20
	soakGoroutinesSlack = 20
)

// printTrends prints each instance's heap, RSS, goroutines and pool
// connections at the start, middle and end of the run, with the slope
// of a least-squares line per minute and the floor (lowest sample) of
// an earlier third of the run and of the last, and the PostgreSQL
// connections the instances held. The floors are what a leak raises:
// the heap in use swings between collections (serve runs with a high
// GOGC) and goroutines with the requests in flight, but what is left at
// the lowest point grows only with what is retained. RSS is compared
// from the middle third, not the first: it rises to the high-water mark
// of the heap's first full cycle, which a fresh process reaches only
// after a minute or two of load, and the runtime returns pages slowly,
// so the first third's floor is a process still warming up (it made a
// flat run look +90 %). It returns the goals missed: a floor more than
// growthMax above the earlier one and by more than its slack (heap,
// RSS, goroutines), or more connections than the instances' pools may
// open.
func printTrends(w io.Writer, samples []soakSample, ins []*soakInstance, growthMax float64) []string {
	var failed []string
	if len(samples) < 3 {
		fmt.Fprintln(w, "trends: fewer than 3 samples")
		return nil
	}
	fmt.Fprintf(w, "\ntrends over %d samples (start / mid / end; least-squares slope; floor of the first (RSS: middle) and last third):\n", len(samples))
	mid := samples[len(samples)/2]
	first, last := samples[0], samples[len(samples)-1]
	third := max(1, len(samples)/3)
	var poolMax float64
	for i := range ins {
		for _, m := range []struct {
			name  string
			get   func(soakSample) float64
			scale float64
			unit  string
			slack float64 // growth below this is never a failure (0: not gated)
			from  int     // the first sample of the earlier third
		}{
			{"heap in use", func(s soakSample) float64 { return s.heap[i] }, 1 << 20, "MiB", soakHeapSlackBytes, 0},
			{"RSS", func(s soakSample) float64 { return s.rss[i] }, 1 << 20, "MiB", soakHeapSlackBytes, third},
			{"goroutines", func(s soakSample) float64 { return s.goroutines[i] }, 1, "", soakGoroutinesSlack, 0},
			{"pool connections", func(s soakSample) float64 { return s.poolConns[i] }, 1, "", 0, 0},
		} {
			var xs, ys []float64
			head, tail := math.Inf(1), math.Inf(1)
			for k, s := range samples {
				xs, ys = append(xs, s.at.Minutes()), append(ys, m.get(s))
				if k >= m.from && k < m.from+third {
					head = min(head, m.get(s))
				}
				if k >= len(samples)-third {
					tail = min(tail, m.get(s))
				}
			}
			growth := 0.0
			if head > 0 {
				growth = tail/head - 1
			}
			fmt.Fprintf(w, "  i%d %-16s %7.1f / %7.1f / %7.1f %-3s slope %+7.2f %s/min; floor %7.1f -> %7.1f (%+.1f %%)\n", i+1, m.name,
				m.get(first)/m.scale, m.get(mid)/m.scale, m.get(last)/m.scale, m.unit, slope(xs, ys)/m.scale, m.unit, head/m.scale,
				tail/m.scale, 100*growth)
			if m.slack > 0 && growth > growthMax && tail-head > m.slack {
				failed = append(failed, fmt.Sprintf("instance %d %s floor grew %.0f %% (tolerance %.0f %%)", i+1, m.name, 100*growth, 100*growthMax))
			}
		}
		var most float64
		for _, s := range samples {
			most = max(most, s.poolConns[i])
		}
		fmt.Fprintf(w, "  i%d pool connections max %.0f of the pools' %.0f\n", i+1, most, last.poolMax[i])
		if most > last.poolMax[i] {
			failed = append(failed, fmt.Sprintf("instance %d held %.0f connections, its pools' limit %.0f", i+1, most, last.poolMax[i]))
		}
		poolMax += last.poolMax[i]
	}
	for i := range ins {
		fmt.Fprintf(w, "  i%d CPU %.2f cores on average\n", i+1, (last.cpu[i]-first.cpu[i])/(last.at-first.at).Seconds())
	}
	pgMax := 0
	for _, s := range samples {
		pgMax = max(pgMax, s.pgConns)
	}
	fmt.Fprintf(w, "  PostgreSQL backends of the instances (pg_stat_activity): start %d, mid %d, end %d, max %d of the pools' %.0f\n",
		first.pgConns, mid.pgConns, last.pgConns, pgMax, poolMax)
	if float64(pgMax) > poolMax {
		failed = append(failed, fmt.Sprintf("%d PostgreSQL connections, the pools' limit %.0f", pgMax, poolMax))
	}
	return failed
}

// slope is the least-squares slope of ys over xs.
func slope(xs, ys []float64) float64 {
	n := float64(len(xs))
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx, sy, sxx, sxy = sx+xs[i], sy+ys[i], sxx+xs[i]*xs[i], sxy+xs[i]*ys[i]
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / den
}

// machineCPU is the machine's CPU time from /proc/stat's first line, in
// clock ticks: busy (everything but idle and iowait) and in all, and the
// number of CPUs. The soak prints the share busy and the CPU an operation
// took in each phase, the instances, PostgreSQL and the generator
// together: what an open loop at --load of the closed-loop capacity
// really asks of the machine. Zero where /proc/stat is not Linux's.
type machineCPU struct {
	busy, total uint64
	cpus        int
}

func readMachineCPU() machineCPU {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineCPU{}
	}
	return parseMachineCPU(string(b))
}

// parseMachineCPU reads the aggregate "cpu" line (user nice system idle
// iowait irq softirq steal …) and counts the "cpuN" lines.
func parseMachineCPU(stat string) machineCPU {
	var m machineCPU
	for line := range strings.Lines(stat) {
		f := strings.Fields(line)
		switch {
		case len(f) > 5 && f[0] == "cpu":
			for i, v := range f[1:] {
				if i >= 8 { // guest time is counted in user already
					break
				}
				n, err := strconv.ParseUint(v, 10, 64)
				if err != nil {
					return machineCPU{}
				}
				m.total += n
				if i != 3 && i != 4 { // idle, iowait
					m.busy += n
				}
			}
		case len(f) > 0 && strings.HasPrefix(f[0], "cpu"):
			m.cpus++
		}
	}
	return m
}

// since describes the CPU used from m0 to m: the share busy, and the CPU
// time (busy share × CPUs × wall time) an operation took.
func (m machineCPU) since(m0 machineCPU, ops int64, wall time.Duration) string {
	if m.cpus == 0 || m.total <= m0.total || ops <= 0 {
		return "machine CPU unknown"
	}
	busy := float64(m.busy-m0.busy) / float64(m.total-m0.total)
	perOp := time.Duration(busy * float64(m.cpus) * float64(wall) / float64(ops))
	return fmt.Sprintf("machine CPU %.0f %% busy, %s an operation", 100*busy, perOp.Round(10*time.Microsecond))
}

func soakLoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}
