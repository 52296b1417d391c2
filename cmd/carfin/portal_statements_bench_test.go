package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// BenchmarkDashboardWhileStatements holds the goal that the
// statement run must not slow the portal: the signed-in dashboard's
// maximum rate (as BenchmarkDashboard: `carfin serve` on CPU 0, vegeta
// here) quiet, then while a month of statements is made by a job process
// over the same PostgreSQL (`carfin bench statements`: the next 28
// statement dates of the book, PDFs and all), and again quiet. The job
// process runs as a lender should run batch work beside a portal, at the
// lowest CPU priority (nice 19, CARFIN_BENCH_NICE=0 for none). Goal: at
// least 70 % of the quiet rate.
//
//	taskset -c 1 go test ./cmd/carfin -run '^$' -bench DashboardWhileStatements -benchtime 1x -timeout 60m
func BenchmarkDashboardWhileStatements(b *testing.B) {
	ctx := context.Background()
	dsn, d, n := benchBook(b, 100_000)
	// A fresh month each run: the statements of earlier runs go.
	for _, q := range []string{`DELETE FROM print_queue`, `DELETE FROM statements`, `DELETE FROM statement_chunks`,
		`DELETE FROM documents WHERE kind = 'statement'`} {
		if _, err := d.SQL.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	tokens := benchSessions(b, d, 2000)
	base, _ := startChildServer(b, dsn)
	targets := dashboardTargets(tokens, base)
	tr := vegeta.NewStaticTargeter(targets...)
	attackMax(tr, 5*time.Second, 32) // warm up

	quiet, _ := attackMax(tr, 10*time.Second, 32)
	b.Logf("quiet: %.0f pages/s (load %s)", quiet, loadAvg())

	bin := filepath.Join(b.TempDir(), "carfin")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	args := []string{bin, "bench", "statements", "--db", dsn, "--contracts", strconv.Itoa(n), "--days", "28", "--render-for", "0s"}
	if os.Getenv("CARFIN_BENCH_NICE") != "0" {
		args = append([]string{"nice", "-n", "19"}, args...)
	}
	job := exec.Command(args[0], args[1:]...)
	out, err := job.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	job.Stderr = os.Stderr
	t0 := time.Now()
	if err := job.Start(); err != nil {
		b.Fatal(err)
	}
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// Give the run a few seconds to reach its stride, then measure while
	// it goes on.
	time.Sleep(5 * time.Second)
	var busy []float64
	for range 3 {
		r, _ := attackMax(tr, 10*time.Second, 32)
		busy = append(busy, r)
	}
	b.Logf("while statements run: %v pages/s (load %s)", busy, loadAvg())
	var summary []string
	for l := range lines {
		if !strings.HasPrefix(l, "  ") {
			summary = append(summary, l)
		}
	}
	if err := job.Wait(); err != nil {
		b.Fatalf("statement run: %v", err)
	}
	b.Logf("statement run (%s): %s", time.Since(t0).Round(time.Second), strings.Join(summary, " | "))
	after, _ := attackMax(tr, 10*time.Second, 32)
	b.Logf("quiet again: %.0f pages/s", after)
	ratio := median(busy) / quiet
	b.ReportMetric(quiet, "quiet-pages/s")
	b.ReportMetric(median(busy), "busy-pages/s")
	b.ReportMetric(ratio, "busy/quiet")
	if ratio < 0.7 {
		b.Errorf("the dashboard kept %.0f %% of its quiet rate while statements ran, want at least 70 %%", 100*ratio)
	}
}
