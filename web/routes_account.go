package web

import (
	"carfin/servicing"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"sync"
)

// accountRoutes is the account half of the portal (issue 5): the
// dashboard, each contract with its schedule, amortization chart and
// what-if simulator, the transaction history and its CSV, payoff and
// lease-end quotes with their letters, and the document center. Every
// page is for signed-in customers only, and every id in a path is looked
// up within the customer's own contracts, quotes and documents: another
// customer's is "not found", exactly like one that does not exist.
func (s *Server) accountRoutes(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	sv, qs, v, rd := s.caps.Servicing, s.caps.Quotes, s.v, s.db.Read
	pay := payHref(mux)

	mux.Handle("GET /{$}", dashboardPage(s.id, sv, v, pay, auth))
	mux.Handle("GET /contracts/{id}", auth(handleContractShow(sv, rd, v, pay)))
	mux.Handle("GET /contracts/{id}/what-if", auth(handleWhatIf(sv, v)))
	mux.Handle("GET /contracts/{id}/history", auth(handleHistoryShow(sv, v)))
	mux.Handle("GET /contracts/{id}/history.csv", auth(handleHistoryCSV(sv, v)))
	mux.Handle("GET /contracts/{id}/payoff", auth(handlePayoffShow(sv, qs, v)))
	mux.Handle("POST /contracts/{id}/payoff", auth(handlePayoffCreate(sv, qs, v)))
	mux.Handle("POST /contracts/{id}/lease-end", auth(handleLeaseEndCreate(sv, qs, v)))
	mux.Handle("GET /contracts/{id}/quotes/{number}", auth(handleQuoteShow(sv, qs, v)))
	mux.Handle("GET /documents", auth(handleDocumentsList(sv, s.caps.Payments, rd, v)))
	mux.Handle("GET /documents/{id}", auth(handleDocumentDownload(rd, v)))
}

// payHref returns the link of a contract's payment page, or "" while no
// such page is registered: the payments pages arrive with their own issue,
// and until then the dashboard offers no link that would lead nowhere.
// The mux is asked once, at the first page, when every route is in.
func payHref(mux *http.ServeMux) func(contractID int64) string {
	routed := sync.OnceValue(func() bool {
		_, pattern := mux.Handler(&http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/contracts/1/pay"}, Host: "localhost"})
		return pattern != "" && pattern != "/"
	})
	return func(id int64) string {
		if !routed() {
			return ""
		}
		return "/contracts/" + strconv.FormatInt(id, 10) + "/pay"
	}
}

// pathID reads a positive integer id from the path; ok is false for
// anything else (which the caller answers as not found).
func pathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}

// notFound answers exactly as an unknown page does.
func notFound(w http.ResponseWriter, r *http.Request, v *views) { handleNotFound(v).ServeHTTP(w, r) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// ownedContract reads the summary of the contract named in the path, when
// it is the signed-in customer's. Otherwise it answers (not found for
// another customer's or a missing contract, so neither can be told apart)
// and ok is false.
func ownedContract(w http.ResponseWriter, r *http.Request, sv *servicing.Service, v *views) (s servicing.Summary, ok bool) {
	id, ok := pathID(r, "id")
	if !ok {
		notFound(w, r, v)
		return s, false
	}
	s, err := sv.ContractSummary(r.Context(), sessionOf(r).Login.CustomerID, id)
	if errors.Is(err, servicing.ErrNotFound) {
		notFound(w, r, v)
		return s, false
	}
	if err != nil {
		serverError(w, r, v, err)
		return s, false
	}
	return s, true
}
