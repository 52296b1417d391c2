package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/identity"
	"carfin/money"
	"carfin/servicing"
)

// BenchmarkDashboard measures issue 5's speed goal: the signed-in
// dashboard on one server core, over PostgreSQL, with a book of 100,000
// contracts (goal ≥ 2,500 pages/s, p99 < 25 ms at 70 % of that rate,
// pages under 30 KB).
//
// The server is a separate `carfin serve` process, pinned to CPU 0 with
// GOMAXPROCS=1 (taskset), so that the figure is one core's; the load
// generator (vegeta, in this process) should run on the other core:
//
//	CARFIN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  taskset -c 1 go test ./cmd/carfin -run '^$' -bench Dashboard -benchtime 3x -timeout 60m
//
// Each round measures the maximum rate (closed loop: 32 clients asking as
// fast as answers come) and then the latency of an open-loop attack at
// 70 % of it (requests sent on a fixed schedule whatever the answers, so
// that queueing shows in the percentiles). The book is loaded once per
// schema: set CARFIN_BENCH_DB to a DSN to keep and reuse one
// (CARFIN_BENCH_CONTRACTS changes its size). PostgreSQL itself is not
// pinned: it shares the machine with the generator.
func BenchmarkDashboard(b *testing.B) {
	dsn, d, _ := benchBook(b, 100_000)
	tokens := benchSessions(b, d, 2000)
	base, pid := startChildServer(b, dsn)
	targets := dashboardTargets(tokens, base)
	// Every session sees its own dashboard; note the largest page.
	var pageMax int
	for i := 0; i < len(tokens); i += len(tokens) / 20 {
		req, _ := http.NewRequest("GET", base+"/", nil)
		req.Header = targets[i].Header
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(body), "Welcome, Bench") || !strings.Contains(string(body), "Amount due") {
			b.Fatalf("dashboard: %d at %s\n%.500s", res.StatusCode, res.Request.URL, body)
		}
		pageMax = max(pageMax, len(body))
	}
	if pageMax > 30<<10 {
		b.Errorf("a dashboard is %d bytes, over 30 KB", pageMax)
	}
	tr := vegeta.NewStaticTargeter(targets...)
	attackMax(tr, 5*time.Second, 32) // warm up caches and connections

	var maxes, p50s, p99s, oks, cpus []float64
	for i := range b.N {
		b.Logf("load average before the round: %s", loadAvg())
		cpu0, pg0, self0 := cpuSeconds(pid), postgresCPU(), cpuSeconds(os.Getpid())
		wait := func() {}
		if i == 0 {
			wait = profileChild(b, base, 8)
		}
		rate, secs := attackMax(tr, 10*time.Second, 32)
		wait()
		cpu := (cpuSeconds(pid) - cpu0) / secs
		b.Logf("CPU per page at the maximum: server %.0f µs, PostgreSQL %.0f µs, load generator %.0f µs",
			1e6*cpu/rate, 1e6*(postgresCPU()-pg0)/secs/rate, 1e6*(cpuSeconds(os.Getpid())-self0)/secs/rate)
		l := attack(tr, 0.7*rate, 20*time.Second)
		b.Logf("max %.0f pages/s (server CPU %.0f %% of a core); at %.0f/s open loop: p50 %s, p99 %s, max %s, success %.4f",
			rate, 100*cpu, 0.7*rate, l.Latencies.P50.Round(time.Microsecond),
			l.Latencies.P99.Round(time.Microsecond), l.Latencies.Max.Round(time.Microsecond), l.Success)
		if l.Success < 1 {
			// Which: the shedder's fast 503s, or timeouts.
			b.Logf("  status codes %v; errors %q", l.StatusCodes, l.Errors)
		}
		maxes, p50s, p99s = append(maxes, rate), append(p50s, ms(l.Latencies.P50)), append(p99s, ms(l.Latencies.P99))
		oks, cpus = append(oks, l.Success), append(cpus, cpu)
	}
	if rate, ok := wrkDashboard(b, base, tokens); ok {
		b.ReportMetric(rate, "pages/s-wrk")
	}
	b.ReportMetric(median(maxes), "pages/s")
	b.ReportMetric(median(p50s), "p50-ms@70%")
	b.ReportMetric(median(p99s), "p99-ms@70%")
	b.ReportMetric(median(oks), "success@70%")
	b.ReportMetric(median(cpus), "server-cores")
	b.ReportMetric(float64(pageMax), "page-bytes")
}

