package identity

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"carfin/audit"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/keyring"
	"carfin/notify"
)

// supportFixture is a service with an enrolled staff member and helpers
// to make customers and sign in.
type supportFixture struct {
	t      *testing.T
	ctx    context.Context
	d      *db.DB
	clk    *dbtest.Clock
	s      *Service
	staff  int64
	secret string // the staff member's authenticator seed
	seq    int
}

const (
	supportStaffEmail = "agent@northwind.example"
	supportStaffPW    = "a good staff password"
	supportCustPW     = "a long enough pass phrase"
)

func newSupportFixture(t *testing.T, d *db.DB) *supportFixture {
	t.Helper()
	f := &supportFixture{t: t, ctx: context.Background(), d: d, clk: dbtest.ClockOf(d)}
	f.clk.Set(time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC))
	var err error
	f.s, err = New(Config{DB: d, Params: Params{MemoryKiB: 64, Time: 1, Threads: 1}, BaseURL: "https://portal.example",
		Keys: keyring.Dev(), Limits: Limits{GlobalFailureBurst: 1000, DelayBase: time.Nanosecond, DelayMax: time.Nanosecond}})
	if err != nil {
		t.Fatal(err)
	}
	f.staff, f.secret = f.newStaff(supportStaffEmail)
	return f
}

