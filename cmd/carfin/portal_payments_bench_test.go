package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/money"
	"carfin/payments"
)

// BenchmarkPaymentSubmit measures issue 6's speed goal for one-time
// payments: 8 customers at once confirming payments through the portal
// over HTTP — the review page's form posted to POST /contracts/{id}/pay
// with a fresh idempotency key each time, answered by the redirect to the
// confirmation — on PostgreSQL (goal: p99 < 50 ms). Each payment is
// recorded with its receipt PDF, the email with the receipt attached and
// the audit event, as in production. The server runs in this process
// (all of carfin serve's middleware and handlers):
//
//	CARFIN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test ./cmd/carfin -run '^$' -bench PaymentSubmit -benchtime 1x
//
// CARFIN_BENCH_PAYMENTS sets the payments per customer (default 250,
// after 20 unmeasured ones each).
func BenchmarkPaymentSubmit(b *testing.B) {
	const customers = 8
	perCustomer := 250
	if n, err := strconv.Atoi(os.Getenv("CARFIN_BENCH_PAYMENTS")); err == nil && n > 0 {
		perCustomer = n
	}
	d := dbtest.Postgres(b)
	env := payEnv{"CARFIN_PAYMENT_KEYS": "dev", "CARFIN_ROUTING_FILE": "sample", "CARFIN_CARD_PROCESSOR": "test",
		"CARFIN_ACH_DIR": b.TempDir(), "CARFIN_ACH_ODFI": "061993512", "CARFIN_ACH_COMPANY_ID": "1987654321"}
	s := benchServe(b, d, env.serve)
	// A business day, 10:00 in New York, running on from there.
	s.clock.Set(time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC))
	s.clock.Run()
	pay := env.paymentsFor(b, d)
	cs := benchLogins(b, s, customers)
	type who struct {
		client   *http.Client
		contract int64
		method   int64
	}
	var people []who
	for _, c := range cs {
		contract := contractOf(b, d, c.id)
		m := benchBank(b, pay, d, c.id, strconv.FormatInt(c.id*1000+7, 10))
		jar, _ := cookiejar.New(nil)
		client := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		if st := postLogin(client, s.base, c.email, testPassword, "198.51.100.90"); st != http.StatusSeeOther {
			b.Fatalf("sign-in: %d", st)
		}
		people = append(people, who{client: client, contract: contract, method: m.ID})
	}
	today := calendar.Date(0)
	if o, err := pay.Options(context.Background(), cs[0].id, people[0].contract); err == nil {
		today = o.Earliest
	} else {
		b.Fatal(err)
	}
	submit := func(w who, key string) (time.Duration, error) {
		// The same payment again and again: each confirms a second one on
		// purpose (the review's box), as a customer would.
		form := url.Values{"amount": {"other"}, "other": {"1.00"}, "method": {strconv.FormatInt(w.method, 10)}, "date": {today.String()}, "key": {key},
			"again": {"1"}}
		req, _ := http.NewRequest("POST", s.base+"/contracts/"+strconv.FormatInt(w.contract, 10)+"/pay", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		t0 := time.Now()
		res, err := w.client.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		el := time.Since(t0)
		if res.StatusCode != http.StatusSeeOther {
			return el, fmt.Errorf("status %d", res.StatusCode)
		}
		return el, nil
	}
	b.ResetTimer()
	for range b.N {
		for i, w := range people { // warm-up: connections, caches
			for j := range 20 {
				if _, err := submit(w, fmt.Sprintf("warm-%d-%d-%d", i, j, time.Now().UnixNano())); err != nil {
					b.Fatal(err)
				}
			}
		}
		load := loadAvg()
		lat := make([][]time.Duration, customers)
		var wg sync.WaitGroup
		var failed sync.Map
		t0 := time.Now()
		for i, w := range people {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range perCustomer {
					el, err := submit(w, fmt.Sprintf("bench-%d-%d-%d", i, j, t0.UnixNano()))
					if err != nil {
						failed.Store(i, err)
						return
					}
					lat[i] = append(lat[i], el)
				}
			}()
		}
		wg.Wait()
		wall := time.Since(t0)
		failed.Range(func(k, v any) bool { b.Fatalf("customer %v: %v", k, v); return false })
		all := slices.Concat(lat...)
		slices.Sort(all)
		pct := func(p float64) time.Duration { return all[min(len(all)-1, int(p*float64(len(all))))] }
		b.ReportMetric(ms(pct(0.50)), "p50-ms")
		b.ReportMetric(ms(pct(0.99)), "p99-ms")
		b.ReportMetric(float64(len(all))/wall.Seconds(), "payments/s")
		b.Logf("%d payments by %d customers at once in %s (%.0f/s): p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms; load average before %s, after %s",
			len(all), customers, wall.Round(time.Millisecond), float64(len(all))/wall.Seconds(), ms(pct(0.5)), ms(pct(0.9)), ms(pct(0.99)), ms(all[len(all)-1]),
			load, loadAvg())
	}
}

// benchBank gives a customer a bank account confirmed by its
// micro-deposits.
func benchBank(b *testing.B, pay *payments.Service, d *db.DB, customerID int64, account string) payments.Method {
	ctx := context.Background()
	m, err := pay.AddBankAccount(ctx, customerID, payments.NewBankAccount{HolderName: "Bench Quinn", AccountType: "checking", Routing: "112601818",
		Account: account, ConfirmAccount: account})
	if err != nil {
		b.Fatal(err)
	}
	cut := pay.Config().Cutoff
	if _, err := pay.OriginateACH(ctx, calendar.OnOrAfterBusinessDay(cut.Today(d.Now()))); err != nil {
		b.Fatal(err)
	}
	var x, y int64
	if err := d.Read.QueryRow(`SELECT micro1_cents, micro2_cents FROM payment_methods WHERE id = $1`, m.ID).Scan(&x, &y); err != nil {
		b.Fatal(err)
	}
	if m, err = pay.ConfirmMicroDeposits(ctx, customerID, m.ID, money.Cents(x), money.Cents(y)); err != nil {
		b.Fatal(err)
	}
	return m
}
