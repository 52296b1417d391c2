package console

import (
	"errors"
	"net/http"
	"strings"

	"carfin/casefile"
)

// searchData is the search page's: the query, how it was read and the
// customers found (masked).
type searchData struct {
	Query string
	Kind  casefile.Kind
	Hits  []casefile.Hit
	Done  bool
}

// handleCustomerSearch finds customers by name, account number, email,
// phone or the VIN's last six. Results are masked: the account shows in
// full only once the caller is verified.
func handleCustomerSearch(c Capabilities, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := v.page(r, "Find a customer")
		q := strings.TrimSpace(r.URL.Query().Get("q"))
		d := searchData{Query: q}
		p.Form["q"] = q
		status := http.StatusOK
		if q != "" {
			hits, err := c.Casefile.Search(r.Context(), q, 0)
			switch {
			case errors.Is(err, casefile.ErrQueryShort), errors.Is(err, casefile.ErrQueryLong), errors.Is(err, casefile.ErrQueryEmpty):
				p.Errors["q"] = err.Error() + "."
				status = http.StatusUnprocessableEntity
			case err != nil:
				v.serverError(w, r, err)
				return
			default:
				d.Hits, d.Done = hits, true
				if len(hits) > 0 {
					d.Kind = hits[0].MatchedBy
				}
			}
		}
		p.Data = d
		v.render(w, status, "customers", p)
	})
}
