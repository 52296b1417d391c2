package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"carfin/db"
	"carfin/db/dbtest"
)

// TestRefusalWork: an address's own throttle (the growing delay, the
// lock) refuses before hashing, and an address without an account gets
// exactly the treatment of an account: one argon2id verification, with a
// real hash's costs, while neither applies, none while one does, and the
// same failure counting (so an unknown address "locks" too). Otherwise
// the work would tell accounts from non-accounts. The end-to-end timing
// test (cmd/carfin TestLoginTiming) measures; this one counts.
func TestRefusalWork(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)
		clk := dbtest.ClockOf(d)
		clk.Set(now)
		params := Params{MemoryKiB: 64, Time: 1, Threads: 1}
		s, err := New(Config{DB: d, Params: params, BaseURL: "https://portal.example", Limits: Limits{GlobalFailureBurst: 1000}})
		if err != nil {
			t.Fatal(err)
		}
		var hashed []string // the PHC strings verified
		real := s.realHash
		s.realHash = func(pw, phc string) (bool, bool) {
			hashed = append(hashed, phc)
			return real(pw, phc)
		}
		const pw = "a long enough pass phrase"
		login := func(first string) string {
			t.Helper()
			var id int64
			email := strings.ToLower(first) + "@example.com"
			if err := d.SQL.QueryRowContext(ctx, `INSERT INTO customers (first_name, last_name, email, address_line1, city, state, zip, birth_date, ssn_last4, created_at)
				VALUES ($1, 'Test', $2, '1 Main St', 'Springfield', 'IL', '62701', '1980-01-01', '1234', $3) RETURNING id`, first, email, now).Scan(&id); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateCustomerLogin(ctx, id, pw); err != nil {
				t.Fatal(err)
			}
			return email
		}
		locked, delayed, reset, plain := login("Lou"), login("Del"), login("Rex"), login("Pat")
		set := func(q, email string, args ...any) {
			t.Helper()
			if _, err := d.SQL.ExecContext(ctx, q, append(args, email)...); err != nil {
				t.Fatal(err)
			}
		}
		set(`UPDATE logins SET locked_until = $1 WHERE email = $2`, locked, now.Add(time.Hour))
		set(`UPDATE logins SET failed_count = 7, last_failed_at = $1 WHERE email = $2`, delayed, now)
		set(`UPDATE logins SET password_hash = '' WHERE email = $1`, reset)
		realPHC := ""
		if err := d.Read.QueryRowContext(ctx, `SELECT password_hash FROM logins WHERE email = $1`, plain).Scan(&realPHC); err != nil {
			t.Fatal(err)
		}
		costs := func(phc string) string { return phc[:strings.LastIndex(phc[:strings.LastIndex(phc, "$")], "$")] }
		attempt := func(name, email, password string, wantHashes int, ok bool) {
			t.Helper()
			hashed = nil
			_, err := s.PasswordLogin(ctx, Customer, email, password, "", Client{IP: "192.0.2.1"})
			if ok && err != nil || !ok && !errors.Is(err, ErrInvalidCredentials) {
				t.Fatalf("%s: %v", name, err)
			}
			if len(hashed) != wantHashes || wantHashes == 1 && costs(hashed[0]) != costs(realPHC) {
				t.Errorf("%s: verified %q, want %d hash(es) with the costs of %q", name, hashed, wantHashes, costs(realPHC))
			}
		}
		attempt("unknown email", "nobody@example.com", pw, 1, false)
		attempt("wrong password", plain, "not the pass phrase at all", 1, false)
		attempt("inside the delay", delayed, pw, 0, false)
		attempt("locked", locked, pw, 0, false)
		attempt("awaiting a reset", reset, pw, 1, false)
		attempt("right password", plain, pw, 1, true)
		// An unknown address and an account, failing side by side a
		// minute apart (past each delay): the same work at every step,
		// both "locked" at the tenth failure.
		if _, err := s.PasswordLogin(ctx, Customer, plain, pw, "", Client{IP: "192.0.2.1"}); err != nil {
			t.Fatal(err) // the success cleared the account's failures
		}
		for i := range 12 {
			now = now.Add(time.Minute)
			clk.Set(now)
			var work [2]int
			for j, email := range []string{plain, "ghost@example.com"} {
				hashed = nil
				ip := fmt.Sprintf("198.51.100.%d", 10+2*i+j) // no IP limit in play
				if _, err := s.PasswordLogin(ctx, Customer, email, "a wrong guess number "+string(rune('a'+i)), "", Client{IP: ip}); !errors.Is(err, ErrInvalidCredentials) {
					t.Fatalf("failure %d of %s: %v", i+1, email, err)
				}
				work[j] = len(hashed)
			}
			want := 1
			if i >= 10 {
				want = 0 // locked after the tenth
			}
			if work != [2]int{want, want} {
				t.Errorf("failure %d: hashes %v (account, unknown), want %d each", i+1, work, want)
			}
		}
	})
}

