package console_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"carfin/approvals"
	"carfin/staff"
)

func init() { register("returns/review sent for approval", testReturnReview) }

// testReturnReview: an agent finds the flagged return, reads it and asks
// for its decision, which then waits in the supervisor's queue; bad input
// writes nothing; an auditor may not see the returns.
func testReturnReview(t *testing.T, f *fixture) {
	ctx := t.Context()
	rs, err := f.caps.Payments.ReturnsForReview(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	for _, r := range rs {
		if r.Kind == "return" && r.PaymentID != 0 {
			id = r.ID
			break
		}
	}
	if id == 0 {
		t.Fatal("the demo book has no return awaiting review")
	}
	it, err := f.caps.Payments.ReturnForReview(ctx, f.d.Read, id)
	if err != nil {
		t.Fatal(err)
	}
	path := "/staff/returns/" + strconv.FormatInt(id, 10)
	agent := f.signIn(staff.Agent)
	if r := agent.get("/staff/returns"); r.Status != http.StatusOK || !strings.Contains(r.Body, `href="`+path+`"`) {
		t.Fatalf("returns: %d %s", r.Status, r.Body)
	}
	r := agent.get(path)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, it.Code) {
		t.Fatalf("return: %d %s", r.Status, r.Body)
	}
	if n := pendingReviews(t, f, it.ContractID, id); n == 0 {
		if !strings.Contains(r.Body, `name="decision"`) {
			t.Fatalf("no decision form: %s", r.Body)
		}
		for _, tc := range []struct {
			name string
			form url.Values
			want string
		}{
			{"no decision", url.Values{"reason": {"x"}}, "Choose whether"},
			{"unknown decision", url.Values{"decision": {"maybe"}, "reason": {"x"}}, "Choose whether"},
			{"no reason", url.Values{"decision": {"dismiss"}}, "Say why"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if r := agent.post(path+"/request", tc.form); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, tc.want) {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				if n := pendingReviews(t, f, it.ContractID, id); n != 0 {
					t.Fatalf("%d review requests written", n)
				}
			})
		}
		r := agent.post(path+"/request", url.Values{"decision": {"dismiss"}, "reason": {"The customer's bank confirmed the payment was honored."}})
		if r.Status != http.StatusSeeOther || r.Location != path+"?done=requested" {
			t.Fatalf("request: %d %s %s", r.Status, r.Location, r.Body)
		}
	}
	if n := pendingReviews(t, f, it.ContractID, id); n != 1 {
		t.Fatalf("%d pending review requests, want 1", n)
	}
	if r := agent.post(path+"/request", url.Values{"decision": {"uphold"}, "reason": {"again"}}); r.Status != http.StatusConflict {
		t.Fatalf("second request: %d %s", r.Status, r.Body)
	}
	sup := f.signIn(staff.Supervisor)
	r = sup.get("/staff/approvals")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Return review #") {
		t.Fatalf("supervisor's queue: %d %s", r.Status, r.Body)
	}
	if r := f.signIn(staff.Auditor).get("/staff/returns"); r.Status != http.StatusForbidden {
		t.Fatalf("auditor: %d", r.Status)
	}
	if r := agent.get("/staff/returns/999999999"); r.Status != http.StatusNotFound {
		t.Fatalf("unknown return: %d", r.Status)
	}
}

// pendingReviews counts the pending review requests of return id.
func pendingReviews(t *testing.T, f *fixture, contractID, id int64) int {
	t.Helper()
	n := 0
	for _, q := range mustForContract(t, f, contractID) {
		if q.Kind == approvals.ReturnReview && q.ReturnID == id && q.Status == approvals.StatusPending {
			n++
		}
	}
	return n
}
