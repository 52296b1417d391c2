package approvals_test

import (
	"errors"
	"strings"
	"testing"

	"carfin/approvals"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/money"
)

// TestRoleLimits walks the role table: who may request what up to which
// amount, and who may approve it. Every case runs on a fresh request
// against the same loan (fees owed $300.00).
func TestRoleLimits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dbx *db.DB) {
		e := newEnv(t, dbx)
		for _, tc := range []struct {
			name       string
			requester  approvals.Staff
			kind       approvals.Kind
			amount     string
			requestErr error
			approver   approvals.Staff
			approveErr error
		}{
			{"agent waiver under $100 still needs a supervisor", agent, approvals.FeeWaiver, "50", nil, agent2, approvals.ErrForbidden},
			{"agent waiver over $100 approved by a supervisor", agent, approvals.FeeWaiver, "120", nil, super, nil},
			{"agent waiver over $100 approved by an admin", agent, approvals.FeeWaiver, "100.01", nil, admin, nil},
			{"agent waiver above the agent's ceiling", agent, approvals.FeeWaiver, "250.01", approvals.ErrLimit, nil_, nil},
			{"agent adjustment needs a supervisor", agent, approvals.BalanceAdjustment, "-1", nil, agent2, approvals.ErrForbidden},
			{"agent adjustment approved by a supervisor", agent, approvals.BalanceAdjustment, "1", nil, super, nil},
			{"agent adjustment above the agent's ceiling", agent, approvals.BalanceAdjustment, "-1000.01", approvals.ErrLimit, nil_, nil},
			{"supervisor adjustment above a supervisor's approval", super, approvals.BalanceAdjustment, "-5000.01", nil, super2, approvals.ErrLimit},
			{"supervisor adjustment above a supervisor's approval, by an admin", super, approvals.BalanceAdjustment, "-5000.01", nil, admin, nil},
			{"admin adjustment approved by a supervisor", admin, approvals.BalanceAdjustment, "20", nil, super, nil},
			{"auditor may not request", audtr, approvals.FeeWaiver, "5", approvals.ErrForbidden, nil_, nil},
			{"auditor may not approve", agent, approvals.FeeWaiver, "5", nil, audtr, approvals.ErrForbidden},
			{"unknown role may not request", approvals.Staff{LoginID: "99", Role: "owner"}, approvals.FeeWaiver, "5", approvals.ErrForbidden, nil_, nil},
			{"unknown role may not approve", agent, approvals.FeeWaiver, "5", nil, approvals.Staff{LoginID: "99", Role: "Supervisor"}, approvals.ErrForbidden},
		} {
			t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
				before := e.posted(t)
				id, err := e.ap.Request(e.ctx, tc.requester, tc.kind, e.loan, approvals.Target{AmountCents: money.MustParse(tc.amount)}, tc.name)
				if !errors.Is(err, tc.requestErr) || (err == nil) != (tc.requestErr == nil) {
					t.Fatalf("request: %v, want %v", err, tc.requestErr)
				}
				if err != nil {
					return
				}
				_, err = e.ap.Approve(e.ctx, tc.approver, id, "")
				if !errors.Is(err, tc.approveErr) || (err == nil) != (tc.approveErr == nil) {
					t.Fatalf("approve: %v, want %v", err, tc.approveErr)
				}
				want := before
				if err == nil {
					want++
				} else {
					// Whoever may approve the kind may reject it, whatever
					// the amount; whoever may not approve it may not reject it.
					_, err := e.ap.Reject(e.ctx, tc.approver, id, "no")
					if errors.Is(tc.approveErr, approvals.ErrLimit) && err != nil || errors.Is(tc.approveErr, approvals.ErrForbidden) && !errors.Is(err, approvals.ErrForbidden) {
						t.Errorf("reject: %v (approve: %v)", err, tc.approveErr)
					}
				}
				if r, _ := e.ap.Get(e.ctx, id); r.Status == approvals.StatusPending {
					if _, err := e.ap.Reject(e.ctx, admin, id, "tidy up"); err != nil {
						t.Fatal(err)
					}
				}
				if n := e.posted(t); n != want {
					t.Errorf("%d postings, want %d", n, want)
				}
			})
		}
		e.mustCheck(t)
	})
}

// nil_ is the approver of a case whose request is refused.
var nil_ = approvals.Staff{}

