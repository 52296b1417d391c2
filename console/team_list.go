package console

import (
	"errors"
	"net/http"
	"strings"

	"carfin/identity"
	"carfin/staff"
)

// teamData is the staff list's page: the members and the roles to add
// one with.
type teamData struct {
	Members []staff.Member
	Roles   []staff.Role
}

// handleTeamList lists the staff accounts by email with role and status,
// and the form to add one.
func handleTeamList(st *staff.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renderTeam(w, r, st, v, http.StatusOK, v.page(r, ""))
	})
}

func renderTeam(w http.ResponseWriter, r *http.Request, st *staff.Service, v *views, status int, p *page) {
	ms, err := st.List(r.Context())
	if err != nil {
		v.serverError(w, r, err)
		return
	}
	p.Title = "Staff"
	p.Data = teamData{Members: ms, Roles: staff.Roles}
	v.render(w, status, "team", p)
}

// linkData is the page that shows a one-time enrolment link, once.
type linkData struct {
	Member staff.Member
	// Path is the link on this console; URL the same, whole, to send.
	Path, URL string
	Expires   string
}

// enrolLink is the page showing enrolment e of member m. The link's base
// is the console's address as the admin reached it: the Host the
// browser sent, with the scheme the console is configured for (a
// client's X-Forwarded-Proto is not believed).
func enrolLink(w http.ResponseWriter, r *http.Request, v *views, m staff.Member, e staff.Enrolment) {
	scheme := "http://"
	if v.cfg.TLS {
		scheme = "https://"
	}
	path := Prefix + "/enrol?token=" + e.Token
	p := v.page(r, "Enrolment link for "+m.Name)
	p.Data = linkData{Member: m, Path: path, URL: scheme + r.Host + path, Expires: p.DateTime(e.ExpiresAt)}
	// The link is a secret: no cache keeps it.
	w.Header().Set("Cache-Control", "no-store")
	v.render(w, http.StatusOK, "team_link", p)
}

// handleTeamAdd adds a staff member (staff.Add: email, name, role and the
// reason, audited) and shows their one-time enrolment link once. Bad
// input is shown at its field with 422 and nothing is written; adding
// the same email again is refused the same way (nothing twice).
func handleTeamAdd(st *staff.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := v.page(r, "")
		for _, k := range []string{"email", "name", "role", "reason"} {
			p.Form[k] = strings.TrimSpace(r.PostFormValue(k))
		}
		role := staff.Role(p.Val("role"))
		e, err := st.Add(r.Context(), actor(r), p.Val("email"), p.Val("name"), role, p.Val("reason"))
		if err == nil {
			m, merr := st.Member(r.Context(), e.LoginID)
			if merr != nil {
				v.serverError(w, r, merr)
				return
			}
			enrolLink(w, r, v, m, e)
			return
		}
		switch field, msg := teamError(err); {
		case errors.Is(err, staff.ErrForbidden):
			v.forbidden(w, r)
		case field == "" && msg == "":
			v.serverError(w, r, err)
		default:
			p.Errors[field] = msg
			renderTeam(w, r, st, v, http.StatusUnprocessableEntity, p)
		}
	})
}

// teamError is the field (of the add form) and the words for an error
// of staff's, or "", "" for one that is not the input's.
func teamError(err error) (field, msg string) {
	switch {
	case errors.Is(err, staff.ErrReasonRequired):
		return "reason", "Give the reason, for the audit log."
	case errors.Is(err, staff.ErrUnknownRole):
		return "role", "Choose a role."
	case errors.Is(err, identity.ErrInvalidEmail):
		return "email", "Enter a work email address, like name@example.com."
	case errors.Is(err, staff.ErrExists):
		return "email", "A staff member has this email already. If you just added them, their link was shown then; on their page, Resend makes a new one."
	case errors.Is(err, staff.ErrSelf):
		return "", "You cannot do this to your own account: ask another admin."
	case errors.Is(err, staff.ErrLastAdmin):
		return "", "The lender must keep at least one active admin: nothing was changed."
	case errors.Is(err, staff.ErrNoChange):
		return "", "Nothing to change: the member is already so."
	// staff's bounds on free text are not sentinels; its message says which.
	case strings.Contains(err.Error(), "reason longer"):
		return "reason", "The reason is too long: at most 500 characters."
	case strings.Contains(err.Error(), "name longer"):
		return "name", "The name is too long: at most 100 characters."
	}
	return "", ""
}
