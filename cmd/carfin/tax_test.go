package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/keyring"
	"carfin/money"
	"carfin/servicing"
	"carfin/tax"
)

// TestTax1098VLI records 2025's returns for a qualifying loan, then runs
// `carfin tax 1098-vli` and reads the filing file back with encoding/csv:
// every box, the full taxpayer id, mode 0600, and the returns marked
// filed (a second run writes none; --all writes them again).
func TestTax1098VLI(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			dsn := "sqlite:" + filepath.Join(t.TempDir(), "carfin.db")
			if engine == "postgres" {
				dsn = dbtest.PostgresDSN(t)
			}
			clock := &dbtest.Clock{}
			clock.Set(time.Date(2026, 1, 12, 15, 0, 0, 0, time.UTC))
			d, err := openDB(ctx, dsn, db.WithClock(clock))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			sv := servicing.New(d, calendar.Of)
			cust, err := sv.CreateCustomer(ctx, servicing.NewCustomer{FirstName: "Ana", LastName: "Peña", Email: "ana@example.com",
				AddressLine1: "1 Main St", AddressLine2: "Apt 2", City: "Springfield", State: "IL", ZIP: "62701",
				BirthDate: calendar.MustParse("1980-02-29"), SSNLast4: "6789"})
			if err != nil {
				t.Fatal(err)
			}
			loan, err := sv.OpenContract(ctx, servicing.NewContract{AccountNumber: "NW-X00001", CustomerID: cust,
				VIN: servicing.WithCheckDigit("1FTFW1E50RX000001"), VehicleYear: 2025, Make: "Ford", Model: "F-150",
				Kind: servicing.KindLoan, AmountFinancedCents: money.MustParse("30000"), APR: money.MustParseRate("7.99"), TermMonths: 60,
				ContractDate: calendar.MustParse("2025-02-10"), FirstDue: calendar.MustParse("2025-03-10"), GraceDays: 10,
				LateFee: servicing.LateFeeRule{Kind: "fixed", FixedCents: money.MustParse("25")}, NSFFeeCents: money.MustParse("25")})
			if err != nil {
				t.Fatal(err)
			}
			for due := calendar.MustParse("2025-03-10"); due.Year() == 2025; due = due.AddMonths(1) {
				if _, err := sv.PostPayment(ctx, servicing.Request{ContractID: loan, Date: due, IdempotencyKey: due.String(), Actor: "test"}, money.MustParse("608.15")); err != nil {
					t.Fatal(err)
				}
			}
			keys := keyring.Dev()
			if err := d.InTx(ctx, func(tx *db.Tx) error {
				return tax.SetVehicleLoanData(ctx, tx, keys, loan, tax.Data{TaxpayerID: "123-45-6789", Condition: tax.ConditionNew,
					OriginalUseByBorrower: true, PersonalUse: true, FirstLien: true, VehicleType: tax.VehiclePickup, GVWRLbs: 7050,
					USFinalAssembly: true, OriginationDate: calendar.MustParse("2025-02-10")})
			}); err != nil {
				t.Fatal(err)
			}
			env := map[string]string{"CARFIN_LENDER_NAME": "Northwind Motor Finance", "CARFIN_LENDER_ADDRESS": "100 Harbor Way; Columbus, OH 43215",
				"CARFIN_SUPPORT_PHONE": "1-800-555-0199", "CARFIN_LENDER_TIN": "12-3456789", "CARFIN_PAYMENT_KEYS": "dev"}
			getenv := func(k string) string { return env[k] }
			ts, err := taxFromEnv(getenv, d, time.UTC, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ts.Report(ctx, 2025); err != nil {
				t.Fatal(err)
			}
			paid, err := sv.InterestPaid(ctx, cust, loan)
			if err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			carfin := func(out string, args ...string) string {
				t.Helper()
				var stdout bytes.Buffer
				if err := run(ctx, append([]string{"carfin", "tax", "1098-vli", "--db", dsn, "--out", out}, args...), getenv, strings.NewReader(""), &stdout, &stdout); err != nil {
					t.Fatalf("carfin tax %v: %v", args, err)
				}
				return stdout.String()
			}
			summary := carfin(out, "--year", "2025")
			if !strings.Contains(summary, "1 Form 1098-VLI returns for 2025 (0 corrected), box 1 total "+paid[2025].String()) {
				t.Errorf("summary %q", summary)
			}
			files, _ := filepath.Glob(filepath.Join(out, "*.csv"))
			if len(files) != 1 {
				t.Fatalf("files %v", files)
			}
			fi, err := os.Stat(files[0])
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, %v", fi.Mode(), err)
			}
			in, err := os.Open(files[0])
			if err != nil {
				t.Fatal(err)
			}
			recs, err := csv.NewReader(in).ReadAll()
			in.Close()
			if err != nil || len(recs) != 2 {
				t.Fatalf("csv %v, %v", recs, err)
			}
			row := map[string]string{}
			for i, col := range recs[0] {
				row[col] = recs[1][i]
			}
			want := map[string]string{"form": "1098-VLI", "tax_year": "2025", "corrected": "0", "sequence": "0", "withdrawn": "0",
				"lender_name": "Northwind Motor Finance", "lender_address": "100 Harbor Way, Columbus, OH 43215", "lender_tin": "123456789",
				"borrower_name": "Ana Peña", "borrower_address_line2": "Apt 2", "borrower_zip": "62701",
				"borrower_tin": "123456789", "borrower_tin_type": "ssn", "account_number": "NW-X00001",
				"box1_interest_received": paid[2025].String(), "box2a_vehicle_year": "2025", "box2b_vehicle_make": "Ford",
				"box2c_vehicle_model": "F-150", "box2d_vin": servicing.WithCheckDigit("1FTFW1E50RX000001"),
				"box3a_origination_date": "2025-02-10", "box3b_acquisition_date": "", "box4_outstanding_principal": "30000.00",
				"box5_refund_overpaid_interest": "0.00", "box6_original_use_by_borrower": "1", "box7_us_final_assembly": "1"}
			for k, v := range want {
				if row[k] != v {
					t.Errorf("%s = %q, want %q", k, row[k], v)
				}
			}
			if len(recs[0]) != len(tax.FilingColumns) {
				t.Errorf("header %v", recs[0])
			}
			// Filed: a second run writes none; --all writes it again.
			if s := carfin(t.TempDir(), "--year", "2025"); !strings.Contains(s, " 0 Form 1098-VLI returns") {
				t.Errorf("second run %q", s)
			}
			if s := carfin(t.TempDir(), "--year", "2025", "--all"); !strings.Contains(s, " 1 Form 1098-VLI returns") {
				t.Errorf("--all %q", s)
			}
			var bad bytes.Buffer
			if err := run(ctx, []string{"carfin", "tax", "1098-vli", "--db", dsn, "--year", "2024"}, getenv, strings.NewReader(""), &bad, &bad); err == nil {
				t.Error("2024 accepted")
			}
		})
	}
}
