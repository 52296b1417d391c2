package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db/dbtest"
	"carfin/jobs"
	"carfin/servicing"
)

// TestObserve: every job worked is reported with its kind and result.
func TestObserve(t *testing.T) {
	ctx := context.Background()
	d := dbtest.SQLite(t)
	today := calendar.MustParse("2024-03-20")
	sv := servicing.New(d, func(time.Time) calendar.Date { return today })
	if err := jobs.Migrate(ctx, d); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	r, err := jobs.New(d, jobs.Config{Servicing: sv, Today: func() calendar.Date { return today },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Observe: func(kind string, failed bool, took time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			if !failed && took >= 0 {
				seen[kind]++
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := r.Stop(ctx); err != nil {
			t.Error(err)
		}
	}()
	if err := r.EnqueueDayCloseDue(ctx); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		n := seen["day_close_due"]
		mu.Unlock()
		if n > 0 {
			return
		}
	}
	t.Fatalf("no day_close_due job observed: %v", seen)
}
