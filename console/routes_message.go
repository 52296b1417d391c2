package console

import (
	"net/http"

	"carfin/staff"
)

// messageRoutes are the secure messages' pages: the shared queue, a
// thread with its attachments, and replying, assigning and closing.
func (s *Server) messageRoutes(mux *http.ServeMux, may guard) {
	sup, st, cf, v := s.caps.Support, s.caps.Staff, s.caps.Casefile, s.v
	mux.Handle("GET /staff/messages", may(staff.ReplyMessage)(handleMessageQueue(sup, v)))
	mux.Handle("GET /staff/messages/{id}", may(staff.ReplyMessage)(handleMessageShow(sup, st, cf, v)))
	mux.Handle("GET /staff/messages/{id}/attachments/{att}", may(staff.ReplyMessage)(handleMessageAttachment(sup, cf, v)))
	mux.Handle("POST /staff/messages/{id}/reply", may(staff.ReplyMessage)(handleMessageReply(sup, st, v)))
	mux.Handle("POST /staff/messages/{id}/assign", may(staff.ReplyMessage)(handleMessageAssign(sup, st, v)))
	mux.Handle("POST /staff/messages/{id}/close", may(staff.CloseMessage)(handleMessageClose(sup, st, v)))
}
