package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"carfin/staff"
)

// memberData is a staff member's page.
type memberData struct {
	Member staff.Member
	Roles  []staff.Role
	// Self: the admin's own account, which another admin changes.
	Self bool
	// AddedBy is who added them, by name ("system" from the command line).
	AddedBy string
	// errs and form are the page's, for Reason.
	errs, form map[string]string
}

// reasonField is one form's reason field.
type reasonField struct{ ID, Value, Err string }

// Reason is the reason field of form ("role", "disable", …): each form
// of the page has its own, with its own id, value and error.
func (d memberData) Reason(form string) reasonField {
	id := form + "-reason"
	return reasonField{ID: id, Value: d.form[id], Err: d.errs[id]}
}

// handleTeamMember is a staff member's page: who they are, and the forms
// to disable or enable them, change their role or send a new enrolment
// link, each with a reason. An unknown member is not found.
func handleTeamMember(st *staff.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(v, w, r, "id")
		if !ok {
			return
		}
		renderMember(w, r, st, v, http.StatusOK, id, v.page(r, ""))
	})
}

func renderMember(w http.ResponseWriter, r *http.Request, st *staff.Service, v *views, status int, id int64, p *page) {
	m, err := st.Member(r.Context(), id)
	if errors.Is(err, staff.ErrNotFound) {
		v.notFound(w, r)
		return
	}
	if err != nil {
		v.serverError(w, r, err)
		return
	}
	by := m.CreatedBy
	if n, ok := strings.CutPrefix(by, "staff:"); ok {
		if login, err := strconv.ParseInt(n, 10, 64); err == nil {
			if a, err := st.Member(r.Context(), login); err == nil {
				by = a.Name
			}
		}
	}
	p.Title = m.Name
	p.Data = memberData{Member: m, AddedBy: by, Roles: staff.Roles, Self: m.LoginID == memberOf(r).LoginID,
		errs: p.Errors, form: p.Form}
	v.render(w, status, "team_member", p)
}

// teamChange is one of an admin's changes to a member: its form's name
// (the prefix of its fields' ids) and the staff call.
type teamChange struct {
	form string
	do   func(st *staff.Service, r *http.Request, id int64, reason string) error
	// harmless: ErrNoChange is the same change sent twice.
	harmless bool
}

var (
	teamDisable = teamChange{form: "disable", harmless: true, do: func(st *staff.Service, r *http.Request, id int64, reason string) error {
		return st.Disable(r.Context(), actor(r), id, reason)
	}}
	teamEnable = teamChange{form: "enable", harmless: true, do: func(st *staff.Service, r *http.Request, id int64, reason string) error {
		return st.Enable(r.Context(), actor(r), id, reason)
	}}
	teamRole = teamChange{form: "role", do: func(st *staff.Service, r *http.Request, id int64, reason string) error {
		return st.SetRole(r.Context(), actor(r), id, staff.Role(r.PostFormValue("role")), reason)
	}}
)

// handleTeamChange makes change to the member, with the reason, audited
// as the admin (staff.Actor with the client's address). A missing reason
// or role is shown at its field with 422 and nothing changes; disabling
// or enabling twice is harmless; an unknown member is not found.
func handleTeamChange(st *staff.Service, v *views, change teamChange) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(v, w, r, "id")
		if !ok {
			return
		}
		reason := strings.TrimSpace(r.PostFormValue("reason"))
		err := change.do(st, r, id, reason)
		if err == nil || (change.harmless && errors.Is(err, staff.ErrNoChange)) {
			done(w, r, Prefix+"/team/"+strconv.FormatInt(id, 10), "staff_changed")
			return
		}
		teamChangeError(w, r, st, v, id, change.form, reason, err)
	})
}

// handleTeamResend makes a new enrolment link for a member who has not
// enrolled (the old one stops working) and shows it once.
func handleTeamResend(st *staff.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(v, w, r, "id")
		if !ok {
			return
		}
		reason := strings.TrimSpace(r.PostFormValue("reason"))
		e, err := st.ResendEnrolment(r.Context(), actor(r), id, reason)
		if err == nil {
			m, merr := st.Member(r.Context(), id)
			if merr != nil {
				v.serverError(w, r, merr)
				return
			}
			enrolLink(w, r, v, m, e)
			return
		}
		if errors.Is(err, staff.ErrNoChange) {
			err = errEnrolled
		}
		teamChangeError(w, r, st, v, id, "resend", reason, err)
	})
}

var errEnrolled = errors.New("enrolled already")

// teamChangeError answers a refused change on the member's page, at the
// field of the form that was sent.
func teamChangeError(w http.ResponseWriter, r *http.Request, st *staff.Service, v *views, id int64, form, reason string, err error) {
	p := v.page(r, "")
	p.Form[form+"-reason"] = reason
	switch field, msg := teamError(err); {
	case errors.Is(err, staff.ErrNotFound):
		v.notFound(w, r)
	case errors.Is(err, staff.ErrForbidden):
		v.forbidden(w, r)
	case errors.Is(err, errEnrolled):
		p.Errors[form+"-reason"] = "They have enrolled already: a link is only for a member who has not."
		renderMember(w, r, st, v, http.StatusUnprocessableEntity, id, p)
	case form == "role" && errors.Is(err, staff.ErrNoChange):
		p.Errors["role"] = "They have this role already."
		renderMember(w, r, st, v, http.StatusUnprocessableEntity, id, p)
	case field == "" && msg == "":
		v.serverError(w, r, err)
	default:
		if field != "" && field != "role" {
			field = form + "-" + field
		}
		p.Errors[field] = msg
		renderMember(w, r, st, v, http.StatusUnprocessableEntity, id, p)
	}
}
