package console

import (
	"net/http"

	"carfin/staff"
)

// customerRoutes are finding a customer, verifying the caller, the
// whole-account screen and the actions on the customer's sign-in.
func (s *Server) customerRoutes(mux *http.ServeMux, may guard) {
	c, v, d := s.caps, s.v, s.db
	mux.Handle("GET /staff/customers", may(staff.ViewCustomer)(handleCustomerSearch(c, v)))
	mux.Handle("GET /staff/verify", may(staff.VerifyCaller)(handleVerifyShow(v)))
	mux.Handle("POST /staff/verify", may(staff.VerifyCaller)(handleVerifyCall(c, v)))
	mux.Handle("GET /staff/customers/{id}", may(staff.ViewCustomer)(handleCustomerShow(c, d, v)))
	mux.Handle("POST /staff/customers/{id}/verify", may(staff.VerifyCaller)(handleCustomerVerify(c, d, v)))
	mux.Handle("POST /staff/customers/{id}/verify/send-code", may(staff.VerifyCaller)(handleVerifySendCode(c, d, v)))
	mux.Handle("POST /staff/customers/{id}/verify/code", may(staff.VerifyCaller)(handleVerifyCode(c, d, v)))
	mux.Handle("POST /staff/customers/{id}/open", may(staff.ViewCustomer)(handleCustomerOpen(c, d, v)))
	mux.Handle("POST /staff/customers/{id}/unlock", may(staff.UnlockLogin)(handleLoginUnlock(c, d, v)))
	mux.Handle("POST /staff/customers/{id}/factor-reset", may(staff.ResetSecondFactor)(handleFactorReset(c, d, v)))
	mux.Handle("POST /staff/customers/{id}/sessions/end", may(staff.EndSessions)(handleSessionsEnd(c, d, v)))
	mux.Handle("POST /staff/customers/{id}/invite", may(staff.ResendEnrolment)(handleEnrolmentInvite(c, d, v)))
	mux.Handle("POST /staff/customers/{id}/notes", may(staff.AddNote)(handleNoteAdd(c, d, v)))
	mux.Handle("GET /staff/customers/{id}/audit", may(staff.ReadAudit)(handleCustomerAudit(c, v)))
	mux.Handle("GET /staff/customers/{id}/contracts/{contract}", may(staff.ViewCustomer)(handleContractShow(c, v)))
}