// BenchmarkDashboardInstances: the dashboard's maximum rate (closed loop,
// as BenchmarkDashboard) from one `carfin serve` and from two on the same
// PostgreSQL book, each GOMAXPROCS=1 and neither pinned, the load
// generator alternating between them; and where the CPU went. Issue 15
// wants two instances at 1.6 times one where the machine has the cores:
// on 2 cores, the instances, PostgreSQL and the generator share them, so
// the split says what the machine allows.
//
//	CARFIN_TEST_POSTGRES_URL=… go test ./cmd/carfin -run '^$' -bench DashboardInstances -benchtime 3x -timeout 60m
func BenchmarkDashboardInstances(b *testing.B) {
	dsn, d, _ := benchBook(b, 100_000)
	tokens := benchSessions(b, d, 2000)
	var bases []string
	var pids []int
	for range 2 {
		base, pid := startChildServerOn(b, dsn, "")
		bases, pids = append(bases, base), append(pids, pid)
	}
	one := vegeta.NewStaticTargeter(dashboardTargets(tokens, bases[0])...)
	two := vegeta.NewStaticTargeter(dashboardTargets(tokens, bases...)...)
	attackMax(two, 5*time.Second, 32) // warm both
	var ratios, ones, twos []float64
	for range b.N {
		var rates [2]float64
		for i, tr := range []vegeta.Targeter{one, two} {
			srv0 := []float64{cpuSeconds(pids[0]), cpuSeconds(pids[1])}
			pg0, self0 := postgresCPU(), cpuSeconds(os.Getpid())
			rate, secs := attackMax(tr, 10*time.Second, 32)
			rates[i] = rate
			b.Logf("%d instance(s): %.0f pages/s; CPU in cores: instances %.2f + %.2f, PostgreSQL %.2f, load generator %.2f; load average %s",
				i+1, rate, (cpuSeconds(pids[0])-srv0[0])/secs, (cpuSeconds(pids[1])-srv0[1])/secs,
				(postgresCPU()-pg0)/secs, (cpuSeconds(os.Getpid())-self0)/secs, loadAvg())
		}
		ones, twos, ratios = append(ones, rates[0]), append(twos, rates[1]), append(ratios, rates[1]/rates[0])
	}
	b.ReportMetric(median(ones), "pages/s-1")
	b.ReportMetric(median(twos), "pages/s-2")
	b.ReportMetric(median(ratios), "two/one")
}

// benchBook opens the benchmark's PostgreSQL book ($CARFIN_BENCH_DB, kept
// between runs, or a fresh schema), migrated and loaded with
// $CARFIN_BENCH_CONTRACTS contracts (contracts by default), closed through
// yesterday, and its size; the database closes with the benchmark.
func benchBook(b *testing.B, contracts int) (string, *db.DB, int) {
	ctx := context.Background()
	dsn := os.Getenv("CARFIN_BENCH_DB")
	if dsn == "" {
		dsn = dbtest.PostgresDSN(b)
	}
	d, err := db.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = d.Close() })
	if d.Engine != db.Postgres {
		b.Skip("the portal's speed goals are for PostgreSQL")
	}
	if err := d.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	if v, err := strconv.Atoi(os.Getenv("CARFIN_BENCH_CONTRACTS")); err == nil && v > 0 {
		contracts = v
	}
	cutoff, _ := calendar.ParseCutoff("17:00", "America/New_York")
	loadPortalBook(b, d, servicing.New(d, cutoff.Today), contracts, cutoff.Today(time.Now()))
	return dsn, d, contracts
}

// dashboardTargets asks for the dashboard of each session, the sessions
// spread over bases in turn.
func dashboardTargets(tokens []string, bases ...string) []vegeta.Target {
	targets := make([]vegeta.Target, len(tokens))
	for i, tok := range tokens {
		targets[i] = vegeta.Target{Method: "GET", URL: bases[i%len(bases)] + "/", Header: http.Header{"Cookie": {"carfin_session=" + tok}}}
	}
	return targets
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// attack runs vegeta open loop for du: requests leave at rate per second
// whatever the answers (workers grow as needed), and every latency counts.
func attack(tr vegeta.Targeter, rate float64, du time.Duration) *vegeta.Metrics {
	a := vegeta.NewAttacker(vegeta.KeepAlive(true), vegeta.Timeout(10*time.Second), vegeta.MaxBody(64<<10),
		vegeta.Workers(32), vegeta.MaxWorkers(4096), vegeta.Connections(4096))
	var m vegeta.Metrics
	for res := range a.Attack(tr, vegeta.Rate{Freq: int(rate), Per: time.Second}, du, "dashboard") {
		m.Add(res)
	}
	m.Close()
	return &m
}

// attackMax runs vegeta closed loop for du (clients ask as fast as the
// answers come) and returns the successful pages per second and the
// seconds it ran. It only counts: the generator shares a core with
// PostgreSQL, and latency statistics would take cycles from it.
func attackMax(tr vegeta.Targeter, du time.Duration, clients uint64) (float64, float64) {
	a := vegeta.NewAttacker(vegeta.KeepAlive(true), vegeta.Timeout(10*time.Second), vegeta.MaxBody(64<<10),
		vegeta.Workers(clients), vegeta.MaxWorkers(clients), vegeta.Connections(int(clients)))
	start := time.Now()
	ok := 0
	for res := range a.Attack(tr, vegeta.Rate{}, du, "dashboard-max") {
		if res.Code == http.StatusOK {
			ok++
		}
	}
	secs := time.Since(start).Seconds()
	return float64(ok) / secs, secs
}

func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.TrimSpace(string(b))
}

