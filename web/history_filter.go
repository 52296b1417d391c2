package web

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"carfin/calendar"
	"carfin/servicing"
)

// historyPageSize is how many lines a page of history shows.
const historyPageSize = 25

// historyFilter is the history's filter form as typed, and as parsed.
type historyFilter struct {
	From, To string   // as typed (YYYY-MM-DD)
	Types    []string // checked types
	Page     int
	F        servicing.HistoryFilter
}

// parseHistoryFilter reads ?from=&to=&type=&page=. It returns the field
// errors (catalog keys) of a date that is not one, a range that ends
// before it starts, or an unknown type.
func parseHistoryFilter(q url.Values) (historyFilter, map[string]string) {
	h := historyFilter{From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")), Page: 1}
	errs := map[string]string{}
	var err error
	if h.From != "" {
		if h.F.From, err = calendar.Parse(h.From); err != nil {
			errs["from"] = "account.err_date"
		}
	}
	if h.To != "" {
		if h.F.To, err = calendar.Parse(h.To); err != nil {
			errs["to"] = "account.err_date"
		}
	}
	if h.F.From != 0 && h.F.To != 0 && h.F.To < h.F.From {
		errs["to"] = "account.err_date_order"
	}
	for _, t := range q["type"] {
		if !slices.Contains(servicing.ItemTypes, servicing.ItemType(t)) {
			errs["types"] = "account.err_type"
			continue
		}
		if !slices.Contains(h.Types, t) {
			h.Types = append(h.Types, t)
			h.F.Types = append(h.F.Types, servicing.ItemType(t))
		}
	}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 {
		h.Page = n
	}
	return h, errs
}

// query is the filter as a query string, for links to other pages and
// to the CSV (without the page).
func (h historyFilter) query(page int) string {
	q := url.Values{}
	if h.From != "" {
		q.Set("from", h.From)
	}
	if h.To != "" {
		q.Set("to", h.To)
	}
	for _, t := range h.Types {
		q.Add("type", t)
	}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// Checked reports whether a type is selected.
func (h historyFilter) Checked(t servicing.ItemType) bool { return slices.Contains(h.Types, string(t)) }
