package metrics

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"carfin/audit"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/jobs"
)

// scrape reads the registry's /metrics over HTTP.
func scrape(t *testing.T, r *Registry) string {
	t.Helper()
	srv := httptest.NewServer(r.Handler(""))
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	return string(body)
}

// TestDBCollectors: on both engines the database figures are read without
// error, and the events written between scrapes are counted.
func TestDBCollectors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := jobs.Migrate(ctx, d); err != nil {
			t.Fatal(err)
		}
		r := New()
		r.WatchDB(d)
		r.db.ttl = 0          // every scrape reads afresh
		first := scrape(t, r) // sets the event counters' start
		for _, want := range []string{"carfin_signin_failures_total 0", "carfin_payments_posted_total 0", "carfin_db_connections{"} {
			if !strings.Contains(first, want) {
				t.Errorf("first scrape lacks %s", want)
			}
		}

		now := d.Now()
		err := d.InTx(ctx, func(tx *db.Tx) error {
			for _, action := range []string{"login.failure", "login.failure", "login.locked", "login.success"} {
				if err := audit.Record(ctx, tx, audit.Event{Actor: "anonymous", Action: action, Subject: "login:1"}); err != nil {
					return err
				}
			}
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{`INSERT INTO ach_returns (kind, code, original_trace, title, description, action, created_at)
					VALUES ('return', 'R01', '000000000000001', 'Insufficient funds', '', '', $1)`, []any{now}},
				{`INSERT INTO ach_returns (kind, code, original_trace, title, description, action, created_at)
					VALUES ('noc', 'C01', '000000000000002', 'Incorrect account number', '', '', $1)`, []any{now}},
				{`INSERT INTO outbox (channel, kind, to_addr, subject, body_text, body_html, created_at, next_attempt_at)
					VALUES ('email', 'test', 'a@example.com', 's', 'b', '', $1, $2)`, []any{now, now.Add(-time.Minute)}},
				{`INSERT INTO logins (realm, email, display_name, password_hash, password_changed_at, webauthn_handle, locked_until, created_at)
					VALUES ('staff', 'locked@example.com', 'Locked', '', $1, $2, $3, $1)`, []any{now, []byte("handle-1"), now.Add(time.Hour)}},
				{`INSERT INTO day_close_chunks (business_date, first_id, last_id, contracts, accrued_cents, late_fees, finished_at)
					VALUES ('2026-12-01', 1, 100, 100, 0, 0, $1), ('2026-12-01', 101, 150, 50, 0, 0, $2)`, []any{now.Add(-90 * time.Second), now}},
			} {
				if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		scrape(t, r) // sees the new rows: counted one refresh later
		body := scrape(t, r)
		for _, want := range []string{
			"carfin_signin_failures_total 2",
			"carfin_signin_locks_total 1",
			`carfin_payment_returns_total{code="R01"} 1`,
			"carfin_payments_posted_total 0",
			"carfin_payments_posted_cents_total 0",
			`carfin_outbox_unsent{channel="email"} 1`,
			"carfin_outbox_oldest_due_seconds 60",
			`carfin_logins_locked{realm="staff"} 1`,
			"carfin_day_close_last_business_date_seconds 1.7960832e+09",
			"carfin_day_close_duration_seconds 90",
			"carfin_day_close_contracts 150",
			`carfin_db_connections{pool=`,
			"carfin_db_waits_total{pool=",
			"carfin_db_wait_seconds_total{pool=",
			"carfin_db_connections_max{pool=",
			"go_goroutines ",
			"process_cpu_seconds_total ",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
		if strings.Contains(body, "C01") {
			t.Error("a notification of change is counted as a return")
		}
		if strings.Contains(body, "carfin_metrics_query_errors_total") {
			t.Errorf("a query failed:\n%s", grep(body, "carfin_metrics_query_errors_total"))
		}
	})
}

// TestDBCollectorsFailSoftly: with the database closed, a scrape still
// answers, with the process' figures and the queries' errors counted.
func TestDBCollectorsFailSoftly(t *testing.T) {
	d := dbtest.SQLite(t)
	r := New()
	r.WatchDB(d)
	d.Close()
	body := scrape(t, r)
	for _, want := range []string{`carfin_metrics_query_errors_total{query="outbox"} 1`, "go_goroutines "} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
