package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db/dbtest"
)

// TestBenchSoak runs `carfin bench soak` for a few seconds with three
// customers, so that the soak command (a tool, not a CI test of the
// goals) cannot rot: it seeds, starts two instances (this test binary
// through TestServeProcess), passes its smoke pass of every operation on
// each, measures a capacity, sends the mix open loop, samples /metrics
// and runs check. The goals themselves depend on the machine (a few
// seconds under -race miss the p99), so a run that ends with goals
// missed passes; any other error fails.
func TestBenchSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers")
	}
	dsn := dbtest.PostgresDSN(t)
	cutoff, err := calendar.ParseCutoff("17:00", "America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	c := soakConfig{dsn: dsn, cutoff: cutoff, customers: 3, duration: 2 * time.Second, load: 0.7, capacityFor: time.Second, clients: 2,
		sampleEvery: time.Second, p99Max: 100 * time.Millisecond, growthMax: 0.25, hashParams: cheapParams,
		command: func(args []string) *exec.Cmd {
			cmd := exec.Command(os.Args[0], "-test.run=^TestServeProcess$")
			cmd.Env = append(os.Environ(), serveArgsEnv+"="+strings.Join(args, "\x1f"))
			return cmd
		}}
	var out strings.Builder
	err = soak(context.Background(), c, &out)
	t.Logf("bench soak:\n%s", out.String())
	if err != nil && !strings.Contains(err.Error(), "goals missed") {
		t.Fatal(err)
	}
	for _, want := range []string{"smoke: every operation answered as expected", "capacity:", "trends over", "check: clean"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	// Where autovacuum is off (as on CI's PostgreSQL), the soak stands in
	// for it, on its own schema's tables, without error.
	d := dbtest.Postgres(t)
	var autovacuum string
	if err := d.SQL.QueryRow(`SHOW autovacuum`).Scan(&autovacuum); err != nil {
		t.Fatal(err)
	}
	if ran := strings.Contains(out.String(), "the soak runs ANALYZE"); ran != (autovacuum == "off") {
		t.Errorf("autovacuum %s, yet the soak running ANALYZE in its place is %v", autovacuum, ran)
	}
}

