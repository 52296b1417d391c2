package console

import (
	"net/http"

	"carfin/staff"
)

// moneyRoutes are the pages that move money or quote it: maker-checker
// requests (a waiver, a reversal, an adjustment) on a customer's
// contract, the approvals queue where a supervisor decides them, the
// review of flagged returns, a payment taken by phone and payoff quotes.
// The role table says who may open each; how much money a role may
// request or approve is approvals.Policies, enforced by the service.
func (s *Server) moneyRoutes(mux *http.ServeMux, may guard) {
	c, v := s.caps, s.v
	contract := "/staff/customers/{id}/contracts/{contract}"

	// Requests (maker): the kind's action is checked in the handler.
	mux.Handle("GET "+contract+"/requests/new", may(staff.ViewCustomer)(handleRequestNew(c, v)))
	mux.Handle("POST "+contract+"/requests", may(staff.ViewCustomer)(handleRequestCreate(c, v)))

	// Approvals (checker): agents read the queue; deciding needs the role.
	mux.Handle("GET /staff/approvals", may("")(handleApprovalList(c, v)))
	mux.Handle("GET /staff/approvals/{request}", may("")(handleApprovalShow(c, v)))
	mux.Handle("POST /staff/approvals/{request}/approve", may(staff.ApproveRequest)(handleApprovalDecide(c, v, true)))
	mux.Handle("POST /staff/approvals/{request}/reject", may(staff.RejectRequest)(handleApprovalDecide(c, v, false)))

	// Returns flagged for review: the decision is a request for approval.
	mux.Handle("GET /staff/returns", may(staff.RequestReturnReview)(handleReturnList(c, v)))
	mux.Handle("GET /staff/returns/{return}", may(staff.RequestReturnReview)(handleReturnShow(c, s.db.Read, v)))
	mux.Handle("POST /staff/returns/{return}/request", may(staff.RequestReturnReview)(handleReturnRequest(c, s.db.Read, v)))

	// A payment by phone, on a verified call: form, script, payment.
	mux.Handle("GET "+contract+"/pay", may(staff.TakePhonePayment)(handlePhoneForm(c, v)))
	mux.Handle("POST "+contract+"/pay/review", may(staff.TakePhonePayment)(handlePhoneReview(c, v)))
	mux.Handle("POST "+contract+"/pay", may(staff.TakePhonePayment)(handlePhoneTake(c, v)))
	mux.Handle("GET "+contract+"/pay/{payment}", may(staff.TakePhonePayment)(handlePhoneDone(c, v)))

	// Payoff quotes: the customer's, or a letter to a dealer.
	mux.Handle("GET "+contract+"/payoff", may(staff.IssuePayoffQuote)(handlePayoffShow(c, v)))
	mux.Handle("POST "+contract+"/payoff", may(staff.IssuePayoffQuote)(handlePayoffCreate(c, v)))
	mux.Handle("GET "+contract+"/payoff/{file}", may(staff.IssuePayoffQuote)(handlePayoffDownload(c, s.db.Read, v)))
}
