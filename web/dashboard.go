package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"carfin/identity"
	"carfin/payments"
	"carfin/servicing"
	"carfin/webcore"
)

// statementReadyDays is how long the dashboard says a new statement is
// ready.
const statementReadyDays = 30

// dashboardData is what the dashboard shows, already in words: every
// signed-in visit home renders it, so the template only prints strings
// (no translation or formatting calls, no embedded structs to search).
type dashboardData struct {
	Welcome string
	Empty   string
	// Unread says support has answered and the reply is not read yet.
	Unread *alert
	Cards  []dashCard
}

// dashCard is one contract's card: what is due and the button to pay it
// first, then how far along the contract is, its other figures and the
// ways into the rest of the account.
type dashCard struct {
	ID                        int64
	Href                      string
	Title, Kind               string
	Account, VIN, Status      string
	AlertsLabel, ActionsLabel string
	Alerts                    []alert
	Due                       *dueBox
	Progress                  *progress
	Facts                     []fact
	Actions                   []action
	Hint                      string
}

// dueBox is the amount due, its date and the pay button.
type dueBox struct {
	Label, Amount, When, Note string
	PayHref, PayLabel         string
}

// alert is a sentence in plain words; Warn marks what needs action.
type alert struct {
	Text string
	Href string // optional: where to act on it
	Link string
	Warn bool
}

// fact is one figure of a card: "Amount due: $557.50 by December 25".
type fact struct {
	Label, Value, Note string
	Big                bool
}

// action is a quick action: a link with its icon.
type action struct {
	Href, Label, Icon string
}

// handleDashboard is the signed-in home page: each of the customer's
// contracts at a glance (vehicle, kind, balance, amount and date due,
// past-due amount and days in words, payoff today, last payment,
// remaining payments, maturity, lease mileage allowance), alerts (past
// due, a returned payment, a new statement, a lease ending within 90
// days or ended and still open), the next payment on its way, a note
// when customer service has replied to a message, and quick actions.
// After the session's query it costs one more: servicing.Dashboard reads
// every contract's summary, next payment and unread replies in one
// (dashboardPage sends the two together).
func handleDashboard(sv *servicing.Service, v *views, pay func(int64) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ss := sessionOf(r)
		var cs []servicing.DashboardContract
		if cust := ss.Login.CustomerID; cust != 0 {
			var err error
			if cs, err = sv.Dashboard(r.Context(), cust, statementsNewSince(sv)); err != nil {
				serverError(w, r, v, err)
				return
			}
		}
		renderDashboard(w, r, v, ss, cs, pay)
	})
}

// dashboardPage is handleDashboard in one round trip where it can: the
// session's query and the dashboard's, keyed by the session's token, go
// to the database together (db.ReadPipelined), since every visit home
// pays for both and the round trip was half the database's work. The
// contracts are shown only once the session is read live, a customer's,
// and the contracts theirs (each query sees its own snapshot); anything
// else (no session, an ended one, a staff member's, an error) goes the
// ordinary way through auth, which answers it as on every other page.
func dashboardPage(id *identity.Service, sv *servicing.Service, v *views, pay func(int64) string, auth func(http.Handler) http.Handler) http.Handler {
	ordinary := auth(handleDashboard(sv, v, pay))
	byToken := sv.DashboardQuery(identity.CustomerOfSessionSQL)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sr, ok := id.SessionRead(v.sessionToken(r))
		if !ok {
			ordinary.ServeHTTP(w, r)
			return
		}
		var cs []servicing.DashboardContract
		if err := sv.DB().ReadPipelined(r.Context(), sr.Read(), byToken.Read(sr.Key(), statementsNewSince(sv), &cs)); err != nil {
			serverError(w, r, v, err)
			return
		}
		ss, err := sr.Session(r.Context())
		if err != nil || ss.Login.Realm != identity.Customer || !allOf(cs, ss.Login.CustomerID) {
			ordinary.ServeHTTP(w, r)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), ctxSessionKey{}, ss))
		renderDashboard(w, r, v, ss, cs, pay)
	})
}

// allOf reports whether every contract is customer's (and customer one:
// a login without a customer has no contracts to show).
func allOf(cs []servicing.DashboardContract, customer int64) bool {
	for _, c := range cs {
		if customer == 0 || c.CustomerID != customer {
			return false
		}
	}
	return true
}

