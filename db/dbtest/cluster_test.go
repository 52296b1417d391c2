package dbtest_test

import (
	"context"
	"testing"
	"time"

	"carfin/db"
	"carfin/db/dbtest"
)

// TestPrivateCluster starts a cluster of the test's own, writes to it,
// stops it (every query fails as unavailable meanwhile), starts it again,
// and finds that the same pool reconnects by itself and that what was
// committed before the stop is there.
func TestPrivateCluster(t *testing.T) {
	c := dbtest.PrivateCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := db.Open(ctx, c.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.SQL.ExecContext(ctx, `CREATE TABLE kept (n int PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SQL.ExecContext(ctx, `INSERT INTO kept VALUES (1), (2), (3)`); err != nil {
		t.Fatal(err)
	}

	t0 := time.Now()
	c.Stop()
	t.Logf("stopped in %s", time.Since(t0).Round(time.Millisecond))
	for range 3 { // each of the pool's connections, then new ones
		err := d.Ping(ctx)
		if err == nil || !db.IsUnavailable(err) {
			t.Fatalf("ping while stopped: %v, want unavailable", err)
		}
	}

	t0 = time.Now()
	c.Start()
	t.Logf("started in %s", time.Since(t0).Round(time.Millisecond))
	var n int
	deadline := time.Now().Add(10 * time.Second)
	for {
		err = d.Read.QueryRowContext(ctx, `SELECT count(*) FROM kept`).Scan(&n)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil || n != 3 {
		t.Fatalf("after the restart: %d rows, %v; want 3 from the same pool", n, err)
	}
}
