package web

import (
	"cmp"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/documents"
	"carfin/locale"
	"carfin/payments"
	"carfin/servicing"
)

// documentsShownMax bounds the documents one page lists without a year
// chosen; every older one is reached by its year (a year is at most a
// dozen statements per contract, with its receipts and letters).
const documentsShownMax = 300

// Years a ?year= may name: anything else is not a year of documents.
const (
	documentYearMin = 1900
	documentYearMax = 2999
)

// documentsData is what the document center shows.
type documentsData struct {
	Contracts []servicing.ContractRef
	Contract  *servicing.ContractRef // the filter, if any
	// Years are the years that have documents, newest first, for the
	// year filter; Year is the one chosen (0: every year).
	Years []int
	Year  int
	// Groups are the documents by year, newest first.
	Groups []documentYear
	// Truncated: only the newest documentsShownMax are listed; a year
	// lists all of its own.
	Truncated bool
}

// documentYear is a year's documents, newest first.
type documentYear struct {
	Year int
	Docs []documentLine
}

// documentLine is a document with the contract it is about and the link
// that downloads it.
type documentLine struct {
	documents.Document
	Contract *servicing.ContractRef
	Href     string
	// Statement names a statement by its month ("Statement — Nov
	// 2026"); "" for any other kind.
	Statement string
}

// handleDocumentsList is the document center: every document of the
// customer (statements for the life of the account, payoff letters and
// lease-end quotes, and whatever else is stored: the contract) and every
// payment receipt issued (payments.Receipts), newest first and by year,
// each to download — a receipt from its payment's own address, which
// answers only its owner. ?contract= shows one contract's, ?year= one
// year's (in the lender's time zone, as statements are dated), together
// or apart. A contract that is not the customer's is not found; a year
// that is not one is an error next to the filter, over the list of every
// year.
func handleDocumentsList(sv *servicing.Service, pay *payments.Service, rd db.Querier, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ss := sessionOf(r)
		cust := ss.Login.CustomerID
		refs, err := sv.CustomerContracts(r.Context(), cust)
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		p := v.page(r, "account.documents_title")
		p.Session = ss
		data := &documentsData{Contracts: refs}
		p.Data = data
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
		status := http.StatusOK
		if y := r.URL.Query().Get("year"); y != "" {
			n, err := strconv.Atoi(y)
			if err != nil || n < documentYearMin || n > documentYearMax {
				p.Errors["year"] = "account.year_invalid"
				status = http.StatusUnprocessableEntity
			} else {
				data.Year = n
			}
		}
		f := documents.Filter{ContractID: filter, Limit: documentsShownMax + 1}
		if data.Year != 0 {
			f.From, f.To = time.Date(data.Year, 1, 1, 0, 0, 0, 0, v.loc), time.Date(data.Year+1, 1, 1, 0, 0, 0, 0, v.loc)
			f.Limit = 0 // a year is never near listMax
		}
		docs, err := documents.Find(r.Context(), rd, cust, f)
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		var oldestShown time.Time
		if data.Year == 0 && len(docs) > documentsShownMax {
			docs, data.Truncated = docs[:documentsShownMax], true
			oldestShown = docs[len(docs)-1].CreatedAt
		}
		oldest, newest, err := documents.Span(r.Context(), rd, cust, filter)
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		receipts, err := pay.Receipts(r.Context(), cust, filter)
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		years := map[int]bool{}
		if !oldest.IsZero() {
			for y := newest.In(v.loc).Year(); y >= oldest.In(v.loc).Year(); y-- {
				years[y] = true
			}
		}
		var lines []documentLine
		for _, d := range docs {
			lines = append(lines, documentLineOf(p, d))
		}
		for _, rc := range receipts {
			// A receipt not yet issued (an autopay debit's, made at its
			// first download) is dated by its payment.
			when := rc.Issued
			if when.IsZero() {
				y, m, d := rc.Payment.Date.Date()
				when = time.Date(y, m, d, 12, 0, 0, 0, v.loc)
			}
			years[when.In(v.loc).Year()] = true
			if (data.Year != 0 && when.In(v.loc).Year() != data.Year) || when.Before(oldestShown) {
				continue
			}
			lines = append(lines, documentLine{Document: documents.Document{Kind: documents.KindReceipt, ContractID: rc.Payment.ContractID,
				Title: p.T("account.receipt_title", rc.Payment.Confirmation, p.Money(rc.Payment.AmountCents)), CreatedAt: when, SizeBytes: rc.SizeBytes},
				Href: "/payments/" + rc.Payment.Confirmation + "/receipt.pdf"})
		}
		if data.Year != 0 {
			years[data.Year] = true // shown as chosen, even with nothing in it
		}
		data.Years = slices.Sorted(maps.Keys(years))
		slices.Reverse(data.Years)
		slices.SortStableFunc(lines, func(a, b documentLine) int { return cmp.Compare(b.CreatedAt.UnixNano(), a.CreatedAt.UnixNano()) })
		for i := range lines {
			for j := range refs {
				if refs[j].ID == lines[i].ContractID {
					lines[i].Contract = &refs[j]
				}
			}
			y := lines[i].CreatedAt.In(v.loc).Year()
			if n := len(data.Groups); n == 0 || data.Groups[n-1].Year != y {
				data.Groups = append(data.Groups, documentYear{Year: y})
			}
			g := &data.Groups[len(data.Groups)-1]
			g.Docs = append(g.Docs, lines[i])
		}
		v.render(w, status, "documents", p)
	})
}

// documentLineOf is a stored document as a list shows it: a statement
// named by its month in the page's language, whatever language it was
// written in.
func documentLineOf(p *page, d documents.Document) documentLine {
	l := documentLine{Document: d, Href: "/documents/" + strconv.FormatInt(d.ID, 10)}
	if d.Kind == documents.KindStatement {
		l.Statement = p.T("account.statement_month", statementMonth(p, d.CreatedAt))
	}
	return l
}

// statementMonth is the month of a statement made at t, the statement
// date in the lender's time zone: "Nov 2026", "nov 2026".
func statementMonth(p *page, t time.Time) string {
	return locale.MonthYear(p.Lang, calendar.Of(t.In(p.v.loc)))
}
