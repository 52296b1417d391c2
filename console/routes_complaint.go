package console

import (
	"net/http"

	"carfin/calendar"
	"carfin/staff"
)

// complaintRoutes are the complaint pages: the queue by deadline, logging
// one against a customer (any member who serves customers), and a
// complaint's page, where a supervisor acknowledges and closes it.
func (s *Server) complaintRoutes(mux *http.ServeMux, may guard) {
	cm, st, v := s.caps.Complaints, s.caps.Staff, s.v
	// today is the lender's date, from which complaints' deadlines count.
	today := func() calendar.Date { return calendar.Of(s.db.Now().In(v.loc)) }
	mux.Handle("GET /staff/complaints", may(staff.LogComplaint)(handleComplaintQueue(cm, v)))
	mux.Handle("GET /staff/customers/{id}/complaints/new", may(staff.LogComplaint)(handleComplaintNew(s.caps, v)))
	mux.Handle("POST /staff/customers/{id}/complaints", may(staff.LogComplaint)(handleComplaintCreate(s.caps, v)))
	mux.Handle("GET /staff/complaints/{id}", may(staff.LogComplaint)(handleComplaintShow(cm, st, s.caps.Casefile, v, today)))
	mux.Handle("POST /staff/complaints/{id}/acknowledge", may(staff.ManageComplaints)(handleComplaintAcknowledge(cm, st, v, today)))
	mux.Handle("POST /staff/complaints/{id}/close", may(staff.ManageComplaints)(handleComplaintClose(cm, st, v, today)))
}
