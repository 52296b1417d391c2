package staff

import "testing"

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
		RequestWaiver:       "ASD",
		RequestReversal:     "ASD",
		RequestAdjustment:   "ASD",
		RequestReturnReview: "ASD",
		ApproveRequest:      "SD",
		RejectRequest:       "SD",
		LogComplaint:        "AS",
		ManageComplaints:    "S",
		ManageStaff:         "D",
		ChangeSettings:      "D",
		ReadAudit:           "ASDU", // an agent reads the customer's audit tab
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