// newStaff enrols a staff login (password and authenticator app).
func (f *supportFixture) newStaff(email string) (int64, string) {
	f.t.Helper()
	var id int64
	var setup TOTPSetup
	err := f.d.InTx(f.ctx, func(tx *db.Tx) (err error) {
		if id, err = f.s.CreatePendingStaff(f.ctx, tx, email, "Agent", "system"); err != nil {
			return err
		}
		if setup, err = f.s.BeginStaffTOTP(f.ctx, tx, id); err != nil {
			return err
		}
		code, err := totp.GenerateCode(setup.Secret, f.clk.Now())
		if err != nil {
			return err
		}
		_, err = f.s.CompleteStaffEnrolment(f.ctx, tx, id, supportStaffPW, code, Client{})
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return id, setup.Secret
}

// newCustomer makes a customer, with a login unless noLogin, and returns
// the customer's id, email and login id (0 without one).
func (f *supportFixture) newCustomer(noLogin bool) (int64, string, int64) {
	f.t.Helper()
	f.seq++
	email := fmt.Sprintf("cust%d@example.com", f.seq)
	var cust int64
	if err := f.d.SQL.QueryRowContext(f.ctx, `INSERT INTO customers (first_name, last_name, email, address_line1, city, state, zip, birth_date, ssn_last4, created_at)
		VALUES ('Cara', 'Test', $1, '1 Main St', 'Springfield', 'IL', '62701', '1980-01-01', '1234', $2) RETURNING id`, email, f.clk.Now()).Scan(&cust); err != nil {
		f.t.Fatal(err)
	}
	if noLogin {
		return cust, email, 0
	}
	id, err := f.s.CreateCustomerLogin(f.ctx, cust, supportCustPW)
	if err != nil {
		f.t.Fatal(err)
	}
	return cust, email, id
}

// customerSignIn signs a customer without a second factor in from device.
func (f *supportFixture) customerSignIn(email, device string) string {
	f.t.Helper()
	res, err := f.s.PasswordLogin(f.ctx, Customer, email, supportCustPW, "", Client{IP: "192.0.2.10", Device: device, UserAgent: "Firefox"})
	if err != nil || res.NeedSecondFactor {
		f.t.Fatalf("customer sign-in: %+v %v", res, err)
	}
	return res.Session.Token
}

// staffSignIn signs the staff member in with password and authenticator
// code (half a minute later, so the code is a new one).
func (f *supportFixture) staffSignIn(device string, remember bool) string {
	f.t.Helper()
	f.clk.Add(31 * time.Second)
	c := Client{IP: "198.51.100.5", Device: device, UserAgent: "Chrome"}
	res, err := f.s.PasswordLogin(f.ctx, Staff, supportStaffEmail, supportStaffPW, "", c)
	if err != nil || !res.NeedSecondFactor {
		f.t.Fatalf("staff password: %+v %v (want a second factor asked)", res, err)
	}
	code, err := totp.GenerateCode(f.secret, f.clk.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	iss, err := f.s.SecondFactor(f.ctx, res.Session.Token, MethodTOTP, code, remember, c)
	if err != nil {
		f.t.Fatalf("staff code: %v", err)
	}
	return iss.Token
}

func (f *supportFixture) count(q string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.d.SQL.QueryRowContext(f.ctx, q, args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// TestRealmTimeouts: a staff session ends after 10 minutes without a
// request and 10 hours after sign-in however active; a customer's after
// 15 minutes and 12 hours, as before. The end is told as idle or
// absolute, the deadlines shown agree, and Cleanup keeps the longer.
func TestRealmTimeouts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newSupportFixture(t, d)
		_, custEmail, _ := f.newCustomer(false)
		for _, tc := range []struct {
			name           string
			signIn         func() string
			idle, absolute time.Duration
		}{
			{"customer", func() string { return f.customerSignIn(custEmail, "") }, 15 * time.Minute, 12 * time.Hour},
			{"staff", func() string { return f.staffSignIn("", false) }, 10 * time.Minute, 10 * time.Hour},
		} {
			t.Run(tc.name+" idle", func(t *testing.T) {
				tok := tc.signIn()
				t0 := f.clk.Now()
				ss, err := f.s.PeekSession(f.ctx, tok)
				if err != nil {
					t.Fatal(err)
				}
				if ss.Idle() != tc.idle || !ss.IdleDeadline().Equal(t0.Add(tc.idle)) || !ss.ExpiresAt.Equal(t0.Add(tc.absolute)) {
					t.Fatalf("idle %v, idle deadline %v, expires %v; want %v and %v after %v", ss.Idle(), ss.IdleDeadline(), ss.ExpiresAt, tc.idle, tc.absolute, t0)
				}
				if IdleFor(ss.Login.Realm) != tc.idle || AbsoluteFor(ss.Login.Realm) != tc.absolute {
					t.Fatalf("IdleFor, AbsoluteFor of %s: %v, %v", ss.Login.Realm, IdleFor(ss.Login.Realm), AbsoluteFor(ss.Login.Realm))
				}
				f.clk.Set(t0.Add(tc.idle - time.Second))
				if ss, err = f.s.PeekSession(f.ctx, tok); err != nil {
					t.Fatalf("a second before the idle limit: %v", err)
				}
				if left, abs := ss.Remaining(f.clk.Now()); left != time.Second || abs {
					t.Fatalf("remaining %v (absolute %v), want 1s", left, abs)
				}
				if list, err := f.s.Sessions(f.ctx, ss); err != nil || len(list) != 1 {
					t.Fatalf("listed: %v %v", list, err)
				}
				f.clk.Set(t0.Add(tc.idle))
				if _, err := f.s.Session(f.ctx, tok); !errors.Is(err, ErrNoSession) {
					t.Fatalf("at the idle limit: %v", err)
				}
				if err := f.s.Extend(f.ctx, tok); !errors.Is(err, ErrNoSession) {
					t.Fatalf("extended at the idle limit: %v", err)
				}
				if why, err := f.s.SessionEnded(f.ctx, tok); why != EndIdle || err != nil {
					t.Fatalf("ended: %q %v", why, err)
				}
			})
			t.Run(tc.name+" absolute", func(t *testing.T) {
				tok := tc.signIn()
				t0 := f.clk.Now()
				for f.clk.Now().Add(tc.idle - time.Minute).Before(t0.Add(tc.absolute)) {
					f.clk.Add(tc.idle - time.Minute)
					if err := f.s.Extend(f.ctx, tok); err != nil {
						t.Fatalf("active at %v: %v", f.clk.Now().Sub(t0), err)
					}
				}
				f.clk.Set(t0.Add(tc.absolute - time.Second))
				ss, err := f.s.PeekSession(f.ctx, tok)
				if err != nil {
					t.Fatalf("a second before the absolute limit: %v", err)
				}
				if left, abs := ss.Remaining(f.clk.Now()); left != time.Second || !abs {
					t.Fatalf("remaining %v (absolute %v), want 1s absolute", left, abs)
				}
				// Cleanup keeps a session its realm still allows.
				if _, err := f.s.Cleanup(f.ctx); err != nil {
					t.Fatal(err)
				}
				if _, err := f.s.PeekSession(f.ctx, tok); err != nil {
					t.Fatalf("after cleanup: %v", err)
				}
				f.clk.Set(t0.Add(tc.absolute))
				if _, err := f.s.Session(f.ctx, tok); !errors.Is(err, ErrNoSession) {
					t.Fatalf("at the absolute limit: %v", err)
				}
				if why, err := f.s.SessionEnded(f.ctx, tok); why != EndAbsolute || err != nil {
					t.Fatalf("ended: %q %v", why, err)
				}
			})
		}
	})
}

// TestStaffNeverSkipSecondFactor: "remember this device" is ignored for
// staff (nothing remembered, and a device remembered before still asks);
// a customer's remembered device still skips it; a staff password alone
// (no factor enrolled) is refused as a wrong password is, no sign-in
// code is sent to staff, and a staff login cannot remove its last factor.
func TestStaffNeverSkipSecondFactor(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newSupportFixture(t, d)
		tok := f.staffSignIn("staff-device", true)
		if n := f.count(`SELECT count(*) FROM known_devices WHERE login_id = $1 AND trusted_until IS NOT NULL`, f.staff); n != 0 {
			t.Fatalf("a staff device was remembered (%d)", n)
		}
		ev, err := audit.ForSubject(f.ctx, d, loginSubject(f.staff), 1)
		if err != nil || len(ev) != 1 || ev[0].Action != "login.success" || ev[0].Details["remember"] != "false" {
			t.Fatalf("audit of the staff sign-in: %+v %v", ev, err)
		}
		// A device remembered before this rule, or written by anything
		// else, does not skip it either.
		if _, err := d.SQL.ExecContext(f.ctx, `UPDATE known_devices SET trusted_until = $1 WHERE login_id = $2`, f.clk.Now().Add(time.Hour), f.staff); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name   string
			realm  Realm
			email  string
			pw     string
			device string
			second bool
		}{
			{"staff on a remembered device", Staff, supportStaffEmail, supportStaffPW, "staff-device", true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res, err := f.s.PasswordLogin(f.ctx, tc.realm, tc.email, tc.pw, "", Client{IP: "198.51.100.5", Device: tc.device})
				if err != nil || res.NeedSecondFactor != tc.second {
					t.Fatalf("%+v %v, want second factor asked: %v", res, err, tc.second)
				}
			})
		}
		t.Run("customer on a remembered device", func(t *testing.T) {
			_, email, id := f.newCustomer(false)
			f.customerSignIn(email, "cust-device")
			if _, err := d.SQL.ExecContext(f.ctx, `UPDATE logins SET totp_enabled = 1, totp_secret = 'JBSWY3DPEHPK3PXP' WHERE id = $1`, id); err != nil {
				t.Fatal(err)
			}
			res, err := f.s.PasswordLogin(f.ctx, Customer, email, supportCustPW, "", Client{IP: "192.0.2.10", Device: "cust-device"})
			if err != nil || !res.NeedSecondFactor {
				t.Fatalf("unremembered: %+v %v", res, err)
			}
			if _, err := d.SQL.ExecContext(f.ctx, `UPDATE known_devices SET trusted_until = $1 WHERE login_id = $2`, f.clk.Now().Add(time.Hour), id); err != nil {
				t.Fatal(err)
			}
			res, err = f.s.PasswordLogin(f.ctx, Customer, email, supportCustPW, "", Client{IP: "192.0.2.10", Device: "cust-device"})
			if err != nil || res.NeedSecondFactor {
				t.Fatalf("remembered: %+v %v", res, err)
			}
		})
		t.Run("staff password alone", func(t *testing.T) {
			id, err := f.s.CreateStaff(f.ctx, "alone@northwind.example", "Alone", "a long staff password for tests")
			if err != nil {
				t.Fatal(err)
			}
			sessions := f.count(`SELECT count(*) FROM sessions`)
			for _, pw := range []string{"a long staff password for tests", "a wrong staff password here"} {
				if _, err := f.s.PasswordLogin(f.ctx, Staff, "alone@northwind.example", pw, "", Client{IP: "198.51.100.9"}); !errors.Is(err, ErrInvalidCredentials) {
					t.Fatalf("%q: %v", pw, err)
				}
			}
			if n := f.count(`SELECT count(*) FROM sessions`); n != sessions {
				t.Fatalf("sessions %d, want %d", n, sessions)
			}
			ev, err := audit.ForSubject(f.ctx, d, loginSubject(id), 2)
			if err != nil || len(ev) != 2 || ev[1].Details["reason"] != "staff_no_second_factor" || ev[0].Details["reason"] != "wrong_password" {
				t.Fatalf("audit: %+v %v", ev, err)
			}
		})
		t.Run("staff sign-in codes", func(t *testing.T) {
			f.clk.Add(time.Minute)
			res, err := f.s.PasswordLogin(f.ctx, Staff, supportStaffEmail, supportStaffPW, "", Client{IP: "198.51.100.5"})
			if err != nil || !res.NeedSecondFactor {
				t.Fatalf("%+v %v", res, err)
			}
			outbox := f.count(`SELECT count(*) FROM outbox`)
			if err := f.s.SendLoginCode(f.ctx, res.Session.Token, false, Client{}); !errors.Is(err, ErrNotFound) {
				t.Fatalf("code sent to staff: %v", err)
			}
			if n := f.count(`SELECT count(*) FROM outbox`); n != outbox {
				t.Fatal("a code was queued")
			}
			if _, err := f.s.SecondFactor(f.ctx, res.Session.Token, MethodCode, "123456", false, Client{IP: "198.51.100.5"}); !errors.Is(err, ErrInvalidCode) {
				t.Fatalf("a sign-in code for staff: %v", err)
			}
		})
		t.Run("staff remove last factor", func(t *testing.T) {
			if err := f.s.RemoveTOTP(f.ctx, tok, Client{}); !errors.Is(err, ErrLastFactor) {
				t.Fatalf("removed: %v", err)
			}
		})
	})
}

