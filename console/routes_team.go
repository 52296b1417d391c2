package console

import "net/http"

// teamRoutes are the team pages (to come).
func (s *Server) teamRoutes(mux *http.ServeMux, may guard) {}
