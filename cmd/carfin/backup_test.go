package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"carfin/demo"
)

// backupLoad is how long the demo is kept busy before and after the backup.
const backupLoad = 1500 * time.Millisecond

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

func readLedger(t *testing.T, path string, upToID int64) ledgerState {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	s := ledgerState{balances: map[string]int64{}}
	rows, err := raw.Query(`SELECT COALESCE(p.contract_id, 0), p.account, SUM(p.amount_cents),
			SUM(CASE WHEN p.amount_cents > 0 THEN p.amount_cents ELSE 0 END), SUM(CASE WHEN p.amount_cents < 0 THEN -p.amount_cents ELSE 0 END)
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

func maxLedgerID(t *testing.T, path string) int64 {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var id int64
	if err := raw.QueryRow(`SELECT COALESCE(MAX(id), 0) FROM ledger_transactions`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
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
	var accounts []string
	{
		raw, err := sql.Open("sqlite", "file:"+src+"?mode=ro&_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		rows, err := raw.Query(`SELECT account_number FROM contracts WHERE state = 'active' ORDER BY id LIMIT 5`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var a string
			if err := rows.Scan(&a); err != nil {
				t.Fatal(err)
			}
			accounts = append(accounts, a)
		}
		rows.Close()
		raw.Close()
		if len(accounts) == 0 {
			t.Fatal("no active contracts in the demo book")
		}
	}

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
	wg.Go(func() {
		for batch := 0; loadCtx.Err() == nil; batch++ {
			var csv strings.Builder
			csv.WriteString("account_number,date,amount,key\n")
			for i, a := range accounts {
				fmt.Fprintf(&csv, "%s,%s,1.%02d,backup-load-%d-%d\n", a, businessDate, i+1, batch, i)
			}
			file := filepath.Join(t.TempDir(), "payments.csv")
			if err := os.WriteFile(file, []byte(csv.String()), 0o600); err != nil {
				t.Error(err)
				return
			}
			if out, err := carfinRun("import", "payments", "--db", "sqlite:"+src, "--file", file); err != nil {
				t.Errorf("import during the backup: %v\n%s", err, out)
				return
			} else if strings.Contains(out, " refused") && !strings.Contains(out, " 0 refused") {
				t.Errorf("import during the backup refused payments:\n%s", out)
				return
			}
			imports.Add(1)
		}
	})

	time.Sleep(backupLoad)
	bak := filepath.Join(t.TempDir(), "carfin-backup.db")
	out, err := carfinRun("backup", "--db", "sqlite:"+src, "--to", bak)
	if err != nil {
		t.Fatalf("backup under load: %v\n%s", err, out)
	}
	t.Log(strings.TrimSpace(out))
	time.Sleep(backupLoad)
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
	upTo := maxLedgerID(t, restored)
	copied, source := readLedger(t, restored, upTo), readLedger(t, src, upTo)
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
	if copied.importedPayment == 0 {
		t.Error("no payment imported before the backup: the load did not overlap it")
	}
	later := readLedger(t, src, maxLedgerID(t, src))
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
		defer os.Chmod(ro, 0o700)
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
