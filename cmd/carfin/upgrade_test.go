package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/identity"
)

// TestRollingUpgrade: a release rolls out one instance at a time (issue
// 15, README "Upgrades"). It builds the previous release
// (ops/previous-release) from git, migrates a fresh PostgreSQL schema with
// this code, as the first new instance does, and serves the old binary and
// this code side by side on it, and shows:
//   - the old binary starts on the newer schema (its migrator accepts
//     versions it does not know) and migrates nothing down;
//   - a customer signed in on the old instance is signed in on the new,
//     and one signed in on the new on the old;
//   - a payment made on either shows on the other, once;
//   - a sign-out on either ends the session on both;
//   - `carfin check` is clean after it all.
//
// The old binary gets the flags and settings of its era: those of the
// multi-instance test, which it already had.
func TestRollingUpgrade(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the previous release and starts two servers")
	}
	rel := dbtest.PreviousRelease(t)
	dsn := dbtest.PostgresDSN(t)
	t0 := time.Now()
	oldBin := buildRelease(t, rel)
	t.Logf("previous release %s: %s (%s)", rel.Commit[:12], oldBin, time.Since(t0).Round(time.Millisecond))

	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, []string{"carfin", "migrate", "--db", dsn}, os.Getenv, nil, &out, &out); err != nil {
		t.Fatalf("migrate with this code: %v\n%s", err, &out)
	}
	d, err := db.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	today := calendar.Of(time.Now().In(newYork))
	killBook(t, d, today) // 40 loans signed 40 days ago: k0…k39@example.com
	schemaBefore := schemaVersions(t, d)

	// Two customers with online access and a confirmed bank account.
	env := newPayEnv(t)
	ident, err := identity.New(identity.Config{DB: d, Params: cheapParams, BaseURL: "http://localhost"})
	if err != nil {
		t.Fatal(err)
	}
	type cust struct {
		id, loan, bank int64
		email          string
		c              *http.Client
	}
	var cs [2]cust
	for i := range cs {
		c := &cs[i]
		c.email = fmt.Sprintf("k%d@example.com", i)
		if err := d.Read.QueryRow(`SELECT c.id, k.id FROM customers c JOIN contracts k ON k.customer_id = c.id WHERE c.email = $1`,
			c.email).Scan(&c.id, &c.loan); err != nil {
			t.Fatal(err)
		}
		if _, err := ident.CreateCustomerLogin(ctx, c.id, testPassword); err != nil {
			t.Fatal(err)
		}
		jar, _ := cookiejar.New(nil) // cookies by host, not port: one jar for both localhost origins
		c.c = &http.Client{Jar: jar, Timeout: 30 * time.Second}
	}
	pay := env.paymentsFor(t, d)
	for i, id := range confirmedBanks(t, pay, d, cs[0].id, cs[1].id) {
		cs[i].bank = id
	}

	args := []string{"--db", dsn, "--metrics-addr", "off", "--jobs=false", "--trusted-proxies", "127.0.0.1/32"}
	oldIn := startBinary(t, oldBin, env, freePort(t), args...)
	if after := schemaVersions(t, d); after != schemaBefore {
		t.Fatalf("the old binary changed the schema's versions: %s before, %s after", schemaBefore, after)
	}
	newIn := startInstance(t, env, freePort(t), args...)
	t.Logf("old %s and new %s serving (%s)", oldIn.base, newIn.base, time.Since(t0).Round(time.Millisecond))
	ins := [2]*instance{oldIn, newIn} // cs[i] starts on ins[i]
	name := [2]string{"old", "new"}
	// browse is c's browser at in, from an address of c's own.
	browse := func(t *testing.T, c cust, in *instance) *browser {
		return at(t, in.base, c.c, fmt.Sprintf("198.51.100.%d", 20+c.id%200))
	}

	t.Run("a session on one instance works on the other", func(t *testing.T) {
		for i, c := range cs {
			browse(t, c, ins[i]).mustSignIn(c.email, testPassword)
			browse(t, c, ins[1-i]).get("/").must(t, 200, "Welcome,")
			browse(t, c, ins[1-i]).get("/contracts/"+itoa(c.loan)).must(t, 200, "K-")
		}
	})

	t.Run("a payment on one instance shows on the other", func(t *testing.T) {
		payDate := calendar.OnOrAfterBusinessDay(today + 3).String()
		for i, c := range cs {
			cents := 43_00 + int64(i)
			amount := fmt.Sprintf("%d.%02d", cents/100, cents%100)
			form := url.Values{"amount": {"other"}, "other": {amount}, "method": {itoa(c.bank)}, "date": {payDate}}
			path := "/contracts/" + itoa(c.loan) + "/pay"
			on, other := browse(t, c, ins[i]), browse(t, c, ins[1-i])
			rev := on.get(path + "/review?" + form.Encode())
			rev.must(t, 200, "Confirm the payment of $"+amount)
			key := keyRE.FindStringSubmatch(rev.body)
			if key == nil {
				t.Fatalf("%s review page has no key\n%s", name[i], clip(rev.body))
			}
			r := on.post(path, with(form, "key", key[1]))
			r.must(t, 200, "Thank you: your payment is confirmed")
			conf := confRE.FindStringSubmatch(r.url)
			if conf == nil {
				t.Fatalf("%s answered the payment at %s", name[i], r.url)
			}
			other.get("/payments/"+conf[1]).must(t, 200, conf[1], "$"+amount)
			other.get("/payments").must(t, 200, conf[1])
			// The same form again on the other instance: the key makes it the same payment.
			other.post(path, with(form, "key", key[1])).must(t, 200, "Thank you: your payment is confirmed")
			var n int
			if err := d.Read.QueryRow(`SELECT count(*) FROM payments WHERE customer_id = $1 AND amount_cents = $2`, c.id, cents).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Errorf("payment made on the %s instance: %d in the database, want 1", name[i], n)
			}
		}
	})

	t.Run("a sign-out on one instance ends the session on both", func(t *testing.T) {
		// Each customer signs out on the instance they did not sign in on.
		for i, c := range cs {
			browse(t, c, ins[1-i]).post("/logout", url.Values{}).must(t, 200, "You are signed out")
			for j, in := range ins {
				if r := browse(t, c, in).get("/"); r.status != 200 || !strings.HasPrefix(r.url, "/login") {
					t.Errorf("%s signed in on the %s instance and out on the %s: the %s answers / with %d at %s",
						c.email, name[i], name[1-i], name[j], r.status, r.url)
				}
			}
		}
	})

	// Both stop cleanly; then the book passes carfin check.
	oldIn.stop(t)
	newIn.stop(t)
	out.Reset()
	if err := run(ctx, []string{"carfin", "check", "--db", dsn}, os.Getenv, nil, &out, &out); err != nil {
		t.Errorf("check after the rolling upgrade: %v\n%s", err, &out)
	}
	t.Logf("rolling upgrade from %s: %s in all", rel.Commit[:12], time.Since(t0).Round(time.Millisecond))
}

