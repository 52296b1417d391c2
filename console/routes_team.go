package console

import (
	"net/http"

	"carfin/staff"
)

// teamRoutes are the staff admin pages, an admin's only: the members,
// adding one (with a one-time enrolment link shown once), and a member's
// page to disable, enable, change the role of or send a new link to
// them, each with a reason.
func (s *Server) teamRoutes(mux *http.ServeMux, may guard) {
	st, v := s.caps.Staff, s.v
	admin := may(staff.ManageStaff)
	mux.Handle("GET /staff/team", admin(handleTeamList(st, v)))
	mux.Handle("POST /staff/team", admin(handleTeamAdd(st, v)))
	mux.Handle("GET /staff/team/{id}", admin(handleTeamMember(st, v)))
	mux.Handle("POST /staff/team/{id}/disable", admin(handleTeamChange(st, v, teamDisable)))
	mux.Handle("POST /staff/team/{id}/enable", admin(handleTeamChange(st, v, teamEnable)))
	mux.Handle("POST /staff/team/{id}/role", admin(handleTeamChange(st, v, teamRole)))
	mux.Handle("POST /staff/team/{id}/resend", admin(handleTeamResend(st, v)))
}
