package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/identity"
	"carfin/jobs"
	"carfin/ledger"
	"carfin/money"
	"carfin/servicing"
)

// Outages (issue 15): the database goes away under load and comes back.

// Limits of the outage test.
const (
	// outageDown is how long PostgreSQL stays stopped.
	outageDown = 2 * time.Second
	// outageRecoverMax is how soon every instance must be ready again
	// once PostgreSQL takes connections.
	outageRecoverMax = 10 * time.Second
	// outagePause is what a load worker waits between requests, so that
	// the load leaves the machine's other tests some CPU.
	outagePause = 20 * time.Millisecond
)

// outageLog collects what the load saw: answers by status, and every
// answer the outage rules forbid.
type outageLog struct {
	mu       sync.Mutex
	statuses map[int]int
	bad      []string
}

// note records one answer. During an outage a request may answer as
// usual (it did not need the database, or came before or after) or 503
// with Retry-After; never a 500, another 5xx, an error page with a stack,
// or a dropped connection.
func (l *outageLog) note(what string, status int, header http.Header, body string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.bad = append(l.bad, fmt.Sprintf("%s: %v", what, err))
		return
	}
	l.statuses[status]++
	switch {
	case status >= 500 && status != http.StatusServiceUnavailable:
		l.bad = append(l.bad, fmt.Sprintf("%s: %d\n%s", what, status, clip(body)))
	case status == http.StatusServiceUnavailable && header.Get("Retry-After") == "":
		l.bad = append(l.bad, fmt.Sprintf("%s: 503 without Retry-After", what))
	case strings.Contains(body, "goroutine ") || strings.Contains(body, "panic") || strings.Contains(body, "SQLSTATE"):
		l.bad = append(l.bad, fmt.Sprintf("%s: %d with internals\n%s", what, status, clip(body)))
	}
}

