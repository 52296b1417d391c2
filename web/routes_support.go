package web

import (
	"context"
	"net/http"
	"regexp"
	"strconv"

	"carfin/identity"
	"carfin/support"
	"carfin/webcore"
)

// supportRoutes is the profile-and-support half of the portal (issue 5,
// items 7 and 8): contact details, paperless consent and alert
// preferences under /profile, the FAQ and the contact page (open to
// everyone), and secure messages. Every page that shows a customer's data
// reads it by the session's customer id; a thread or attachment id of
// another customer is "not found", exactly like one that does not exist.
func (s *Server) supportRoutes(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	id, pr, sup, faq, v := s.id, s.caps.Profile, s.caps.Support, s.caps.FAQ, s.v
	anyone := optionalSession(id, v)

	mux.Handle("GET /profile", auth(handleProfileShow(id, pr, v)))
	mux.Handle("GET /profile/address", auth(handleProfileAddressShow(pr, v)))
	mux.Handle("POST /profile/address", auth(handleProfileAddressUpdate(pr, v)))
	mux.Handle("GET /profile/email", auth(handleProfileEmailShow(id, v)))
	mux.Handle("POST /profile/email", auth(handleProfileEmailRequest(id, v)))
	mux.Handle("GET /profile/email/verify", auth(handleProfileEmailVerifyShow(id, v)))
	mux.Handle("POST /profile/email/verify", auth(handleProfileEmailVerify(id, v)))
	mux.Handle("GET /profile/phone", auth(handleProfilePhoneShow(id, v)))
	mux.Handle("POST /profile/phone", auth(handleProfilePhoneRequest(id, v)))
	mux.Handle("GET /profile/phone/verify", auth(handleProfilePhoneVerifyShow(id, v)))
	mux.Handle("POST /profile/phone/verify", auth(handleProfilePhoneVerify(id, v)))
	mux.Handle("GET /email-revert", handleEmailRevertShow(id, v))
	mux.Handle("POST /email-revert", handleEmailRevertSubmit(id, v))
	mux.Handle("GET /profile/paperless", auth(handleConsentShow(pr, v)))
	mux.Handle("POST /profile/paperless", auth(handleConsentGive(pr, v)))
	mux.Handle("POST /profile/paperless/withdraw", auth(handleConsentWithdraw(pr, v)))
	mux.Handle("GET /profile/paperless/sample.pdf", auth(handleConsentSample(v)))
	mux.Handle("GET /profile/alerts", auth(handlePreferencesShow(pr, v)))
	mux.Handle("POST /profile/alerts", auth(handlePreferencesUpdate(pr, v)))

	mux.Handle("GET /faq", anyone(handleFAQShow(faq, v)))
	mux.Handle("GET /contact", anyone(handleContactShow(v)))

	mux.Handle("GET /messages", auth(handleMessagesList(sup, v)))
	mux.Handle("GET /messages/new", auth(handleMessagesNew(v)))
	mux.Handle("POST /messages", auth(handleMessagesCreate(sup, v)))
	mux.Handle("GET /messages/{id}", auth(handleMessagesShow(sup, v)))
	mux.Handle("POST /messages/{id}/reply", auth(handleMessagesReply(sup, v)))
	mux.Handle("GET /messages/{id}/attachments/{aid}", auth(handleMessagesAttachment(sup, v)))
}

// messageBytesMax bounds a message form with its attachments (the routes
// matched by uploadRoute; every other body is bounded by requestBytesMax).
const messageBytesMax = support.AttachmentsPerMessageMax*support.AttachmentBytesMax + webcore.RequestBytesMax

var replyPath = regexp.MustCompile(`^/messages/[0-9]{1,19}/reply$`)

// uploadBytesMax is the body limit of a route that takes files (POST
// /messages and /messages/{id}/reply), or 0 for the default.
func uploadBytesMax(r *http.Request) int64 {
	if r.Method == http.MethodPost && (r.URL.Path == "/messages" || replyPath.MatchString(r.URL.Path)) {
		return messageBytesMax
	}
	return 0
}

// optionalSession lets everyone through and, for a signed-in customer,
// puts the session where sessionOf finds it (so that public pages show
// the signed-in navigation).
func optionalSession(id *identity.Service, v *views) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if token := v.sessionToken(r); token != "" {
				if ss, err := id.Session(r.Context(), token); err == nil && ss.Login.Realm == identity.Customer {
					r = r.WithContext(context.WithValue(r.Context(), ctxSessionKey{}, ss))
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// idParam reads a positive id from the path; ok is false for anything
// else (answered as not found).
func idParam(r *http.Request, name string) (int64, bool) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return n, err == nil && n > 0
}

// customerOf is the signed-in customer's id.
func customerOf(r *http.Request) int64 { return sessionOf(r).Login.CustomerID }
