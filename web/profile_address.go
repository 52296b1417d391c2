package web

import (
	"errors"
	"net/http"

	"carfin/profile"
)

// addressFields are the address form's fields.
var addressFields = []string{"line1", "line2", "city", "state", "zip"}

// addressErrorKey maps a refused field and its reason to a message: a
// line or city too long says the limit and how to shorten it.
func addressErrorKey(field, reason string) string {
	switch {
	case reason == profile.Required:
		return "profile.err_" + field + "_required"
	case reason == profile.TooLong && (field == "line1" || field == "line2" || field == "city"):
		return "profile.err_" + field + "_too_long"
	}
	return "profile.err_" + field + "_invalid"
}

func renderAddress(w http.ResponseWriter, r *http.Request, v *views, status int, a profile.Address, errs profile.FieldErrors) {
	p := v.page(r, "profile.address_title")
	p.Session = sessionOf(r)
	p.Form = map[string]string{"line1": a.Line1, "line2": a.Line2, "city": a.City, "state": a.State, "zip": a.ZIP}
	for _, f := range addressFields {
		if reason, ok := errs[f]; ok {
			p.Errors[f] = addressErrorKey(f, reason)
		}
	}
	v.render(w, status, "profile_address", p)
}

// handleProfileAddressShow shows the mailing address form, filled in.
func handleProfileAddressShow(pr *profile.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := pr.Contact(r.Context(), customerOf(r))
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		renderAddress(w, r, v, http.StatusOK, c.Address, nil)
	})
}

// handleProfileAddressUpdate saves the mailing address; every problem is
// shown next to its field and nothing is saved.
func handleProfileAddressUpdate(pr *profile.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := profile.Address{Line1: r.PostFormValue("line1"), Line2: r.PostFormValue("line2"), City: r.PostFormValue("city"),
			State: r.PostFormValue("state"), ZIP: r.PostFormValue("zip")}
		err := pr.UpdateAddress(r.Context(), customerOf(r), a, v.actorOf(r))
		var fe profile.FieldErrors
		switch {
		case errors.As(err, &fe):
			renderAddress(w, r, v, http.StatusUnprocessableEntity, a, fe)
		case err != nil:
			serverError(w, r, v, err)
		default:
			redirect(w, r, "/profile?notice=address")
		}
	})
}