// statementsNewSince is the oldest statement date the dashboard calls new.
func statementsNewSince(sv *servicing.Service) time.Time {
	return sv.DB().Now().Add(-statementReadyDays * 24 * time.Hour)
}

// renderDashboard writes the home page of session ss with its contracts.
func renderDashboard(w http.ResponseWriter, r *http.Request, v *views, ss *identity.Session, cs []servicing.DashboardContract, pay func(int64) string) {
	p := v.page(r, "home.title")
	p.Session = ss
	data := &dashboardData{Welcome: p.T("home.welcome", ss.Login.DisplayName), Empty: p.T("account.no_contracts")}
	if len(cs) > 0 && cs[0].UnreadThreads > 0 {
		data.Unread = unreadAlert(p, cs[0].UnreadThreads)
	}
	for _, c := range cs {
		card := cardOf(p, c, pay)
		if f, ok := nextPaymentFact(p, c); ok {
			card.Facts = append(card.Facts, f)
		}
		data.Cards = append(data.Cards, card)
	}
	p.Data = data
	v.render(w, http.StatusOK, "dashboard", p)
}

// unreadAlert words n support threads with an unread reply.
func unreadAlert(p *page, n int) *alert {
	text := p.T("home.unread_one")
	if n > 1 {
		text = p.T("home.unread_many", n)
	}
	return &alert{Text: text, Href: "/messages", Link: p.T("home.unread_read")}
}

// nextPaymentFact words a contract's next scheduled or automatic payment:
// the soonest already scheduled, or autopay's next debit.
func nextPaymentFact(p *page, dc servicing.DashboardContract) (fact, bool) {
	s, n := dc.Summary, dc.Next
	if !s.Status.Open() {
		return fact{}, false
	}
	f := fact{Label: p.T("account.next_payment")}
	switch {
	case n.ScheduledDate != 0:
		label := "account.next_scheduled"
		if n.ScheduledKind == "autopay" {
			label = "account.next_autopay"
		}
		f.Value, f.Note = p.Money(n.ScheduledCents), p.T(label, p.LongDate(n.ScheduledDate))
	case n.Autopay && s.NextDue != 0:
		date, amount := payments.AutopayDebit(s.NextDue, n.AutopayDaysBefore, s.PaymentCents, n.AutopayExtraCents)
		f.Value, f.Note = p.Money(amount), p.T("account.next_autopay", p.LongDate(date))
	default:
		f.Value = p.T("account.next_none")
	}
	return f, true
}

