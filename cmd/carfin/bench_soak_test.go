package main

import (
	"context"
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
	if err := soakAnalyze(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	var analyzed, tables int
	if err := d.SQL.QueryRow(`SELECT count(last_analyze), count(*) FROM pg_stat_user_tables WHERE schemaname = current_schema()`).Scan(&analyzed, &tables); err != nil {
		t.Fatal(err)
	}
	if tables == 0 || analyzed != tables {
		t.Errorf("soakAnalyze analyzed %d of the schema's %d tables", analyzed, tables)
	}
}