// TestRehashOnLogin: raising the argon2id costs takes effect for each
// user at their next sign-in (the stored PHC string carries its costs);
// a hash already at the current costs is left alone.
func TestRehashOnLogin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		old := Params{MemoryKiB: 64, Time: 1, Threads: 1}
		raised := Params{MemoryKiB: 128, Time: 2, Threads: 1}
		before, err := New(Config{DB: d, Params: old, BaseURL: "https://portal.example"})
		if err != nil {
			t.Fatal(err)
		}
		var cust int64
		if err := d.SQL.QueryRowContext(ctx, `INSERT INTO customers (first_name, last_name, email, address_line1, city, state, zip, birth_date, ssn_last4, created_at)
			VALUES ('Ray', 'Test', 'ray@example.com', '1 Main St', 'Springfield', 'IL', '62701', '1980-01-01', '1234', $1) RETURNING id`, d.Now()).Scan(&cust); err != nil {
			t.Fatal(err)
		}
		const pw = "a long enough pass phrase"
		if _, err := before.CreateCustomerLogin(ctx, cust, pw); err != nil {
			t.Fatal(err)
		}
		stored := func() string {
			var phc string
			if err := d.Read.QueryRowContext(ctx, `SELECT password_hash FROM logins WHERE customer_id = $1`, cust).Scan(&phc); err != nil {
				t.Fatal(err)
			}
			return phc
		}
		if !strings.Contains(stored(), "$m=64,t=1,p=1$") {
			t.Fatalf("stored %q", stored())
		}
		after, err := New(Config{DB: d, Params: raised, BaseURL: "https://portal.example"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := after.PasswordLogin(ctx, Customer, "ray@example.com", pw, "", Client{IP: "192.0.2.1"}); err != nil {
			t.Fatal(err)
		}
		rehashed := stored()
		if !strings.Contains(rehashed, "$m=128,t=2,p=1$") {
			t.Fatalf("after sign-in with raised costs: %q", rehashed)
		}
		if _, err := after.PasswordLogin(ctx, Customer, "ray@example.com", pw, "", Client{IP: "192.0.2.1"}); err != nil {
			t.Fatal(err)
		}
		if stored() != rehashed {
			t.Error("a hash at the current costs was rehashed")
		}
	})
}

// TestUnknownDelayEndsWithAccounts: a hash takes time, and the moment a
// failure is counted after it decides when the growing delay ends; an
// unknown address's delay must end when an account's does, or probing at
// the boundary tells them apart.
func TestUnknownDelayEndsWithAccounts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := dbtest.ClockOf(d)
		clk.Set(time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC))
		clock, advance := clk.Now, clk.Add
		s, err := New(Config{DB: d, Params: Params{MemoryKiB: 64, Time: 1, Threads: 1}, BaseURL: "https://portal.example", Limits: Limits{GlobalFailureBurst: 1000}})
		if err != nil {
			t.Fatal(err)
		}
		hashes := 0
		real := s.realHash
		s.realHash = func(pw, phc string) (bool, bool) {
			hashes++
			advance(100 * time.Millisecond) // a slow hash
			return real(pw, phc)
		}
		var cust int64
		if err := d.SQL.QueryRowContext(ctx, `INSERT INTO customers (first_name, last_name, email, address_line1, city, state, zip, birth_date, ssn_last4, created_at)
			VALUES ('Ann', 'Test', 'ann@example.com', '1 Main St', 'Springfield', 'IL', '62701', '1980-01-01', '1234', $1) RETURNING id`, clock()).Scan(&cust); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateCustomerLogin(ctx, cust, "a long enough pass phrase"); err != nil {
			t.Fatal(err)
		}
		// Each address in turn: five failures a minute apart start the
		// delay (1 s); then a probe 1.05 s after the last attempt began,
		// that is just under a second after its answer came back.
		for j, email := range []string{"ann@example.com", "nobody@example.com"} {
			var last time.Time
			for i := range 5 {
				advance(time.Minute)
				last = clock()
				_, _ = s.PasswordLogin(ctx, Customer, email, "wrong guess", "", Client{IP: fmt.Sprintf("198.51.100.%d", 10+10*j+i)})
			}
			clk.Set(last.Add(1050 * time.Millisecond))
			hashes = 0
			_, _ = s.PasswordLogin(ctx, Customer, email, "wrong guess", "", Client{IP: fmt.Sprintf("198.51.100.%d", 10+10*j+5)})
			if hashes != 0 {
				t.Errorf("%s: hashed %d time(s) inside the delay, counted from after the last hash", email, hashes)
			}
		}
	})
}
