package console

import (
	"errors"
	"net/http"
	"strconv"

	"carfin/callers"
	"carfin/casefile"
)

// customerView is a customer as a staff route sees it: the header, and
// what lets the member see the account in full now (Open false: only
// the masked header).
type customerView struct {
	casefile.Header
	Access callers.Access
	Open   bool
}

// customerOf reads the {id} path value as a customer and the member's
// access to it. An id that is not a number or not a customer gets 404
// (answered here; ok false).
func customerOf(c Capabilities, v *views, w http.ResponseWriter, r *http.Request) (customerView, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		v.notFound(w, r)
		return customerView{}, false
	}
	h, err := c.Casefile.Header(r.Context(), id)
	if errors.Is(err, casefile.ErrNotFound) {
		v.notFound(w, r)
		return customerView{}, false
	}
	if err != nil {
		v.serverError(w, r, err)
		return customerView{}, false
	}
	a, open, err := c.Callers.AccessOf(r.Context(), memberOf(r).LoginID, id)
	if err != nil {
		v.serverError(w, r, err)
		return customerView{}, false
	}
	return customerView{Header: h, Access: a, Open: open}, true
}

// openCustomer is customerOf for a route that needs the account open: a
// member without a verified call or an opening is sent to the customer's
// page to verify the caller first (nothing of the account is shown).
func openCustomer(c Capabilities, v *views, w http.ResponseWriter, r *http.Request) (customerView, bool) {
	cv, ok := customerOf(c, v, w, r)
	if !ok {
		return cv, false
	}
	if !cv.Open {
		redirect(w, r, Prefix+"/customers/"+strconv.FormatInt(cv.CustomerID, 10)+"?verify=1")
		return cv, false
	}
	return cv, true
}

// contractOf reads the {contract} path value as one of the customer's
// contracts; anything else gets 404 (ok false).
func contractOf(cv customerView, v *views, w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("contract"), 10, 64)
	if err != nil || !cv.HasContract(id) {
		v.notFound(w, r)
		return 0, false
	}
	return id, true
}