// cardOf words one contract's card.
func cardOf(p *page, dc servicing.DashboardContract, pay func(int64) string) dashCard {
	s := dc.Summary
	id := itoa(s.ID)
	c := dashCard{ID: s.ID, Title: p.Vehicle(s), Kind: p.T("account.kind_" + string(s.Kind)),
		Account: p.T("ui.account_no", s.AccountNumber), VIN: p.T("ui.vin_ending", s.VINLast6), Status: p.ContractStatus(s),
		AlertsLabel: p.T("account.alerts"), ActionsLabel: p.T("account.actions_for", s.AccountNumber)}
	open := s.Status.Open()
	payHref := ""
	if open {
		payHref = pay(s.ID)
	}

	// Alerts.
	if open && s.PastDueCents > 0 {
		a := alert{Text: p.T("account.alert_past_due", p.Money(s.PastDueCents), s.DaysPastDue), Warn: true}
		if payHref != "" {
			a.Href, a.Link = payHref, p.T("account.pay")
		}
		c.Alerts = append(c.Alerts, a)
	}
	if open && s.FeesCents > 0 {
		c.Alerts = append(c.Alerts, alert{Text: p.T("account.alert_fees", p.Money(s.FeesCents)), Warn: true})
	}
	if s.ReturnedPayment {
		c.Alerts = append(c.Alerts, alert{Text: p.T("account.alert_returned"), Warn: true,
			Href: "/contracts/" + id + "/history?type=returned_payment", Link: p.T("account.see_history")})
	}
	if dc.NewStatementID != 0 {
		c.Alerts = append(c.Alerts, alert{Text: p.T("account.alert_statement", statementMonth(p, dc.NewStatementAt)),
			Href: "/documents/" + itoa(dc.NewStatementID), Link: p.T("account.download_statement")})
	}
	if s.MaturesWithin90 {
		// A lease past its maturity and still open (the vehicle neither
		// bought nor turned in) has ended: say so, as something to act on.
		a := alert{Text: p.T("account.alert_lease_ending", p.LongDate(s.MaturityDate)),
			Href: "/contracts/" + id + "/payoff#lease-end", Link: p.T("account.lease_end_quote")}
		if s.MaturityDate < s.BusinessDate {
			a.Text, a.Warn = p.T("account.alert_lease_ended", p.LongDate(s.MaturityDate)), true
		}
		c.Alerts = append(c.Alerts, a)
	}

	// What is due, and the button to pay it.
	if open {
		c.Due = &dueBox{Label: p.T("account.amount_due"), Amount: p.Money(s.AmountDueCents), PayHref: payHref, PayLabel: p.T("account.pay")}
		if s.NextDue != 0 {
			c.Due.When = p.T("account.due_by", p.LongDate(s.NextDue))
		}
		if s.AmountDueCents <= 0 {
			c.Due.Note = p.T("ui.nothing_due")
		}
		c.Progress = progressOf(p, s)
	}

	// Figures.
	if open {
		if s.PastDueCents > 0 {
			c.Facts = append(c.Facts, fact{Label: p.T("account.past_due"), Value: p.Money(s.PastDueCents),
				Note: p.T("account.days_late", s.DaysPastDue)})
		}
		if s.Kind == servicing.KindLoan {
			c.Facts = append(c.Facts, fact{Label: p.T("account.balance"), Value: p.Money(s.PrincipalCents)})
		}
		c.Facts = append(c.Facts, fact{Label: p.T("account.payoff_today"), Value: p.Money(s.PayoffCents)})
	}
	last := fact{Label: p.T("account.last_payment"), Value: p.T("account.none_yet")}
	if s.LastPaymentDate != 0 {
		last.Value, last.Note = p.Money(s.LastPaymentCents), p.T("account.on_date", p.LongDate(s.LastPaymentDate))
	}
	c.Facts = append(c.Facts, last)
	if s.Kind == servicing.KindLease {
		c.Facts = append(c.Facts, fact{Label: p.T("account.mileage_allowance"), Value: p.T("account.miles", p.Count(s.MileageAllowance))})
	}

	// Quick actions (paying is the due box's button).
	c.Href = "/contracts/" + id
	c.Actions = append(c.Actions, action{Href: "/contracts/" + id, Label: p.T("account.details"), Icon: "calendar"})
	if open {
		c.Actions = append(c.Actions, action{Href: "/contracts/" + id + "/payoff", Label: p.T("account.payoff_quote"), Icon: "receipt"})
	}
	c.Actions = append(c.Actions, action{Href: "/contracts/" + id + "/history", Label: p.T("account.history"), Icon: "clock"},
		action{Href: "/documents?contract=" + id, Label: p.T("account.statements"), Icon: "file-text"})
	if open && payHref == "" {
		c.Hint = p.T("account.pay_by_phone", p.Brand.SupportPhone)
	}
	return c
}

// writeDashboard writes templates/dashboard.html's content, as executing
// it would (TestFastPagesMatch holds them equal: change both together).
// The dashboard is every signed-in visit's first page, and the template
// engine's reflection was a third of its CPU.
func writeDashboard(o htmlOut, p *page) error {
	d, ok := p.Data.(*dashboardData)
	if !ok {
		return fmt.Errorf("dashboard: data is %T", p.Data)
	}
	o.raw("\n<div class=\"hello\"><h1>")
	o.text(d.Welcome)
	o.raw("</h1></div>\n")
	if u := d.Unread; u != nil {
		o.raw("<p class=\"notice\" role=\"status\">")
		o.html(webcore.Icon("message-square"))
		o.raw("<span>")
		o.text(u.Text)
		o.raw(" <a href=\"")
		o.url(u.Href)
		o.raw("\">")
		o.text(u.Link)
		o.raw("</a></span></p>")
	}
	o.raw("\n")
	if len(d.Cards) == 0 {
		o.raw("<div class=\"card empty\">")
		o.html(webcore.Icon("car"))
		o.raw("<p>")
		o.text(d.Empty)
		o.raw("</p></div>")
	}
	o.raw("\n<div class=\"contracts\">")
	for i := range d.Cards {
		writeCard(o, &d.Cards[i])
	}
	o.raw("\n</div>\n")
	return nil
}

