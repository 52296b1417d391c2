package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/ledger"
	"carfin/money"
	"carfin/payments"
	"carfin/servicing"
)

// paymentsEnv is the environment the payments commands read in the tests.
func paymentsEnv(outDir string) map[string]string {
	return map[string]string{
		"CARFIN_PAYMENT_KEYS": "dev", "CARFIN_ROUTING_FILE": "sample", "CARFIN_ACH_DIR": outDir,
		"CARFIN_ACH_ODFI": "061993512", "CARFIN_ACH_COMPANY_ID": "1987654321", "CARFIN_ACH_COMPANY_NAME": "Northwind Motor",
		"CARFIN_LENDER_NAME": "Northwind Motor Finance", "CARFIN_ACH_CHUNK": "5", "CARFIN_ACH_RETRIES": "1",
	}
}

// carfinEnv runs carfin in process with an environment.
func carfinEnv(t *testing.T, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"carfin"}, args...), func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
	code := exitCode(err, &errOut)
	return out.String(), errOut.String(), code
}

// paymentsBook opens 40 loans due on day D (the last business day before
// today, whose cut-off has passed) and enrols each in autopay from a
// validated bank account, with the clock set a week and a half earlier.
func paymentsBook(t *testing.T, dsn string, d calendar.Date, outDir string) {
	t.Helper()
	ctx := context.Background()
	cut, err := calendar.ParseCutoff("17:00", "America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	setup := calendar.AddBusinessDays(d, -7)
	y, m, dd := setup.Date()
	var clk dbtest.Clock
	clk.Set(time.Date(y, m, dd, 10, 0, 0, 0, cut.Location))
	dbx, err := openDB(ctx, dsn, db.WithClock(&clk))
	if err != nil {
		t.Fatal(err)
	}
	defer dbx.Close()
	sv := servicing.New(dbx, cut.Today)
	pay, err := paymentsFromEnv(func(k string) string { return paymentsEnv(outDir)[k] }, dbx, sv, cut, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	custs := make([]servicing.NewCustomer, 40)
	for i := range custs {
		custs[i] = servicing.NewCustomer{FirstName: "Pay", LastName: fmt.Sprint("Tester", i), Email: fmt.Sprintf("p%d@example.com", i),
			AddressLine1: "9 Pine Rd", City: "Austin", State: "TX", ZIP: "73301", BirthDate: calendar.New(1985, 5, 5), SSNLast4: "4321"}
	}
	ids, err := sv.CreateCustomers(ctx, custs)
	if err != nil {
		t.Fatal(err)
	}
	routings := []string{"112601818", "129083018", "226131863", "029139091", "210308246", "222819480", "061993512", "039093787"}
	for i, c := range ids {
		_, err := sv.OpenContract(ctx, servicing.NewContract{AccountNumber: fmt.Sprintf("P-%03d", i), CustomerID: c,
			VIN: servicing.WithCheckDigit(fmt.Sprintf("3KPA24AD0P%07d", i)), VehicleYear: 2023, Make: "Ford", Model: "Escape",
			Kind: servicing.KindLoan, AmountFinancedCents: money.Cents(15000_00 + 100_00*int64(i)), APR: money.MustParseRate("7.25"),
			TermMonths: 48, ContractDate: d.AddMonths(-1), FirstDue: d, GraceDays: 10,
			LateFee: servicing.LateFeeRule{Kind: "fixed", FixedCents: 20_00}, NSFFeeCents: 25_00})
		if err != nil {
			t.Fatal(err)
		}
		acct := fmt.Sprintf("4%08d", i)
		if _, err := pay.AddBankAccount(ctx, c, payments.NewBankAccount{HolderName: fmt.Sprint("Pay Tester", i), AccountType: "checking",
			Routing: routings[i%len(routings)], Account: acct, ConfirmAccount: acct}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pay.OriginateACH(ctx, setup); err != nil {
		t.Fatal(err)
	}
	rows, err := dbx.Read.QueryContext(ctx, `SELECT m.id, m.customer_id, m.micro1_cents, m.micro2_cents, c.id FROM payment_methods m
		JOIN contracts c ON c.customer_id = m.customer_id ORDER BY m.id`)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ method, customer, a, b, contract int64 }
	var rs []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.method, &r.customer, &r.a, &r.b, &r.contract); err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	rows.Close()
	for _, r := range rs {
		if _, err := pay.ConfirmMicroDeposits(ctx, r.customer, r.method, money.Cents(r.a), money.Cents(r.b)); err != nil {
			t.Fatal(err)
		}
		req := payments.AutopayRequest{ContractID: r.contract, MethodID: r.method, Accepted: true, Version: payments.AuthorizationVersion}
		if a, err := pay.EnrolAutopay(ctx, r.customer, req); err != nil || a.NextDebit.Date != d {
			t.Fatalf("enrol: %+v %v", a.NextDebit, err)
		}
	}
}

// paymentsSummary is what must be equal between a killed-and-rerun book
// and an uninterrupted one: counts, ledger balances, the file's entries.
func paymentsSummary(t *testing.T, dsn string) string {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var debits, pending, events, files int
	_ = d.Read.QueryRowContext(ctx, `SELECT count(*) FROM payments WHERE kind = 'autopay'`).Scan(&debits)
	_ = d.Read.QueryRowContext(ctx, `SELECT count(*) FROM payments WHERE kind = 'autopay' AND status = 'pending'`).Scan(&pending)
	_ = d.Read.QueryRowContext(ctx, `SELECT count(*) FROM servicing_events WHERE kind = 'payment'`).Scan(&events)
	_ = d.Read.QueryRowContext(ctx, `SELECT count(*) FROM ach_files WHERE status = 'written'`).Scan(&files)
	s := fmt.Sprintf("debits=%d pending=%d postings=%d files=%d", debits, pending, events, files)
	for _, a := range []string{servicing.AccountPrincipal, servicing.AccountInterest, servicing.AccountCash} {
		b, err := ledger.AccountBalance(ctx, d.Read, a)
		if err != nil {
			t.Fatal(err)
		}
		s += fmt.Sprintf(" %s=%s", a, b)
	}
	var path string
	if err := d.Read.QueryRowContext(ctx, `SELECT path FROM ach_files WHERE status = 'written' ORDER BY id DESC LIMIT 1`).Scan(&path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var entries []string
	for l := range strings.Lines(string(data)) {
		if strings.HasPrefix(l, "6") {
			entries = append(entries, l[:78]) // without the trace number (it is the payment id)
		}
	}
	sort.Strings(entries)
	s += fmt.Sprintf(" entries=%d\n%s", len(entries), strings.Join(entries, ""))
	if f, err := servicing.Check(ctx, d); err != nil || len(f) > 0 {
		t.Errorf("check on %s: %v %v", dsn, f, err)
	}
	return s
}

// TestPaymentsCommands: `carfin payments run` killed with SIGKILL while
// writing the NACHA file, run again, leaves exactly what an uninterrupted
// run leaves (every installment debited and posted once); `carfin ach
// returns` imports the bank's return file once; `carfin ach file` on a
// day with nothing due writes nothing. On both engines.
func TestPaymentsCommands(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			loc := mustZone(t, "America/New_York")
			d := calendar.PreviousBusinessDay(calendar.Of(time.Now().In(loc)))
			var dsns [2]string
			outs := [2]string{t.TempDir(), t.TempDir()}
			for i := range dsns {
				if engine == "sqlite" {
					dsns[i] = "sqlite:" + filepath.Join(t.TempDir(), "carfin.db")
				} else {
					dsns[i] = dbtest.PostgresDSN(t)
				}
				paymentsBook(t, dsns[i], d, outs[i])
			}
			for k, v := range paymentsEnv(outs[0]) {
				t.Setenv(k, v) // the child process reads its environment
			}
			args := func(dsn string) []string {
				return []string{"payments", "run", "--db", dsn, "--date", d.String(), "--verbose"}
			}
			killAfter(t, "ACH chunk posted", args(dsns[0])...)
			got := paymentsSummary(t, dsns[0])
			t.Logf("after the kill: %s", strings.SplitN(got, "\n", 2)[0])
			if strings.Contains(got, "pending=40") || strings.Contains(got, "files=2") {
				t.Fatalf("the kill came too late to test anything:\n%s", got)
			}
			for i, dsn := range dsns {
				out, errOut, code := carfinEnv(t, paymentsEnv(outs[i]), args(dsn)...)
				if code != 0 || !strings.Contains(out, "ACH file") {
					t.Fatalf("payments run: %s\n%s", out, errOut)
				}
			}
			a, b := paymentsSummary(t, dsns[0]), paymentsSummary(t, dsns[1])
			if a != b || !strings.Contains(a, "debits=40 pending=40 postings=40") || !strings.Contains(a, "entries=40") {
				t.Fatalf("killed and rerun:\n%s\nuninterrupted:\n%s", a, b)
			}
			// The bank returns one debit (R01) and corrects another (C01).
			dbx, err := db.Open(context.Background(), dsns[1])
			if err != nil {
				t.Fatal(err)
			}
			var trace1, trace2 string
			_ = dbx.Read.QueryRow(`SELECT trace_number FROM payments WHERE kind = 'autopay' ORDER BY id LIMIT 1`).Scan(&trace1)
			_ = dbx.Read.QueryRow(`SELECT trace_number FROM payments WHERE kind = 'autopay' ORDER BY id DESC LIMIT 1`).Scan(&trace2)
			dbx.Close()
			csvFile := filepath.Join(t.TempDir(), "returns.csv")
			if err := os.WriteFile(csvFile, []byte("trace_number,code,corrected_data\n"+trace1+",R01,\n"+trace2+",C01,123123123\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			env := paymentsEnv(outs[1])
			out, errOut, code := carfinEnv(t, env, "ach", "returns", "--db", dsns[1], "--file", csvFile)
			if code != 0 || !strings.Contains(out, "1 returns, 1 notifications of change, 1 re-presentments scheduled, 1 NSF fees") {
				t.Fatalf("ach returns: %s %s", out, errOut)
			}
			if out, _, _ := carfinEnv(t, env, "ach", "returns", "--db", dsns[1], "--file", csvFile); !strings.Contains(out, "imported before") {
				t.Errorf("second import: %s", out)
			}
			// Nothing more is due that day: no second file.
			if out, errOut, code := carfinEnv(t, env, "ach", "file", "--db", dsns[1], "--date", d.String(), "--out", t.TempDir()); code != 0 || !strings.Contains(out, "no ACH file") {
				t.Errorf("ach file: %s %s", out, errOut)
			}
			if _, errOut, code := carfinEnv(t, env, "payments", "run", "--db", dsns[1], "--date", "2026-13-01"); code != 2 {
				t.Errorf("bad date: %d %s", code, errOut)
			}
			bad := paymentsEnv(outs[1])
			bad["CARFIN_PAYMENT_KEYS"] = "k1:short"
			if _, errOut, code := carfinEnv(t, bad, "payments", "run", "--db", dsns[1]); code != 2 || !strings.Contains(errOut, "CARFIN_PAYMENT_KEYS") {
				t.Errorf("bad keys: %d %s", code, errOut)
			}
		})
	}
}
