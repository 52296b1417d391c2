package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"carfin/db/dbtest"
	"carfin/demo"
	"carfin/servicing"
)

// The load runs for at least backupLoad, and until it has imported
// payments, before and after the backup; a slow machine (-race, a busy
// CI) waits up to backupLoadWaitMax for them.
const (
	backupLoad        = 1500 * time.Millisecond
	backupLoadWaitMax = 2 * time.Minute
)

// awaitLoad waits backupLoad, and then until runs reaches n.
func awaitLoad(t *testing.T, runs *atomic.Int64, n int64) {
	t.Helper()
	time.Sleep(backupLoad)
	for deadline := time.Now().Add(backupLoadWaitMax); runs.Load() < n; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("only %d payment imports in %s, want %d", runs.Load(), backupLoadWaitMax, n)
			return
		}
	}
}

// carfinRun runs the carfin command line with args and returns its output.
func carfinRun(args ...string) (string, error) {
	var out strings.Builder
	err := run(context.Background(), append([]string{"carfin"}, args...), func(string) string { return "" }, strings.NewReader(""), &out, io.Discard)
	return out.String(), err
}

// ledgerState is what a database's ledger holds up to a transaction id:
// each contract's balance per account, and the debits and credits.
type ledgerState struct {
	balances        map[string]int64 // "contract/account" → cents
	debitsCents     int64
	creditsCents    int64
	transactions    int
	importedPayment int // payments the load imported, whatever their ledger ids
}

// openRaw opens a database for the test's own queries: a SQLite file
// read-only, or PostgreSQL.
func openRaw(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	driver, source := "pgx", dsn
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		driver, source = "sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)"
	}
	raw, err := sql.Open(driver, source)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