// outageKey is a client-made idempotency key, as a review page makes.
func outageKey() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// TestPostgresRestartUnderLoad runs two `carfin serve` processes, the
// jobs in both, on a PostgreSQL cluster of the test's own, and restarts
// PostgreSQL (pg_ctl stop -m fast, then start) while customers change
// their address and pay. It shows:
//   - during the outage each instance's /readyz answers 503, and pages
//     and forms answer 503 with Retry-After: no 500, no stack, no
//     refused connection;
//   - when PostgreSQL is back, every instance is ready again within
//     seconds, by itself (the pools reconnect);
//   - nothing acknowledged is lost: every payment confirmed to the
//     customer is in the database, each once (a form sent again after a
//     503 with its idempotency key makes no second payment), and the
//     address is the last one acknowledged or a later attempt;
//   - River in the processes survives: a job inserted after the outage
//     runs, and `check` finds the book consistent.
func TestPostgresRestartUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster and two servers")
	}
	cluster := dbtest.PrivateCluster(t)
	dsn := cluster.DSN()
	ctx := context.Background()
	today := calendar.Of(time.Now().In(newYork))
	d, err := openDB(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	killBook(t, d, today) // k0…k39@example.com
	env := newPayEnv(t)

	// Four customers: two change their address, two pay from a
	// confirmed bank account.
	ident, err := identity.New(identity.Config{DB: d, Params: cheapParams, BaseURL: "http://localhost"})
	if err != nil {
		t.Fatal(err)
	}
	pay := env.paymentsFor(t, d)
	type customer struct {
		id, loan, method int64
		email            string
	}
	custs := make([]customer, 4)
	for i := range custs {
		c := &custs[i]
		c.email = fmt.Sprintf("k%d@example.com", i)
		if err := d.Read.QueryRow(`SELECT c.id, k.id FROM customers c JOIN contracts k ON k.customer_id = c.id WHERE c.email = $1`,
			c.email).Scan(&c.id, &c.loan); err != nil {
			t.Fatal(err)
		}
		if _, err := ident.CreateCustomerLogin(ctx, c.id, testPassword); err != nil {
			t.Fatal(err)
		}
	}
	for i, id := range confirmedBanks(t, pay, d, custs[2].id, custs[3].id) {
		custs[2+i].method = id
	}

	var ins []*instance
	for range 2 {
		port := freePort(t)
		ins = append(ins, startInstance(t, env, port, "--db", dsn, "--base-url", fmt.Sprintf("http://localhost:%d", port),
			"--metrics-addr", "off", "--jobs=true"))
	}

	// Each customer signs in on one instance; their requests then go to
	// both, without following redirects: a form's 303 is its answer.
	log := &outageLog{statuses: map[int]int{}}
	clients := make([]*http.Client, len(custs))
	for i, c := range custs {
		jar, _ := cookiejar.New(nil)
		at(t, ins[i%2].base, &http.Client{Jar: jar, Timeout: 30 * time.Second}, "").mustSignIn(c.email, testPassword)
		clients[i] = &http.Client{Jar: jar, Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	send := func(c *http.Client, base, method, path string, form url.Values) (int, http.Header, string, error) {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequest(method, base+path, body)
		if err != nil {
			return 0, nil, "", err
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		res, err := c.Do(req)
		if err != nil {
			return 0, nil, "", err
		}
		defer res.Body.Close()
		raw, err := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, string(raw), err
	}

	var stop atomic.Bool
	var wg sync.WaitGroup
	// lastAddress[i]: the attempt number of customer i's last address
	// acknowledged (303), -1 for none.
	lastAddress := []int{-1, -1}
	// paid[i]: customer i's payments confirmed to them, by amount in
	// cents: the confirmation number.
	paid := []map[int64]string{{}, {}}
	for i := range 2 {
		wg.Go(func() {
			for n := 0; !stop.Load(); n++ {
				base := ins[n%2].base
				form := url.Values{"line1": {fmt.Sprintf("%d Outage Ave", n)}, "line2": {""}, "city": {"Austin"}, "state": {"TX"}, "zip": {"73301"}}
				status, h, body, err := send(clients[i], base, "POST", "/profile/address", form)
				log.note("POST /profile/address", status, h, body, err)
				if status == http.StatusSeeOther {
					lastAddress[i] = n
				}
				// The idle-warning script's question, answered in JSON.
				status, h, body, err = send(clients[i], base, "GET", "/session/remaining", nil)
				log.note("GET /session/remaining", status, h, body, err)
				status, h, body, err = send(clients[i], base, "GET", "/", nil)
				log.note("GET /", status, h, body, err)
				if status == http.StatusOK && !strings.Contains(body, "Welcome,") {
					log.note("GET /", 0, nil, "", fmt.Errorf("200 without the dashboard:\n%s", clip(body)))
				}
				time.Sleep(outagePause)
			}
		})
	}
	payDate := calendar.OnOrAfterBusinessDay(today + 3).String()
	for i := range 2 {
		c := custs[2+i]
		path := "/contracts/" + itoa(c.loan) + "/pay"
		wg.Go(func() {
			for n := 0; !stop.Load(); n++ {
				cents := int64(10_00 + n)
				form := url.Values{"amount": {"other"}, "other": {fmt.Sprintf("%d.%02d", cents/100, cents%100)},
					"method": {itoa(c.method)}, "date": {payDate}, "key": {outageKey()}}
				// A 503 is answered by sending the same form again, key
				// and all, as a customer would: one payment at most.
				for try := 0; ; try++ {
					status, h, body, err := send(clients[2+i], ins[(n+try)%2].base, "POST", path, form)
					log.note("POST "+path, status, h, body, err)
					if status == http.StatusSeeOther {
						m := confRE.FindStringSubmatch(h.Get("Location"))
						if m == nil {
							log.note("POST "+path, 0, nil, "", fmt.Errorf("303 to %q", h.Get("Location")))
							break
						}
						paid[i][cents] = m[1]
						break
					}
					if status != http.StatusServiceUnavailable {
						if err == nil {
							log.note("POST "+path, 0, nil, "", fmt.Errorf("answered %d\n%s", status, clip(body)))
						}
						break
					}
					if try > 200 {
						log.note("POST "+path, 0, nil, "", fmt.Errorf("still 503 after %d tries", try))
						break
					}
					time.Sleep(4 * outagePause)
				}
				time.Sleep(outagePause)
			}
		})
	}
	// Sign-ins with the right password, each in a new browser, on both
	// instances: 303 (signed in) or, during the outage, 503; a 429 would
	// blame the customer for the outage (the limits fail closed).
	wg.Go(func() {
		for n := 0; !stop.Load(); n++ {
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar, Timeout: 30 * time.Second,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			status, h, body, err := send(c, ins[n%2].base, "POST", "/login",
				url.Values{"email": {custs[0].email}, "password": {testPassword}})
			log.note("POST /login", status, h, body, err)
			if err == nil && status != http.StatusSeeOther && status != http.StatusServiceUnavailable {
				log.note("POST /login", 0, nil, "", fmt.Errorf("answered %d, want 303 or 503\n%s", status, clip(body)))
			}
			time.Sleep(outagePause)
		}
	})
	// Readiness, as a proxy polls it: every answer by instance.
	var readyMu sync.Mutex
	readySeen := make([]map[int]int, len(ins))
	lastReady := make([]int, len(ins))
	for i, in := range ins {
		readySeen[i] = map[int]int{}
		wg.Go(func() {
			c := &http.Client{Timeout: 5 * time.Second}
			for !stop.Load() {
				status, _, _, err := send(c, in.base, "GET", "/readyz", nil)
				if err != nil {
					log.note("GET /readyz", 0, nil, "", err)
				}
				readyMu.Lock()
				readySeen[i][status]++
				lastReady[i] = status
				readyMu.Unlock()
				time.Sleep(50 * time.Millisecond)
			}
		})
	}

	time.Sleep(2 * time.Second) // load before the outage
	t0 := time.Now()
	cluster.Stop()
	t.Logf("PostgreSQL stopped (fast) in %s", time.Since(t0).Round(time.Millisecond))
	time.Sleep(outageDown)
	readyMu.Lock()
	for i := range ins {
		if lastReady[i] != http.StatusServiceUnavailable {
			t.Errorf("instance %d: /readyz answers %d with PostgreSQL stopped %s, want 503", i, lastReady[i], outageDown)
		}
	}
	readyMu.Unlock()
	t0 = time.Now()
	cluster.Start()
	started := time.Now()
	t.Logf("PostgreSQL started in %s", started.Sub(t0).Round(time.Millisecond))
	var recovered time.Duration
	for {
		readyMu.Lock()
		all := true
		for i := range ins {
			all = all && lastReady[i] == http.StatusOK
		}
		readyMu.Unlock()
		if all {
			recovered = time.Since(started)
			break
		}
		if time.Since(started) > outageRecoverMax {
			stop.Store(true)
			wg.Wait()
			t.Fatalf("instances not ready %s after PostgreSQL came back: %v\n%s\n%s", outageRecoverMax, lastReady, ins[0].out, ins[1].out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("every instance ready %s after PostgreSQL took connections", recovered.Round(time.Millisecond))
	time.Sleep(2 * time.Second) // load after the outage
	stop.Store(true)
	wg.Wait()

	t.Logf("answers under load: %v; /readyz: %v", log.statuses, readySeen)
	for _, b := range log.bad {
		t.Error(b)
	}
	if log.statuses[http.StatusServiceUnavailable] == 0 {
		t.Error("no request answered 503 while PostgreSQL was stopped")
	}
	for i := range ins {
		if readySeen[i][http.StatusServiceUnavailable] == 0 || readySeen[i][http.StatusOK] == 0 {
			t.Errorf("instance %d: /readyz answered %v, want 200 and 503", i, readySeen[i])
		}
	}

	// Nothing acknowledged is lost.
	for i, c := range custs[:2] {
		var line1 string
		if err := d.Read.QueryRow(`SELECT address_line1 FROM customers WHERE id = $1`, c.id).Scan(&line1); err != nil {
			t.Fatal(err)
		}
		var n int
		if _, err := fmt.Sscanf(line1, "%d Outage Ave", &n); err != nil || n < lastAddress[i] || lastAddress[i] < 0 {
			t.Errorf("%s: address %q, last acknowledged attempt %d", c.email, line1, lastAddress[i])
		}
	}
	for i, c := range custs[2:] {
		if len(paid[i]) == 0 {
			t.Errorf("%s: no payment confirmed", c.email)
		}
		rows, err := d.Read.Query(`SELECT amount_cents, count(*) FROM payments WHERE customer_id = $1 GROUP BY amount_cents`, c.id)
		if err != nil {
			t.Fatal(err)
		}
		inDB := map[int64]int{}
		for rows.Next() {
			var cents int64
			var n int
			if err := rows.Scan(&cents, &n); err != nil {
				t.Fatal(err)
			}
			inDB[cents] = n
		}
		rows.Close()
		for cents, conf := range paid[i] {
			if inDB[cents] != 1 {
				t.Errorf("%s: payment %s of %d cents confirmed, %d in the database", c.email, conf, cents, inDB[cents])
			}
		}
		for cents, n := range inDB {
			if n != 1 {
				t.Errorf("%s: %d payments of %d cents, want 1 (one form, one key)", c.email, n, cents)
			}
		}
		t.Logf("%s: %d payments confirmed, %d in the database", c.email, len(paid[i]), len(inDB))
	}

	// River survived: a job inserted now runs in one of the processes.
	rc, err := river.NewClient(riverpgxv5.New(d.PG), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := rc.Insert(ctx, jobs.ApprovalsExpireArgs{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t0 = time.Now()
	var state string
	for time.Since(t0) < 30*time.Second {
		if err := d.Read.QueryRow(`SELECT state FROM river_job WHERE id = $1`, res.Job.ID).Scan(&state); err != nil {
			t.Fatal(err)
		}
		if state == "completed" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if state != "completed" {
		t.Errorf("a job inserted after the outage is %s after 30 s\n%s\n%s", state, ins[0].out, ins[1].out)
	} else {
		t.Logf("a job inserted after the outage ran in %s", time.Since(t0).Round(time.Millisecond))
	}
	summary(t, dsn) // check clean
	for _, in := range ins {
		if strings.Contains(in.out.String(), "panic") {
			t.Errorf("instance %s panicked:\n%s", in.base, in.out)
		}
	}
}

// bookState is what a failed day close must leave as it was: the counts
// of events, ledger transactions and closed chunks, and the ledger's
// balances (summary without its check, which the test runs once).
func bookState(t *testing.T, d *db.DB) string {
	t.Helper()
	ctx := context.Background()
	var events, txs, chunks int
	if err := d.Read.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM servicing_events), (SELECT count(*) FROM ledger_transactions),
		(SELECT count(*) FROM day_close_chunks)`).Scan(&events, &txs, &chunks); err != nil {
		t.Fatal(err)
	}
	s := fmt.Sprintf("events=%d transactions=%d chunks=%d", events, txs, chunks)
	for _, a := range []string{servicing.AccountPrincipal, servicing.AccountInterest, servicing.AccountFees, servicing.AccountCash,
		servicing.AccountAccruedInterest, servicing.AccountInterestIncome} {
		b, err := ledger.AccountBalance(ctx, d.Read, a)
		if err != nil {
			t.Fatal(err)
		}
		s += fmt.Sprintf(" %s=%s", a, b)
	}
	return s
}

// sqliteLimit sets a limit on the SQLite writer connection (the only
// one: the pool holds it for ever), or fails the test.
func sqliteLimit(t *testing.T, d *db.DB, pragma string) {
	t.Helper()
	if _, err := d.SQL.Exec("PRAGMA " + pragma); err != nil {
		t.Fatalf("PRAGMA %s: %v", pragma, err)
	}
}

// sqliteFull makes the SQLite database full, as a full disk does: no
// free page left inside the file (VACUUM) and no page more allowed
// (max_page_count at the file's size). A write that needs a new page
// then fails with SQLITE_FULL, the error a full disk gives.
func sqliteFull(t *testing.T, d *db.DB) {
	t.Helper()
	sqliteLimit(t, d, "wal_checkpoint(TRUNCATE)")
	sqliteLimit(t, d, "VACUUM")
	var pages int
	if err := d.SQL.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	sqliteLimit(t, d, fmt.Sprintf("max_page_count = %d", pages))
}

// sqliteSpace lifts the limit sqliteFull set: space is back.
func sqliteSpace(t *testing.T, d *db.DB) { sqliteLimit(t, d, "max_page_count = 1073741823") }

// TestSQLiteFullOrReadOnly fills the SQLite database (SQLITE_FULL, as a
// full disk) or makes it read-only (query_only, as a read-only open:
// root would ignore a file's mode) and shows, for a day close and for a
// payment posted from the portal's form:
//   - the write fails with a clear error: the day close's names "disk
//     full" or "read-only", the form answers 503 with Retry-After and a
//     "temporarily unavailable" page;
//   - nothing of it is written: counts, ledger balances and the
//     customer's payments tables unchanged, check clean;
//   - once space returns (or the database is writable), the same action
//     succeeds, once: a second run closes nothing more, the same form
//     sent again shows the same payment.
func TestSQLiteFullOrReadOnly(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, problem string
		break_, mend  func(*testing.T, *db.DB)
	}{
		{"disk full", "disk full", sqliteFull, sqliteSpace},
		{"read-only", "read-only", func(t *testing.T, d *db.DB) { sqliteLimit(t, d, "query_only = 1") },
			func(t *testing.T, d *db.DB) { sqliteLimit(t, d, "query_only = 0") }},
	}
	for _, tc := range cases {
		t.Run(tc.name+"/day close", func(t *testing.T) {
			d := dbtest.SQLite(t)
			today := calendar.Of(time.Now().In(newYork))
			killBook(t, d, today)
			sv := servicing.New(d, func(time.Time) calendar.Date { return today })
			sv.SetDayCloseChunkSize(100) // the day in one transaction
			var day calendar.Date
			if err := d.Read.QueryRow(`SELECT MIN(advanced_through) FROM contract_balances`).Scan(&day); err != nil {
				t.Fatal(err)
			}
			// The book closes day by day, each day one transaction, until
			// a day's writes do not fit (a full database), or at once
			// (read-only).
			var before string
			var err error
			tc.break_(t, d)
			for day++; day < today; day++ {
				before = bookState(t, d)
				if _, err = sv.DayClose(ctx, day); err != nil {
					break
				}
			}
			if err == nil || db.Problem(err) != tc.problem || !strings.Contains(err.Error(), "database "+tc.problem) {
				t.Fatalf("day close on a %s database: %v, want an error naming %q", tc.name, err, "database "+tc.problem)
			}
			t.Logf("day close of %s: %v", day, err)
			if got := summary(t, d.DSN); got != before { // and check clean
				t.Fatalf("the failed day close wrote:\n before %s\n after  %s", before, got)
			}
			tc.mend(t, d)
			st, err := sv.DayClose(ctx, day)
			if err != nil || st.Chunks != 1 || st.Contracts != 40 {
				t.Fatalf("day close once %s is mended: %+v, %v", tc.name, st, err)
			}
			closed := summary(t, d.DSN)
			if closed == before {
				t.Fatal("the day close wrote nothing")
			}
			if st, err := sv.DayClose(ctx, day); err != nil || st.Chunks != 0 || st.Skipped != 1 {
				t.Fatalf("the day closed again: %+v, %v", st, err)
			}
			if got := bookState(t, d); got != closed {
				t.Fatalf("a second day close wrote:\n first %s\n again %s", closed, got)
			}
		})
		t.Run(tc.name+"/payment form", func(t *testing.T) {
			d := dbtest.SQLite(t)
			f := startPayments(t, d)
			bank := f.confirmedBank(f.a.id, "129083018", "55501234")
			path := "/contracts/" + itoa(f.aLoan) + "/pay"
			date := calendar.OnOrAfterBusinessDay(calendar.MustParse(payToday) + 3).String()
			form := func(cents int64) url.Values {
				return url.Values{"amount": {"other"}, "other": {fmt.Sprintf("%d.%02d", cents/100, cents%100)}, "method": {itoa(bank.ID)},
					"date": {date}, "key": {outageKey()}}
			}
			tc.break_(t, d)
			// Payments are small: the first may fit in the pages there
			// are. The customer pays until one does not.
			var refused url.Values
			var before string
			for cents := int64(20_00); cents < 20_50 && refused == nil; cents++ {
				fm := form(cents)
				before = f.written(f.a.id)
				r := f.aBrows.post(path, fm)
				switch r.status {
				case http.StatusOK:
					r.must(t, 200, "Thank you: your payment is confirmed")
				case http.StatusServiceUnavailable:
					refused = fm
					r.must(t, 503, "Temporarily unavailable")
					if r.header.Get("Retry-After") == "" {
						t.Error("503 without Retry-After")
					}
				default:
					t.Fatalf("payment on a %s database: %d\n%s", tc.name, r.status, clip(r.body))
				}
			}
			if refused == nil {
				t.Fatalf("50 payments went into a %s database", tc.name)
			}
			if got := f.written(f.a.id); got != before {
				t.Fatalf("the refused payment wrote: before %s, after %s", before, got)
			}
			if findings, err := servicing.Check(ctx, d); err != nil || len(findings) > 0 {
				t.Fatalf("check: %v %v", findings, err)
			}
			tc.mend(t, d)
			first := f.aBrows.post(path, refused)
			first.must(t, 200, "Thank you: your payment is confirmed")
			again := f.aBrows.post(path, refused)
			again.must(t, 200, "Thank you: your payment is confirmed")
			if first.url != again.url {
				t.Errorf("the same form twice: %s, then %s", first.url, again.url)
			}
			if n := f.count(`SELECT count(*) FROM payments WHERE customer_id = $1 AND amount_cents = $2`, f.a.id,
				money.MustParse(refused.Get("other"))); n != 1 {
				t.Errorf("%d payments of $%s, want 1", n, refused.Get("other"))
			}
			if findings, err := servicing.Check(ctx, d); err != nil || len(findings) > 0 {
				t.Fatalf("check: %v %v", findings, err)
			}
		})
	}
}
