package payments_test

import (
	"errors"
	"strings"
	"testing"

	"carfin/approvals"
	"carfin/db"
	"carfin/db/dbtest"
	"carfin/payments"
	"carfin/payments/ach"
)

// TestReturnReviewUnderApproval: the review of a flagged return is decided
// under a second approver. Upholding a contested dishonored return (R71)
// reverses the payment the import left standing, takes it out of transit,
// marks it returned and tells the customer; dismissing a dishonored return
// (R62) leaves the payment standing and posts nothing; upholding an
// unauthorized return (R10), already reversed on import, posts nothing
// more. Each leaves the review queue once, and cannot be decided again.
func TestReturnReviewUnderApproval(t *testing.T) {
	agent := approvals.Staff{LoginID: "11", Role: "agent"}
	super := approvals.Staff{LoginID: "21", Role: "supervisor"}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, "2026-10-30")
		customer := e.customer("Review")
		loan := e.loan(customer, "12000", 36, "2026-10-15", "2026-11-15")
		e.at("2026-11-02", 9, 0)
		method := e.bank(customer, "129083018", "50004321")
		codes := []string{"R71", "R62", "R10"}
		paid := make([]payments.Payment, len(codes))
		for i := range codes {
			paid[i] = e.payOther(customer, loan, method.ID, []string{"20", "21", "22"}[i], 0, "pay-"+codes[i])
		}
		e.at("2026-11-02", 18, 0)
		if _, err := e.pay.RunDay(e.ctx, day("2026-11-02")); err != nil {
			t.Fatal(err)
		}
		e.at("2026-11-04", 9, 0)
		var rets []ach.ReturnedEntry
		for i, code := range codes {
			rets = append(rets, ret(e.sentPayment(paid[i].ID), ach.KindReturn, code, ""))
		}
		if st, err := e.pay.ImportReturns(e.ctx, "review.ach", e.returnsFile(rets...)); err != nil || st.Review != len(codes) {
			t.Fatalf("import: %+v %v", st, err)
		}
		review, err := e.pay.ReturnsForReview(e.ctx, 50)
		if err != nil {
			t.Fatal(err)
		}
		returnOf := map[string]int64{}
		for _, r := range review {
			returnOf[r.Code] = r.ID
		}
		ap := approvals.New(d, e.sv, e.pay, e.cutoff.Today)
		decide := func(code string, decision approvals.Decision) approvals.Request {
			t.Helper()
			id, err := ap.Request(e.ctx, agent, approvals.ReturnReview, loan, approvals.Target{ReturnID: returnOf[code], Decision: decision}, "bank letter on "+code)
			if err != nil {
				t.Fatalf("%s: request: %v", code, err)
			}
			r, err := ap.Approve(e.ctx, super, id, "agreed")
			if err != nil {
				t.Fatalf("%s: approve: %v", code, err)
			}
			if _, err := ap.Approve(e.ctx, approvals.Staff{LoginID: "22", Role: "admin"}, id, "again"); !errors.Is(err, approvals.ErrNotPending) {
				t.Errorf("%s: approved twice: %v", code, err)
			}
			return r
		}

		// Dismissed: the payment stands.
		before, mails := e.balances(loan), len(e.outbox(e.email(customer)))
		if r := decide("R62", approvals.Dismiss); r.PostedEventID != 0 {
			t.Errorf("dismissal posted event %d", r.PostedEventID)
		}
		if !sameBalances(e.balances(loan), before) {
			t.Errorf("a dismissal moved the ledger")
		}
		if p, _ := e.pay.Payment(e.ctx, customer, paid[1].ID); p.Status != payments.StatusPending {
			t.Errorf("dismissed R62: payment %s", p.Status)
		}

		// Upheld, already reversed on import: nothing more posts.
		if r := decide("R10", approvals.Uphold); r.PostedEventID != 0 {
			t.Errorf("upholding R10 posted event %d", r.PostedEventID)
		}
		if !sameBalances(e.balances(loan), before) {
			t.Errorf("upholding an already reversed return moved the ledger")
		}

		// Upheld, standing until now: reversed once, and the customer told.
		r := decide("R71", approvals.Uphold)
		if r.PostedEventID == 0 {
			t.Errorf("upholding R71 posted nothing")
		}
		if sameBalances(e.balances(loan), before) {
			t.Errorf("upholding R71 did not move the ledger")
		}
		if p, _ := e.pay.Payment(e.ctx, customer, paid[0].ID); p.Status != payments.StatusReturned {
			t.Errorf("upheld R71: payment %s", p.Status)
		}
		if n := e.count(`SELECT count(*) FROM servicing_events WHERE kind = 'reversal' AND target_event_id = (SELECT servicing_event_id FROM payments WHERE id = $1)`,
			paid[0].ID); n != 1 {
			t.Errorf("payment reversed %d times", n)
		}
		if n := len(e.outbox(e.email(customer))); n != mails+1 {
			t.Errorf("%d messages to the customer, want 1", n-mails)
		}

		if left, _ := e.pay.ReturnsForReview(e.ctx, 50); len(left) != 0 {
			t.Errorf("still in review: %+v", left)
		}
		if _, err := ap.Request(e.ctx, agent, approvals.ReturnReview, loan, approvals.Target{ReturnID: returnOf["R71"], Decision: approvals.Dismiss}, "again"); !errors.Is(err, approvals.ErrInvalid) {
			t.Errorf("a reviewed return requested again: %v", err)
		}
		// A payment made through carfin is undone by its return or a
		// refund, never by a bare reversal.
		var event int64
		if err := d.Read.QueryRowContext(e.ctx, `SELECT servicing_event_id FROM payments WHERE id = $1`, paid[1].ID).Scan(&event); err != nil {
			t.Fatal(err)
		}
		if _, err := ap.Request(e.ctx, agent, approvals.PaymentReversal, loan, approvals.Target{EventID: event}, "wrong account"); !errors.Is(err, approvals.ErrInvalid) ||
			!strings.Contains(err.Error(), "made through carfin") {
			t.Errorf("reversal of a portal payment: %v", err)
		}
		e.checks()
	})
}
