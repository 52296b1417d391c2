package staff

import "fmt"

// Role is what a staff member is there to do. What each role may do is
// the table grants below, nowhere else: the console asks Can.
type Role string

const (
	// Agent serves customers: reads accounts, verifies callers, unlocks,
	// replies, takes payments and requests waivers and reversals.
	Agent Role = "agent"
	// Supervisor does what an agent does, and approves or rejects other
	// staff's requests and handles complaints.
	Supervisor Role = "supervisor"
	// Admin manages staff accounts and settings, and requests and
	// approves the money changes above a supervisor's ceiling (as
	// approvals.Policies says); it does not serve customers' day-to-day.
	Admin Role = "admin"
	// Auditor reads, and changes nothing.
	Auditor Role = "auditor"
)

// Roles lists every role, in the order the console shows them.
var Roles = []Role{Agent, Supervisor, Admin, Auditor}

// ParseRole returns the role named s, or ErrUnknownRole.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("%w %q (want agent, supervisor, admin or auditor)", ErrUnknownRole, s)
}

// Action is one thing a staff member may do in the console. Its value is
// the audit action's name.
type Action string

const (
	ViewCustomer        Action = "customer.view"
	VerifyCaller        Action = "caller.verify"
	UnlockLogin         Action = "login.unlock"
	ResetSecondFactor   Action = "factor.reset"
	EndSessions         Action = "sessions.end"
	ResendEnrolment     Action = "enrolment.resend"
	ReplyMessage        Action = "message.reply"
	CloseMessage        Action = "message.close"
	AddNote             Action = "note.add"
	TakePhonePayment    Action = "payment.phone"
	IssuePayoffQuote    Action = "payoff.quote"
	RequestWaiver       Action = "waiver.request"
	RequestReversal     Action = "reversal.request"
	RequestAdjustment   Action = "adjustment.request"
	RequestReturnReview Action = "return_review.request"
	ApproveRequest      Action = "request.approve"
	RejectRequest       Action = "request.reject"
	LogComplaint        Action = "complaint.log"
	ManageComplaints    Action = "complaint.manage"
	ManageStaff         Action = "staff.manage"
	ChangeSettings      Action = "settings.change"
	ReadAudit           Action = "audit.read"
)

// Actions lists every action with whether it changes anything (an
// auditor may do only those that do not).
var Actions = []struct {
	Action  Action
	Changes bool
}{
	{ViewCustomer, false},
	{VerifyCaller, true}, // records a verification on the call
	{UnlockLogin, true},
	{ResetSecondFactor, true},
	{EndSessions, true},
	{ResendEnrolment, true},
	{ReplyMessage, true},
	{CloseMessage, true},
	{AddNote, true},
	{TakePhonePayment, true},
	{IssuePayoffQuote, true},
	{RequestWaiver, true},
	{RequestReversal, true},
	{RequestAdjustment, true},
	{RequestReturnReview, true},
	{ApproveRequest, true},
	{RejectRequest, true},
	{LogComplaint, true},
	{ManageComplaints, true},
	{ManageStaff, true},
	{ChangeSettings, true},
	{ReadAudit, false},
}

// serving is what every role that serves customers may do.
var serving = []Action{ViewCustomer, VerifyCaller, UnlockLogin, ResetSecondFactor, EndSessions, ResendEnrolment,
	ReplyMessage, CloseMessage, AddNote, TakePhonePayment, IssuePayoffQuote,
	RequestWaiver, RequestReversal, RequestAdjustment, RequestReturnReview, LogComplaint, ReadAudit}

// grants is THE table of who may do what. A role not listed may do
// nothing; an action not listed for a role is refused. How much money a
// role may request or approve, by kind, is approvals.Policies (the
// money table beside the ledger's rules); a test holds the two tables
// to agree on who may request and approve at all. Every request needs an
// approver other than its requester whatever the amount (maker-checker).
var grants = map[Role][]Action{
	Agent:      serving,
	Supervisor: append(append([]Action{}, serving...), ApproveRequest, RejectRequest, ManageComplaints),
	Admin: {ViewCustomer, ManageStaff, ChangeSettings, ReadAudit,
		RequestWaiver, RequestReversal, RequestAdjustment, RequestReturnReview, ApproveRequest, RejectRequest},
	Auditor: {ViewCustomer, ReadAudit},
}

// Can reports whether role may take action.
func Can(r Role, a Action) bool {
	for _, g := range grants[r] {
		if g == a {
			return true
		}
	}
	return false
}
