package console

import "net/http"

// customerRoutes are the customer pages (to come).
func (s *Server) customerRoutes(mux *http.ServeMux, may guard) {}
