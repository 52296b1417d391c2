package console

import "net/http"

// moneyRoutes are the money pages (to come).
func (s *Server) moneyRoutes(mux *http.ServeMux, may guard) {}