// TestSoakAnalyze: where autovacuum is off, the soak analyzes what
// autovacuum would: a table changed by more than 50 rows (plus a tenth of
// its size), not one barely touched, and not the same table again until
// it changes again.
func TestSoakAnalyze(t *testing.T) {
	t.Parallel()
	d := dbtest.Postgres(t)
	ctx := context.Background()
	if _, err := soakAnalyze(ctx, d); err != nil { // what the migrations seeded
		t.Fatal(err)
	}
	conn, err := d.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// (Autovacuum, where it is on, is kept off them: it would analyze
	// soak_busy first.)
	for _, q := range []string{`CREATE TABLE soak_busy (n int) WITH (autovacuum_enabled = false)`,
		`CREATE TABLE soak_quiet (n int) WITH (autovacuum_enabled = false)`,
		`INSERT INTO soak_busy SELECT generate_series(1, 60)`, `INSERT INTO soak_quiet SELECT generate_series(1, 10)`,
		`SELECT pg_stat_force_next_flush()`, `SELECT 1`} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	analyzedTables := func() string {
		t.Helper()
		var s string
		if err := d.SQL.QueryRow(`SELECT COALESCE(string_agg(relname, ' ' ORDER BY relname), '') FROM pg_stat_user_tables
			WHERE schemaname = current_schema() AND relname LIKE 'soak%' AND last_analyze IS NOT NULL`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	var n int
	waitFor(t, "soak_busy's changes in the statistics", 50*time.Millisecond, 10*time.Second, func() bool {
		if n, err = soakAnalyze(ctx, d); err != nil {
			t.Fatal(err)
		}
		return n > 0
	})
	if got := analyzedTables(); n != 1 || got != "soak_busy" {
		t.Errorf("soakAnalyze analyzed %d tables: %q, want soak_busy alone", n, got)
	}
	if n, err := soakAnalyze(ctx, d); err != nil || n != 0 {
		t.Errorf("soakAnalyze again, nothing changed: %d tables analyzed (%v), want none", n, err)
	}
}

// TestSoakTrends: the soak fails a run whose memory floor grows from an
// early third to the last, not one whose RSS was still warming up in
// its first third and flat afterwards (a fresh process under a high
// GOGC reaches its RSS plateau after a minute or two).
func TestSoakTrends(t *testing.T) {
	const mib = 1 << 20
	// run builds 30 samples of one instance: heap and RSS from the
	// given functions of the sample's index, goroutines flat.
	run := func(heap, rss func(k int) float64) []soakSample {
		var out []soakSample
		for k := range 30 {
			out = append(out, soakSample{at: time.Duration(k) * 10 * time.Second,
				heap: []float64{heap(k)}, rss: []float64{rss(k)}, goroutines: []float64{24},
				poolConns: []float64{8}, poolMax: []float64{32}, cpu: []float64{float64(k)}})
		}
		return out
	}
	flatHeap := func(k int) float64 { return 90 * mib }
	for _, c := range []struct {
		name      string
		heap, rss func(k int) float64
		fails     string // "" when no goal is missed
	}{
		{"flat", flatHeap, func(int) float64 { return 200 * mib }, ""},
		{"RSS warming up in the first third", flatHeap, func(k int) float64 {
			return min(float64(100+40*k), 400) * mib
		}, ""},
		{"RSS growing after the first third", flatHeap, func(k int) float64 {
			return float64(200+15*k) * mib
		}, "instance 1 RSS floor grew"},
		{"heap floor growing", func(k int) float64 { return float64(90+8*k) * mib }, func(int) float64 { return 500 * mib },
			"instance 1 heap in use floor grew"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out strings.Builder
			failed := printTrends(&out, run(c.heap, c.rss), make([]*soakInstance, 1), 0.25)
			if c.fails == "" && len(failed) > 0 || c.fails != "" && (len(failed) != 1 || !strings.HasPrefix(failed[0], c.fails)) {
				t.Errorf("missed %q, want %q\n%s", failed, c.fails, out.String())
			}
		})
	}
}

// TestMachineCPU: the soak's CPU figures from /proc/stat. Busy is every
// column but idle and iowait (guest columns are inside user already), the
// CPUs are the cpuN lines, and the CPU an operation is the busy share of
// every CPU over the wall time, per operation.
func TestMachineCPU(t *testing.T) {
	stat := func(user, system, idle, iowait, steal uint64) string {
		return fmt.Sprintf("cpu  %d 0 %d %d %d 5 5 %d 100 100\ncpu0 1 2 3 4 5 6 7 8 9 10\ncpu1 1 2 3 4 5 6 7 8 9 10\nintr 12345\nctxt 999\n",
			user, system, idle, iowait, steal)
	}
	m0 := parseMachineCPU(stat(1000, 500, 4000, 100, 0))
	if m0.cpus != 2 || m0.total != 1000+500+4000+100+5+5 || m0.busy != 1000+500+5+5 {
		t.Fatalf("parsed %+v", m0)
	}
	// 1,000 ticks pass: 750 busy (user 600, system 100, steal 50), 250 idle.
	m1 := parseMachineCPU(stat(1600, 600, 4200, 150, 50))
	// 75 % of 2 CPUs for 10 s over 500 operations: 30 ms each.
	if got, want := m1.since(m0, 500, 10*time.Second), "machine CPU 75 % busy, 30ms an operation"; got != want {
		t.Errorf("since: %q, want %q", got, want)
	}
	for _, bad := range []string{"", "cpu x y z w v u\ncpu0 1\n", "intr 1\n"} {
		if m := parseMachineCPU(bad); m != (machineCPU{}) || m.since(m0, 1, time.Second) != "machine CPU unknown" {
			t.Errorf("%q parsed as %+v", bad, m)
		}
	}
	if got := m1.since(m1, 10, time.Second); got != "machine CPU unknown" {
		t.Errorf("no time passed: %q", got)
	}
}
