package web

import (
	"net/http"
	"slices"

	"carfin/calendar"
	"carfin/db"
	"carfin/documents"
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
	// Statements are the contract's latest statements, newest first;
	// MoreStatements says there are older ones (on the documents page).
	Statements     []documentLine
	MoreStatements bool
}

// contractStatementsMax is how many statements the contract page lists:
// a year's; the documents page has them all.
const contractStatementsMax = 12

// scheduleLine is one installment in the schedule table: what the
// payments still standing in its period paid (Posted) and what is
// projected in it (Projection), with the principal balance after it
// (loans).
type scheduleLine struct {
	servicing.Row
	// AllProjected: nothing was paid in the period, so the whole row is
	// a projection; otherwise a projection shows under what was paid.
	AllProjected bool
	Split        bool // loans: the split columns apply
	LeaseSplit   bool // leases: depreciation, rent charge, tax, fees
}

// handleContractShow shows one of the customer's contracts: its terms,
// the payment schedule (past installments with how each payment was
// applied; future ones projected), the amortization charts (loans) and
// the what-if simulator's form and its latest statements. Another
// customer's contract is not found.
func handleContractShow(sv *servicing.Service, rd db.Querier, v *views, pay func(int64) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ss := sessionOf(r)
		s, ok := ownedContract(w, r, sv, v)
		if !ok {
			return
		}
		id := s.ID
		sched, err := sv.ScheduleOf(r.Context(), ss.Login.CustomerID, id)
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		stmts, err := documents.Find(r.Context(), rd, ss.Login.CustomerID,
			documents.Filter{ContractID: id, Kind: documents.KindStatement, Limit: contractStatementsMax + 1})
		if err != nil {
			serverError(w, r, v, err)
			return
		}
		p := v.page(r, "account.contract_title")
		p.Session = ss
		data := &contractData{S: s, WhatIf: whatIfForm{}, MoreStatements: len(stmts) > contractStatementsMax}
		for i, d := range stmts {
			if i < contractStatementsMax {
				data.Statements = append(data.Statements, documentLineOf(p, d))
			}
		}
		if s.Status.Open() {
			data.PayHref = pay(s.ID)
		}
		fillSchedule(p, data, sched)
		p.Data = data
		v.render(w, http.StatusOK, "contract", p)
	})
}

// fillSchedule builds the schedule lines and, for loans, the charts.
// The totals are the schedule's: what the payments still standing paid
// (the history's figures) and what is projected.
func fillSchedule(p *page, data *contractData, sched servicing.Schedule) {
	s := data.S
	loan := s.Kind == servicing.KindLoan
	rows := sched.Rows
	data.Lines = make([]scheduleLine, len(rows))
	for i, r := range rows {
		standing := slices.ContainsFunc(r.Payments, func(it servicing.Item) bool { return !it.Returned })
		data.Lines[i] = scheduleLine{Row: r, AllProjected: r.Projected && !standing, Split: loan, LeaseSplit: s.Kind == servicing.KindLease}
	}
	data.InterestPaid, data.PrincipalPaid = sched.Paid.InterestCents, sched.Paid.PrincipalCents
	data.InterestProjected, data.PrincipalProjected = sched.Projected.InterestCents, sched.Projected.PrincipalCents
	var pts []servicing.AmortPoint
	if loan {
		pts = servicing.Amortization(rows)
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
