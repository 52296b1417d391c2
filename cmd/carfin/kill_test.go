package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/ledger"
	"carfin/money"
	"carfin/servicing"
)

// helperArgsEnv carries a command line to TestHelperProcess.
const helperArgsEnv = "CARFIN_HELPER_ARGS"

// TestHelperProcess is not a test: it is how the kill tests run carfin in
// a child process they can SIGKILL. It does nothing unless the parent set
// helperArgsEnv.
func TestHelperProcess(t *testing.T) {
	args := os.Getenv(helperArgsEnv)
	if args == "" {
		return
	}
	err := run(context.Background(), append([]string{"carfin"}, strings.Split(args, "\x1f")...), os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	os.Exit(exitCode(err, os.Stderr))
}

// killAfter runs carfin args in a child process and SIGKILLs it as soon as
// it prints a line containing marker. It fails the test if the child ends
// before that.
func killAfter(t *testing.T, marker string, args ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperArgsEnv+"="+strings.Join(args, "\x1f"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if strings.Contains(sc.Text(), marker) {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			return
		}
	}
	_ = cmd.Wait()
	t.Fatalf("child ended before printing %q", marker)
}

// killBook opens 40 loans signed 40 days ago in d.
func killBook(t *testing.T, d *db.DB, today calendar.Date) {
	t.Helper()
	ctx := context.Background()
	sv := servicing.New(d, func(time.Time) calendar.Date { return today })
	custs := make([]servicing.NewCustomer, 40)
	for i := range custs {
		custs[i] = servicing.NewCustomer{FirstName: "Kim", LastName: fmt.Sprint("Test", i), Email: fmt.Sprintf("k%d@example.com", i),
			AddressLine1: "9 Pine Rd", City: "Austin", State: "TX", ZIP: "73301", BirthDate: calendar.New(1985, 5, 5), SSNLast4: "4321"}
	}
	ids, err := sv.CreateCustomers(ctx, custs)
	if err != nil {
		t.Fatal(err)
	}
	var ncs []servicing.NewContract
	for i, id := range ids {
		ncs = append(ncs, servicing.NewContract{AccountNumber: fmt.Sprintf("K-%03d", i), CustomerID: id,
			VIN: servicing.WithCheckDigit(fmt.Sprintf("3KPA24AD0L%07d", i)), VehicleYear: 2023, Make: "Ford", Model: "Escape",
			Kind: servicing.KindLoan, AmountFinancedCents: money.Cents(15000_00 + 100_00*int64(i)), APR: money.MustParseRate("7.25"),
			TermMonths: 48, ContractDate: today - 40, FirstDue: today - 10, GraceDays: 5,
			LateFee: servicing.LateFeeRule{Kind: "fixed", FixedCents: 20_00}, NSFFeeCents: 25_00})
	}
	if _, err := sv.OpenContracts(ctx, ncs); err != nil {
		t.Fatal(err)
	}
}

// summary is what must be equal between a killed-and-rerun book and an
// uninterrupted one.
func summary(t *testing.T, dsn string) string {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var events, txs, chunks int
	_ = d.Read.QueryRowContext(ctx, `SELECT count(*) FROM servicing_events`).Scan(&events)
	_ = d.Read.QueryRowContext(ctx, `SELECT count(*) FROM ledger_transactions`).Scan(&txs)
	_ = d.Read.QueryRowContext(ctx, `SELECT count(*) FROM day_close_chunks`).Scan(&chunks)
	s := fmt.Sprintf("events=%d transactions=%d chunks=%d", events, txs, chunks)
	for _, a := range []string{servicing.AccountPrincipal, servicing.AccountInterest, servicing.AccountFees, servicing.AccountCash,
		servicing.AccountAccruedInterest, servicing.AccountInterestIncome} {
		b, err := ledger.AccountBalance(ctx, d.Read, a)
		if err != nil {
			t.Fatal(err)
		}
		s += fmt.Sprintf(" %s=%s", a, b)
	}
	if f, err := servicing.Check(ctx, d); err != nil || len(f) > 0 {
		t.Errorf("check on %s: %v %v", dsn, f, err)
	}
	return s
}

// TestKilledProcesses: a day close and a payment import, each killed with
// SIGKILL part-way, leave a consistent database, and running them again
// completes the work exactly once: the book equals a twin that ran without
// interruption. On both engines.
func TestKilledProcesses(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			today := calendar.Of(time.Now().In(mustZone(t, "America/New_York")))
			var dsns [2]string
			for i := range dsns {
				if engine == "sqlite" {
					dsns[i] = "sqlite:" + filepath.Join(t.TempDir(), "carfin.db")
				} else {
					dsns[i] = dbtest.PostgresDSN(t)
				}
				d, err := openDB(context.Background(), dsns[i])
				if err != nil {
					t.Fatal(err)
				}
				killBook(t, d, today)
				d.Close()
			}
			closeArgs := func(dsn string) []string {
				return []string{"jobs", "close-through", "--db", dsn, "--date", (today - 1).String(), "--chunk-size", "10"}
			}
			// Day close of 40 days × 4 chunks, killed after the fifth date.
			killAfter(t, (today-35).String()+":", closeArgs(dsns[0])...)
			for _, dsn := range dsns {
				if _, errOut, code := carfin(t, closeArgs(dsn)...); code != 0 {
					t.Fatalf("close-through: %s", errOut)
				}
			}
			if a, b := summary(t, dsns[0]), summary(t, dsns[1]); a != b {
				t.Fatalf("day close killed and rerun:\n %s\nuninterrupted:\n %s", a, b)
			}
			// 12,000 payments of 1.00 (300 per contract), killed after the
			// first chunk of 10,000 posted.
			file := filepath.Join(t.TempDir(), "payments.csv")
			var b strings.Builder
			b.WriteString("account_number,date,amount,key\n")
			for n := range 300 {
				for i := range 40 {
					fmt.Fprintf(&b, "K-%03d,%s,1.00,lockbox-%d-%d\n", i, today, i, n)
				}
			}
			if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			killAfter(t, "progress: 10000 of 12000", "import", "payments", "--db", dsns[0], "--file", file)
			for _, dsn := range dsns {
				out, errOut, code := carfin(t, "import", "payments", "--db", dsn, "--file", file)
				if code != 0 || strings.Contains(out, "refused:") {
					t.Fatalf("import: %s\n%s", out, errOut)
				}
			}
			if a, b := summary(t, dsns[0]), summary(t, dsns[1]); a != b {
				t.Fatalf("import killed and rerun:\n %s\nuninterrupted:\n %s", a, b)
			}
			// Importing the file once more posts nothing.
			out, _, _ := carfin(t, "import", "payments", "--db", dsns[1], "--file", file)
			if !strings.Contains(out, "0 posted, 12000 already posted, 0 refused") {
				t.Errorf("re-import: %s", out)
			}
		})
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
