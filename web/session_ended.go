package web

import (
	"net/http"

	"carfin/identity"
)

// endedParam is the sign-in page's ?ended= value for a browser whose
// session cookie no longer works: why identity says the session ended
// ("idle", "password", "wasnt-me"…), or "other" when it has no record. A
// session ended by a password change or by "this wasn't me" must not be
// told it was idle: the customer would not look for the change they did
// not make.
func endedParam(r *http.Request, id *identity.Service, v *views, token string) string {
	why, err := id.SessionEnded(r.Context(), token)
	if err != nil {
		// The sign-in page still comes; only its reason is lost.
		v.cfg.Log.Warn("read why a session ended", "err", err)
	}
	if why == identity.EndUnknown {
		return "other"
	}
	return string(why)
}

// endedNotices are the sign-in page's notices by ?ended= value; any other
// value gets "login.ended".
var endedNotices = map[identity.EndReason]string{
	identity.EndIdle:      "login.timed_out",
	identity.EndAbsolute:  "login.ended_absolute",
	identity.EndPassword:  "login.ended_password",
	identity.EndRevoked:   "login.ended_revoked",
	identity.EndWasntMe:   "login.ended_wasnt_me",
	identity.EndSignedOut: "login.signed_out",
	// Support acted on the customer's sign-in, at their request.
	identity.EndStaffReset:     "login.ended_staff_reset",
	identity.EndStaffSignedOut: "login.ended_staff",
}

// endedNotice is the notice for an ?ended= value.
func endedNotice(ended string) string {
	if k, ok := endedNotices[identity.EndReason(ended)]; ok {
		return k
	}
	return "login.ended"
}
