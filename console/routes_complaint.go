package console

import "net/http"

// complaintRoutes are the complaint pages (to come).
func (s *Server) complaintRoutes(mux *http.ServeMux, may guard) {}