// TestBadRequestsWriteNothing: bad input returns a clear error and writes
// nothing (no request, no audit event).
func TestBadRequestsWriteNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dbx *db.DB) {
		e := newEnv(t, dbx)
		var funding int64
		if err := e.d.Read.QueryRowContext(e.ctx, `SELECT id FROM servicing_events WHERE contract_id = $1 AND kind = 'funding'`, e.loan).Scan(&funding); err != nil {
			t.Fatal(err)
		}
		audits := e.count(t, `SELECT count(*) FROM audit_events`)
		long := strings.Repeat("é", 501)
		for _, tc := range []struct {
			name     string
			kind     approvals.Kind
			contract int64
			target   approvals.Target
			reason   string
			want     error
			says     string
			by       approvals.Staff // agent if zero
		}{
			{"no reason", approvals.FeeWaiver, e.loan, waiver("5"), "  ", approvals.ErrInvalid, "reason is required", nil_},
			{"reason too long", approvals.FeeWaiver, e.loan, waiver("5"), long, approvals.ErrInvalid, "at most 500 characters", nil_},
			{"waiver above the fees owed", approvals.FeeWaiver, e.loan, waiver("300.01"), "x", approvals.ErrInvalid, "more than the 300.00 of fees owed", super},
			{"waiver of zero", approvals.FeeWaiver, e.loan, waiver("0"), "x", approvals.ErrInvalid, "must be positive", nil_},
			{"waiver with an event", approvals.FeeWaiver, e.loan, approvals.Target{AmountCents: 500, EventID: e.payment}, "x", approvals.ErrInvalid, "amount only", nil_},
			{"waiver on a contract with no fees", approvals.FeeWaiver, e.other, waiver("1"), "x", approvals.ErrInvalid, "more than the 0.00", nil_},
			{"adjustment of zero", approvals.BalanceAdjustment, e.loan, waiver("0"), "x", approvals.ErrInvalid, "must not be zero", nil_},
			{"adjustment above the agent's ceiling", approvals.BalanceAdjustment, e.loan, waiver("-1000.01"), "x", approvals.ErrLimit, "an agent may request a balance_adjustment of up to 1000.00, not 1000.01", nil_},
			{"adjustment below zero principal", approvals.BalanceAdjustment, e.loan, waiver("-100000"), "x", approvals.ErrInvalid, "below zero", admin},
			{"reversal of another contract's payment", approvals.PaymentReversal, e.loan, approvals.Target{EventID: e.otherPay}, "x", approvals.ErrInvalid, "not a payment of contract", nil_},
			{"reversal of the funding", approvals.PaymentReversal, e.loan, approvals.Target{EventID: funding}, "x", approvals.ErrInvalid, "not a payment", nil_},
			{"reversal of no event", approvals.PaymentReversal, e.loan, approvals.Target{EventID: 999999}, "x", approvals.ErrInvalid, "not a payment", nil_},
			{"reversal with an amount", approvals.PaymentReversal, e.loan, approvals.Target{EventID: e.payment, AmountCents: 1}, "x", approvals.ErrInvalid, "payment event only", nil_},
			{"review without payments", approvals.ReturnReview, e.loan, approvals.Target{ReturnID: 1, Decision: approvals.Uphold}, "x", approvals.ErrInvalid, "not configured", nil_},
			{"review without a decision", approvals.ReturnReview, e.loan, approvals.Target{ReturnID: 1}, "x", approvals.ErrInvalid, "decision", nil_},
			{"unknown kind", approvals.Kind("write_off"), e.loan, waiver("5"), "x", approvals.ErrForbidden, "may not request", nil_},
			{"unknown contract", approvals.FeeWaiver, 999999, waiver("5"), "x", approvals.ErrInvalid, "contract 999999", nil_},
		} {
			t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
				by := tc.by
				if by == (approvals.Staff{}) {
					by = agent
				}
				_, err := e.ap.Request(e.ctx, by, tc.kind, tc.contract, tc.target, tc.reason)
				if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
					t.Errorf("err = %v, want %v saying %q", err, tc.want, tc.says)
				}
			})
		}
		if n := e.count(t, `SELECT count(*) FROM approval_requests`); n != 0 {
			t.Errorf("%d requests written", n)
		}
		if n := e.count(t, `SELECT count(*) FROM audit_events`); n != audits {
			t.Errorf("%d audit events written", n-audits)
		}
		// A second request for the same payment waits for the first.
		if _, err := e.ap.Request(e.ctx, agent, approvals.PaymentReversal, e.loan, approvals.Target{EventID: e.payment}, "twice"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.ap.Request(e.ctx, agent2, approvals.PaymentReversal, e.loan, approvals.Target{EventID: e.payment}, "twice"); !errors.Is(err, approvals.ErrDuplicate) {
			t.Errorf("duplicate reversal request: %v", err)
		}
		// A waiver the contract no longer supports when approved is refused
		// and leaves the request pending, with nothing posted.
		big, err := e.ap.Request(e.ctx, agent, approvals.FeeWaiver, e.loan, waiver("200"), "goodwill")
		if err != nil {
			t.Fatal(err)
		}
		small, err := e.ap.Request(e.ctx, agent2, approvals.FeeWaiver, e.loan, waiver("150"), "goodwill")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.ap.Approve(e.ctx, super, small, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := e.ap.Approve(e.ctx, super, big, ""); err == nil || !strings.Contains(err.Error(), "fees owed") {
			t.Errorf("approve a waiver above what is now owed: %v", err)
		}
		if r, _ := e.ap.Get(e.ctx, big); r.Status != approvals.StatusPending {
			t.Errorf("refused approval left the request %s", r.Status)
		}
		if n := e.posted(t); n != 1 {
			t.Errorf("%d postings, want 1", n)
		}
		e.mustCheck(t)
	})
}