// schemaVersions sums up the schema's migrations: how many are recorded
// and the highest.
func schemaVersions(t *testing.T, d *db.DB) string {
	t.Helper()
	var n, highest int64
	if err := d.Read.QueryRow(`SELECT count(*), max(version_id) FROM goose_db_version WHERE is_applied`).Scan(&n, &highest); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d migrations up to %d", n, highest)
}

// startBinary runs `carfin serve` of the binary bin on port, with the
// environment of startInstance's, and waits until /readyz answers 200.
// The process gets SIGTERM when the test ends, unless stopped before.
func startBinary(t *testing.T, bin string, env payEnv, port int, args ...string) *instance {
	t.Helper()
	in := &instance{addr: fmt.Sprintf("127.0.0.1:%d", port), base: fmt.Sprintf("http://localhost:%d", port), out: &syncBuffer{}, done: make(chan error, 1)}
	in.cmd = exec.Command(bin, append([]string{"serve", "--addr", in.addr}, args...)...)
	in.cmd.Env = helperEnv(serveArgsEnv, env)
	in.cmd.Stdout, in.cmd.Stderr = in.out, in.out
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { in.done <- in.cmd.Wait() }()
	t.Cleanup(func() { in.stop(t) })
	waitReady(t, in.base, in.done, in.out)
	return in
}

