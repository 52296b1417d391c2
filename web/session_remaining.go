package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"carfin/identity"
)

// remaining is the idle-warning script's view of the session.
type remaining struct {
	// Seconds left before the server ends the session, rounded down.
	Seconds int `json:"seconds"`
	// Absolute: the 12-hour limit comes first; staying active will not
	// move it.
	Absolute bool `json:"absolute,omitempty"`
	// Ended is why the session ended (the sign-in page's ?ended=), when
	// it has.
	Ended string `json:"ended,omitempty"`
}

func remainingOf(ss *identity.Session, now time.Time) remaining {
	left, absolute := ss.Remaining(now)
	return remaining{Seconds: int(left / time.Second), Absolute: absolute}
}

// peekCustomerSession is the live customer session of the request,
// without counting the request as activity.
func peekCustomerSession(r *http.Request, id *identity.Service, v *views) (*identity.Session, error) {
	ss, err := id.PeekSession(r.Context(), v.sessionToken(r))
	if err == nil && ss.Login.Realm != identity.Customer {
		err = identity.ErrNoSession
	}
	return ss, err
}

// handleSessionRemaining tells the idle-warning script how long the
// session has left by the server's own record, {"seconds": N}, so that
// the warning comes a minute before the true end: the page cannot know
// it (activity is recorded at most once a minute, and another tab may
// have been used since). Asking is not activity: the route is not behind
// requireSession, which would extend the session, and a page left open
// must still time out. An ended session answers 401 with its reason.
func handleSessionRemaining(id *identity.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ss, err := peekCustomerSession(r, id, v)
		switch {
		case err == nil:
			writeJSON(w, http.StatusOK, remainingOf(ss, id.Now()))
		case errors.Is(err, identity.ErrNoSession):
			writeJSON(w, http.StatusUnauthorized, remaining{Ended: endedParam(r, id, v, v.sessionToken(r))})
		default:
			serverErrorJSON(w, r, v, "request failed", err)
		}
	})
}

// idleTexts are the idle warning's words for app.js, which builds the
// dialog from them.
type idleTexts struct {
	Title     string `json:"title"`
	Text      string `json:"text"`
	Absolute  string `json:"absolute"`
	LeftOne   string `json:"left_one"`
	LeftOther string `json:"left_other"`
	Stay      string `json:"stay"`
	SignOut   string `json:"signout"`
	Failed    string `json:"failed"`
}

// IdleTexts is the idle warning's words in the page's language, as JSON
// for a data attribute (the dialog exists only with script; without it
// the /session/idle page serves).
func (p *page) IdleTexts() string {
	cat := p.v.cat[p.Lang]
	b, _ := json.Marshal(idleTexts{Title: p.T("idle.title"), Text: p.T("idle.dialog_text"), Absolute: p.T("idle.absolute_text"),
		LeftOne: cat["idle.left.one"], LeftOther: cat["idle.left.other"], Stay: p.T("idle.stay"), SignOut: p.T("nav.signout"),
		Failed: p.T("idle.extend_failed")})
	return string(b)
}
