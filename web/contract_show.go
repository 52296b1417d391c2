package web

import (
	"net/http"

	"carfin/calendar"
	"carfin/money"
	"carfin/servicing"
)

// contractData is what the contract page shows.
type contractData struct {
	S       servicing.Summary
	Lines   []scheduleLine
	Charts  amortCharts
	PayHref string
	// The what-if form (loans that are open).
	WhatIf whatIfForm
	// Totals for the charts' text and the table's foot.
	InterestPaid, PrincipalPaid           money.Cents
	InterestProjected, PrincipalProjected money.Cents
}

// scheduleLine is one installment in the schedule table.
type scheduleLine struct {
	servicing.Row
	// What the payments in the period paid (past) or the projection
	// (future), and the principal balance after it (loans).
	InterestCents, PrincipalCents, FeesCents, BalanceCents money.Cents
	Split                                                  bool // loans: the split columns apply
	LeaseSplit                                             bool // leases: depreciation, rent charge, tax, fees
}

// handleContractShow shows one of the customer's contracts: its terms,
// the payment schedule (past installments with how each payment was
// applied; future ones projected), the amortization charts (loans) and
// the what-if simulator's form. Another customer's contract is not found.
func handleContractShow(sv *servicing.Service, v *views, pay func(int64) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ss := sessionOf(r)
		s, ok := ownedContract(w, r, sv, v)
		if !ok {
			return
		}
		id := s.ID
		rows, err := sv.ScheduleOf(r.Context(), ss.Login.CustomerID, id)
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		p := v.page(r, "account.contract_title")
		p.Session = ss
		data := &contractData{S: s, WhatIf: whatIfForm{}}
		if s.Status.Open() {
			data.PayHref = pay(s.ID)
		}
		fillSchedule(p, data, rows)
		p.Data = data
		v.render(w, http.StatusOK, "contract", p)
	})
}

// fillSchedule builds the schedule lines and, for loans, the charts.
func fillSchedule(p *page, data *contractData, rows []servicing.Row) {
	s := data.S
	loan := s.Kind == servicing.KindLoan
	var pts []servicing.AmortPoint
	if loan {
		pts = servicing.Amortization(s.PrincipalCents, rows)
	}
	data.Lines = make([]scheduleLine, len(rows))
	for i, r := range rows {
		l := scheduleLine{Row: r, Split: loan, LeaseSplit: s.Kind == servicing.KindLease}
		for _, pay := range r.Payments {
			if !pay.Returned {
				l.FeesCents += pay.FeesCents
			}
		}
		if loan {
			l.InterestCents, l.PrincipalCents, l.BalanceCents = pts[i].InterestCents, pts[i].PrincipalCents, pts[i].BalanceCents
			if pts[i].Projected {
				data.InterestProjected += l.InterestCents
				data.PrincipalProjected += l.PrincipalCents
			} else {
				data.InterestPaid += l.InterestCents
				data.PrincipalPaid += l.PrincipalCents
			}
		}
		data.Lines[i] = l
	}
	if !loan || len(pts) == 0 {
		return
	}
	end := pts[len(pts)-1]
	var endDate calendar.Date
	for _, pt := range pts {
		if pt.BalanceCents == 0 && endDate == 0 && pt.Projected {
			endDate = pt.Date
		}
	}
	if endDate == 0 {
		endDate = end.Date
	}
	tx := chartText{lang: p.Lang,
		balanceTitle: p.T("account.chart_balance_title"),
		splitTitle:   p.T("account.chart_split_title"),
		today:        p.T("account.chart_today"),
	}
	if s.Status.Open() {
		tx.balanceDesc = p.T("account.chart_balance_desc", p.Money(s.AmountFinancedCents), p.LongDate(s.ContractDate),
			p.Money(s.PrincipalCents), p.LongDate(endDate))
	} else {
		tx.balanceDesc = p.T("account.chart_balance_desc_closed", p.Money(s.AmountFinancedCents), p.LongDate(s.ContractDate),
			p.Money(s.PrincipalCents))
	}
	tx.splitDesc = p.T("account.chart_split_desc", p.Money(data.InterestPaid), p.Money(data.PrincipalPaid),
		p.Money(data.InterestProjected), p.Money(data.PrincipalProjected))
	data.Charts = amortizationCharts("amort", s.ContractDate, s.AmountFinancedCents, pts, tx)
}