// writeCard writes one contract's card of the dashboard.
func writeCard(o htmlOut, c *dashCard) {
	o.raw("\n<section class=\"card contract\" aria-labelledby=\"c")
	o.int(c.ID)
	o.raw("-h\">\n<div class=\"contract-head\"><span class=\"car\">")
	o.html(webcore.Icon("car"))
	o.raw("</span><div>\n<h2 id=\"c")
	o.int(c.ID)
	o.raw("-h\"><a href=\"")
	o.url(c.Href)
	o.raw("\">")
	o.text(c.Title)
	o.raw("</a></h2>\n<p class=\"meta\"><span class=\"tag\">")
	o.text(c.Kind)
	o.raw("</span> <span class=\"nowrap\">")
	o.text(c.Account)
	o.raw("</span> · <span class=\"nowrap\">")
	o.text(c.VIN)
	o.raw("</span> · ")
	o.text(c.Status)
	o.raw("</p>\n</div></div>")
	if len(c.Alerts) > 0 {
		o.raw("\n<ul class=\"alerts\" aria-label=\"")
		o.text(c.AlertsLabel)
		o.raw("\">")
		for _, a := range c.Alerts {
			o.raw("\n<li")
			if a.Warn {
				o.raw(" class=\"warn\"")
			}
			o.raw(">")
			o.text(a.Text)
			if a.Href != "" {
				o.raw(" <a href=\"")
				o.url(a.Href)
				o.raw("\">")
				o.text(a.Link)
				o.raw("</a>")
			}
			o.raw("</li>")
		}
		o.raw("\n</ul>")
	}
	if d := c.Due; d != nil {
		o.raw("\n<div class=\"due\">\n<div><p class=\"due-label\">")
		o.text(d.Label)
		o.raw("</p><p class=\"due-amount\">")
		o.text(d.Amount)
		o.raw("</p>")
		if d.When != "" {
			o.raw("<p class=\"due-date\">")
			o.text(d.When)
			o.raw("</p>")
		}
		if d.Note != "" {
			o.raw("<p class=\"hint\">")
			o.text(d.Note)
			o.raw("</p>")
		}
		o.raw("</div>\n")
		if d.PayHref != "" {
			o.raw("<a class=\"button primary\" href=\"")
			o.url(d.PayHref)
			o.raw("\">")
			o.html(webcore.Icon("credit-card"))
			o.text(d.PayLabel)
			o.raw("</a>")
		}
		o.raw("\n</div>")
	}
	if g := c.Progress; g != nil {
		o.raw("\n<div class=\"progress\">")
		o.html(g.Ring)
		o.raw("<div><p><strong>")
		o.text(g.Paid)
		o.raw("</strong></p><p>")
		o.text(g.Left)
		o.raw("</p></div></div>")
	}
	o.raw("\n<dl class=\"facts\">")
	for _, f := range c.Facts {
		o.raw("\n<div><dt>")
		o.text(f.Label)
		o.raw("</dt><dd>")
		if f.Big {
			o.raw("<strong class=\"big\">")
			o.text(f.Value)
			o.raw("</strong>")
		} else {
			o.text(f.Value)
		}
		if f.Note != "" {
			o.raw(" <span>")
			o.text(f.Note)
			o.raw("</span>")
		}
		o.raw("</dd></div>")
	}
	o.raw("\n</dl>")
	if c.Hint != "" {
		o.raw("\n<p class=\"hint\">")
		o.text(c.Hint)
		o.raw("</p>")
	}
	o.raw("\n<ul class=\"quick\" aria-label=\"")
	o.text(c.ActionsLabel)
	o.raw("\">")
	for _, a := range c.Actions {
		o.raw("\n<li><a href=\"")
		o.url(a.Href)
		o.raw("\">")
		o.html(webcore.Icon(a.Icon))
		o.raw("<span>")
		o.text(a.Label)
		o.raw("</span>")
		o.html(webcore.Icon("chevron-right"))
		o.raw("</a></li>")
	}
	o.raw("\n</ul>\n</section>")
}
