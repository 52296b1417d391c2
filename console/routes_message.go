package console

import "net/http"

// messageRoutes are the message pages (to come).
func (s *Server) messageRoutes(mux *http.ServeMux, may guard) {}
