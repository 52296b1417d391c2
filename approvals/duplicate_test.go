package approvals_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"carfin/approvals"
	"carfin/db"
	"carfin/db/dbtest"
)

// TestOnePendingPerTarget: agents requesting the reversal of the same
// payment at the same instant make one request, the others get
// ErrDuplicate; the database refuses a second pending request for a
// target whatever the caller checked; and a request past its 72 hours
// that nothing has marked yet is marked expired (audited once) and
// replaced by the new one.
func TestOnePendingPerTarget(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dbx *db.DB) {
		e := newEnv(t, dbx)
		target := approvals.Target{EventID: e.payment}
		agents := []approvals.Staff{agent, agent2, agent, agent2, super, super2}
		ids := make([]int64, len(agents))
		errs := make([]error, len(agents))
		var wg sync.WaitGroup
		for i, who := range agents {
			wg.Go(func() {
				ids[i], errs[i] = e.ap.Request(e.ctx, who, approvals.PaymentReversal, e.loan, target, "customer says twice")
			})
		}
		wg.Wait()
		var first int64
		for i, err := range errs {
			switch {
			case err == nil && first == 0:
				first = ids[i]
			case err == nil:
				t.Errorf("a second request %d for the same payment", ids[i])
			case !errors.Is(err, approvals.ErrDuplicate):
				t.Errorf("request %d: %v", i, err)
			}
		}
		if first == 0 {
			t.Fatalf("no request made: %v", errs)
		}
		if n := e.count(t, `SELECT count(*) FROM approval_requests WHERE event_id = $1`, e.payment); n != 1 {
			t.Errorf("%d requests for the payment, want 1", n)
		}

		// The database holds it even when the count is skipped.
		_, err := dbx.SQL.ExecContext(e.ctx, `INSERT INTO approval_requests (kind, contract_id, event_id, reason, requested_by, requester_role,
			requested_at, expires_at) VALUES ('payment_reversal', $1, $2, 'by hand', '99', 'agent', $3, $3)`, e.loan, e.payment, dbx.Now())
		if !db.IsUniqueViolation(err) {
			t.Errorf("a second pending request for the payment inserted by hand: %v", err)
		}

		// 73 hours on, before any ExpireStale: the stale request is marked
		// expired and a new one made, in one transaction.
		e.clk.Add(73 * time.Hour)
		again, err := e.ap.Request(e.ctx, agent2, approvals.PaymentReversal, e.loan, target, "asked again")
		if err != nil {
			t.Fatalf("request after the first expired: %v", err)
		}
		if got, _ := e.ap.Get(e.ctx, first); got.Status != approvals.StatusExpired {
			t.Errorf("the stale request is %s, want expired", got.Status)
		}
		if got, _ := e.ap.Get(e.ctx, again); got.Status != approvals.StatusPending {
			t.Errorf("the new request is %s, want pending", got.Status)
		}
		if _, err := e.ap.Request(e.ctx, agent, approvals.PaymentReversal, e.loan, target, "and again"); !errors.Is(err, approvals.ErrDuplicate) {
			t.Errorf("a third request while the second is pending: %v", err)
		}
		if n, err := e.ap.ExpireStale(e.ctx); err != nil || n != 0 {
			t.Errorf("expire stale after the replacement: %d %v", n, err)
		}
		if a := strings.Join(e.actions(t, e.loan), " "); a != "approval.request approval.expire approval.request" {
			t.Errorf("audit %q", a)
		}
		if n := e.posted(t); n != 0 {
			t.Errorf("%d postings", n)
		}
		e.mustCheck(t)
	})
}
