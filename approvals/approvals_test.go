package approvals_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"carfin/approvals"
	"carfin/audit"
	"carfin/calendar"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/ledger"
	"carfin/money"
	"carfin/servicing"
)

var (
	c = money.MustParse
	d = calendar.MustParse
)

var (
	agent  = approvals.Staff{LoginID: "11", Role: "agent"}
	agent2 = approvals.Staff{LoginID: "12", Role: "agent"}
	super  = approvals.Staff{LoginID: "21", Role: "supervisor"}
	super2 = approvals.Staff{LoginID: "22", Role: "supervisor"}
	admin  = approvals.Staff{LoginID: "31", Role: "admin"}
	audtr  = approvals.Staff{LoginID: "41", Role: "auditor"}
)

// env is a loan funded on 2026-01-15 with a payment of $400.00 on
// 2026-02-10 and four returned-payment fees of $75.00 (fees owed $300.00),
// on a business date of 2026-03-02.
type env struct {
	ctx      context.Context
	d        *db.DB
	sv       *servicing.Service
	ap       *approvals.Service
	clk      *dbtest.Clock
	loan     int64
	other    int64 // a second contract
	payment  int64 // the payment's servicing event
	otherPay int64 // a payment of the other contract
}

var seq int

func newEnv(t *testing.T, dbx *db.DB) *env {
	t.Helper()
	ctx := context.Background()
	clk := dbtest.ClockOf(dbx)
	clk.Set(d("2026-03-02").Time().Add(15 * time.Hour))
	today := func(t time.Time) calendar.Date { return calendar.Of(t) }
	sv := servicing.New(dbx, today)
	e := &env{ctx: ctx, d: dbx, sv: sv, ap: approvals.New(dbx, sv, nil, today), clk: clk}
	e.loan, e.payment = e.open(t)
	e.other, e.otherPay = e.open(t)
	for i := range 4 {
		if _, err := sv.AssessNSFFee(ctx, servicing.Request{ContractID: e.loan, Date: d("2026-02-20"), IdempotencyKey: fmt.Sprint("nsf-", e.loan, "-", i), Actor: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *env) open(t *testing.T) (contract, payment int64) {
	t.Helper()
	seq++
	cust, err := e.sv.CreateCustomer(e.ctx, servicing.NewCustomer{FirstName: "Ada", LastName: "Quinn", Email: fmt.Sprintf("ada%d@example.com", seq),
		AddressLine1: "1 Main St", City: "Springfield", State: "IL", ZIP: "62701", BirthDate: d("1980-02-29"), SSNLast4: "1234"})
	if err != nil {
		t.Fatal(err)
	}
	id, err := e.sv.OpenContract(e.ctx, servicing.NewContract{
		AccountNumber: fmt.Sprintf("AP-%07d", seq), CustomerID: cust, VIN: servicing.WithCheckDigit(fmt.Sprintf("1HGCM8263%c%07d", 'A', seq)),
		VehicleYear: 2023, Make: "Subaru", Model: "Outback",
		Kind: servicing.KindLoan, AmountFinancedCents: c("20000"), APR: money.MustParseRate("6.99"), TermMonths: 60,
		ContractDate: d("2026-01-15"), FirstDue: d("2026-02-15"), GraceDays: 10,
		LateFee:     servicing.LateFeeRule{Kind: "greater", FixedCents: c("15"), Rate: money.MustParseRate("5"), CapCents: c("25")},
		NSFFeeCents: c("75"),
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.sv.PostPayment(e.ctx, servicing.Request{ContractID: id, Date: d("2026-02-10"), IdempotencyKey: fmt.Sprint("pay-", id), Actor: "test"}, c("400"))
	if err != nil {
		t.Fatal(err)
	}
	return id, res.EventID
}

func (e *env) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := e.d.Read.QueryRowContext(e.ctx, q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// posted counts the servicing events approvals posted.
func (e *env) posted(t *testing.T) int {
	return e.count(t, `SELECT count(*) FROM servicing_events WHERE idempotency_key LIKE 'approval:%'`)
}

func (e *env) fees(t *testing.T, contract int64) money.Cents {
	t.Helper()
	o, err := e.sv.Owed(e.ctx, e.d.Read, contract, d("2026-03-02"))
	if err != nil {
		t.Fatal(err)
	}
	return o.FeesCents
}

func (e *env) actions(t *testing.T, contract int64) []string {
	t.Helper()
	es, err := audit.ForSubject(e.ctx, e.d, fmt.Sprintf("contract:%d", contract), 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(es) - 1; i >= 0; i-- {
		if strings.HasPrefix(es[i].Action, "approval.") {
			out = append(out, es[i].Action)
		}
	}
	return out
}

func (e *env) mustCheck(t *testing.T) {
	t.Helper()
	if f, err := servicing.Check(e.ctx, e.d); err != nil || len(f) > 0 {
		t.Fatalf("servicing check: %v %v", f, err)
	}
	if f, err := ledger.Check(e.ctx, e.d.Read); err != nil || len(f) > 0 {
		t.Fatalf("ledger check: %v %v", f, err)
	}
	if f, err := audit.Verify(e.ctx, e.d); err != nil || !f.OK() {
		t.Fatalf("audit verify: %v %v", f, err)
	}
}

func waiver(cents string) approvals.Target { return approvals.Target{AmountCents: c(cents)} }

// TestApproveWaiverPostsOnce: an agent's waiver approved by a supervisor
// posts once, takes the fees down, and is audited with who, what and why;
// approving it again is refused and posts nothing more.
func TestApproveWaiverPostsOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dbx *db.DB) {
		e := newEnv(t, dbx)
		if f := e.fees(t, e.loan); f != c("300") {
			t.Fatalf("fees owed %s, want 300.00", f)
		}
		id, err := e.ap.Request(e.ctx, agent, approvals.FeeWaiver, e.loan, waiver("150"), "Customer's bank error, letter on file")
		if err != nil {
			t.Fatal(err)
		}
		if e.posted(t) != 0 || e.fees(t, e.loan) != c("300") {
			t.Fatal("a request posted before its approval")
		}
		pending, err := e.ap.Pending(e.ctx, 10)
		if err != nil || len(pending) != 1 || pending[0].ID != id || pending[0].RequestedBy != agent.LoginID || pending[0].AmountCents != c("150") {
			t.Fatalf("pending %+v %v", pending, err)
		}
		r, err := e.ap.Approve(e.ctx, super, id, "checked the letter")
		if err != nil || r.Status != approvals.StatusApproved || r.PostedEventID == 0 || r.DecidedBy != super.LoginID {
			t.Fatalf("approve: %+v %v", r, err)
		}
		if _, err := e.ap.Approve(e.ctx, super2, id, "again"); !errors.Is(err, approvals.ErrNotPending) {
			t.Errorf("second approval: %v, want ErrNotPending", err)
		}
		if _, err := e.ap.Approve(e.ctx, super, id, "again"); !errors.Is(err, approvals.ErrNotPending) {
			t.Errorf("same approver again: %v, want ErrNotPending", err)
		}
		if n := e.posted(t); n != 1 {
			t.Errorf("%d postings, want 1", n)
		}
		if f := e.fees(t, e.loan); f != c("150") {
			t.Errorf("fees owed %s after the waiver, want 150.00", f)
		}
		if p, _ := e.ap.Pending(e.ctx, 10); len(p) != 0 {
			t.Errorf("still pending: %+v", p)
		}
		got, err := e.ap.ForContract(e.ctx, e.loan, 10)
		if err != nil || len(got) != 1 || got[0].Status != approvals.StatusApproved || got[0].PostedEventID != r.PostedEventID {
			t.Errorf("for contract %+v %v", got, err)
		}
		if a := strings.Join(e.actions(t, e.loan), " "); a != "approval.request approval.approve" {
			t.Errorf("audit %q", a)
		}
		es, _ := audit.ForSubject(e.ctx, e.d, fmt.Sprintf("contract:%d", e.loan), 10)
		for _, ev := range es {
			if ev.Action == "approval.request" && (ev.Actor != "staff:11" || ev.Details["kind"] != "fee_waiver" || ev.Details["amount"] != "150.00" ||
				ev.Details["reason"] != "Customer's bank error, letter on file") {
				t.Errorf("request audit %+v", ev)
			}
			if ev.Action == "approval.approve" && (ev.Actor != "staff:21" || ev.Details["requested_by"] != "11") {
				t.Errorf("approve audit %+v", ev)
			}
		}
		e.mustCheck(t)
	})
}

// TestNobodyApprovesTheirOwn: a supervisor's or an admin's own request
// waits for somebody else, for approval and rejection alike.
func TestNobodyApprovesTheirOwn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dbx *db.DB) {
		e := newEnv(t, dbx)
		for _, who := range []approvals.Staff{super, admin} {
			id, err := e.ap.Request(e.ctx, who, approvals.BalanceAdjustment, e.loan, approvals.Target{AmountCents: c("-10")}, "dealer rebate")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.ap.Approve(e.ctx, who, id, "mine"); !errors.Is(err, approvals.ErrSelfApproval) {
				t.Errorf("%s approves own: %v", who.Role, err)
			}
			if _, err := e.ap.Reject(e.ctx, who, id, "mine"); !errors.Is(err, approvals.ErrSelfApproval) {
				t.Errorf("%s rejects own: %v", who.Role, err)
			}
			if e.posted(t) != 0 {
				t.Fatalf("%s's own request posted", who.Role)
			}
			if _, err := e.ap.Reject(e.ctx, super2, id, "not this way"); err != nil {
				t.Fatal(err)
			}
		}
		e.mustCheck(t)
	})
}

// TestRejectedAndExpiredPostNothing: a rejected request posts nothing; a
// request 72 hours old (by the database clock) cannot be approved, is
// marked expired, and ExpireStale marks the others.
func TestRejectedAndExpiredPostNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dbx *db.DB) {
		e := newEnv(t, dbx)
		rej, err := e.ap.Request(e.ctx, agent, approvals.PaymentReversal, e.loan, approvals.Target{EventID: e.payment}, "customer says twice")
		if err != nil {
			t.Fatal(err)
		}
		r, err := e.ap.Reject(e.ctx, super, rej, "it was once")
		if err != nil || r.Status != approvals.StatusRejected {
			t.Fatalf("reject %+v %v", r, err)
		}
		if _, err := e.ap.Approve(e.ctx, super2, rej, "after all"); !errors.Is(err, approvals.ErrNotPending) {
			t.Errorf("approve after reject: %v", err)
		}
		old, err := e.ap.Request(e.ctx, agent, approvals.FeeWaiver, e.loan, waiver("25"), "goodwill")
		if err != nil {
			t.Fatal(err)
		}
		stale, err := e.ap.Request(e.ctx, agent2, approvals.BalanceAdjustment, e.loan, approvals.Target{AmountCents: c("5")}, "correction")
		if err != nil {
			t.Fatal(err)
		}
		e.clk.Add(approvals.Lifetime - time.Second)
		if p, _ := e.ap.Pending(e.ctx, 10); len(p) != 2 || p[0].ID != old || p[1].ID != stale {
			t.Fatalf("pending before expiry: %+v", p)
		}
		e.clk.Add(time.Second)
		if p, _ := e.ap.Pending(e.ctx, 10); len(p) != 0 {
			t.Errorf("expired requests pending: %+v", p)
		}
		if _, err := e.ap.Approve(e.ctx, super, old, "late"); !errors.Is(err, approvals.ErrExpired) {
			t.Errorf("approve expired: %v", err)
		}
		if got, _ := e.ap.Get(e.ctx, old); got.Status != approvals.StatusExpired {
			t.Errorf("expired request is %s", got.Status)
		}
		if n, err := e.ap.ExpireStale(e.ctx); err != nil || n != 1 {
			t.Errorf("expire stale: %d %v", n, err)
		}
		if got, _ := e.ap.Get(e.ctx, stale); got.Status != approvals.StatusExpired {
			t.Errorf("stale request is %s", got.Status)
		}
		if _, err := e.ap.Approve(e.ctx, super, stale, "late"); !errors.Is(err, approvals.ErrNotPending) {
			t.Errorf("approve marked expired: %v", err)
		}
		if n := e.posted(t); n != 0 {
			t.Errorf("%d postings from rejected or expired requests", n)
		}
		if a := strings.Join(e.actions(t, e.loan), " "); a != "approval.request approval.reject approval.request approval.request approval.expire approval.expire" {
			t.Errorf("audit %q", a)
		}
		e.mustCheck(t)
	})
}

