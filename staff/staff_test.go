package staff

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"carfin/audit"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/identity"
	"carfin/keyring"
)

const staffPassword = "staff pass phrase for tests"

var start = time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)

func newService(t *testing.T, d *db.DB) (*Service, *identity.Service) {
	t.Helper()
	dbtest.ClockOf(d).Set(start)
	id, err := identity.New(identity.Config{DB: d, Params: identity.Params{MemoryKiB: 64, Time: 1, Threads: 1}, BaseURL: "https://portal.example",
		LenderName: "Northwind", Keys: keyring.Dev(), Limits: identity.Limits{GlobalFailureBurst: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	return New(d, id), id
}

// codeAt is the authenticator code of secret at the database's time.
func codeAt(t *testing.T, d *db.DB, secret string) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, d.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrol completes e's enrolment and returns the member.
func enrol(t *testing.T, s *Service, d *db.DB, e Enrolment) Member {
	t.Helper()
	ctx := context.Background()
	setup, err := s.EnrolmentTOTP(ctx, e.Token)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := s.Enrol(ctx, e.Token, staffPassword, codeAt(t, d, setup.Secret), identity.Client{IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) == 0 {
		t.Fatal("no recovery codes")
	}
	m, err := s.Member(ctx, e.LoginID)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// counts is what a refused call must leave unchanged.
func counts(t *testing.T, d *db.DB) [4]int {
	t.Helper()
	var c [4]int
	for i, q := range []string{`SELECT count(*) FROM audit_events`, `SELECT count(*) FROM staff_members`, `SELECT count(*) FROM logins`,
		`SELECT count(*) FROM staff_members WHERE status = 'active' AND role = 'admin'`} {
		if err := d.SQL.QueryRowContext(context.Background(), q).Scan(&c[i]); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// TestStaffAddAndEnrol: the system adds the first admin, who cannot sign
// in until enrolled; enrolment needs a good password and a current code
// together, a wrong code writes only the attempt, and the link works once.
func TestStaffAddAndEnrol(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, id := newService(t, d)
		if _, err := s.Add(ctx, System, "agent@northwind.example", "Agent", Agent, "first hire"); !errors.Is(err, ErrForbidden) {
			t.Fatalf("system adds an agent first: %v, want ErrForbidden", err)
		}
		e, err := s.Add(ctx, System, " Admin@Northwind.example ", "Ada Admin", Admin, "go-live")
		if err != nil {
			t.Fatal(err)
		}
		if e.Token == "" || !e.ExpiresAt.Equal(start.Add(72*time.Hour)) {
			t.Fatalf("enrolment %+v", e)
		}
		m, err := s.Member(ctx, e.LoginID)
		if err != nil {
			t.Fatal(err)
		}
		if m.Email != "admin@northwind.example" || m.Role != Admin || m.Status != Pending || m.CreatedBy != "system" || m.Name != "Ada Admin" {
			t.Fatalf("member %+v", m)
		}
		if _, err := id.PasswordLogin(ctx, identity.Staff, m.Email, "", "", identity.Client{IP: "192.0.2.1"}); err == nil {
			t.Fatal("a pending staff login signed in with no password")
		}
		setup, err := s.EnrolmentTOTP(ctx, e.Token)
		if err != nil {
			t.Fatal(err)
		}
		again, err := s.EnrolmentTOTP(ctx, e.Token)
		if err != nil || again.Secret != setup.Secret {
			t.Fatalf("a reload shows another seed (%v)", err)
		}
		before := counts(t, d)
		if _, err := s.Enrol(ctx, e.Token, "short", codeAt(t, d, setup.Secret), identity.Client{}); err == nil {
			t.Fatal("a short password enrolled")
		}
		if _, err := s.Enrol(ctx, e.Token, staffPassword, "000000", identity.Client{}); !errors.Is(err, identity.ErrInvalidCode) {
			t.Fatalf("wrong code: %v", err)
		}
		if after := counts(t, d); after != before {
			t.Fatalf("refused enrolment wrote %v, before %v", after, before)
		}
		if m, _ := s.Member(ctx, e.LoginID); m.Status != Pending {
			t.Fatalf("status %s after refusals", m.Status)
		}
		m = enrol(t, s, d, e)
		if m.Status != Active {
			t.Fatalf("status %s after enrolment", m.Status)
		}
		if _, err := s.Enrol(ctx, e.Token, staffPassword, codeAt(t, d, setup.Secret), identity.Client{}); !errors.Is(err, ErrTokenInvalid) {
			t.Fatalf("second use of the link: %v", err)
		}
		if _, err := s.EnrolmentTOTP(ctx, e.Token); !errors.Is(err, ErrTokenInvalid) {
			t.Fatalf("second use of the link: %v", err)
		}
		res, err := id.PasswordLogin(ctx, identity.Staff, m.Email, staffPassword, "", identity.Client{IP: "192.0.2.1"})
		if err != nil || !res.NeedSecondFactor {
			t.Fatalf("enrolled admin signs in: %+v %v (want a second factor asked)", res, err)
		}
		ev, err := audit.ForSubject(ctx, d, loginSubject(m.LoginID), 10)
		if err != nil {
			t.Fatal(err)
		}
		var seen []string
		for _, x := range ev {
			seen = append(seen, x.Action)
			if x.Action == "staff.add" && (x.Actor != "system" || x.Details["role"] != "admin" || x.Details["reason"] != "go-live") {
				t.Errorf("staff.add event %+v", x)
			}
		}
		for _, want := range []string{"staff.add", "staff.enrol", "login.create"} {
			found := false
			for _, a := range seen {
				found = found || a == want
			}
			if !found {
				t.Errorf("no %s event in %v", want, seen)
			}
		}
		if f, err := audit.Verify(ctx, d); err != nil || !f.OK() {
			t.Fatalf("audit chain: %v %v", f, err)
		}
	})
}

// TestStaffEnrolmentLink: a link works until 72 hours, not after; wrong
// codes spend it; a resent link replaces the old one.
func TestStaffEnrolmentLink(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d)
		clk := dbtest.ClockOf(d)
		first, err := s.Add(ctx, System, "admin@northwind.example", "Admin", Admin, "go-live")
		if err != nil {
			t.Fatal(err)
		}
		clk.Set(start.Add(EnrolmentTTL))
		if _, err := s.EnrolmentTOTP(ctx, first.Token); !errors.Is(err, ErrTokenInvalid) {
			t.Fatalf("first admin's link at expiry: %v", err)
		}
		// No admin is active: the command line sends the first a new link.
		e, err := s.ResendEnrolment(ctx, System, first.LoginID, "link expired")
		if err != nil {
			t.Fatal(err)
		}
		admin := enrol(t, s, d, e)
		by := Actor{LoginID: admin.LoginID}

		t0 := d.Now()
		late, err := s.Add(ctx, by, "late@northwind.example", "Late", Agent, "new hire")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ResendEnrolment(ctx, System, late.LoginID, "from the command line"); !errors.Is(err, ErrForbidden) {
			t.Fatalf("system resends once an admin is active: %v", err)
		}
		clk.Set(t0.Add(EnrolmentTTL - time.Second))
		if _, err := s.EnrolmentTOTP(ctx, late.Token); err != nil {
			t.Fatalf("one second before expiry: %v", err)
		}
		clk.Set(t0.Add(EnrolmentTTL))
		if _, err := s.EnrolmentTOTP(ctx, late.Token); !errors.Is(err, ErrTokenInvalid) {
			t.Fatalf("at expiry: %v", err)
		}
		if _, err := s.Enrol(ctx, late.Token, staffPassword, "123456", identity.Client{}); !errors.Is(err, ErrTokenInvalid) {
			t.Fatalf("enrol at expiry: %v", err)
		}
		fresh, err := s.ResendEnrolment(ctx, by, late.LoginID, "link expired")
		if err != nil {
			t.Fatal(err)
		}
		if m := enrol(t, s, d, fresh); m.Status != Active {
			t.Fatalf("status %s", m.Status)
		}
		if _, err := s.ResendEnrolment(ctx, by, late.LoginID, "again"); !errors.Is(err, ErrNoChange) {
			t.Fatalf("resend to an enrolled member: %v", err)
		}

		guess, err := s.Add(ctx, by, "guess@northwind.example", "Guess", Agent, "new hire")
		if err != nil {
			t.Fatal(err)
		}
		old, err := s.ResendEnrolment(ctx, by, guess.LoginID, "lost the mail")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.EnrolmentTOTP(ctx, guess.Token); !errors.Is(err, ErrTokenInvalid) {
			t.Fatalf("replaced link: %v", err)
		}
		if _, err := s.EnrolmentTOTP(ctx, old.Token); err != nil {
			t.Fatal(err)
		}
		for i := range enrolAttemptsMax {
			if _, err := s.Enrol(ctx, old.Token, staffPassword, "000000", identity.Client{}); !errors.Is(err, identity.ErrInvalidCode) {
				t.Fatalf("wrong code %d: %v", i, err)
			}
		}
		if _, err := s.EnrolmentTOTP(ctx, old.Token); !errors.Is(err, ErrTokenInvalid) {
			t.Fatalf("after %d wrong codes: %v", enrolAttemptsMax, err)
		}
	})
}

// TestStaffChanges: an admin disables, enables and changes roles, each
// audited with the reason; refused changes (on oneself, by a non-admin,
// bad input) write nothing.
func TestStaffChanges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d)
		e, err := s.Add(ctx, System, "admin@northwind.example", "Admin", Admin, "go-live")
		if err != nil {
			t.Fatal(err)
		}
		admin := enrol(t, s, d, e)
		by := Actor{LoginID: admin.LoginID, IP: "192.0.2.7"}
		ea, err := s.Add(ctx, by, "agent@northwind.example", "Agent", Agent, "new hire")
		if err != nil {
			t.Fatal(err)
		}
		agent := enrol(t, s, d, ea)
		asAgent := Actor{LoginID: agent.LoginID}
		pend, err := s.Add(ctx, by, "pending@northwind.example", "Pending", Auditor, "external audit")
		if err != nil {
			t.Fatal(err)
		}

		for _, tc := range []struct {
			name string
			do   func() error
			want error
		}{
			{"disable self", func() error { return s.Disable(ctx, by, admin.LoginID, "oops") }, ErrSelf},
			{"demote self", func() error { return s.SetRole(ctx, by, admin.LoginID, Agent, "oops") }, ErrSelf},
			{"agent adds", func() error {
				_, err := s.Add(ctx, asAgent, "x@northwind.example", "X", Agent, "friend")
				return err
			}, ErrForbidden},
			{"agent disables", func() error { return s.Disable(ctx, asAgent, admin.LoginID, "coup") }, ErrForbidden},
			{"agent promotes self", func() error { return s.SetRole(ctx, asAgent, agent.LoginID, Admin, "coup") }, ErrSelf},
			{"agent promotes", func() error { return s.SetRole(ctx, asAgent, pend.LoginID, Admin, "coup") }, ErrForbidden},
			{"pending auditor adds", func() error {
				_, err := s.Add(ctx, Actor{LoginID: pend.LoginID}, "y@northwind.example", "Y", Agent, "r")
				return err
			}, ErrForbidden},
			{"system disables", func() error { return s.Disable(ctx, System, agent.LoginID, "r") }, ErrForbidden},
			{"system adds after the first admin", func() error {
				_, err := s.Add(ctx, System, "z@northwind.example", "Z", Agent, "r")
				return err
			}, ErrForbidden},
			{"unknown role", func() error {
				_, err := s.Add(ctx, by, "r@northwind.example", "R", "root", "r")
				return err
			}, ErrUnknownRole},
			{"set unknown role", func() error { return s.SetRole(ctx, by, agent.LoginID, "root", "r") }, ErrUnknownRole},
			{"bad email", func() error {
				_, err := s.Add(ctx, by, "not an email", "R", Agent, "r")
				return err
			}, identity.ErrInvalidEmail},
			{"empty reason", func() error {
				_, err := s.Add(ctx, by, "r@northwind.example", "R", Agent, "  ")
				return err
			}, ErrReasonRequired},
			{"disable without reason", func() error { return s.Disable(ctx, by, agent.LoginID, "") }, ErrReasonRequired},
			{"duplicate email", func() error {
				_, err := s.Add(ctx, by, "AGENT@northwind.example", "Again", Agent, "r")
				return err
			}, ErrExists},
			{"no such member", func() error { return s.Disable(ctx, by, 999999, "r") }, ErrNotFound},
			{"enable an active member", func() error { return s.Enable(ctx, by, agent.LoginID, "r") }, ErrNoChange},
			{"same role", func() error { return s.SetRole(ctx, by, agent.LoginID, Agent, "r") }, ErrNoChange},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := counts(t, d)
				if err := tc.do(); !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
				if after := counts(t, d); after != before {
					t.Fatalf("refused change wrote: %v, before %v", after, before)
				}
			})
		}

		if err := s.SetRole(ctx, by, agent.LoginID, Supervisor, "promoted to team lead"); err != nil {
			t.Fatal(err)
		}
		if err := s.Disable(ctx, by, agent.LoginID, "left the company"); err != nil {
			t.Fatal(err)
		}
		if m, _ := s.Member(ctx, agent.LoginID); m.Status != Disabled || m.Role != Supervisor {
			t.Fatalf("after disable: %+v", m)
		}
		if m, _ := s.Member(ctx, agent.LoginID); m.May(ViewCustomer) {
			t.Fatal("a disabled member may view customers")
		}
		if m, _ := s.MemberByEmail(ctx, "PENDING@northwind.example"); m.LoginID != pend.LoginID || m.May(ViewCustomer) {
			t.Fatalf("pending member %+v may view customers", m)
		}
		if _, err := s.MemberByEmail(ctx, "nobody@northwind.example"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown email: %v", err)
		}
		if err := s.Disable(ctx, by, agent.LoginID, "again"); !errors.Is(err, ErrNoChange) {
			t.Fatalf("disable twice: %v", err)
		}
		if err := s.Enable(ctx, by, agent.LoginID, "came back"); err != nil {
			t.Fatal(err)
		}
		if m, _ := s.Member(ctx, agent.LoginID); m.Status != Active || !m.May(ApproveRequest) || m.May(ManageStaff) {
			t.Fatalf("after enable: %+v", m)
		}
		if err := s.Disable(ctx, by, pend.LoginID, "audit cancelled"); err != nil {
			t.Fatal(err)
		}
		if err := s.Enable(ctx, by, pend.LoginID, "audit on again"); err != nil {
			t.Fatal(err)
		}
		if m, _ := s.Member(ctx, pend.LoginID); m.Status != Pending {
			t.Fatalf("never-enrolled member enabled as %s, want pending", m.Status)
		}
		ev, err := audit.ForSubject(ctx, d, loginSubject(agent.LoginID), 20)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]map[string]string{
			"staff.role":    {"role": "supervisor", "from": "agent", "reason": "promoted to team lead"},
			"staff.disable": {"role": "supervisor", "reason": "left the company"},
			"staff.enable":  {"to": "active", "reason": "came back"},
		}
		for _, x := range ev {
			w, ok := want[x.Action]
			if !ok {
				continue
			}
			delete(want, x.Action)
			if x.Actor != by.String() || x.IP != "192.0.2.7" {
				t.Errorf("%s by %s from %q", x.Action, x.Actor, x.IP)
			}
			for k, v := range w {
				if x.Details[k] != v {
					t.Errorf("%s details[%s] = %q, want %q", x.Action, k, x.Details[k], v)
				}
			}
		}
		if len(want) != 0 {
			t.Errorf("not audited: %v", want)
		}
		list, err := s.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 3 || list[0].Email != "admin@northwind.example" {
			t.Fatalf("list %+v", list)
		}
	})
}