// buildRelease returns the `carfin` binary of the release: built once per
// commit and Go version from `git archive` of the commit, without -race,
// and kept under the user's cache directory (carfin-releases/), so that
// later runs start at once. The build reuses Go's build cache.
func buildRelease(t *testing.T, rel dbtest.Release) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "carfin-releases", rel.Commit+"-"+runtime.Version())
	bin := filepath.Join(dir, "carfin")
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o100 != 0 {
		return bin
	}
	src := t.TempDir()
	untar := exec.Command("tar", "-x", "-C", src)
	untar.Stdin = bytes.NewReader(rel.Git(t, "archive", "--format=tar", rel.Commit))
	if out, err := untar.CombinedOutput(); err != nil {
		t.Fatalf("untar the release: %v\n%s", err, out)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := fmt.Sprintf("%s.%d.tmp", bin, os.Getpid())
	build := exec.Command("go", "build", "-o", tmp, "-ldflags", "-X main.version="+rel.Commit[:12], "./cmd/carfin")
	build.Dir = src
	build.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-buildvcs=false")
	if out, err := build.CombinedOutput(); err != nil {
		_ = os.Remove(tmp)
		t.Fatalf("build the previous release %s: %v\n%s", rel.Commit[:12], err, out)
	}
	if err := os.Rename(tmp, bin); err != nil { // whole or not at all: a concurrent run may build it too
		t.Fatal(err)
	}
	return bin
}