// TestConcurrentApprovalsPostOnce: two supervisors approving the same
// request at once, and one approver clicking twice, post it once.
func TestConcurrentApprovalsPostOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dbx *db.DB) {
		e := newEnv(t, dbx)
		for round, kind := range []approvals.Kind{approvals.PaymentReversal, approvals.FeeWaiver, approvals.BalanceAdjustment} {
			target := map[approvals.Kind]approvals.Target{
				approvals.PaymentReversal:   {EventID: e.payment},
				approvals.FeeWaiver:         waiver("100"),
				approvals.BalanceAdjustment: {AmountCents: c("-50")},
			}[kind]
			id, err := e.ap.Request(e.ctx, agent, kind, e.loan, target, "race")
			if err != nil {
				t.Fatal(err)
			}
			approvers := []approvals.Staff{super, super2, super, admin}
			var wg sync.WaitGroup
			errs := make([]error, len(approvers))
			for i, who := range approvers {
				wg.Go(func() { _, errs[i] = e.ap.Approve(e.ctx, who, id, "go") })
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case !errors.Is(err, approvals.ErrNotPending):
					t.Errorf("%s: %v", kind, err)
				}
			}
			if ok != 1 {
				t.Errorf("%s: %d approvals succeeded, want 1", kind, ok)
			}
			if n := e.posted(t); n != round+1 {
				t.Errorf("%s: %d postings, want %d", kind, n, round+1)
			}
		}
		if n := e.count(t, `SELECT count(*) FROM servicing_events WHERE kind = 'reversal' AND target_event_id = $1`, e.payment); n != 1 {
			t.Errorf("payment reversed %d times", n)
		}
		e.mustCheck(t)
	})
}
