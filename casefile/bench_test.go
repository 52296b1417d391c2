package casefile_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"carfin/casefile"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/internal/bigbook"
)

// BenchmarkSearch times each kind of customer search in a book of 100,000
// contracts (80,000 customers) on PostgreSQL, the production engine; the
// goal is under 5 ms a search. Run it as
//
//	CARFIN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test ./casefile -run '^$' -bench Search -benchtime 2000x -timeout 30m
//
// The book is loaded into a fresh schema by package bigbook (servicing's
// bulk imports, then each account's history by COPY) in a few minutes; set
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
	t0 := time.Now()
	if _, err := bigbook.Load(ctx, d, n); err != nil {
		b.Fatal(err)
	}
	b.Logf("book of %d contracts ready in %s", n, time.Since(t0).Round(time.Second))
	s := casefile.New(d, casefile.Config{})
	k := n / 2 // a contract in the middle of the book
	for _, q := range []struct{ name, query string }{
		{"name/common", "smith"},
		{"name/rare", bigbook.LastName(k)}, // about ten customers
		{"name/first_last", "maria gar"},
		{"name/last_first", "Lopez, J"},
		{"account", bigbook.AccountNumber(k)},
		{"email/record", bigbook.CustomerEmail(bigbook.Customers(k))},
		{"email/login", bigbook.LoginEmail(bigbook.Customers(k))},
		{"phone", bigbook.Phone(bigbook.Customers(k), 2)}, // stored as "(555) …"
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
