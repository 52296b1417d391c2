package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/statements"
)

// TestKilledStatementRun: a statement run killed with SIGKILL after its
// first chunk, then run again, makes each contract's statement exactly
// once, with one document and one print entry each, as a twin run
// without interruption does. On both engines.
func TestKilledStatementRun(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			today := calendar.Of(time.Now().In(mustZone(t, "America/New_York")))
			var dsns [2]string
			var date calendar.Date
			for i := range dsns {
				if engine == "sqlite" {
					dsns[i] = "sqlite:" + filepath.Join(t.TempDir(), "carfin.db")
				} else {
					dsns[i] = dbtest.PostgresDSN(t)
				}
				d, err := openDB(context.Background(), dsns[i])
				if err != nil {
					t.Fatal(err)
				}
				killBook(t, d, today)
				var due calendar.Date
				if err := d.Read.QueryRowContext(context.Background(), `SELECT due_date FROM installments WHERE contract_id = 1 AND number = 2`).Scan(&due); err != nil {
					t.Fatal(err)
				}
				date = due.AddDays(-statements.LeadDaysDefault)
				d.Close()
			}
			args := func(dsn string) []string {
				return []string{"statements", "run", "--db", dsn, "--date", date.String(), "--chunk-size", "5",
					"--lender-name", "Northwind Motor Finance", "--support-phone", "1-800-555-0199", "--support-hours", "Mon–Fri 8am–8pm ET",
					"--address-correspondence", "PO Box 4100; Columbus, OH 43216", "--address-payments", "PO Box 4200; Columbus, OH 43216"}
			}
			killAfter(t, "contracts 1-5:", args(dsns[0])...)
			for _, dsn := range dsns {
				if out, errOut, code := carfin(t, args(dsn)...); code != 0 {
					t.Fatalf("statements run: %s\n%s", out, errOut)
				}
			}
			var counts [2]string
			for i, dsn := range dsns {
				d, err := db.Open(context.Background(), dsn)
				if err != nil {
					t.Fatal(err)
				}
				var st, cycles, docs, queued int
				q := d.Read
				_ = q.QueryRowContext(context.Background(), `SELECT count(*), count(DISTINCT contract_id) FROM statements`).Scan(&st, &cycles)
				_ = q.QueryRowContext(context.Background(), `SELECT count(*) FROM documents WHERE kind = 'statement'`).Scan(&docs)
				_ = q.QueryRowContext(context.Background(), `SELECT count(*) FROM print_queue`).Scan(&queued)
				d.Close()
				counts[i] = fmt.Sprintf("statements=%d contracts=%d documents=%d queued=%d", st, cycles, docs, queued)
			}
			want := "statements=40 contracts=40 documents=40 queued=40"
			if counts[0] != want || counts[1] != want {
				t.Errorf("killed and rerun: %s; uninterrupted: %s; want %s", counts[0], counts[1], want)
			}
		})
	}
}