// TestCheckOnNewerSchema: `carfin check` on a schema a newer release
// migrated (a rolling upgrade's old instances' check) checks the book and
// says the schema is ahead; on a schema lacking one of its own migrations
// it refuses. The previous release refused the first ("schema is at
// version 560, carfin expects 430: run carfin migrate", which could not
// help) and passed the second when the highest version was there.
func TestCheckOnNewerSchema(t *testing.T) {
	ctx := context.Background()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "carfin.db")
	d, err := openDB(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	killBook(t, d, calendar.Of(time.Now().In(newYork)))
	_, newest, err := d.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.SQL.ExecContext(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)`, newest+1); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"carfin", "check", "--db", dsn}, os.Getenv, nil, &out, &out); err != nil {
		t.Fatalf("check on a newer schema: %v\n%s", err, &out)
	}
	if want := fmt.Sprintf("the schema has 1 migrations of a newer carfin ([%d])", newest+1); !strings.Contains(out.String(), want) {
		t.Errorf("check said:\n%s\nwant %q", &out, want)
	}
	if _, err := d.SQL.ExecContext(ctx, `DELETE FROM goose_db_version WHERE version_id = 1`); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = run(ctx, []string{"carfin", "check", "--db", dsn}, os.Getenv, nil, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "the schema lacks 1 of this carfin's migrations ([1]): run carfin migrate") {
		t.Errorf("check with migration 1 unrecorded: %v\n%s", err, &out)
	}
}

// TestRollingUpgradeJobs: the background jobs across a rolling upgrade
// (README, "Upgrades"). The previous release's `carfin serve`, with its
// jobs, is the River leader and starts closing 40 dates on a schema this
// code migrated; this code's instance joins and works the same close;
// then the old instance is stopped (SIGTERM, as a rollout stops it), and
// the new one is elected and finishes. The book equals a twin closed by
// this code alone, each chunk job ran on both releases, each statement was
// made once with one document, and `carfin check` is clean.
func TestRollingUpgradeJobs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the previous release and starts two servers")
	}
	t.Parallel()
	rel := dbtest.PreviousRelease(t)
	dsn, twin := dbtest.PostgresDSN(t), dbtest.PostgresDSN(t)
	oldBin := buildRelease(t, rel)
	ctx := context.Background()
	today := calendar.Of(time.Now().In(newYork))
	for _, s := range []string{dsn, twin} {
		var out bytes.Buffer
		if err := run(ctx, []string{"carfin", "migrate", "--db", s}, os.Getenv, nil, &out, &out); err != nil {
			t.Fatalf("migrate with this code: %v\n%s", err, &out)
		}
		d, err := db.Open(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		killBook(t, d, today) // 40 loans signed 40 days ago: 40 dates to close
		d.Close()
	}
	env := newPayEnv(t)
	twinDone := closeTwin(env, twin, today)

	d, err := db.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	count := counter(t, d)
	closed := func() int { return count(`SELECT count(*) FROM day_close_chunks`) }
	// Chunk jobs finished by the process whose River client is id, and
	// by the others.
	chunksBy := func(id string) (by, others int) {
		const q = `SELECT count(*) FROM river_job WHERE kind = 'day_close_chunk' AND state = 'completed'
			AND (attempted_by[array_length(attempted_by, 1)] = $1) = $2`
		return count(q, id, true), count(q, id, false)
	}

	args := []string{"--db", dsn, "--metrics-addr", "off", "--trusted-proxies", "127.0.0.1/32"}
	oldIn := startBinary(t, oldBin, env, freePort(t), args...)
	var oldID string
	waitFor(t, "the old instance elected leader", 10*time.Millisecond, 20*time.Second, func() bool {
		return d.Read.QueryRow(`SELECT leader_id FROM river_leader`).Scan(&oldID) == nil
	})
	waitFor(t, "the old instance closing dates", 10*time.Millisecond, 60*time.Second, func() bool { return closed() >= 3 })
	newIn := startInstance(t, env, freePort(t), args...)
	waitFor(t, "the new instance working the same close", 10*time.Millisecond, 60*time.Second, func() bool {
		_, byNew := chunksBy(oldID)
		return byNew >= 3
	})
	byOld, byNew := chunksBy(oldID)
	atStop := closed()
	oldIn.stop(t)
	if err := <-twinDone; err != nil {
		t.Fatalf("twin's close-through: %v", err)
	}
	dates := chunksOf(t, twin) // one chunk a date
	if atStop >= dates {
		t.Fatalf("every date (%d) was closed before the old instance stopped: the drill proves nothing", dates)
	}
	waitFor(t, "every date closed and every job done", 10*time.Millisecond, 90*time.Second, func() bool {
		return closed() == dates && count(`SELECT count(*) FROM river_job WHERE kind IN ('day_close', 'day_close_chunk', 'statement_chunk', 'print_batch')
			AND state NOT IN ('completed', 'cancelled', 'discarded')`) == 0
	})
	var leader string
	if err := d.Read.QueryRow(`SELECT leader_id FROM river_leader`).Scan(&leader); err != nil || leader == oldID {
		t.Errorf("leader after the old instance stopped: %q (%v), the old was %q", leader, err, oldID)
	}
	t.Logf("old release closed chunks %d, new %d, when the old stopped with %d of %d dates closed", byOld, byNew, atStop, dates)
	if byOld == 0 {
		t.Errorf("the old release finished no chunk job")
	}
	if got, w := summary(t, dsn), summary(t, twin); got != w {
		t.Fatalf("closed by the old and new releases together:\n %s\nby this code alone:\n %s", got, w)
	}
	statementsOnce(t, count)
	newIn.stop(t)
	var out bytes.Buffer
	if err := run(ctx, []string{"carfin", "check", "--db", dsn}, os.Getenv, nil, &out, &out); err != nil {
		t.Errorf("check after the rolling upgrade: %v\n%s", err, &out)
	}
}