// cpuSeconds is the user+system CPU time a process has used.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ
}

// postgresCPU is the CPU time of every postgres process on the machine
// (the benchmark's backends and the server's own), to tell where a page's
// time goes.
func postgresCPU() float64 {
	var total float64
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); strings.HasPrefix(string(comm), "postgres") {
			total += cpuSeconds(pid)
		}
	}
	return total
}

// loadPortalBook fills d with n contracts as the portal meets them: four
// customers in five hold one loan, the fifth a loan and a lease; signed
// over the last two years; every installment due so far paid on its due
// date (a few late), then day close to yesterday. A book already there is
// kept.
func loadPortalBook(b *testing.B, d *db.DB, sv *servicing.Service, n int, today calendar.Date) {
	ctx := context.Background()
	var have int
	if err := d.Read.QueryRowContext(ctx, `SELECT count(*) FROM contracts WHERE account_number LIKE 'PB-%'`).Scan(&have); err != nil {
		b.Fatal(err)
	}
	if have >= n {
		return
	}
	if have > 0 {
		b.Fatalf("the bench schema holds a partial book (%d of %d contracts): drop it", have, n)
	}
	t0 := time.Now()
	rng := rand.New(rand.NewPCG(2026, 5))
	const chunk = 5000 // contracts per import
	type due struct {
		id      int64
		date    calendar.Date
		payment money.Cents
	}
	var dues [][]due // by installment number
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		var custs []servicing.NewCustomer
		for i := start; i < end; i += 5 {
			for k := range 4 {
				custs = append(custs, servicing.NewCustomer{FirstName: "Bench", LastName: fmt.Sprint("Customer", i+k),
					Email: fmt.Sprintf("pb%d@example.com", i+k), AddressLine1: "1 Bench Way", City: "Testville", State: "OH",
					ZIP: "43004", BirthDate: calendar.New(1980, 1, 1), SSNLast4: "0000"})
			}
		}
		custIDs, err := sv.CreateCustomers(ctx, custs)
		if err != nil {
			b.Fatal(err)
		}
		var ncs []servicing.NewContract
		for i := start; i < end; i++ {
			group, k := (i-start)/5, (i-start)%5
			cust := custIDs[min(group*4+k, group*4+3)] // the fifth contract is the fourth customer's lease
			signed := today.AddDays(-30 - rng.IntN(700))
			nc := servicing.NewContract{AccountNumber: fmt.Sprintf("PB-%08d", i+1), CustomerID: cust,
				VIN: servicing.WithCheckDigit(fmt.Sprintf("2PBNC0000%08d", i+1)), VehicleYear: 2022 + rng.IntN(4), Make: "Bench",
				Model: "Sedan", Kind: servicing.KindLoan, AmountFinancedCents: money.Cents(10000_00 + rng.Int64N(35000_00)),
				APR: money.Rate(rng.Int64N(15 * money.RateScale)), TermMonths: []int{36, 48, 60, 72}[rng.IntN(4)],
				ContractDate: signed, FirstDue: signed.AddMonths(1), GraceDays: 10,
				LateFee: servicing.LateFeeRule{Kind: "fixed", FixedCents: 25_00}, NSFFeeCents: 25_00}
			if k == 4 {
				gross := money.Cents(30000_00 + rng.Int64N(15000_00))
				nc.Kind, nc.AmountFinancedCents, nc.APR, nc.TermMonths, nc.Model = servicing.KindLease, 0, 0, 36, "Crossover"
				nc.Lease = &servicing.NewLease{GrossCapCostCents: gross, CapCostReductionCents: 2500_00, ResidualCents: gross.Percent(money.MustParseRate("55")),
					MoneyFactor: money.MoneyFactor(150000), TaxRate: money.MustParseRate("6.25"), MileageAllowance: 36000,
					ExcessMileRateCents: 25, PurchaseOptionCents: gross.Percent(money.MustParseRate("55")), PurchaseFeeCents: 350_00,
					DispositionFeeCents: 395_00, OdometerStart: 10}
			}
			ncs = append(ncs, nc)
		}
		ids, err := sv.OpenContracts(ctx, ncs)
		if err != nil {
			b.Fatal(err)
		}
		rows, err := d.Read.QueryContext(ctx, `SELECT c.id, i.number, i.due_date, i.amount_cents FROM installments i
			JOIN contracts c ON c.id = i.contract_id WHERE c.id BETWEEN $1 AND $2 AND i.due_date < $3`, ids[0], ids[len(ids)-1], today)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			var x due
			var num int
			if err := rows.Scan(&x.id, &num, &x.date, &x.payment); err != nil {
				b.Fatal(err)
			}
			for len(dues) < num {
				dues = append(dues, nil)
			}
			if x.id%23 != 0 || num < 3 { // one contract in 23 stopped paying after two payments
				dues[num-1] = append(dues[num-1], x)
			}
		}
		rows.Close()
	}
	b.Logf("opened %d contracts in %s", n, time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	posted := 0
	for num, ds := range dues { // installment by installment, so each contract's payments come in date order
		for start := 0; start < len(ds); start += servicing.PaymentBatchMax * 4 {
			var reqs []servicing.PaymentRequest
			for _, x := range ds[start:min(start+servicing.PaymentBatchMax*4, len(ds))] {
				reqs = append(reqs, servicing.PaymentRequest{AmountCents: x.payment, Request: servicing.Request{ContractID: x.id,
					Date: x.date, IdempotencyKey: fmt.Sprintf("pb:%d:%d", x.id, num+1), Actor: "bench"}})
			}
			res, err := sv.PostPayments(ctx, reqs)
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range res {
				if r.Err != nil {
					b.Fatalf("payment: %v", r.Err)
				}
			}
			posted += len(reqs)
		}
	}
	b.Logf("posted %d payments in %s", posted, time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	if _, err := sv.DayClose(ctx, today-1); err != nil {
		b.Fatal(err)
	}
	b.Logf("day close to %s in %s", today-1, time.Since(t0).Round(time.Millisecond))
	// Fresh statistics, as autovacuum would gather them (it may be off, as
	// on the CI machines): without them the planner guesses its way into
	// scanning every open contract for one customer's dashboard.
	t0 = time.Now()
	if _, err := d.SQL.ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Logf("analyzed in %s", time.Since(t0).Round(time.Millisecond))
}

// benchSessions gives n customers of the book a login (a cheap hash: the
// benchmark is not about argon2) and signs each in once, returning the
// session tokens.
func benchSessions(b *testing.B, d *db.DB, n int) []string {
	ctx := context.Background()
	id, err := identity.New(identity.Config{DB: d, Params: cheapParams, BaseURL: "http://localhost"})
	if err != nil {
		b.Fatal(err)
	}
	rows, err := d.Read.QueryContext(ctx, `SELECT c.id, c.email FROM customers c WHERE c.email LIKE 'pb%' ORDER BY c.id LIMIT $1`, n)
	if err != nil {
		b.Fatal(err)
	}
	type cust struct {
		id    int64
		email string
	}
	var cs []cust
	for rows.Next() {
		var c cust
		_ = rows.Scan(&c.id, &c.email)
		cs = append(cs, c)
	}
	rows.Close()
	tokens := make([]string, 0, len(cs))
	for i, c := range cs {
		var has int
		_ = d.Read.QueryRowContext(ctx, `SELECT count(*) FROM logins WHERE customer_id = $1`, c.id).Scan(&has)
		if has == 0 {
			if _, err := id.CreateCustomerLogin(ctx, c.id, testPassword); err != nil {
				b.Fatal(err)
			}
		}
		res, err := id.PasswordLogin(ctx, identity.Customer, c.email, testPassword, "", identity.Client{
			IP: fmt.Sprintf("10.%d.%d.1", i/250, i%250), UserAgent: "bench", Device: fmt.Sprintf("bench-device-%032d", i), Lang: "en"})
		if err != nil || res.NeedSecondFactor {
			b.Fatalf("sign-in of %s: %v", c.email, err)
		}
		tokens = append(tokens, res.Session.Token)
	}
	rand.Shuffle(len(tokens), func(i, j int) { tokens[i], tokens[j] = tokens[j], tokens[i] })
	return tokens
}

var listeningRE = regexp.MustCompile(`listening on (http://\S+)`)

// startChildServer builds carfin and runs `carfin serve` on dsn as its own
// process, on CPU 0 with GOMAXPROCS=1 when taskset is there, and returns
// its base URL and pid.
func startChildServer(b *testing.B, dsn string) (string, int) {
	return startChildServerOn(b, dsn, "0")
}

// startChildServerOn is startChildServer pinned to the CPUs of cpus (a
// taskset list; "" for none).
func startChildServerOn(b *testing.B, dsn, cpus string) (string, int) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "carfin")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	args := []string{bin, "serve", "--db", dsn, "--addr", "127.0.0.1:0", "--jobs=false"}
	if cpus != "" {
		if path, err := exec.LookPath("taskset"); err == nil {
			args = append([]string{path, "-c", cpus}, args...)
		} else {
			b.Log("taskset not found: the server is not pinned to one CPU")
		}
	}
	metricsAddr := "off"
	if os.Getenv("CARFIN_BENCH_CPUPROFILE") != "" {
		metricsAddr = freeAddr(b)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1", "CARFIN_JOBS=false", "CARFIN_METRICS_ADDR="+metricsAddr)
	for k, v := range demoIdentity { // the bench's lender is the demo's
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		// Then only drain the request log, as cheaply as a log shipper would.
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case base := <-found:
		// The portal's own address: on loopback, serve answers another
		// spelling of it (127.0.0.1) with a redirect to it, and a client
		// does not carry the session cookie across that.
		childMetrics.Store(base, metricsAddr)
		return base, cmd.Process.Pid
	case <-time.After(60 * time.Second):
		b.Fatal("carfin serve did not start in 60 s")
	}
	return "", 0
}

