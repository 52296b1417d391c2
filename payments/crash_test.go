package payments_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"carfin/db"
	"carfin/db/dbtest"
	"carfin/payments"
)

var errCrash = errors.New("crash (test)")

// TestRunCrashAndRerun: an autopay run that fails half-way inside its
// transaction leaves nothing; an origination that fails after some of
// its chunks committed leaves its file building; running the day again
// finishes the work, and every installment is debited and posted exactly
// once. Two runs at once do not double anything either.
func TestRunCrashAndRerun(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-10-20")
		const n = 10
		var contracts []int64
		for i := range n {
			c := e.customer(fmt.Sprintf("C%d", i))
			contracts = append(contracts, e.loan(c, fmt.Sprint(8000+100*i), 36, "2026-10-20", "2026-11-20"))
		}
		e.at("2026-11-02", 9, 0)
		routings := []string{"112601818", "129083018", "226131863", "029139091", "210308246"}
		for i, k := range contracts {
			var c int64
			if err := d.Read.QueryRowContext(e.ctx, `SELECT customer_id FROM contracts WHERE id = $1`, k).Scan(&c); err != nil {
				t.Fatal(err)
			}
			m := e.bank(c, routings[i%len(routings)], fmt.Sprintf("7%07d", i))
			e.enrol(c, k, m.ID, "", 0)
		}
		e.runDays("2026-11-02", "2026-11-16")
		payments.SetChunkForTest(e.pay, 3)
		crashes := 0
		var mu sync.Mutex
		payments.SetCrashPointForTest(e.pay, func(step string) error {
			mu.Lock() // origination calls it from several streams
			defer mu.Unlock()
			if step == "autopay" && crashes == 0 {
				crashes++
				return errCrash
			}
			if step == "originate" && crashes == 1 {
				crashes++
				return nil // the first chunk commits
			}
			if step == "originate" && crashes == 2 {
				crashes++
				return errCrash // the second fails
			}
			return nil
		})
		// Tuesday 11-17 fixes Friday 11-20's debits; the first try fails.
		e.at("2026-11-17", 18, 0)
		if _, err := e.pay.RunDay(e.ctx, day("2026-11-17")); !errors.Is(err, errCrash) {
			t.Fatalf("autopay crash: %v", err)
		}
		if c := e.count(`SELECT count(*) FROM payments WHERE kind = 'autopay'`); c != 0 {
			t.Fatalf("a failed autopay run left %d debits", c)
		}
		if _, err := e.pay.RunDay(e.ctx, day("2026-11-17")); err != nil {
			t.Fatal(err)
		}
		if c := e.count(`SELECT count(*) FROM payments WHERE kind = 'autopay' AND status = 'scheduled'`); c != n {
			t.Fatalf("%d debits fixed, want %d", c, n)
		}
		e.runDays("2026-11-18", "2026-11-19")
		// Friday: the file's second chunk fails.
		e.at("2026-11-20", 18, 0)
		if _, err := e.pay.RunDay(e.ctx, day("2026-11-20")); !errors.Is(err, errCrash) {
			t.Fatalf("origination crash: %v", err)
		}
		posted := e.count(`SELECT count(*) FROM payments WHERE kind = 'autopay' AND status = 'pending'`)
		if posted == 0 || posted == n || e.count(`SELECT count(*) FROM ach_files WHERE status = 'building'`) != 1 {
			t.Fatalf("after the crash: %d posted, files %d building", posted, e.count(`SELECT count(*) FROM ach_files WHERE status = 'building'`))
		}
		if c := e.count(`SELECT count(*) FROM servicing_events WHERE kind = 'payment' AND memo LIKE 'ACH debit %'`); c != posted {
			t.Fatalf("%d postings for %d posted debits", c, posted)
		}
		// Run again, twice at once.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range 2 {
			wg.Go(func() { _, errs[i] = e.pay.RunDay(e.ctx, day("2026-11-20")) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		if c := e.count(`SELECT count(*) FROM payments WHERE kind = 'autopay' AND status = 'pending'`); c != n {
			t.Errorf("%d debits posted, want %d", c, n)
		}
		if c := e.count(`SELECT count(*) FROM servicing_events WHERE kind = 'payment' AND memo LIKE 'ACH debit %'`); c != n {
			t.Errorf("%d postings, want %d", c, n)
		}
		var path string
		var entries int
		if err := d.Read.QueryRowContext(e.ctx, `SELECT path, entries FROM ach_files WHERE file_date = '2026-11-20' AND status = 'written'`).Scan(&path, &entries); err != nil {
			t.Fatal(err)
		}
		f, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if entries != n || strings.Count(string(f), "\n627") != n {
			t.Errorf("file has %d entries:\n%s", entries, f)
		}
		if c := e.count(`SELECT count(*) FROM ach_files WHERE file_date = '2026-11-20'`); c != 1 {
			t.Errorf("%d files for the day", c)
		}
		e.checks()
	})
}