// TestStaffEnrolConcurrent: the same link submitted at once from several
// browsers enrols exactly once.
func TestStaffEnrolConcurrent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d)
		e, err := s.Add(ctx, System, "admin@northwind.example", "Admin", Admin, "go-live")
		if err != nil {
			t.Fatal(err)
		}
		setup, err := s.EnrolmentTOTP(ctx, e.Token)
		if err != nil {
			t.Fatal(err)
		}
		code := codeAt(t, d, setup.Secret)
		const n = 5
		errs := make(chan error, n)
		for range n {
			go func() {
				_, err := s.Enrol(ctx, e.Token, staffPassword, code, identity.Client{})
				errs <- err
			}()
		}
		ok := 0
		for range n {
			switch err := <-errs; {
			case err == nil:
				ok++
			case errors.Is(err, ErrTokenInvalid):
			default:
				t.Errorf("enrol: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d enrolments succeeded, want 1", ok)
		}
		var enrols int
		if err := d.SQL.QueryRowContext(ctx, `SELECT count(*) FROM audit_events WHERE action = 'staff.enrol'`).Scan(&enrols); err != nil || enrols != 1 {
			t.Fatalf("%d staff.enrol events (%v)", enrols, err)
		}
	})
}

// TestAdminsDisableEachOther: two admins disabling each other at the same
// moment leave one of them active: the changes run one at a time, and the
// second finds its actor disabled.
func TestAdminsDisableEachOther(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d)
		e, err := s.Add(ctx, System, "admin@northwind.example", "Admin", Admin, "go-live")
		if err != nil {
			t.Fatal(err)
		}
		a := enrol(t, s, d, e)
		e2, err := s.Add(ctx, Actor{LoginID: a.LoginID}, "admin2@northwind.example", "Admin Two", Admin, "second admin")
		if err != nil {
			t.Fatal(err)
		}
		b := enrol(t, s, d, e2)
		for round := range 5 {
			errs := make(chan error, 2)
			go func() { errs <- s.Disable(ctx, Actor{LoginID: a.LoginID}, b.LoginID, "race") }()
			go func() { errs <- s.Disable(ctx, Actor{LoginID: b.LoginID}, a.LoginID, "race") }()
			ok := 0
			for range 2 {
				switch err := <-errs; {
				case err == nil:
					ok++
				case errors.Is(err, ErrForbidden), errors.Is(err, ErrLastAdmin):
				default:
					t.Fatalf("round %d: %v", round, err)
				}
			}
			var active int
			if err := d.SQL.QueryRowContext(ctx, `SELECT count(*) FROM staff_members WHERE role = 'admin' AND status = 'active'`).Scan(&active); err != nil {
				t.Fatal(err)
			}
			if ok != 1 || active != 1 {
				t.Fatalf("round %d: %d disables succeeded, %d admins active; want 1 and 1", round, ok, active)
			}
			// Bring the disabled one back for the next round.
			on, off := a.LoginID, b.LoginID
			if m, _ := s.Member(ctx, a.LoginID); m.Status != Active {
				on, off = b.LoginID, a.LoginID
			}
			if err := s.Enable(ctx, Actor{LoginID: on}, off, "next round"); err != nil {
				t.Fatal(err)
			}
		}
	})
}
