package casefile_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/casefile"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/money"
	"carfin/servicing"
)

// BenchmarkSearch times each kind of customer search in a book of 100,000
// contracts (80,000 customers) on PostgreSQL, the production engine; the
// goal is under 5 ms a search. Run it as
//
//	CARFIN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test ./casefile -run '^$' -bench Search -benchtime 2000x -timeout 30m
//
// The book is loaded into a fresh schema, through servicing's bulk
// imports (CreateCustomers, OpenContracts), in a minute or so; set
// CARFIN_BENCH_DB to a DSN to keep and reuse one, and
// CARFIN_BENCH_CONTRACTS to change its size.
func BenchmarkSearch(b *testing.B) {
	if os.Getenv(dbtest.EnvPostgres) == "" && os.Getenv("CARFIN_BENCH_DB") == "" {
		b.Skip("the search goal is for PostgreSQL: set " + dbtest.EnvPostgres)
	}
	ctx := context.Background()
	var d *db.DB
	if dsn := os.Getenv("CARFIN_BENCH_DB"); dsn != "" {
		var err error
		if d, err = db.Open(ctx, dsn); err != nil {
			b.Fatal(err)
		}
		defer d.Close()
		if err := d.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
	} else {
		d = dbtest.Postgres(b)
	}
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("CARFIN_BENCH_CONTRACTS")); err == nil && v > 0 {
		n = v
	}
	loadSearchBook(b, d, n)
	s := casefile.New(d, casefile.Config{})
	k := n / 2 // a contract in the middle of the book
	for _, q := range []struct{ name, query string }{
		{"name/common", "smith"},
		{"name/rare", searchLast(k)}, // about ten customers
		{"name/first_last", "maria gar"},
		{"name/last_first", "Lopez, J"},
		{"account", fmt.Sprintf("CF-%08d", k)},
		{"email/record", fmt.Sprintf("cust%d@example.com", k*4/5)},
		{"email/login", fmt.Sprintf("web%d@example.net", k*4/5)},
		{"phone", searchPhone(k*4/5, 2)}, // stored as "(555) …"
		{"vin6", fmt.Sprintf("%06d", k%(n/2+1))},
	} {
		hits, err := s.Search(ctx, q.query, 0)
		if err != nil || len(hits) == 0 {
			b.Fatalf("%s %q: %d hits, %v", q.name, q.query, len(hits), err)
		}
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Search(ctx, q.query, 0); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(hits)), "hits")
		})
	}
}

var (
	searchFirsts = []string{"Maria", "James", "John", "Linda", "Robert", "Mary", "Michael", "Patricia", "David", "Jennifer",
		"Jose", "Elizabeth", "William", "Susan", "Richard", "Jessica", "Joseph", "Sarah", "Thomas", "Karen", "Ana", "Luis", "Wei", "Fatima"}
	searchCommon = []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
		"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin"}
	searchSyllables = []string{"ka", "lo", "mer", "din", "sa", "vel", "tor", "an", "bri", "gus", "hol", "ney", "ric", "ston", "wa", "zel",
		"pe", "quin", "ros", "ter"}
)

// searchLast is the last name of customer i: a common one for a third of
// the book, else one of 8,000 made of syllables (about ten customers
// each), so that prefixes match as many as in a real book.
func searchLast(i int) string {
	if i%3 == 0 {
		return searchCommon[(i/3)%len(searchCommon)]
	}
	l := len(searchSyllables)
	name := searchSyllables[i%l] + searchSyllables[(i/l)%l] + searchSyllables[(i/l/l)%l]
	return string(name[0]-'a'+'A') + name[1:]
}

// searchPhone is customer i's phone, written one of three ways.
func searchPhone(i, style int) string {
	d := fmt.Sprintf("%07d", 2000000+i)
	switch style {
	case 0:
		return "+1555" + d
	case 1:
		return "(555) " + d[:3] + "-" + d[3:]
	}
	return "555-" + d[:3] + "-" + d[3:]
}

// loadSearchBook loads n contracts of n*4/5 customers (every fifth
// contract is the fourth customer's second), a quarter of the customers
// with an online login, once per schema.
func loadSearchBook(b *testing.B, d *db.DB, n int) {
	ctx := context.Background()
	var have int
	if err := d.Read.QueryRowContext(ctx, `SELECT count(*) FROM contracts WHERE account_number LIKE 'CF-%'`).Scan(&have); err != nil {
		b.Fatal(err)
	}
	if have >= n {
		return
	}
	if have > 0 {
		b.Fatalf("the bench schema holds a partial book (%d of %d contracts): drop it", have, n)
	}
	t0 := time.Now()
	sv := servicing.New(d, func(t time.Time) calendar.Date { return calendar.Of(t) })
	today := sv.Today()
	rng := rand.New(rand.NewPCG(2026, 12))
	const chunk = 5000 // contracts per import
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		var custs []servicing.NewCustomer
		first := start * 4 / 5 // customer number of the chunk's first
		for c := first; c < end*4/5; c++ {
			custs = append(custs, servicing.NewCustomer{FirstName: searchFirsts[rng.IntN(len(searchFirsts))], LastName: searchLast(c),
				Email: fmt.Sprintf("cust%d@example.com", c), Phone: searchPhone(c, c%3), AddressLine1: "1 Bench Way", City: "Testville",
				State: "OH", ZIP: "43004", BirthDate: calendar.New(1980, 1, 1), SSNLast4: "0000"})
		}
		custIDs, err := sv.CreateCustomers(ctx, custs)
		if err != nil {
			b.Fatal(err)
		}
		var ncs []servicing.NewContract
		for i := start; i < end; i++ {
			c := min(i*4/5, end*4/5-1) - first
			signed := today.AddDays(-30 - rng.IntN(700))
			ncs = append(ncs, servicing.NewContract{AccountNumber: fmt.Sprintf("CF-%08d", i), CustomerID: custIDs[c],
				// Serial numbers repeat across plants: a VIN's end matches two vehicles.
				VIN: servicing.WithCheckDigit(fmt.Sprintf("1CFBNCH00P%c%06d", 'A'+byte(i%2), i%(n/2+1))), VehicleYear: 2020 + rng.IntN(6),
				Make: "Bench", Model: "Sedan", Kind: servicing.KindLoan, AmountFinancedCents: money.Cents(10000_00 + rng.Int64N(35000_00)),
				APR: money.Rate(rng.Int64N(15 * money.RateScale)), TermMonths: 60, ContractDate: signed, FirstDue: signed.AddMonths(1),
				GraceDays: 10, LateFee: servicing.LateFeeRule{Kind: "fixed", FixedCents: 25_00}, NSFFeeCents: 25_00})
		}
		if _, err := sv.OpenContracts(ctx, ncs); err != nil {
			b.Fatal(err)
		}
		err = d.InTx(ctx, func(tx *db.Tx) error {
			var logins [][]any
			for j, id := range custIDs {
				if c := first + j; c%4 == 0 || c == (n/2)*4/5 {
					logins = append(logins, []any{"customer", id, fmt.Sprintf("web%d@example.net", c), "Bench", "", tx.Now(),
						[]byte(fmt.Sprint("bench-handle-", c)), tx.Now()})
				}
			}
			return tx.CopyFrom(ctx, "logins", []string{"realm", "customer_id", "email", "display_name", "password_hash",
				"password_changed_at", "webauthn_handle", "created_at"}, logins)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if _, err := d.SQL.ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d contracts in %s", n, time.Since(t0).Round(time.Second))
}
