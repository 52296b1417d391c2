package staff

import (
	"testing"

	"carfin/money"
)

// TestStaffRoles walks every (role, action) pair against a matrix written
// here independently of grants: A agent, S supervisor, D admin, U auditor.
func TestStaffRoles(t *testing.T) {
	want := map[Action]string{
		ViewCustomer:        "ASDU",
		VerifyCaller:        "AS",
		UnlockLogin:         "AS",
		ResetSecondFactor:   "AS",
		EndSessions:         "AS",
		ResendEnrolment:     "AS",
		ReplyMessage:        "AS",
		CloseMessage:        "AS",
		AddNote:             "AS",
		TakePhonePayment:    "AS",
		IssuePayoffQuote:    "AS",
		RequestWaiver:       "AS",
		RequestReversal:     "AS",
		RequestAdjustment:   "AS",
		RequestReturnReview: "AS",
		ApproveRequest:      "S",
		RejectRequest:       "S",
		ManageComplaints:    "S",
		ManageStaff:         "D",
		ChangeSettings:      "D",
		ReadAudit:           "SDU",
	}
	letter := map[Role]string{Agent: "A", Supervisor: "S", Admin: "D", Auditor: "U"}
	if len(want) != len(Actions) {
		t.Fatalf("matrix has %d actions, Actions %d: a new action needs a row here", len(want), len(Actions))
	}
	for _, a := range Actions {
		row, ok := want[a.Action]
		if !ok {
			t.Fatalf("action %s missing from the matrix", a.Action)
		}
		for _, r := range Roles {
			t.Run(string(r)+"/"+string(a.Action), func(t *testing.T) {
				exp := false
				for _, c := range row {
					exp = exp || string(c) == letter[r]
				}
				if got := Can(r, a.Action); got != exp {
					t.Errorf("Can(%s, %s) = %v, want %v", r, a.Action, got, exp)
				}
				if r == Auditor && a.Changes && Can(r, a.Action) {
					t.Errorf("auditor may %s, which changes something", a.Action)
				}
			})
		}
	}
	for _, r := range []Role{"", "root", "Admin"} {
		for _, a := range Actions {
			if Can(r, a.Action) {
				t.Errorf("unknown role %q may %s", r, a.Action)
			}
		}
		if _, err := ParseRole(string(r)); err == nil {
			t.Errorf("ParseRole(%q) accepted", r)
		}
	}
	if Can(Agent, "customer.delete") {
		t.Error("an unknown action is granted")
	}
}

// TestStaffLimits: an agent's waiver above $100.00 needs a supervisor; a
// supervisor's own waiver above $500.00 needs another; any reversal,
// adjustment or return review needs a second person; admins and auditors
// request nothing on their own authority.
func TestStaffLimits(t *testing.T) {
	for _, tc := range []struct {
		role   Role
		kind   Kind
		amount string
		limit  string
		needs  bool
	}{
		{Agent, Waiver, "100.00", "100.00", false},
		{Agent, Waiver, "100.01", "100.00", true},
		{Agent, Waiver, "0.01", "100.00", false},
		{Agent, Waiver, "0", "100.00", true},
		{Agent, Reversal, "0.01", "0", true},
		{Agent, Adjustment, "0.01", "0", true},
		{Agent, ReturnReview, "0.01", "0", true},
		{Supervisor, Waiver, "500.00", "500.00", false},
		{Supervisor, Waiver, "500.01", "500.00", true},
		{Supervisor, Adjustment, "0.01", "0", true},
		{Supervisor, Reversal, "1.00", "0", true},
		{Admin, Waiver, "1.00", "0", true},
		{Auditor, Waiver, "1.00", "0", true},
	} {
		t.Run(string(tc.role)+"/"+string(tc.kind)+"/"+tc.amount, func(t *testing.T) {
			if got := Limit(tc.role, tc.kind); got != money.MustParse(tc.limit) {
				t.Errorf("Limit = %s, want %s", got, tc.limit)
			}
			if got := NeedsApproval(tc.role, tc.kind, money.MustParse(tc.amount)); got != tc.needs {
				t.Errorf("NeedsApproval = %v, want %v", got, tc.needs)
			}
		})
	}
	for _, r := range Roles {
		for _, k := range Kinds {
			if Limit(r, k) < 0 {
				t.Errorf("Limit(%s, %s) negative", r, k)
			}
		}
	}
}
