package identity

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"carfin/db"
	"carfin/db/dbtest"
)

// TestEveryRefusalHashesOnce: an unknown email, a wrong password, an
// account inside the growing delay, a locked account and one awaiting a
// reset must cost the same as a real check (one argon2id verification,
// with the costs of a real hash), or their timing tells them apart. The
// end-to-end timing test (cmd/carfin TestLoginTiming) measures; this one
// counts, so it cannot be fooled by noise.
func TestEveryRefusalHashesOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)
		d.Now = func() time.Time { return now }
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
		for i, tc := range []struct{ name, email, password string }{
			{"unknown email", "nobody@example.com", pw},
			{"wrong password", plain, "not the pass phrase at all"},
			{"inside the delay", delayed, pw},
			{"locked", locked, pw},
			{"awaiting a reset", reset, pw},
			{"right password", plain, pw},
		} {
			hashed = nil
			_, err := s.PasswordLogin(ctx, Customer, tc.email, tc.password, "", Client{IP: "192.0.2." + string(rune('1'+i))})
			if tc.name == "right password" {
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
			} else if !errors.Is(err, ErrInvalidCredentials) {
				t.Fatalf("%s: %v, want ErrInvalidCredentials", tc.name, err)
			}
			if len(hashed) != 1 || costs(hashed[0]) != costs(realPHC) {
				t.Errorf("%s: verified %q, want one hash with the costs of %q", tc.name, hashed, costs(realPHC))
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
