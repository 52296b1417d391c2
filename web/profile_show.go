package web

import (
	"net/http"

	"carfin/identity"
	"carfin/preferences"
	"carfin/profile"
	"carfin/webcore"
)

// profileData is what the profile page shows.
type profileData struct {
	Contact      profile.Contact
	Login        *identity.Login
	PendingEmail *identity.PendingContact
	PendingPhone *identity.PendingContact
	Consent      profile.ConsentState
	Prefs        preferences.Preferences
	Kinds        []preferences.Kind
}

// profileNotices maps ?notice= values to messages.
var profileNotices = map[string]string{
	"email": "profile.notice_email", "phone": "profile.notice_phone", "address": "profile.notice_address",
	"alerts": "profile.notice_alerts", "paperless_on": "profile.notice_paperless_on", "paperless_off": "profile.notice_paperless_off",
}

// handleProfileShow shows the customer's contact details, paperless state
// and alerts, each with a link to change it.
func handleProfileShow(id *identity.Service, pr *profile.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ss := sessionOf(r)
		ctx := r.Context()
		c, err := pr.Contact(ctx, ss.Login.CustomerID)
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		d := profileData{Contact: c, Login: ss.Login, Kinds: preferences.Kinds}
		if d.PendingEmail, err = id.PendingContactChange(ctx, ss.LoginID, identity.ContactEmail); err != nil {
			serverError(w, r, v, err)
			return
		}
		if d.PendingPhone, err = id.PendingContactChange(ctx, ss.LoginID, identity.ContactPhone); err != nil {
			serverError(w, r, v, err)
			return
		}
		if d.Consent, err = pr.Consent(ctx, ss.Login.CustomerID); err != nil {
			serverError(w, r, v, err)
			return
		}
		if d.Prefs, err = pr.Preferences(ctx, ss.Login.CustomerID); err != nil {
			serverError(w, r, v, err)
			return
		}
		p := v.page(r, "profile.title")
		p.Session = ss
		p.Data = d
		if k, ok := profileNotices[r.URL.Query().Get("notice")]; ok {
			p.Notice = k
		}
		v.render(w, http.StatusOK, "profile", p)
	})
}

// actorOf describes the signed-in customer for the profile capability,
// with the page's language and the lender's zone for its emails.
func (v *views) actorOf(r *http.Request) profile.Actor {
	return profile.Actor{LoginID: sessionOf(r).LoginID, IP: webcore.ClientIP(r), UserAgent: r.UserAgent(), Lang: webcore.LangOf(r), Zone: v.loc}
}

// FormatPhone shows an E.164 US number as (555) 201-0123; others as given.
func (p *page) FormatPhone(e164 string) string {
	if len(e164) == 12 && e164[:2] == "+1" {
		d := e164[2:]
		return "(" + d[:3] + ") " + d[3:6] + "-" + d[6:]
	}
	return e164
}
