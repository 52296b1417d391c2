package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/identity"
	"carfin/payments"
	"carfin/servicing"
)

// Crash drills of `carfin serve` (issue 15): instances on one PostgreSQL
// database killed with SIGKILL, as the OOM killer or a lost machine
// would, while a customer pays and while River works the day close. The
// CLI runs killed the same way are in kill_test.go, payments_test.go and
// statements_kill_test.go.

// rescueAfterTest is --jobs-rescue-after in the drills: a job left
// running by a killed instance is taken over after it.
const rescueAfterTest = 5 * time.Second

// TestKilledInstances kills `carfin serve` processes with SIGKILL and
// shows that nothing is lost or done twice:
//   - a customer's confirmed payment posted to instance A, A killed at
//     once, a few milliseconds later or after it answered, and the same
//     form (one idempotency key) sent again to instance B: one payment
//     for the key each time, the retry shows its confirmation, and
//     `check` is clean;
//   - the day close worked by River on two instances, the leader killed
//     while one of its chunk jobs is inside its transaction: the other
//     instance, elected leader, takes the stuck job over after
//     --jobs-rescue-after and closes every date once, statements made
//     once each; the book equals a twin closed without interruption.
func TestKilledInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("starts carfin serve processes and kills them")
	}
	t.Run("payment form", testKilledPaymentForm)
	t.Run("day close jobs", testKilledDayCloseJobs)
}

// kill ends the process with SIGKILL and waits for it; the test's
// clean-up then leaves it be.
func (in *instance) kill(t *testing.T) {
	t.Helper()
	in.stopped = true
	if err := in.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := <-in.done; err == nil {
		t.Errorf("instance %s exited 0 on SIGKILL:\n%s", in.base, in.out)
	}
}

// waitFor polls ok every period until it holds, for at most limit.
func waitFor(t *testing.T, what string, period, limit time.Duration, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !ok(); time.Sleep(period) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not in %s", what, limit)
		}
	}
}

// sent is what a client got for a request to an instance killed under
// it: the status and page, or the error.
type sent struct {
	status int
	url    string
	err    error
}

