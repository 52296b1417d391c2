package web

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"carfin/servicing"
)

// handleHistoryCSV downloads a contract's history, filtered as the page
// is (every page at once), as CSV: one line per item with ISO dates and
// plain decimal amounts signed from the customer's side (positive paid
// or credited, negative charged, as the amount's heading says: what
// spreadsheets add up), headings and types in the page's language.
// Another customer's contract is not found.
func handleHistoryCSV(sv *servicing.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ss := sessionOf(r)
		cust := ss.Login.CustomerID
		id, ok := pathID(r, "id")
		if !ok {
			notFound(w, r, v)
			return
		}
		f, errs := parseHistoryFilter(r.URL.Query())
		items, err := sv.History(r.Context(), cust, id, f.F)
		if errors.Is(err, servicing.ErrNotFound) {
			notFound(w, r, v)
			return
		}
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		if len(errs) > 0 {
			// The page shows the errors next to the fields.
			redirect(w, r, "/contracts/"+itoa(id)+"/history?"+r.URL.RawQuery)
			return
		}
		var account string
		for _, c := range mustContracts(sv, r, cust) {
			if c.ID == id {
				account = c.AccountNumber
			}
		}
		p := v.page(r, "account.history_title")
		var b bytes.Buffer
		if err := writeHistoryCSV(&b, items, p.T); err != nil {
			serverError(w, r, v, err)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="history-`+safeFileName(account)+`.csv"`)
		_, _ = w.Write(b.Bytes())
	})
}

// mustContracts lists the customer's contracts, or none on an error (the
// caller already proved the contract is theirs; the list only names it).
func mustContracts(sv *servicing.Service, r *http.Request, cust int64) []servicing.ContractRef {
	refs, _ := sv.CustomerContracts(r.Context(), cust)
	return refs
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// safeFileName keeps a file name to letters, digits, '.', '_' and '-'.
func safeFileName(s string) string {
	s = unsafeFileChars.ReplaceAllString(s, "-")
	if s == "" {
		return "contract"
	}
	return s
}

// csvText guards a text cell against formula injection: a spreadsheet
// runs a cell that starts with = + - @ (or a tab or CR) as a formula, so
// such text gets a leading apostrophe (OWASP "CSV Injection").
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// writeHistoryCSV writes history items as CSV (with a UTF-8 byte order
// mark, so that spreadsheet programs read the accents of Spanish).
func writeHistoryCSV(w io.Writer, items []servicing.Item, T func(string, ...any) string) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	// Amounts stay signed, from the customer's side, for spreadsheets to
	// add up; the heading says which way is which (the page words each
	// line instead: "Late fee charged").
	head := []string{T("account.csv_date"), T("account.csv_type"), T("account.csv_amount_signed"), T("account.interest"),
		T("account.principal"), T("account.fees"), T("account.csv_installment"), T("account.csv_returned")}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, it := range items {
		inst, returned := "", ""
		if it.Installment > 0 {
			inst = strconv.Itoa(it.Installment)
		}
		if it.Returned {
			returned = T("account.yes")
		}
		rec := []string{it.Date.String(), csvText(T("account.type_" + string(it.Type))), it.AmountCents.String(),
			it.InterestCents.String(), it.PrincipalCents.String(), it.FeesCents.String(), inst, csvText(returned)}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
