package jobs

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/servicing"
)

// TestPeriodicCheckEveryPeriod: a periodic check without arguments is made
// once per period however many processes insert it, and made again in the
// next period although the last one completed.
func TestPeriodicCheckEveryPeriod(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := Migrate(ctx, d); err != nil {
			t.Fatal(err)
		}
		sv := servicing.New(d, func(t time.Time) calendar.Date { return calendar.Of(t) })
		r, err := New(d, Config{Servicing: sv, Today: func() calendar.Date { return calendar.MustParse("2024-03-20") },
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
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
		count := func(state string) int {
			var n int
			if err := d.Read.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE kind = 'day_close_due' AND ($1 = '' OR CAST(state AS TEXT) = $1)`, state).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		waitCompleted := func(want int) {
			t.Helper()
			deadline := time.Now().Add(30 * time.Second)
			for count("completed") < want {
				if time.Now().After(deadline) {
					t.Fatalf("%d checks completed by the deadline, want %d", count("completed"), want)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		period := 10 * time.Minute
		start := time.Now().Truncate(period)
		for range 2 { // two processes, one period
			if err := r.insert.Insert(ctx, DayCloseDueArgs{}, uniqueEvery(period)); err != nil {
				t.Fatal(err)
			}
		}
		waitCompleted(1)
		next := *uniqueEvery(period)
		next.ScheduledAt = start.Add(period)
		if err := r.insert.Insert(ctx, DayCloseDueArgs{}, &next); err != nil {
			t.Fatal(err)
		}
		if n := count(""); n != 2 {
			t.Errorf("%d checks made over two periods, want 2", n)
		}
	})
}
