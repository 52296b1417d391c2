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

// TestSessionEnded: each way a session ends is told apart afterwards, so
// that the browser holding it learns the truth; the session kept by the
// action stays live and reads as not ended; reading never extends a
// session; records go at Cleanup once the session would have expired.
func TestSessionEnded(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)
		clk := dbtest.ClockOf(d)
		clk.Set(now)
		s, err := New(Config{DB: d, Params: Params{MemoryKiB: 64, Time: 1, Threads: 1}, BaseURL: "https://portal.example",
			Limits: Limits{GlobalFailureBurst: 1000}})
		if err != nil {
			t.Fatal(err)
		}
		const pw = "a long enough pass phrase"
		seq := 0
		newLogin := func(t *testing.T) string {
			t.Helper()
			seq++
			email := "end" + strings.Repeat("x", seq) + "@example.com"
			var id int64
			if err := d.SQL.QueryRowContext(ctx, `INSERT INTO customers (first_name, last_name, email, address_line1, city, state, zip, birth_date, ssn_last4, created_at)
				VALUES ('End', 'Test', $1, '1 Main St', 'Springfield', 'IL', '62701', '1980-01-01', '1234', $2) RETURNING id`, email, now).Scan(&id); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateCustomerLogin(ctx, id, pw); err != nil {
				t.Fatal(err)
			}
			return email
		}
		signIn := func(t *testing.T, email string) string {
			t.Helper()
			res, err := s.PasswordLogin(ctx, Customer, email, pw, "", Client{IP: "192.0.2.10", Device: "device-of-" + email})
			if err != nil {
				t.Fatal(err)
			}
			return res.Session.Token
		}
		for _, tc := range []struct {
			name string
			// end ends "other" (and perhaps "this") and returns the token
			// the browser that acted holds afterwards.
			end       func(t *testing.T, this, other string) string
			other     EndReason
			keepsThis bool
		}{
			{"idle", func(t *testing.T, this, other string) string {
				clk.Set(clk.Now().Add(SessionIdle))
				return this
			}, EndIdle, false},
			{"absolute, however active", func(t *testing.T, this, other string) string {
				for range 12 * 6 {
					clk.Set(clk.Now().Add(10 * time.Minute))
					for _, tok := range []string{this, other} {
						if err := s.Extend(ctx, tok); err != nil && !errors.Is(err, ErrNoSession) {
							t.Fatal(err)
						}
					}
				}
				return this
			}, EndAbsolute, false},
			{"signed out from the other device", func(t *testing.T, this, other string) string {
				o, err := s.session(ctx, other, LevelFull, false)
				if err != nil {
					t.Fatal(err)
				}
				cur, err := s.Session(ctx, this)
				if err != nil {
					t.Fatal(err)
				}
				if err := s.RevokeSession(ctx, cur, o.ID, Client{}); err != nil {
					t.Fatal(err)
				}
				return this
			}, EndRevoked, true},
			{"sign out everywhere else", func(t *testing.T, this, other string) string {
				if err := s.RevokeOtherSessions(ctx, this, true, Client{}); err != nil {
					t.Fatal(err)
				}
				return this
			}, EndRevoked, true},
			{"password changed on the other device", func(t *testing.T, this, other string) string {
				iss, err := s.ChangePassword(ctx, this, pw, "another long pass phrase", Client{})
				if err != nil {
					t.Fatal(err)
				}
				return iss.Token
			}, EndPassword, true},
			{"signed out (a copied cookie comes back)", func(t *testing.T, this, other string) string {
				if err := s.Logout(ctx, other, Client{}); err != nil {
					t.Fatal(err)
				}
				return this
			}, EndSignedOut, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				clk.Set(now)
				email := newLogin(t)
				this, other := signIn(t, email), signIn(t, email)
				for _, tok := range []string{this, other, "", "never issued"} {
					if why, err := s.SessionEnded(ctx, tok); err != nil || why != EndUnknown {
						t.Fatalf("before: %q, %v", why, err)
					}
				}
				kept := tc.end(t, this, other)
				why, err := s.SessionEnded(ctx, other)
				if err != nil || why != tc.other {
					t.Errorf("the other session: %q, %v; want %q", why, err, tc.other)
				}
				if _, err := s.PeekSession(ctx, other); !errors.Is(err, ErrNoSession) {
					t.Errorf("the other session is still live: %v", err)
				}
				_, err = s.PeekSession(ctx, kept)
				if tc.keepsThis != (err == nil) {
					t.Errorf("this session live: %v, want %v", err == nil, tc.keepsThis)
				}
				if tc.keepsThis {
					if why, err := s.SessionEnded(ctx, kept); err != nil || why != EndUnknown {
						t.Errorf("the live session reads as ended: %q, %v", why, err)
					}
				}
			})
		}

		// Reading why does not extend a live session.
		clk.Set(now)
		tok := signIn(t, newLogin(t))
		for range 15 {
			clk.Set(clk.Now().Add(time.Minute))
			if _, err := s.SessionEnded(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		if why, _ := s.SessionEnded(ctx, tok); why != EndIdle {
			t.Errorf("after 15 minutes of reading why: %q", why)
		}

		// A record outlives the session it explains until that session
		// would have expired; then Cleanup removes it.
		clk.Set(now)
		email := newLogin(t)
		a, b := signIn(t, email), signIn(t, email)
		if err := s.RevokeOtherSessions(ctx, a, true, Client{}); err != nil {
			t.Fatal(err)
		}
		clk.Set(now.Add(SessionAbsolute - time.Minute))
		if _, err := s.Cleanup(ctx); err != nil {
			t.Fatal(err)
		}
		if why, _ := s.SessionEnded(ctx, b); why != EndRevoked {
			t.Errorf("before expiry, after cleanup: %q", why)
		}
		clk.Set(now.Add(SessionAbsolute + time.Minute))
		if _, err := s.Cleanup(ctx); err != nil {
			t.Fatal(err)
		}
		if why, _ := s.SessionEnded(ctx, b); why != EndUnknown {
			t.Errorf("after expiry and cleanup: %q", why)
		}
		var left int
		if err := d.Read.QueryRowContext(ctx, `SELECT count(*) FROM session_ends WHERE expires_at < $1`, clk.Now()).Scan(&left); err != nil || left != 0 {
			t.Errorf("%d expired records left (%v)", left, err)
		}
	})
}
