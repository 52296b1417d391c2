package staff_test

import (
	"testing"

	"carfin/approvals"
	"carfin/staff"
)

// TestStaffRolesAgreeWithApprovals: the action table (staff.Can) and the
// money table (approvals.Policies) agree on who may request each kind of
// money change and who may approve or reject one, so the console never
// offers what approvals refuses, nor hides what it allows.
func TestStaffRolesAgreeWithApprovals(t *testing.T) {
	request := map[approvals.Kind]staff.Action{
		approvals.FeeWaiver:         staff.RequestWaiver,
		approvals.PaymentReversal:   staff.RequestReversal,
		approvals.BalanceAdjustment: staff.RequestAdjustment,
		approvals.ReturnReview:      staff.RequestReturnReview,
	}
	for _, r := range staff.Roles {
		p, ok := approvals.Policies[string(r)]
		if !ok {
			t.Errorf("approvals.Policies has no role %q", r)
		}
		for kind, a := range request {
			_, may := p.RequestCentsMax[kind]
			if staff.Can(r, a) != may {
				t.Errorf("%s: staff.Can(%s) = %v, approvals lets it request %s: %v", r, a, staff.Can(r, a), kind, may)
			}
		}
		approves := len(p.ApproveCentsMax) > 0
		for _, a := range []staff.Action{staff.ApproveRequest, staff.RejectRequest} {
			if staff.Can(r, a) != approves {
				t.Errorf("%s: staff.Can(%s) = %v, approvals lets it approve: %v", r, a, staff.Can(r, a), approves)
			}
		}
	}
	for role := range approvals.Policies {
		if _, err := staff.ParseRole(role); err != nil {
			t.Errorf("approvals.Policies role %q: %v", role, err)
		}
	}
}
