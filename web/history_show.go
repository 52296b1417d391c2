package web

import (
	"net/http"

	"carfin/money"
	"carfin/servicing"
)

// historyData is what the history page shows.
type historyData struct {
	S                   servicing.Summary
	Filter              historyFilter
	Types               []servicing.ItemType
	Items               []servicing.Item
	Total               int
	Page, Pages         int
	PrevHref, NextHref  string
	CSVHref             string
	ThisYear, LastYear  int
	InterestThisYear    money.Cents
	InterestLastYear    money.Cents
	FirstShown, LastNum int
	// InterestShownCents totals the interest paid by the payments that
	// match a filter selecting interest, on every page: the figure a
	// customer who asks for interest is after.
	InterestShownCents money.Cents
	InterestFiltered   bool
}

// handleHistoryShow shows a contract's activity as customers understand
// it (payments with how each was applied, returned payments, fees and
// waivers, lease charges), newest first, filtered by date range and type
// (the type "interest" lists the payments that paid interest, and their
// total), a page at a time, with the interest paid this year and last
// year. The same filter downloads as CSV.
func handleHistoryShow(sv *servicing.Service, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ss := sessionOf(r)
		cust := ss.Login.CustomerID
		s, ok := ownedContract(w, r, sv, v)
		if !ok {
			return
		}
		id := s.ID
		p := v.page(r, "account.history_title")
		p.Session = ss
		f, errs := parseHistoryFilter(r.URL.Query())
		data := &historyData{S: s, Filter: f, Types: servicing.ItemTypes, Page: 1, Pages: 1,
			ThisYear: s.BusinessDate.Year(), LastYear: s.BusinessDate.Year() - 1}
		p.Data = data
		paid, err := sv.InterestPaid(r.Context(), cust, id)
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		data.InterestThisYear, data.InterestLastYear = paid[data.ThisYear], paid[data.LastYear]
		if len(errs) > 0 {
			p.Errors = errs
			v.render(w, http.StatusUnprocessableEntity, "history", p)
			return
		}
		items, err := sv.History(r.Context(), cust, id, f.F)
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		if f.Checked(servicing.ItemInterest) {
			data.InterestFiltered = true
			for _, it := range items {
				if !it.Returned {
					data.InterestShownCents += it.InterestCents
				}
			}
		}
		base := "/contracts/" + itoa(id) + "/history"
		data.Total = len(items)
		data.Pages = max(1, (len(items)+historyPageSize-1)/historyPageSize)
		data.Page = min(f.Page, data.Pages)
		from := (data.Page - 1) * historyPageSize
		data.Items = items[from:min(from+historyPageSize, len(items))]
		data.FirstShown, data.LastNum = from+1, from+len(data.Items)
		if data.Page > 1 {
			data.PrevHref = base + f.query(data.Page-1)
		}
		if data.Page < data.Pages {
			data.NextHref = base + f.query(data.Page+1)
		}
		data.CSVHref = base + ".csv" + f.query(1)
		v.render(w, http.StatusOK, "history", p)
	})
}

// ItemLabel says what a line of the history is, in words that carry its
// direction, so that no amount needs a sign: "Loan funded (amount
// financed)", "Payment received", "Late fee charged", "Fee waived". The
// history's amounts are signed from the customer's side (servicing.Item),
// so a type that can go either way (an adjustment, a correction) is
// worded by its sign.
func (p *page) ItemLabel(s servicing.Summary, it servicing.Item) string {
	switch it.Type {
	case servicing.ItemFunded:
		return p.T("account.item_funded_" + string(s.Kind))
	case servicing.ItemAdjustment, servicing.ItemCorrection:
		if it.AmountCents < 0 {
			return p.T("account.item_" + string(it.Type) + "_charge")
		}
		return p.T("account.item_" + string(it.Type) + "_credit")
	case servicing.ItemTurnIn:
		if it.AmountCents < 0 {
			return p.T("account.item_turn_in_charge")
		}
	}
	return p.T("account.item_" + string(it.Type))
}

// ItemAmount is a line's amount without its sign (ItemLabel says which
// way it goes); "" for a line that moved no money (a charge-off).
func (p *page) ItemAmount(it servicing.Item) string {
	if it.AmountCents == 0 && it.Type != servicing.ItemPayment && it.Type != servicing.ItemPayoff {
		return ""
	}
	return p.Money(max(it.AmountCents, -it.AmountCents))
}

// itemLabelKeys are the catalog keys ItemLabel uses, for the catalog test.
func itemLabelKeys() []string {
	keys := []string{"account.item_funded_" + string(servicing.KindLoan), "account.item_funded_" + string(servicing.KindLease)}
	for _, t := range servicing.ItemTypes {
		switch t {
		case servicing.ItemFunded, servicing.ItemInterest:
		case servicing.ItemAdjustment, servicing.ItemCorrection:
			keys = append(keys, "account.item_"+string(t)+"_charge", "account.item_"+string(t)+"_credit")
		case servicing.ItemTurnIn:
			keys = append(keys, "account.item_turn_in", "account.item_turn_in_charge")
		default:
			keys = append(keys, "account.item_"+string(t))
		}
	}
	return keys
}