func readLedger(t *testing.T, raw *sql.DB, upToID int64) ledgerState {
	t.Helper()
	s := ledgerState{balances: map[string]int64{}}
	rows, err := raw.Query(`SELECT COALESCE(p.contract_id, 0), p.account, CAST(SUM(p.amount_cents) AS BIGINT),
			CAST(SUM(CASE WHEN p.amount_cents > 0 THEN p.amount_cents ELSE 0 END) AS BIGINT),
			CAST(SUM(CASE WHEN p.amount_cents < 0 THEN -p.amount_cents ELSE 0 END) AS BIGINT)
		FROM ledger_postings p WHERE p.transaction_id <= $1 GROUP BY 1, 2`, upToID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var contract, sum, debits, credits int64
		var account string
		if err := rows.Scan(&contract, &account, &sum, &debits, &credits); err != nil {
			t.Fatal(err)
		}
		s.balances[fmt.Sprintf("%d/%s", contract, account)] = sum
		s.debitsCents += debits
		s.creditsCents += credits
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRow(`SELECT count(*) FROM ledger_transactions WHERE id <= $1`, upToID).Scan(&s.transactions); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRow(`SELECT count(*) FROM servicing_events WHERE idempotency_key LIKE 'backup-load-%'`).Scan(&s.importedPayment); err != nil {
		t.Fatal(err)
	}
	return s
}

func maxLedgerID(t *testing.T, raw *sql.DB) int64 {
	t.Helper()
	var id int64
	if err := raw.QueryRow(`SELECT COALESCE(MAX(id), 0) FROM ledger_transactions`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// sameLedger reports where the copy's ledger differs from the source's
// over the copy's transactions, or that it does not balance.
func sameLedger(t *testing.T, copyDB, sourceDB *sql.DB) ledgerState {
	t.Helper()
	upTo := maxLedgerID(t, copyDB)
	copied, source := readLedger(t, copyDB, upTo), readLedger(t, sourceDB, upTo)
	if copied.debitsCents != copied.creditsCents || copied.debitsCents == 0 {
		t.Errorf("restored ledger: debits %d, credits %d", copied.debitsCents, copied.creditsCents)
	}
	if copied.transactions != source.transactions || len(copied.balances) != len(source.balances) {
		t.Errorf("restored ledger has %d transactions and %d balances, the source %d and %d up to transaction %d",
			copied.transactions, len(copied.balances), source.transactions, len(source.balances), upTo)
	}
	for k, v := range source.balances {
		if copied.balances[k] != v {
			t.Errorf("balance %s: restored %d, source %d", k, copied.balances[k], v)
		}
	}
	return copied
}

// TestBackupLiveDemo backs up a demo while customers sign in and read
// pages and payments are imported, restores the backup into another file,
// and shows that carfin check passes on it and that its ledger is the
// source's at one instant: every balance equals the source's over the
// same transactions, debits equal credits, and the audit chain verifies.
// Restoring over the served database is refused.
func TestBackupLiveDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the demo book")
	}
	dir := t.TempDir()
	d := startDemo(t, "--data", dir, "--addr", "127.0.0.1:0")
	defer d.stop(t)
	src := filepath.Join(dir, "carfin.db")
	m := regexp.MustCompile(`business date ([0-9]{4}-[0-9]{2}-[0-9]{2})`).FindStringSubmatch(d.out)
	if m == nil {
		t.Fatalf("no business date in the demo's output:\n%s", d.out)
	}
	businessDate := m[1]
	accounts := activeAccounts(t, openRaw(t, "sqlite:"+src))
	// The load: customers signing in and reading pages (sessions and
	// audit events written), and payments imported through the ledger.
	loadCtx, stopLoad := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var pages, shed, failures, imports atomic.Int64
	var failed sync.Map // what failed → true
	fail := func(what string) {
		failures.Add(1)
		failed.Store(what, true)
	}
	for range 3 {
		wg.Go(func() {
			for loadCtx.Err() == nil {
				client := &http.Client{Jar: newJar(), Timeout: 30 * time.Second}
				resp, err := client.PostForm(d.base+"/login", url.Values{"email": {demo.LoginEmail}, "password": {demoPassword}})
				if err != nil {
					fail("sign-in: " + err.Error())
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch {
				case resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "":
					shed.Add(1) // the load shedder's answer on a busy machine, not a failure
				case resp.StatusCode >= 500:
					fail("sign-in: " + resp.Status)
				}
				for range 10 {
					resp, err := client.Get(d.base + "/")
					if err != nil {
						fail("page: " + err.Error())
						continue
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					switch {
					case resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "":
						shed.Add(1)
					case resp.StatusCode >= 500:
						fail("page: " + resp.Status)
					default:
						pages.Add(1)
					}
				}
			}
		})
	}
	wg.Go(func() { importLoad(loadCtx, t, "sqlite:"+src, accounts, businessDate, &imports) })
	awaitLoad(t, &imports, 2)
	bak := filepath.Join(t.TempDir(), "carfin-backup.db")
	out, err := carfinRun("backup", "--db", "sqlite:"+src, "--to", bak)
	if err != nil {
		stopLoad()
		wg.Wait()
		t.Fatalf("backup under load: %v\n%s", err, out)
	}
	t.Log(strings.TrimSpace(out))
	awaitLoad(t, &imports, imports.Load()+2)
	stopLoad()
	wg.Wait()
	t.Logf("load: %d pages, %d shed (503 with Retry-After), %d import runs, %d failures", pages.Load(), shed.Load(), imports.Load(), failures.Load())
	if pages.Load() == 0 || imports.Load() == 0 {
		t.Error("no load: no page served or no payments imported")
	}
	if failures.Load() > 0 {
		failed.Range(func(k, _ any) bool {
			t.Errorf("during the backup: %v", k)
			return true
		})
	}

	// The same file again is refused without --force, replaced with it.
	if _, err := carfinRun("backup", "--db", "sqlite:"+src, "--to", bak); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("backup onto an existing file: %v, want a refusal naming --force", err)
	}
	// Restoring over the database the demo serves is refused.
	if _, err := carfinRun("restore", "--from", bak, "--db", "sqlite:"+src, "--force"); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("restore over the served database: %v, want in use", err)
	}

	restored := filepath.Join(t.TempDir(), "restored.db")
	out, err = carfinRun("restore", "--from", bak, "--db", "sqlite:"+restored)
	if err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	if !strings.Contains(out, " 0 finding(s)") {
		t.Errorf("restore's check:\n%s", out)
	}
	t.Log(strings.TrimSpace(out))
	out, err = carfinRun("check", "--db", "sqlite:"+restored)
	if err != nil || !strings.Contains(out, " 0 finding(s)") {
		t.Fatalf("carfin check on the restored database: %v\n%s", err, out)
	}
	if _, err := carfinRun("restore", "--from", bak, "--db", "sqlite:"+restored); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("restore onto an existing database: %v, want a refusal naming --force", err)
	}

	// The copy is the source at one instant: its ledger equals the
	// source's over the transactions it has, and it balances.
	srcDB, restoredDB := openRaw(t, "sqlite:"+src), openRaw(t, "sqlite:"+restored)
	copied := sameLedger(t, restoredDB, srcDB)
	if copied.importedPayment == 0 {
		t.Error("no payment imported before the backup: the load did not overlap it")
	}
	later := readLedger(t, srcDB, maxLedgerID(t, srcDB))
	t.Logf("ledger: %d transactions in the backup (%d imported during the load), %d in the source at the end",
		copied.transactions, copied.importedPayment, later.transactions)
	if later.transactions == copied.transactions {
		t.Log("no payment was imported after the backup on this machine")
	}
}

