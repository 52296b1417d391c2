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
	"carfin/db/dbtest"
	"carfin/identity"
	"carfin/jobs"
	"carfin/money"
	"carfin/payments"
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
		if i < 2 {
			continue
		}
		m, err := pay.AddBankAccount(ctx, c.id, payments.NewBankAccount{HolderName: "Kim Test", AccountType: "checking",
			Routing: "129083018", Account: fmt.Sprintf("5550123%d", i), ConfirmAccount: fmt.Sprintf("5550123%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		c.method = m.ID
	}
	if _, err := pay.OriginateACH(ctx, calendar.OnOrAfterBusinessDay(pay.Config().Cutoff.Today(d.Now()))); err != nil {
		t.Fatal(err)
	}
	for _, c := range custs[2:] {
		var a, b int64
		if err := d.Read.QueryRow(`SELECT micro1_cents, micro2_cents FROM payment_methods WHERE id = $1`, c.method).Scan(&a, &b); err != nil {
			t.Fatal(err)
		}
		if _, err := pay.ConfirmMicroDeposits(ctx, c.id, c.method, money.Cents(a), money.Cents(b)); err != nil {
			t.Fatal(err)
		}
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
