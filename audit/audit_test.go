package audit_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"carfin/audit"
	"carfin/db"
	"carfin/db/dbtest"
)

func record(t *testing.T, d *db.DB, n int) {
	t.Helper()
	for i := range n {
		err := d.InTx(context.Background(), func(tx *db.Tx) error {
			return audit.Record(context.Background(), tx, audit.Event{
				Actor: "login:1", Action: "login.success", Subject: "login:1", IP: "192.0.2.1",
				Details: map[string]string{"i": fmt.Sprint(i), "ua": "Firefox"},
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestChain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f, err := audit.Verify(ctx, d)
		if err != nil || !f.OK() || f.Checked != 0 {
			t.Fatalf("empty chain: %v %v", f, err)
		}
		record(t, d, 5)
		// Concurrent writers never fork the chain.
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() { record(t, d, 5) })
		}
		wg.Wait()
		f, err = audit.Verify(ctx, d)
		if err != nil || !f.OK() || f.Checked != 25 {
			t.Fatalf("intact chain: %v %v", f, err)
		}
		entries, err := audit.ForSubject(ctx, d, "login:1", 3)
		if err != nil || len(entries) != 3 || entries[0].Seq != 25 || entries[0].Details["ua"] != "Firefox" {
			t.Fatalf("ForSubject: %+v %v", entries, err)
		}

		// The log refuses updates and deletes.
		for _, q := range []string{`UPDATE audit_events SET actor = 'x' WHERE seq = 3`, `DELETE FROM audit_events WHERE seq = 3`} {
			if _, err := d.SQL.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: err = %v", q, err)
			}
		}
	})
}

// TestVerifyFindsTampering bypasses the append-only triggers as an
// attacker with database access would, and checks that Verify names the
// first broken event for each kind of tampering.
func TestVerifyFindsTampering(t *testing.T) {
	cases := []struct {
		name    string
		tamper  string
		seq     int64
		problem string
	}{
		{"changed content", `UPDATE audit_events SET actor = 'staff:9' WHERE seq = 4`, 4, "content"},
		{"removed event", `DELETE FROM audit_events WHERE seq = 3`, 4, "sequence gap"},
		{"removed tail", `DELETE FROM audit_events WHERE seq >= 5`, 5, "head points"},
		{"rewritten hash", `UPDATE audit_events SET hash = prev_hash WHERE seq = 2`, 2, "content"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, d *db.DB) {
				ctx := context.Background()
				record(t, d, 6)
				disable, enable := `DROP TRIGGER audit_events_append_only_update; DROP TRIGGER audit_events_append_only_delete`, ``
				if d.Engine == db.Postgres {
					disable, enable = `ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`, `ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`
				}
				for _, q := range []string{disable, tc.tamper, enable} {
					for s := range strings.SplitSeq(q, ";") {
						if strings.TrimSpace(s) == "" {
							continue
						}
						if _, err := d.SQL.ExecContext(ctx, s); err != nil {
							t.Fatalf("%s: %v", s, err)
						}
					}
				}
				f, err := audit.Verify(ctx, d)
				if err != nil {
					t.Fatal(err)
				}
				if f.OK() || f.BrokenSeq != tc.seq || !strings.Contains(f.Problem, tc.problem) {
					t.Errorf("finding = %+v, want broken at %d (%s)", f, tc.seq, tc.problem)
				}
			})
		})
	}
}