// TestBackupRefusals: PostgreSQL is pointed to its own tools; a target
// where no file can be made gives a clear error and leaves no file.
func TestBackupRefusals(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "carfin.db")
	if out, err := carfinRun("migrate", "--db", "sqlite:"+src); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"postgres backup", []string{"backup", "--db", "postgres://u@127.0.0.1/carfin", "--to", filepath.Join(dir, "x.db")}, "pg_dump"},
		{"postgres restore", []string{"restore", "--db", "postgres://u@127.0.0.1/carfin", "--from", filepath.Join(dir, "x.db")}, "pg_basebackup"},
		{"no --to", []string{"backup", "--db", "sqlite:" + src}, "--to"},
		{"no --from", []string{"restore", "--db", "sqlite:" + filepath.Join(dir, "r.db")}, "--from"},
		{"missing source", []string{"backup", "--db", "sqlite:" + filepath.Join(dir, "none.db"), "--to", filepath.Join(dir, "x.db")}, "no such file"},
		// A directory that is a file: fails even for root, whom a
		// read-only directory does not stop.
		{"target under a file", []string{"backup", "--db", "sqlite:" + src, "--to", filepath.Join(src, "x.db")}, "not a directory"},
		{"target name too long", []string{"backup", "--db", "sqlite:" + src, "--to", filepath.Join(dir, strings.Repeat("x", 300))}, "file name too long"},
		{"restore under a file", []string{"restore", "--from", src, "--db", "sqlite:" + filepath.Join(src, "r.db")}, "not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := carfinRun(tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v: %v\n%s, want an error with %q", tc.args, err, out, tc.want)
			}
		})
	}
	if os.Getuid() != 0 {
		ro := filepath.Join(dir, "read-only")
		if err := os.Mkdir(ro, 0o500); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = os.Chmod(ro, 0o700) }()
		if _, err := carfinRun("backup", "--db", "sqlite:"+src, "--to", filepath.Join(ro, "x.db")); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("backup into a read-only directory: %v", err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") || e.Name() == "x.db" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// activeAccounts returns a few active contracts' account numbers.
func activeAccounts(t *testing.T, raw *sql.DB) []string {
	t.Helper()
	rows, err := raw.Query(`SELECT account_number FROM contracts WHERE state = 'active' ORDER BY id LIMIT 5`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var accounts []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		accounts = append(accounts, a)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(accounts) == 0 {
		t.Fatal("no active contracts")
	}
	return accounts
}

// importLoad imports a payment of a dollar or so for each account, again
// and again until ctx ends, counting the runs in runs.
func importLoad(ctx context.Context, t *testing.T, dsn string, accounts []string, date string, runs *atomic.Int64) {
	dir := t.TempDir()
	for batch := 0; ctx.Err() == nil; batch++ {
		var csv strings.Builder
		csv.WriteString("account_number,date,amount,key\n")
		for i, a := range accounts {
			fmt.Fprintf(&csv, "%s,%s,1.%02d,backup-load-%d-%d\n", a, date, i+1, batch, i)
		}
		file := filepath.Join(dir, fmt.Sprintf("payments-%d.csv", batch))
		if err := os.WriteFile(file, []byte(csv.String()), 0o600); err != nil {
			t.Error(err)
			return
		}
		out, err := carfinRun("import", "payments", "--db", dsn, "--file", file)
		if err != nil {
			t.Errorf("import during the backup: %v\n%s", err, out)
			return
		}
		if !strings.Contains(out, " 0 refused") {
			t.Errorf("import during the backup refused payments:\n%s", out)
			return
		}
		runs.Add(1)
	}
}

// TestBackupPostgresDump: the documented logical backup of PostgreSQL
// (docs/backups.md), taken with pg_dump while payments are imported and
// restored with pg_restore into a new database, passes carfin check, and
// its ledger is the source's at the dump's snapshot.
func TestBackupPostgresDump(t *testing.T) {
	base := dbtest.PostgresURL(t)
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed (Debian package postgresql-client)", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	ctx := context.Background()
	srcDSN, dstDSN := newPostgresDatabase(t, base), newPostgresDatabase(t, base)
	d, err := openDB(ctx, srcDSN)
	if err != nil {
		t.Fatal(err)
	}
	var f dbFlags
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	f.register(fs, func(string) string { return "" })
	cutoff, err := f.cutoffOf()
	if err != nil {
		t.Fatal(err)
	}
	today := cutoff.Today(d.Now())
	err = loadSynthetic(ctx, servicing.New(d, cutoff.Today), 0, 40, today)
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	accounts := activeAccounts(t, openRaw(t, srcDSN))

	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var imports atomic.Int64
	wg.Go(func() { importLoad(loadCtx, t, srcDSN, accounts, today.AddDays(-1).String(), &imports) })
	awaitLoad(t, &imports, 2)
	dump := filepath.Join(t.TempDir(), "carfin.dump")
	if out, err := exec.Command("pg_dump", "--format=custom", "--file="+dump, srcDSN).CombinedOutput(); err != nil {
		stopLoad()
		wg.Wait()
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	awaitLoad(t, &imports, imports.Load()+2)
	stopLoad()
	wg.Wait()
	if out, err := exec.Command("pg_restore", "--dbname="+dstDSN, "--no-owner", "--exit-on-error", "--single-transaction", dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	out, err := carfinRun("check", "--db", dstDSN)
	if err != nil || !strings.Contains(out, " 0 finding(s)") {
		t.Fatalf("carfin check on the restored database: %v\n%s", err, out)
	}
	t.Log(strings.TrimSpace(out))
	srcDB, dstDB := openRaw(t, srcDSN), openRaw(t, dstDSN)
	copied := sameLedger(t, dstDB, srcDB)
	later := readLedger(t, srcDB, maxLedgerID(t, srcDB))
	t.Logf("%d import runs; ledger: %d transactions in the dump (%d payments imported during the load), %d in the source at the end",
		imports.Load(), copied.transactions, copied.importedPayment, later.transactions)
	if copied.importedPayment == 0 || imports.Load() == 0 {
		t.Error("no payment imported before the dump: the load did not overlap it")
	}
}

// newPostgresDatabase creates an empty database on the test server,
// dropped when the test ends, and returns its URL.
func newPostgresDatabase(t *testing.T, base string) string {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var suffix [6]byte
	_, _ = rand.Read(suffix[:])
	name := "carfin_backup_" + hex.EncodeToString(suffix[:])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		c, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = c.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