// childMetrics maps a child server's base URL to its metrics listener
// ("off" unless CARFIN_BENCH_CPUPROFILE is set).
var childMetrics sync.Map

// freeAddr is a loopback address with a port free a moment ago.
func freeAddr(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// profileChild, when CARFIN_BENCH_CPUPROFILE names a file, records the
// child server at base's CPU profile for secs seconds from its metrics
// listener (/debug/pprof/profile) into that file, in the background; the
// returned func waits for it. Read it with `go tool pprof -top FILE`.
func profileChild(b *testing.B, base string, secs int) (wait func()) {
	file := os.Getenv("CARFIN_BENCH_CPUPROFILE")
	addr, _ := childMetrics.Load(base)
	if file == "" || addr == nil || addr == "off" {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs))
		if err != nil {
			b.Errorf("profile: %v", err)
			return
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			b.Errorf("profile: %d %s", res.StatusCode, body)
			return
		}
		if err := os.WriteFile(file, body, 0o644); err != nil {
			b.Error(err)
		}
	}()
	return func() { <-done }
}

// wrkDashboard measures the dashboard's maximum rate the way
// ../shared/perfprobe measures its bare dashboard, so that the two compare
// like for like: wrk (one thread, 16 connections, 10 s) pinned to CPU 1,
// each request with one of the sessions' cookies at random. It reports
// false when wrk or taskset is not installed (Debian's wrk package).
func wrkDashboard(b *testing.B, base string, tokens []string) (float64, bool) {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		b.Log("wrk not installed: no like-for-like figure against the probe")
		return 0, false
	}
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		return 0, false
	}
	var lua strings.Builder
	lua.WriteString("local tokens = {\n")
	for _, t := range tokens {
		fmt.Fprintf(&lua, "%q,\n", t)
	}
	lua.WriteString("}\nrequest = function()\n  return wrk.format(\"GET\", \"/\", {[\"Cookie\"] = \"carfin_session=\" .. tokens[math.random(#tokens)]})\nend\n")
	script := filepath.Join(b.TempDir(), "dash.lua")
	if err := os.WriteFile(script, []byte(lua.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	var rates []float64
	for range 3 {
		out, err := exec.Command(taskset, "-c", "1", wrk, "-t1", "-c16", "-d10s", "--latency", "-s", script, base).CombinedOutput()
		if err != nil {
			b.Fatalf("wrk: %v\n%s", err, out)
		}
		if strings.Contains(string(out), "Non-2xx") {
			b.Fatalf("wrk: some dashboards failed\n%s", out)
		}
		m := regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`).FindStringSubmatch(string(out))
		if m == nil {
			b.Fatalf("wrk: no rate in\n%s", out)
		}
		rate, _ := strconv.ParseFloat(m[1], 64)
		p99 := regexp.MustCompile(`(?m)^\s+99%\s+(\S+)`).FindStringSubmatch(string(out))
		b.Logf("wrk -t1 -c16 -d10s: %.0f pages/s, p99 %s", rate, p99[1:])
		rates = append(rates, rate)
	}
	return median(rates), true
}