// linkToken returns the token of the first link to path in a message.
func linkToken(t *testing.T, text, path string) string {
	t.Helper()
	m := regexp.MustCompile(regexp.QuoteMeta(path) + `\?token=([A-Za-z0-9_%-]+)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no %s link in %q", path, text)
	}
	tok, err := url.QueryUnescape(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestStaffSupportActions: resetting two-step verification and signing a
// customer out are refused for a non-staff actor, a staff target, an
// unknown login and a missing or too long reason, writing nothing; done,
// each changes what it says, ends the sessions with its own reason,
// writes one audit event with the staff actor and the reason, and the
// reset emails the customer in their language.
func TestStaffSupportActions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newSupportFixture(t, d)
		other, _ := f.newStaff("other@northwind.example")
		_, email, id := f.newCustomer(false)
		tokens := []string{f.customerSignIn(email, "dev-a"), f.customerSignIn(email, "dev-b")}
		// Factors as a customer may have them.
		later := f.clk.Now().Add(24 * time.Hour)
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`UPDATE logins SET totp_enabled = 1, totp_secret = 'JBSWY3DPEHPK3PXP', factor_failures = 3 WHERE id = $1`, []any{id}},
			{`INSERT INTO passkeys (login_id, credential_id, name, credential, created_at) VALUES ($1, $2, 'Phone', '{}', $3)`, []any{id, []byte("cred-1"), f.clk.Now()}},
			{`INSERT INTO recovery_codes (login_id, code_hash, selector, created_at) VALUES ($1, 'h1', 'ab', $2), ($1, 'h2', 'cd', $2)`, []any{id, f.clk.Now()}},
			{`UPDATE known_devices SET trusted_until = $2 WHERE login_id = $1`, []any{id, later}},
		} {
			if _, err := d.SQL.ExecContext(f.ctx, q.sql, q.args...); err != nil {
				t.Fatalf("%s: %v", q.sql, err)
			}
		}
		if _, err := d.SQL.ExecContext(f.ctx, `INSERT INTO notification_preferences (customer_id, due_reminder_email, due_reminder_sms, due_reminder_days,
			payment_received_email, payment_received_sms, statement_ready_email, statement_ready_sms, updated_at, lang)
			SELECT customer_id, 1, 0, 5, 1, 0, 1, 0, $2, 'es' FROM logins WHERE id = $1`, id, f.clk.Now()); err != nil {
			t.Fatal(err)
		}
		written := func() [3]int {
			return [3]int{f.count(`SELECT count(*) FROM audit_events`), f.count(`SELECT count(*) FROM outbox`), f.count(`SELECT count(*) FROM session_ends`)}
		}
		actions := []struct {
			name string
			do   func(staff, login int64, reason string) error
		}{
			{"reset second factor", func(staff, login int64, reason string) error {
				return f.s.StaffResetSecondFactor(f.ctx, staff, login, reason, Client{IP: "198.51.100.5", Lang: "en"})
			}},
			{"end sessions", func(staff, login int64, reason string) error {
				_, err := f.s.StaffEndSessions(f.ctx, staff, login, reason)
				return err
			}},
		}
		for _, a := range actions {
			for _, tc := range []struct {
				name         string
				staff, login int64
				reason       string
				want         error
			}{
				{"not staff", id, id, "verified by phone", ErrNotStaff},
				{"unknown staff", 999999, id, "verified by phone", ErrNotStaff},
				{"staff target", f.staff, other, "verified by phone", ErrNotFound},
				{"unknown login", f.staff, 999999, "verified by phone", ErrNotFound},
				{"empty reason", f.staff, id, "  \n ", ErrReason},
				{"reason too long", f.staff, id, strings.Repeat("x", 501), ErrReason},
				{"reason too many bytes", f.staff, id, strings.Repeat("é", 300), ErrReason},
			} {
				t.Run(a.name+": "+tc.name, func(t *testing.T) {
					before := written()
					if err := a.do(tc.staff, tc.login, tc.reason); !errors.Is(err, tc.want) {
						t.Fatalf("got %v, want %v", err, tc.want)
					}
					if after := written(); after != before {
						t.Fatalf("a refusal wrote: audit, outbox, session ends %v, then %v", before, after)
					}
					l, err := loginByID(f.ctx, d.Read, id)
					if err != nil || !l.TOTPEnabled || l.Passkeys != 1 {
						t.Fatalf("a refusal changed the login: %+v %v", l, err)
					}
					for _, tok := range tokens {
						if _, err := f.s.PeekSession(f.ctx, tok); err != nil {
							t.Fatalf("a refusal ended a session: %v", err)
						}
					}
				})
			}
		}
		reason := strings.Repeat("á", 256) // 256 characters, 512 bytes: kept whole
		t.Run("reset second factor", func(t *testing.T) {
			before := written()
			if err := actions[0].do(f.staff, id, "  "+reason+" "); err != nil {
				t.Fatal(err)
			}
			l, err := loginByID(f.ctx, d.Read, id)
			if err != nil || l.TOTPEnabled || l.Passkeys != 0 || l.FactorFailures != 0 || l.HasSecondFactor() {
				t.Fatalf("login after reset: %+v %v", l, err)
			}
			if n := f.count(`SELECT count(*) FROM recovery_codes WHERE login_id = $1`, id); n != 0 {
				t.Fatalf("%d recovery codes left", n)
			}
			if n := f.count(`SELECT count(*) FROM known_devices WHERE login_id = $1 AND trusted_until IS NOT NULL`, id); n != 0 {
				t.Fatalf("%d devices still remembered", n)
			}
			for _, tok := range tokens {
				if _, err := f.s.Session(f.ctx, tok); !errors.Is(err, ErrNoSession) {
					t.Fatalf("session after reset: %v", err)
				}
				if why, err := f.s.SessionEnded(f.ctx, tok); why != EndStaffReset || err != nil {
					t.Fatalf("ended: %q %v", why, err)
				}
			}
			after := written()
			if after[0] != before[0]+1 || after[1] != before[1]+1 || after[2] != before[2]+2 {
				t.Fatalf("audit, outbox, session ends %v, then %v", before, after)
			}
			ev, err := audit.ForSubject(f.ctx, d, loginSubject(id), 1)
			if err != nil || len(ev) != 1 {
				t.Fatal(ev, err)
			}
			want := map[string]string{"reason": reason, "totp_removed": "true", "passkeys_removed": "1", "recovery_codes_removed": "2",
				"devices_forgotten": "2", "sessions_ended": "2"}
			if e := ev[0]; e.Actor != fmt.Sprintf("staff:%d", f.staff) || e.Action != "factor.staff_reset" || e.IP != "198.51.100.5" || fmt.Sprint(e.Details) != fmt.Sprint(want) {
				t.Fatalf("audit event %+v", e)
			}
			msgs, err := notify.Outbox(f.ctx, d, email, 10)
			if err != nil || len(msgs) == 0 {
				t.Fatalf("outbox: %v", err)
			}
			m := msgs[len(msgs)-1].Message
			if m.Kind != "identity.staff_factor_reset" || !strings.Contains(m.Subject, "verificación en dos pasos") || !strings.Contains(m.Text, "equipo de soporte") {
				t.Fatalf("email: %s %q\n%s", m.Kind, m.Subject, m.Text)
			}
			// Its "this wasn't me" link works.
			if err := f.s.CheckToken(f.ctx, "wasnt_me", linkToken(t, m.Text, "/wasnt-me")); err != nil {
				t.Fatalf("wasn't-me link: %v", err)
			}
			// The customer signs in with the password alone now.
			f.customerSignIn(email, "dev-a")
		})
		t.Run("end sessions", func(t *testing.T) {
			toks := []string{f.customerSignIn(email, "dev-a"), f.customerSignIn(email, "dev-c")}
			before := written()
			n, err := f.s.StaffEndSessions(f.ctx, f.staff, id, "customer lost a laptop")
			if err != nil || n != 3 { // and the one of the subtest before
				t.Fatalf("ended %d: %v", n, err)
			}
			for _, tok := range toks {
				if why, err := f.s.SessionEnded(f.ctx, tok); why != EndStaffSignedOut || err != nil {
					t.Fatalf("ended: %q %v", why, err)
				}
			}
			if after := written(); after[0] != before[0]+1 || after[1] != before[1] || after[2] != before[2]+3 {
				t.Fatalf("audit, outbox, session ends %v, then %v", before, after)
			}
			ev, err := audit.ForSubject(f.ctx, d, loginSubject(id), 1)
			if err != nil || len(ev) != 1 || ev[0].Actor != fmt.Sprintf("staff:%d", f.staff) || ev[0].Action != "session.staff_revoke_all" ||
				ev[0].Details["reason"] != "customer lost a laptop" || ev[0].Details["sessions_ended"] != "3" {
				t.Fatalf("audit: %+v %v", ev, err)
			}
			if n, err := f.s.StaffEndSessions(f.ctx, f.staff, id, "again"); err != nil || n != 0 {
				t.Fatalf("again: %d %v", n, err)
			}
		})
	})
}

// TestStaffSendEnrolmentInvite: support emails a customer without online
// access the enrolment link, which works; a second invitation replaces
// the first; a customer with a login, an unknown customer, a non-staff
// actor and a missing reason are refused, writing nothing.
func TestStaffSendEnrolmentInvite(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newSupportFixture(t, d)
		cust, email, _ := f.newCustomer(true)
		enrolled, _, loginID := f.newCustomer(false)
		written := func() [3]int {
			return [3]int{f.count(`SELECT count(*) FROM audit_events`), f.count(`SELECT count(*) FROM outbox`), f.count(`SELECT count(*) FROM one_time_tokens`)}
		}
		for _, tc := range []struct {
			name          string
			staff, custID int64
			reason        string
			want          error
		}{
			{"not staff", loginID, cust, "asked on the phone", ErrNotStaff},
			{"empty reason", f.staff, cust, "", ErrReason},
			{"unknown customer", f.staff, 999999, "asked on the phone", ErrNotFound},
			{"already enrolled", f.staff, enrolled, "asked on the phone", ErrAlreadyEnrolled},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := written()
				if err := f.s.StaffSendEnrolmentInvite(f.ctx, tc.staff, tc.custID, tc.reason); !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
				if after := written(); after != before {
					t.Fatalf("a refusal wrote: %v, then %v", before, after)
				}
			})
		}
		if !errors.Is(ErrAlreadyEnrolled, ErrExists) {
			t.Error("ErrAlreadyEnrolled is not an ErrExists")
		}
		invite := func() string {
			t.Helper()
			if err := f.s.StaffSendEnrolmentInvite(f.ctx, f.staff, cust, "asked on the phone"); err != nil {
				t.Fatal(err)
			}
			msgs, err := notify.Outbox(f.ctx, d, email, 10)
			if err != nil || len(msgs) == 0 {
				t.Fatalf("outbox: %v", err)
			}
			m := msgs[len(msgs)-1].Message
			if m.Kind != "identity.enrol_invite" || !strings.Contains(m.Text, "72 hours") {
				t.Fatalf("email: %s\n%s", m.Kind, m.Text)
			}
			return linkToken(t, m.Text, "/enrol/verify")
		}
		first := invite()
		ev, err := audit.ForSubject(f.ctx, d, fmt.Sprintf("customer:%d", cust), 1)
		if err != nil || len(ev) != 1 || ev[0].Actor != fmt.Sprintf("staff:%d", f.staff) || ev[0].Action != "enrol.staff_invite" ||
			ev[0].Details["reason"] != "asked on the phone" {
			t.Fatalf("audit: %+v %v", ev, err)
		}
		st, err := f.s.SignInState(f.ctx, cust)
		if err != nil || st.Enrolled || !st.InvitePendingUntil.Equal(f.clk.Now().Add(72*time.Hour)) {
			t.Fatalf("state: %+v %v", st, err)
		}
		second := invite()
		if err := f.s.CheckToken(f.ctx, "enrol", first); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("the first link after the second: %v", err)
		}
		f.clk.Add(71 * time.Hour)
		if got, err := f.s.EnrolmentEmail(f.ctx, second); got != email || err != nil {
			t.Fatalf("link: %q %v", got, err)
		}
		if _, err := f.s.CompleteEnrolment(f.ctx, second, supportCustPW, Client{IP: "192.0.2.10"}); err != nil {
			t.Fatalf("enrol with the link: %v", err)
		}
		if err := f.s.StaffSendEnrolmentInvite(f.ctx, f.staff, cust, "asked again"); !errors.Is(err, ErrAlreadyEnrolled) {
			t.Fatalf("after enrolment: %v", err)
		}
	})
}

// TestSignInState: the staff screen's read model: login, lock, factors,
// live sessions, the newest ten sign-ins, failures and alerts, newest
// first; a customer without a login, and an unknown one.
func TestSignInState(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newSupportFixture(t, d)
		cust, email, id := f.newCustomer(false)
		f.customerSignIn(email, "dev-a")
		for i := range 12 {
			f.clk.Add(time.Minute)
			f.customerSignIn(email, fmt.Sprintf("dev-%d", i)) // a new device each: an alert
		}
		for range 3 {
			f.clk.Add(time.Minute)
			if _, err := f.s.PasswordLogin(f.ctx, Customer, email, "not the password at all", "", Client{IP: "203.0.113.9"}); !errors.Is(err, ErrInvalidCredentials) {
				t.Fatal(err)
			}
		}
		if _, err := d.SQL.ExecContext(f.ctx, `INSERT INTO passkeys (login_id, credential_id, name, credential, created_at) VALUES ($1, $2, 'Phone', '{}', $3)`,
			id, []byte("cred-s"), f.clk.Now()); err != nil {
			t.Fatal(err)
		}
		st, err := f.s.SignInState(f.ctx, cust)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Enrolled || st.LoginID != id || st.Email != email || st.FailedCount != 3 || !st.LockedUntil.IsZero() || st.TOTP || st.Passkeys != 1 {
			t.Fatalf("state: %+v", st)
		}
		if len(st.Sessions) != 12 { // the first one went idle (15 minutes)
			t.Fatalf("%d sessions", len(st.Sessions))
		}
		if len(st.SignIns) != 10 || len(st.FailedSignIns) != 3 || len(st.Alerts) != 10 {
			t.Fatalf("%d sign-ins, %d failures, %d alerts", len(st.SignIns), len(st.FailedSignIns), len(st.Alerts))
		}
		for name, l := range map[string][]SignInEvent{"sign-ins": st.SignIns, "failures": st.FailedSignIns, "alerts": st.Alerts} {
			for i := 1; i < len(l); i++ {
				if l[i].At.After(l[i-1].At) {
					t.Fatalf("%s not newest first: %v", name, l)
				}
			}
		}
		if e := st.FailedSignIns[0]; e.Action != "login.failure" || e.IP != "203.0.113.9" || e.Details["reason"] != "wrong_password" {
			t.Fatalf("failure: %+v", e)
		}
		if e := st.Alerts[0]; e.Action != "login.alert" || e.Details["why"] != "new_device" {
			t.Fatalf("alert: %+v", e)
		}
		if e := st.SignIns[0]; e.Action != "login.success" || !e.At.Equal(f.clk.Now().Add(-3*time.Minute)) {
			t.Fatalf("sign-in: %+v", e)
		}
		// Ten wrong passwords lock it; the lock and its email are shown.
		for range 7 {
			f.clk.Add(time.Second)
			_, _ = f.s.PasswordLogin(f.ctx, Customer, email, "not the password at all", "", Client{IP: "203.0.113.9"})
		}
		if st, err = f.s.SignInState(f.ctx, cust); err != nil || st.LockedUntil.IsZero() || st.Alerts[0].Action != "login.locked" {
			t.Fatalf("locked: %+v %v", st, err)
		}

		none, _, _ := f.newCustomer(true)
		if st, err := f.s.SignInState(f.ctx, none); err != nil || st.Enrolled || st.LoginID != 0 || !st.InvitePendingUntil.IsZero() {
			t.Fatalf("not enrolled: %+v %v", st, err)
		}
		if _, err := f.s.SignInState(f.ctx, 999999); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown customer: %v", err)
		}
	})
}

// TestSignInStateIndexes: every statement of SignInState reads its
// tables by an index, on both engines, so the staff screen costs the same
// on a database of 100,000 contracts as on this one. (PostgreSQL is told
// not to scan tables, so that an empty table's cheap scan does not hide
// a missing index.)
func TestSignInStateIndexes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
		events := []any{loginSubject(1), signInEventsMax}
		for _, a := range alertActions {
			events = append(events, a)
		}
		for _, tc := range []struct {
			name string
			sql  string
			args []any
		}{
			{"login", signInLoginSQL, []any{int64(1), now}},
			{"not enrolled", notEnrolledSQL, []any{int64(1), now}},
			{"sessions", liveSessionsSQL, []any{int64(1), now, now.Add(-SessionIdle), sessionsListMax}},
			{"events", signInEventsSQL, events},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tx, err := d.SQL.BeginTx(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer func() { _ = tx.Rollback() }()
				if d.Engine == db.Postgres {
					if _, err := tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
						t.Fatal(err)
					}
				}
				q := "EXPLAIN " + tc.sql
				if d.Engine == db.SQLite {
					q = "EXPLAIN QUERY PLAN " + tc.sql
				}
				rows, err := tx.QueryContext(ctx, q, tc.args...)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				cols, _ := rows.Columns()
				var plan []string
				for rows.Next() {
					vals := make([]any, len(cols))
					ptrs := make([]any, len(cols))
					for i := range vals {
						ptrs[i] = &vals[i]
					}
					if err := rows.Scan(ptrs...); err != nil {
						t.Fatal(err)
					}
					plan = append(plan, fmt.Sprint(vals[len(vals)-1]))
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				t.Logf("%s:\n%s", tc.name, strings.Join(plan, "\n"))
				if tc.name == "events" && strings.Count(strings.Join(plan, "\n"), "audit_events_subject_action") < 3 {
					t.Errorf("events not read by audit_events_subject_action:\n%s", strings.Join(plan, "\n"))
				}
				for _, line := range plan {
					for _, table := range []string{"audit_events", "sessions", "logins", "passkeys", "recovery_codes", "known_devices", "customers", "one_time_tokens"} {
						if strings.Contains(line, "Seq Scan on "+table+" ") || strings.HasPrefix(strings.TrimSpace(line), "SCAN "+table) {
							t.Errorf("%s scans %s:\n%s", tc.name, table, strings.Join(plan, "\n"))
						}
					}
				}
			})
		}
	})
}
