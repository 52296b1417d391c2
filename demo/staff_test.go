package demo_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"carfin/approvals"
	"carfin/calendar"
	"carfin/complaints"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/demo"
	"carfin/identity"
	"carfin/keyring"
	"carfin/notes"
	"carfin/payments"
	"carfin/payments/ach"
	"carfin/payments/cardtest"
	"carfin/servicing"
	"carfin/staff"
	"carfin/support"
)

const staffPassword = "northwind-test-drive-2026"

// TestDemoStaffAndWork: the demo's staff, one per role, are active and can
// sign in with the password and a code of their authenticator key; made
// again on the same book they keep their key; and the console's every
// queue has open work, which a second run does not duplicate: the
// return to review through payments as `carfin demo` configures them.
func TestDemoStaffAndWork(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		book, err := demo.Build(ctx, d, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		today := func(t time.Time) calendar.Date { return calendar.Of(t.UTC()) }
		id, err := identity.New(identity.Config{DB: d, BaseURL: "http://localhost:8080", LenderName: demo.LenderName, Keys: keyring.Dev(),
			Limits: identity.Limits{LockoutFailures: 1, GlobalFailureBurst: 1000}})
		if err != nil {
			t.Fatal(err)
		}
		// Payments as `carfin demo` configures them (demoPaymentsEnv).
		cutoff := calendar.Cutoff{Hour: 17, Location: time.UTC}
		proc, outDir := cardtest.New("demo-test"), t.TempDir()
		payOn := func(v *db.DB) (*payments.Service, error) {
			return payments.New(v, servicing.New(v, cutoff.Today), payments.Config{LenderName: demo.LenderName, Cutoff: cutoff, OutDir: outDir,
				PortalURL: "http://localhost:8080", Log: slog.New(slog.DiscardHandler), Keys: payments.DevKeyring(), Directory: ach.SampleDirectory(), Processor: proc,
				Origin: payments.Origin{ODFIRouting: demo.ODFIRouting, DestinationName: demo.ODFIName, CompanyName: demo.ACHCompanyName,
					CompanyID: demo.ACHCompanyID}})
		}
		pay, err := payOn(d)
		if err != nil {
			t.Fatal(err)
		}
		if err := demo.Payments(ctx, d, pay, book.LoginCustomerID); err != nil {
			t.Fatal(err)
		}
		w := demo.Work{DB: d, Identity: id, Support: support.New(d, support.Config{LenderName: demo.LenderName, BaseURL: "http://localhost:8080"}),
			Approvals: approvals.New(d, servicing.New(d, today), pay, today), Complaints: complaints.New(d, today), Notes: notes.New(d),
			PaymentsOn: payOn, Today: today(d.Now())}
		var first []demo.StaffLogin
		for run := range 2 {
			logins, err := demo.Staff(ctx, d, id, keyring.Dev(), staffPassword)
			if err != nil {
				t.Fatalf("run %d: %v", run, err)
			}
			if err := demo.StaffWork(ctx, w, book, logins); err != nil {
				t.Fatalf("run %d: %v", run, err)
			}
			if run == 0 {
				first = logins
			}
			if len(logins) != len(staff.Roles) {
				t.Fatalf("run %d: %d staff logins, want one per role", run, len(logins))
			}
			for i, l := range logins {
				if l.Secret == "" || l.Secret != first[i].Secret || l.LoginID != first[i].LoginID {
					t.Errorf("run %d: %s has key %q, first %q", run, l.Email, l.Secret, first[i].Secret)
				}
			}
		}
		roles := map[staff.Role]bool{}
		st := staff.New(d, id)
		for _, l := range first {
			roles[l.Role] = true
			m, err := st.MemberByEmail(ctx, l.Email)
			if err != nil || m.Status != staff.Active || m.Role != l.Role {
				t.Errorf("%s: %+v %v", l.Email, m, err)
			}
			// Enrolment spent the code of now; a sign-in takes a later one.
			code, err := demo.StaffCode(l.Secret, d.Now().Add(30*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			c := identity.Client{IP: "192.0.2.1", UserAgent: "test"}
			res, err := id.PasswordLogin(ctx, identity.Staff, l.Email, staffPassword, "", c)
			if err != nil || !res.NeedSecondFactor {
				t.Fatalf("%s: password sign-in: %+v %v", l.Email, res, err)
			}
			if _, err := id.SecondFactor(ctx, res.Session.Token, identity.MethodTOTP, code, false, c); err != nil {
				t.Errorf("%s: authenticator code refused: %v", l.Email, err)
			}
		}
		for _, r := range staff.Roles {
			if !roles[r] {
				t.Errorf("no demo staff member is %s", r)
			}
		}

		count := func(q string, args ...any) int {
			t.Helper()
			var n int
			if err := d.Read.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(`SELECT count(*) FROM support_threads WHERE unread_by_staff = 1`); n != 1 {
			t.Errorf("%d unanswered threads, want 1", n)
		}
		if ps, err := w.Approvals.Pending(ctx, 10); err != nil || len(ps) != 1 || ps[0].Kind != approvals.FeeWaiver {
			t.Errorf("pending approvals %+v %v, want one fee waiver", ps, err)
		}
		q, err := w.Complaints.Queue(ctx, 10)
		if err != nil || len(q) != 2 {
			t.Fatalf("complaints queue %+v %v, want 2", q, err)
		}
		if !q[0].AcknowledgeOverdue || q[1].AcknowledgeOverdue || q[1].DaysLeft != 2 {
			t.Errorf("complaints: overdue %v, then overdue %v with %d days left; want one overdue and one due in 2 days",
				q[0].AcknowledgeOverdue, q[1].AcknowledgeOverdue, q[1].DaysLeft)
		}
		if rs, err := pay.ReturnsForReview(ctx, 10); err != nil || len(rs) != 1 || rs[0].Code != "R69" || rs[0].PaymentID == 0 {
			t.Errorf("returns for review %+v %v, want one dishonored return of a payment", rs, err)
		}
		if n := count(`SELECT count(*) FROM customer_notes WHERE customer_id = $1`, book.PastDueCustomerID); n != 1 {
			t.Errorf("%d notes, want 1", n)
		}
		if n := count(`SELECT count(*) FROM logins WHERE realm = 'customer' AND locked_until > $1`, d.Now()); n != 1 {
			t.Errorf("%d locked logins, want 1", n)
		}
		if n := count(`SELECT count(*) FROM audit_events WHERE action = 'login.locked'`); n != 1 {
			t.Errorf("%d lockouts audited, want 1", n)
		}
	})
}
