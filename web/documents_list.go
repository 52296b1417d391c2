package web

import (
	"net/http"
	"strconv"

	"carfin/db"
	"carfin/documents"
	"carfin/servicing"
)

// documentsData is what the document center shows.
type documentsData struct {
	Contracts []servicing.ContractRef
	Contract  *servicing.ContractRef // the filter, if any
	Docs      []documentLine
}

// documentLine is a document with the contract it is about.
type documentLine struct {
	documents.Document
	Contract *servicing.ContractRef
}

// handleDocumentsList is the document center: every document of the
// customer (payoff letters and lease-end quotes, and whatever else is
// stored: receipts, statements, the contract), newest first, each to
// download; ?contract= shows one contract's. A contract that is not the
// customer's is not found.
func handleDocumentsList(sv *servicing.Service, rd db.Querier, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ss := sessionOf(r)
		cust := ss.Login.CustomerID
		refs, err := sv.CustomerContracts(r.Context(), cust)
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		data := &documentsData{Contracts: refs}
		var filter int64
		if c := r.URL.Query().Get("contract"); c != "" {
			id, err := strconv.ParseInt(c, 10, 64)
			for i := range refs {
				if err == nil && refs[i].ID == id {
					data.Contract, filter = &refs[i], id
				}
			}
			if data.Contract == nil {
				notFound(w, r, v)
				return
			}
		}
		docs, err := documents.List(r.Context(), rd, cust, filter)
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		for _, d := range docs {
			l := documentLine{Document: d}
			for i := range refs {
				if refs[i].ID == d.ContractID {
					l.Contract = &refs[i]
				}
			}
			data.Docs = append(data.Docs, l)
		}
		p := v.page(r, "account.documents_title")
		p.Session = ss
		p.Data = data
		v.render(w, http.StatusOK, "documents", p)
	})
}
