package main

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/servicing"
)

// BenchmarkOverload is issue 15's overload test: past capacity carfin
// sheds load rather than queue. A `carfin serve` process pinned to one
// core (GOMAXPROCS=1, as BenchmarkDashboard) is offered signed-in
// dashboards open loop (requests leave on a fixed schedule whatever the
// answers) at twice the rate it serves closed loop, while sign-in pages
// (the auth class) are asked at a low rate beside them. It reports the
// rate served against capacity, the share of 503s, the latency of each
// kind of answer, and whether sign-in still got through:
//
//	CARFIN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  taskset -c 1 go test ./cmd/carfin -run '^$' -bench Overload -benchtime 1x -timeout 20m
//
// CARFIN_BENCH_CONTRACTS sizes the book (default 2,000; CARFIN_BENCH_DB
// keeps one), CARFIN_BENCH_SECONDS the overload (default 20 s). The goal:
// every answer within 1 s (a success or a fast 503) and the rate served
// near capacity.
func BenchmarkOverload(b *testing.B) {
	ctx := context.Background()
	dsn := os.Getenv("CARFIN_BENCH_DB")
	if dsn == "" {
		dsn = dbtest.PostgresDSN(b)
	}
	d, err := db.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	if err := d.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("CARFIN_BENCH_CONTRACTS")); err == nil && v > 0 {
		n = v
	}
	du := 20 * time.Second
	if v, err := strconv.Atoi(os.Getenv("CARFIN_BENCH_SECONDS")); err == nil && v > 0 {
		du = time.Duration(v) * time.Second
	}
	cutoff, _ := calendar.ParseCutoff("17:00", "America/New_York")
	sv := servicing.New(d, cutoff.Today)
	loadPortalBook(b, d, sv, n, cutoff.Today(time.Now()))
	tokens := benchSessions(b, d, min(n, 500))
	base, _ := startChildServer(b, dsn)
	targets := make([]vegeta.Target, len(tokens))
	for i, tok := range tokens {
		targets[i] = vegeta.Target{Method: "GET", URL: base + "/", Header: http.Header{"Cookie": {"carfin_session=" + tok}}}
	}
	pages := vegeta.NewStaticTargeter(targets...)
	signIn := vegeta.NewStaticTargeter(vegeta.Target{Method: "GET", URL: base + "/login"})

	// Capacity: as many closed-loop clients as the pages class has slots
	// on one core (DefaultShedLimits), so that none is shed.
	attackMax(pages, 3*time.Second, 4) // warm up
	capacity, _ := attackMax(pages, 10*time.Second, 4)
	b.Logf("capacity (closed loop, 4 clients): %.0f dashboards/s; load average %s", capacity, loadAvg())

	for range b.N {
		var wg sync.WaitGroup
		var auth []*vegeta.Result
		wg.Go(func() { auth = attackResults(signIn, 20, du, "sign-in") })
		all := attackResults(pages, 2*capacity, du, "overload")
		wg.Wait()

		var ok, shed, other int
		var okLat, shedLat, allLat []time.Duration
		for _, r := range all {
			allLat = append(allLat, r.Latency)
			switch r.Code {
			case http.StatusOK:
				ok++
				okLat = append(okLat, r.Latency)
			case http.StatusServiceUnavailable:
				shed++
				shedLat = append(shedLat, r.Latency)
			default:
				other++
			}
		}
		authOK := 0
		var authLat []time.Duration
		for _, r := range auth {
			if r.Code == http.StatusOK {
				authOK++
			}
			authLat = append(authLat, r.Latency)
		}
		late := 0
		for _, l := range allLat {
			if l > time.Second {
				late++
			}
		}
		served := float64(ok) / du.Seconds()
		b.Logf("offered %.0f/s for %s: %d requests; served %.0f/s (%.2f of capacity); 503 %.1f %%; other %d (errors and timeouts); over 1 s: %d",
			2*capacity, du, len(all), served, served/capacity, 100*float64(shed)/float64(max(len(all), 1)), other, late)
		b.Logf("latency: all p50 %s p99 %s max %s; 200s p99 %s max %s; 503s p99 %s max %s",
			pct(allLat, 50), pct(allLat, 99), pct(allLat, 100), pct(okLat, 99), pct(okLat, 100), pct(shedLat, 99), pct(shedLat, 100))
		b.Logf("sign-in page beside the flood: %d of %d answered 200, p99 %s, max %s", authOK, len(auth), pct(authLat, 99), pct(authLat, 100))
		b.ReportMetric(served/capacity, "served/capacity")
		b.ReportMetric(100*float64(shed)/float64(max(len(all), 1)), "503-%")
		b.ReportMetric(ms(pct(allLat, 99)), "p99-ms")
		b.ReportMetric(ms(pct(allLat, 100)), "max-ms")
		b.ReportMetric(float64(authOK)/float64(max(len(auth), 1)), "sign-in-ok")
		if late > 0 || other > 0 {
			b.Errorf("%d answers over 1 s, %d neither 200 nor 503", late, other)
		}
	}
}

// attackResults runs vegeta open loop at rate per second for du and
// returns every result.
func attackResults(tr vegeta.Targeter, rate float64, du time.Duration, name string) []*vegeta.Result {
	a := vegeta.NewAttacker(vegeta.KeepAlive(true), vegeta.Timeout(10*time.Second), vegeta.MaxBody(64<<10),
		vegeta.Workers(32), vegeta.MaxWorkers(4096), vegeta.Connections(4096))
	var out []*vegeta.Result
	for res := range a.Attack(tr, vegeta.Rate{Freq: int(rate), Per: time.Second}, du, name) {
		out = append(out, res)
	}
	return out
}

// pct is the p-th percentile of ls (100: the maximum), 0 for none.
func pct(ls []time.Duration, p int) time.Duration {
	if len(ls) == 0 {
		return 0
	}
	s := slices.Clone(ls)
	slices.Sort(s)
	i := min(len(s)-1, (len(s)*p+99)/100-1)
	return s[max(i, 0)].Round(time.Microsecond)
}