// postTo posts form to path as b.post does (cookies, client address),
// without failing the test when the connection breaks.
func postTo(b *browser, path string, form url.Values) sent {
	req, err := http.NewRequest("POST", b.srv.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return sent{err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", b.ip)
	req.Header.Set("User-Agent", "carfin-test/1.0 ("+b.ip+")")
	res, err := b.c.Do(req)
	if err != nil {
		return sent{err: err}
	}
	defer res.Body.Close()
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		return sent{err: err}
	}
	return sent{status: res.StatusCode, url: res.Request.URL.RequestURI()}
}

func testKilledPaymentForm(t *testing.T) {
	ctx := context.Background()
	today := calendar.Of(time.Now().In(newYork))
	dsn := dbtest.PostgresDSN(t)
	d, err := openDB(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	killBook(t, d, today)
	env := newPayEnv(t)
	args := []string{"--db", dsn, "--metrics-addr", "off", "--jobs=false"}
	b := startInstance(t, env, freePort(t), args...)

	// k0 signs in and pays from a confirmed bank account.
	const email, ip = "k0@example.com", "198.51.100.21"
	var cust, loan int64
	if err := d.Read.QueryRow(`SELECT c.id, k.id FROM customers c JOIN contracts k ON k.customer_id = c.id WHERE c.email = $1`,
		email).Scan(&cust, &loan); err != nil {
		t.Fatal(err)
	}
	ident, err := identity.New(identity.Config{DB: d, Params: cheapParams, BaseURL: b.base})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ident.CreateCustomerLogin(ctx, cust, testPassword); err != nil {
		t.Fatal(err)
	}
	pay := env.paymentsFor(t, d)
	method := confirmedBanks(t, pay, d, cust)[0]
	jar, _ := cookiejar.New(nil) // one jar for every localhost port: the session is in the database
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	at(t, b.base, c, ip).mustSignIn(email, testPassword)

	path := "/contracts/" + itoa(loan) + "/pay"
	payDate := calendar.OnOrAfterBusinessDay(today + 3).String()
	count := counter(t, d)
	// Each round is a payment of its own amount, confirmed on an instance
	// killed at its moment: as the request leaves, a little later, as
	// soon as the payment is committed (the answer not yet sent), or
	// after it answered (the client lost the page).
	type moment int
	const (
		afterSent moment = iota
		afterCommit
		afterAnswer
	)
	moments := []struct {
		name  string
		when  moment
		after time.Duration
	}{
		{"at once", afterSent, 0}, {"after 5 ms", afterSent, 5 * time.Millisecond},
		{"once committed", afterCommit, 0}, {"after the answer", afterAnswer, 0},
	}
	for round, mo := range moments {
		cents := 41_00 + int64(round)
		form := url.Values{"amount": {"other"}, "other": {fmt.Sprintf("%d.%02d", cents/100, cents%100)}, "method": {itoa(method)},
			"date": {payDate}}
		rev := at(t, b.base, c, ip).get(path + "/review?" + form.Encode())
		rev.must(t, 200, "Confirm the payment of $"+form.Get("other"))
		key := keyRE.FindStringSubmatch(rev.body)[1]
		form = with(form, "key", key)

		a := startInstance(t, env, freePort(t), args...)
		answer := make(chan sent, 1)
		go func() { answer <- postTo(at(t, a.base, c, ip), path, form) }()
		made := func() int {
			return count(`SELECT count(*) FROM payments WHERE customer_id = $1 AND amount_cents = $2`, cust, cents)
		}
		var got sent
		switch mo.when {
		case afterSent:
			time.Sleep(mo.after)
		case afterCommit:
			waitFor(t, "the payment committed", time.Millisecond, 30*time.Second, func() bool { return made() > 0 })
		case afterAnswer:
			got = <-answer
		}
		a.kill(t)
		if mo.when != afterAnswer {
			got = <-answer
		}
		before := made()

		// The client sends the same form again, to the other instance.
		r := at(t, b.base, c, ip).post(path, form)
		r.must(t, 200, "Thank you: your payment is confirmed")
		conf := confRE.FindStringSubmatch(r.url)
		if conf == nil {
			t.Fatalf("%s: the retry answered at %s", mo.name, r.url)
		}
		if n := made(); n != 1 {
			t.Errorf("%s: %d payments of $%s, want 1", mo.name, n, form.Get("other"))
		}
		if n := count(`SELECT count(*) FROM payments WHERE customer_id = $1`, cust); n != round+1 {
			t.Errorf("%s: the customer has %d payments after %d confirmed", mo.name, n, round+1)
		}
		var id int64
		if err := d.Read.QueryRow(`SELECT id FROM payments WHERE customer_id = $1 AND idempotency_key = $2`, cust, key).Scan(&id); err != nil {
			t.Errorf("%s: the form's key made no payment: %v", mo.name, err)
		} else if conf[1] != payments.Confirmation(id) {
			t.Errorf("%s: the retry confirmed %s, the key's payment is %s", mo.name, conf[1], payments.Confirmation(id))
		}
		if got.err == nil && got.status == 200 {
			if ca := confRE.FindStringSubmatch(got.url); ca == nil || ca[1] != conf[1] {
				t.Errorf("%s: the killed instance answered at %s, the retry at %s", mo.name, got.url, r.url)
			}
		}
		t.Logf("%s: the killed instance's answer %d %s %v; its payment made before the retry: %d", mo.name, got.status, got.url, got.err, before)
	}
	if f, err := servicing.Check(ctx, d); err != nil || len(f) > 0 {
		t.Errorf("check: %v %v", f, err)
	}
}

func testKilledDayCloseJobs(t *testing.T) {
	ctx := context.Background()
	today := calendar.Of(time.Now().In(newYork))
	dsn, twin := dbtest.PostgresDSN(t), dbtest.PostgresDSN(t)
	for _, s := range []string{dsn, twin} {
		d, err := openDB(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		killBook(t, d, today) // 40 loans signed 40 days ago: 40 dates to close
		d.Close()
	}
	env := newPayEnv(t)
	// The twin is closed by one process without interruption, meanwhile.
	twinDone := closeTwin(env, twin, today)
	d, err := openDB(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	count := counter(t, d)
	// A chunk job blocks on this lock when it records its chunk closed,
	// at the end of its transaction: holding it stops the chain at a
	// chunk job in the middle of its work.
	lock := func() *sql.Tx {
		t.Helper()
		tx, err := d.SQL.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `LOCK TABLE day_close_chunks IN SHARE MODE`); err != nil {
			t.Fatal(err)
		}
		return tx
	}
	held := lock()
	defer func() { _ = held.Rollback() }()

	// The first instance is elected leader and starts the close: its
	// periodic check runs on start and finds 40 dates to close.
	args := []string{"--db", dsn, "--metrics-addr", "off", "--jobs-rescue-after", rescueAfterTest.String()}
	a := startInstance(t, env, freePort(t), args...)
	var leader string
	waitFor(t, "a leader elected", 10*time.Millisecond, 20*time.Second, func() bool {
		return d.Read.QueryRow(`SELECT leader_id FROM river_leader`).Scan(&leader) == nil
	})
	b := startInstance(t, env, freePort(t), args...)
	closed := func() int { return count(`SELECT count(*) FROM day_close_chunks`) }
	if err := held.Rollback(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "ten dates closed", 10*time.Millisecond, 30*time.Second, func() bool { return closed() >= 10 })

	// Stop the chain at a chunk job; if it is the leader's, kill the
	// leader, else let one more date close and try again.
	runningBy := func(kind string) (int64, string) {
		var id int64
		var by string
		err := d.Read.QueryRow(`SELECT id, attempted_by[array_length(attempted_by, 1)] FROM river_job WHERE kind = $1 AND state = 'running'`,
			kind).Scan(&id, &by)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			t.Fatal(err)
		}
		return id, by
	}
	var stuck int64
	var closedAtKill int
	for try := 0; stuck == 0; try++ {
		if try == 30 {
			t.Fatalf("the leader never held a chunk job in 30 tries")
		}
		held = lock()
		var id int64
		var by string
		// A job counts once its transaction waits on the lock: one that
		// committed just before it may still show running until its
		// process records it done.
		waitFor(t, "a chunk job at work", time.Millisecond, 30*time.Second, func() bool {
			id, by = runningBy("day_close_chunk")
			return id != 0 && count(`SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
				AND query LIKE 'INSERT INTO day_close_chunks%'`) > 0
		})
		if by == leader {
			closedAtKill = closed()
			a.kill(t)
			// The leader's job whose transaction the kill cut: the one
			// seen, or another of its chunk jobs waiting beside it if that
			// one was recorded done in the moment before the kill.
			_ = d.Read.QueryRow(`SELECT id FROM river_job WHERE kind = 'day_close_chunk' AND state = 'running'
				AND attempted_by[array_length(attempted_by, 1)] = $1 ORDER BY id = $2 DESC, id LIMIT 1`, leader, id).Scan(&stuck)
			if stuck == 0 {
				t.Fatalf("no chunk job of the killed leader left running (job %d was seen at work)", id)
			}
		}
		if err := held.Rollback(); err != nil {
			t.Fatal(err)
		}
		if stuck == 0 {
			n := closed()
			waitFor(t, "one more chunk closed", 10*time.Millisecond, 30*time.Second, func() bool { return closed() > n })
		}
	}
	killed := time.Now()
	if n := count(`SELECT count(*) FROM river_job WHERE id = $1 AND state = 'running'`, stuck); n != 1 {
		t.Fatalf("the killed leader's chunk job %d is not left running", stuck)
	}

	// The survivor is elected once the killed leader's term expires,
	// takes the stuck job over and closes the rest.
	if err := <-twinDone; err != nil {
		t.Fatalf("twin's close-through: %v", err)
	}
	dates := chunksOf(t, twin) // one chunk a date
	if dates <= closedAtKill {
		t.Fatalf("the twin closed %d dates, the killed leader's book %d already", dates, closedAtKill)
	}
	waitFor(t, "every date closed and every job done", 10*time.Millisecond, 60*time.Second, func() bool {
		return closed() == dates && count(`SELECT count(*) FROM river_job WHERE kind IN ('day_close', 'day_close_chunk', 'statement_chunk', 'print_batch')
			AND state NOT IN ('completed', 'cancelled', 'discarded')`) == 0
	})
	var state string
	var attempt int
	if err := d.Read.QueryRow(`SELECT state, attempt FROM river_job WHERE id = $1`, stuck).Scan(&state, &attempt); err != nil {
		t.Fatal(err)
	}
	t.Logf("leader killed with %d of %d dates closed; the rest closed %s later; its chunk job %s after %d attempts",
		closedAtKill, dates, time.Since(killed).Round(time.Millisecond), state, attempt)
	if state != "completed" || attempt < 2 {
		t.Errorf("the stuck job %d is %s after %d attempts, want completed by a second", stuck, state, attempt)
	}
	if got, w := summary(t, dsn), summary(t, twin); got != w {
		t.Fatalf("closed by River with the leader killed:\n %s\nby one process:\n %s", got, w)
	}
	// Statements: each made once, with one document each, and each paper
	// one queued for print once.
	statementsOnce(t, count)
	b.stop(t)
	if f, err := servicing.Check(ctx, d); err != nil || len(f) > 0 {
		t.Errorf("check: %v %v", f, err)
	}
}

// chunksOf counts the closed chunks of the database at dsn.
func chunksOf(t *testing.T, dsn string) int {
	t.Helper()
	d, err := db.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n int
	if err := d.Read.QueryRow(`SELECT count(*) FROM day_close_chunks`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestJobsRescueAfterSetting: --jobs-rescue-after over
// CARFIN_JOBS_RESCUE_AFTER over the default (zero: the jobs' own), and
// a value outside 1s-24h refused.
func TestJobsRescueAfterSetting(t *testing.T) {
	for _, tc := range []struct {
		name, flag, env string
		want            time.Duration
		bad             bool
	}{
		{name: "default"},
		{name: "environment", env: "90s", want: 90 * time.Second},
		{name: "flag over environment", flag: "5s", env: "90s", want: 5 * time.Second},
		{name: "too short", flag: "500ms", bad: true},
		{name: "too long", env: "25h", bad: true},
		{name: "not a duration", flag: "soon", bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == "CARFIN_JOBS_RESCUE_AFTER" {
					return tc.env
				}
				return demoIdentity[k]
			}
			var args []string
			if tc.flag != "" {
				args = []string{"--jobs-rescue-after", tc.flag}
			}
			cfg, err := parseServeConfig(args, getenv, io.Discard)
			if tc.bad {
				if !errors.As(err, new(usageError)) {
					t.Errorf("got %v, want a usage error", err)
				}
				return
			}
			if err != nil || cfg.JobsRescueAfter != tc.want {
				t.Errorf("got %s, %v; want %s", cfg.JobsRescueAfter, err, tc.want)
			}
		})
	}
}

// TestJobsRunRescueAfter: `carfin jobs run` reads CARFIN_JOBS_RESCUE_AFTER
// as serve does, and refuses a value outside 1s-24h before starting.
func TestJobsRunRescueAfter(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "carfin.db")
	var out, errOut strings.Builder
	err := run(context.Background(), []string{"carfin", "jobs", "run", "--db", dsn},
		func(k string) string {
			if k == "CARFIN_JOBS_RESCUE_AFTER" {
				return "25h"
			}
			return ""
		}, strings.NewReader(""), &out, &errOut)
	if !errors.As(err, new(usageError)) || !strings.Contains(err.Error(), "CARFIN_JOBS_RESCUE_AFTER") {
		t.Errorf("jobs run with CARFIN_JOBS_RESCUE_AFTER=25h: %v, want a usage error naming it", err)
	}
}

// closeTwin closes the twin's book through yesterday in one `carfin jobs
// close-through` process, uninterrupted, in the background: the book a
// drill's must equal.
func closeTwin(env payEnv, twin string, today calendar.Date) <-chan error {
	done := make(chan error, 1)
	go func() {
		out, err := helperRun(env, "jobs", "close-through", "--db", twin, "--date", (today - 1).String())
		if err != nil {
			err = fmt.Errorf("%w\n%s", err, out)
		}
		done <- err
	}()
	return done
}

// counter returns a function reading one count from d.
func counter(t *testing.T, d *db.DB) func(query string, args ...any) int {
	return func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := d.Read.QueryRow(query, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
}

// statementsOnce checks that the closes made statements, each once with
// one document, and queued each paper one for print once.
func statementsOnce(t *testing.T, count func(string, ...any) int) {
	t.Helper()
	st := count(`SELECT count(*) FROM statements`)
	docs := count(`SELECT count(*) FROM documents WHERE kind = 'statement'`)
	paper := count(`SELECT count(*) FROM statements WHERE delivery = 'paper'`)
	queued := count(`SELECT count(*) FROM print_queue`)
	if st == 0 || docs != st || queued != paper {
		t.Errorf("statements %d, documents %d, paper %d, queued for print %d", st, docs, paper, queued)
	}
}
