package web

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"time"

	"carfin/db"
	"carfin/documents"
	"carfin/payments"
	"carfin/servicing"
)

// documentsData is what the document center shows.
type documentsData struct {
	Contracts []servicing.ContractRef
	Contract  *servicing.ContractRef // the filter, if any
	Docs      []documentLine
}

// documentLine is a document with the contract it is about and the link
// that downloads it.
type documentLine struct {
	documents.Document
	Contract *servicing.ContractRef
	Href     string
}

// handleDocumentsList is the document center: every document of the
// customer (payoff letters and lease-end quotes, and whatever else is
// stored: statements, the contract) and every payment receipt issued
// (payments.Receipts), newest first, each to download — a receipt from
// its payment's own address, which answers only its owner; ?contract=
// shows one contract's. A contract that is not the customer's is not
// found.
func handleDocumentsList(sv *servicing.Service, pay *payments.Service, rd db.Querier, v *views) http.Handler {
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
		receipts, err := pay.Receipts(r.Context(), cust, filter)
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		p := v.page(r, "account.documents_title")
		for _, d := range docs {
			data.Docs = append(data.Docs, documentLine{Document: d, Href: "/documents/" + strconv.FormatInt(d.ID, 10)})
		}
		for _, rc := range receipts {
			// A receipt not yet issued (an autopay debit's, made at its
			// first download) is dated by its payment.
			when := rc.Issued
			if when.IsZero() {
				y, m, d := rc.Payment.Date.Date()
				when = time.Date(y, m, d, 12, 0, 0, 0, v.loc)
			}
			data.Docs = append(data.Docs, documentLine{Document: documents.Document{Kind: documents.KindReceipt, ContractID: rc.Payment.ContractID,
				Title: p.T("account.receipt_title", rc.Payment.Confirmation, p.Money(rc.Payment.AmountCents)), CreatedAt: when, SizeBytes: rc.SizeBytes},
				Href: "/payments/" + rc.Payment.Confirmation + "/receipt.pdf"})
		}
		slices.SortStableFunc(data.Docs, func(a, b documentLine) int { return cmp.Compare(b.CreatedAt.UnixNano(), a.CreatedAt.UnixNano()) })
		for i := range data.Docs {
			for j := range refs {
				if refs[j].ID == data.Docs[i].ContractID {
					data.Docs[i].Contract = &refs[j]
				}
			}
		}
		p.Session = ss
		p.Data = data
		v.render(w, http.StatusOK, "documents", p)
	})
}
