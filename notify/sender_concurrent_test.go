package notify_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"

	"carfin/db"
	"carfin/db/dbtest"
	"carfin/notify"
)

// TestSendersOnOneDatabase: the outbox senders of three instances over one
// database, sending at the same moments, deliver each message exactly
// once: each claims its rows in one statement that skips rows another
// has claimed. On both engines (SQLite: one process, but the same SQL).
func TestSendersOnOneDatabase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		const messages, senders = 300, 3
		err := d.InTx(ctx, func(tx *db.Tx) error {
			for i := range messages {
				if err := notify.Enqueue(ctx, tx, notify.Message{Channel: notify.Email, Kind: "test", To: fmt.Sprintf("c%d@example.com", i),
					Subject: "Hello", Text: "body"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		box := &inbox{}
		addr := startSMTP(t, box)
		var wg sync.WaitGroup
		for range senders {
			mailer, err := notify.NewSMTP("smtp://"+addr+"?tls=none", "Northwind Motor Finance <no-reply@northwind.example>")
			if err != nil {
				t.Fatal(err)
			}
			s := &notify.Sender{DB: d, Mailer: mailer, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			wg.Go(func() {
				for {
					n, err := s.SendDue(ctx)
					if err != nil {
						t.Error(err)
						return
					}
					if n == 0 {
						return
					}
				}
			})
		}
		wg.Wait()
		box.mu.Lock()
		defer box.mu.Unlock()
		seen := map[string]int{}
		for _, to := range box.rcpt {
			seen[to]++
		}
		for i := range messages {
			if to := fmt.Sprintf("c%d@example.com", i); seen[to] != 1 {
				t.Errorf("%s received %d times, want once", to, seen[to])
			}
		}
		if len(box.rcpt) != messages {
			t.Errorf("%d deliveries of %d messages", len(box.rcpt), messages)
		}
		var unsent int
		if err := d.Read.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE sent_at IS NULL`).Scan(&unsent); err != nil {
			t.Fatal(err)
		}
		if unsent != 0 {
			t.Errorf("%d messages left unsent", unsent)
		}
	})
}
