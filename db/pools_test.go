package db_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"carfin/db/dbtest"
)

// TestDirectPoolNotStarved: River takes its connections from the pgx pool
// (DB.PG). database/sql keeps its connections once it has opened them
// (idle, for their prepared statements); were they the pgx pool's, a
// burst of requests that opened every one of them would leave River
// waiting for a connection for as long as the process runs. The pgx pool
// is River's alone, so it still hands out a connection at once.
func TestDirectPoolNotStarved(t *testing.T) {
	d := dbtest.Postgres(t)
	ctx := context.Background()
	n := d.SQL.Stats().MaxOpenConnections
	conns := make([]*sql.Conn, n)
	for i := range conns {
		c, err := d.SQL.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.PingContext(ctx); err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	for _, c := range conns {
		_ = c.Close() // back to database/sql's idle connections
	}
	if idle := d.SQL.Stats().Idle; idle != n {
		t.Fatalf("database/sql keeps %d idle connections of %d", idle, n)
	}
	actx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	for i := range 2 {
		c, err := d.PG.Acquire(actx)
		if err != nil {
			t.Fatalf("acquire %d from the pgx pool with database/sql's %d connections idle: %v", i+1, n, err)
		}
		defer c.Release()
		if err := c.Ping(actx); err != nil {
			t.Fatal(err)
		}
	}
}
