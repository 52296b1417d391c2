package web

import (
	"net/http"
	"time"

	"carfin/db"
	"carfin/documents"
	"carfin/servicing"
)

// statementReadyDays is how long the dashboard says a new statement is
// ready.
const statementReadyDays = 30

// dashboardData is what the dashboard shows.
type dashboardData struct {
	Name      string
	Contracts []dashboardContract
}

// dashboardContract is one contract's card.
type dashboardContract struct {
	servicing.Summary
	Alerts    []alert
	PayHref   string
	Statement *documents.Document // a statement made in the last statementReadyDays
}

// alert is a sentence in plain words; Warn marks what needs action.
type alert struct {
	Text string
	Href string // optional: where to act on it
	Link string
	Warn bool
}

// handleDashboard is the signed-in home page: each of the customer's
// contracts at a glance (vehicle, kind, balance, amount and date due,
// past-due amount and days in words, payoff today, last payment,
// remaining payments, maturity, lease mileage allowance), alerts (past
// due, a returned payment, a statement ready, a lease ending within 90
// days) and quick actions. It costs two queries after the session's: the
// contracts' summaries in one (servicing.Dashboard) and recent statements.
func handleDashboard(sv *servicing.Service, rd db.Querier, v *views, pay func(int64) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ss := sessionOf(r)
		p := v.page(r, "home.title")
		p.Session = ss
		data := &dashboardData{Name: ss.Login.DisplayName}
		var sums []servicing.Summary
		if cust := ss.Login.CustomerID; cust != 0 {
			var err error
			if sums, err = sv.Dashboard(r.Context(), cust); err != nil {
				serverError(w, r, v, err)
				return
			}
			var statements []documents.Document
			if len(sums) > 0 {
				statements, err = documents.Recent(r.Context(), rd, cust, documents.KindStatement,
					sv.DB().Now().Add(-statementReadyDays*24*time.Hour))
				if err != nil {
					serverError(w, r, v, err)
					return
				}
			}
			for _, s := range sums {
				c := dashboardContract{Summary: s}
				if s.Status.Open() {
					c.PayHref = pay(s.ID)
				}
				for i := range statements {
					if statements[i].ContractID == s.ID && c.Statement == nil {
						c.Statement = &statements[i]
					}
				}
				c.Alerts = alertsOf(p, c)
				data.Contracts = append(data.Contracts, c)
			}
		}
		p.Data = data
		v.render(w, http.StatusOK, "dashboard", p)
	})
}

// alertsOf words a contract's alerts.
func alertsOf(p *page, c dashboardContract) []alert {
	var out []alert
	s := c.Summary
	if s.Status.Open() && s.PastDueCents > 0 {
		a := alert{Text: p.T("account.alert_past_due", p.Money(s.PastDueCents), s.DaysPastDue), Warn: true}
		if c.PayHref != "" {
			a.Href, a.Link = c.PayHref, p.T("account.pay")
		}
		out = append(out, a)
	}
	if s.Status.Open() && s.FeesCents > 0 {
		out = append(out, alert{Text: p.T("account.alert_fees", p.Money(s.FeesCents)), Warn: true})
	}
	if s.ReturnedPayment {
		out = append(out, alert{Text: p.T("account.alert_returned"), Warn: true,
			Href: "/contracts/" + itoa(s.ID) + "/history?type=returned_payment", Link: p.T("account.see_history")})
	}
	if c.Statement != nil {
		out = append(out, alert{Text: p.T("account.alert_statement", p.LongDate(dateOf(c.Statement.CreatedAt))),
			Href: "/documents/" + itoa(c.Statement.ID), Link: p.T("account.download_statement")})
	}
	if s.MaturesWithin90 {
		out = append(out, alert{Text: p.T("account.alert_lease_ending", p.LongDate(s.MaturityDate)),
			Href: "/contracts/" + itoa(s.ID) + "/payoff#lease-end", Link: p.T("account.lease_end_quote")})
	}
	return out
}
