package console

import (
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"carfin/approvals"
	"carfin/callers"
	"carfin/complaints"
	"carfin/db"
	"carfin/documents"
	"carfin/identity"
	"carfin/notes"
	"carfin/payments"
	"carfin/servicing"
	"carfin/support"
)

// Limits of the customer screen: each list shows its newest rows; the
// tabs and queues hold the rest.
const (
	notesShownMax     = 20
	paymentsShownMax  = 15
	threadsShownMax   = 10
	documentsShownMax = 24
	requestsShownMax  = 5
	// screenReadsMax bounds the reads one customer screen runs at once,
	// so that one page takes a few of the database pool's connections.
	screenReadsMax = 4
)

// customerData is the whole account on one screen.
type customerData struct {
	customerView
	Purposes   []struct{ Value, Label string }
	Contracts  []servicing.DashboardContract
	Upcoming   []payments.Payment
	Payments   []payments.Payment
	Methods    []payments.Method
	Documents  []documents.Document
	Threads    []support.QueueItem
	SignIn     identity.SignInState
	Notes      []notes.Note
	Complaints []complaints.Complaint
	Requests   []approvals.Request
}

// handleCustomerShow is a customer's record. Before the caller is
// verified (or the account opened for work) it shows the name and the
// masked accounts, and the ways to verify; after, everything the team
// needs on one screen. Either way, the opening is audited.
func handleCustomerShow(c Capabilities, d *db.DB, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cv, ok := customerOf(c, v, w, r)
		if !ok {
			return
		}
		renderCustomer(w, r, c, d, v, v.page(r, cv.Name), cv, http.StatusOK)
	})
}

// renderCustomer renders the customer's page with status, with p's
// errors and form values (a failed verification or action shows it
// again).
func renderCustomer(w http.ResponseWriter, r *http.Request, c Capabilities, d *db.DB, v *views, p *page, cv customerView, status int) {
	ctx, m := r.Context(), memberOf(r)
	data := customerData{customerView: cv, Purposes: callers.Purposes}
	// The audit write and the reads are independent: run them at once
	// (a page is a dozen round trips; one after another they are most of
	// its time), and show the page only when all succeeded, so that no
	// page is shown unaudited.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(screenReadsMax)
	g.Go(func() error { return c.Casefile.Opened(gctx, m.LoginID, cv.CustomerID, "account", cv.Open, staffIP(r)) })
	if cv.Open {
		id := cv.CustomerID
		g.Go(func() (e error) { data.Contracts, e = c.Servicing.Dashboard(gctx, id, time.Time{}); return })
		g.Go(func() (e error) {
			data.Upcoming, e = c.Payments.Payments(gctx, id, payments.PaymentFilter{Upcoming: true, Limit: paymentsShownMax})
			return
		})
		g.Go(func() (e error) {
			data.Payments, e = c.Payments.Payments(gctx, id, payments.PaymentFilter{Limit: paymentsShownMax})
			return
		})
		g.Go(func() (e error) { data.Methods, e = c.Payments.Methods(gctx, id); return })
		g.Go(func() (e error) { data.Documents, e = documents.List(gctx, d.Read, id, 0); return })
		g.Go(func() (e error) { data.Threads, e = c.Support.ThreadsOfCustomer(gctx, id, threadsShownMax); return })
		g.Go(func() (e error) { data.SignIn, e = c.Identity.SignInState(gctx, id); return })
		g.Go(func() (e error) { data.Notes, e = c.Notes.List(gctx, id, notesShownMax); return })
		g.Go(func() (e error) { data.Complaints, e = c.Complaints.OfCustomer(gctx, id); return })
		requests := make([][]approvals.Request, len(cv.Accounts))
		for i, a := range cv.Accounts {
			g.Go(func() (e error) {
				requests[i], e = c.Approvals.ForContract(gctx, a.ContractID, requestsShownMax)
				return
			})
		}
		if err := g.Wait(); err != nil {
			v.serverError(w, r, err)
			return
		}
		for _, rs := range requests {
			data.Requests = append(data.Requests, rs...)
		}
		if len(data.Documents) > documentsShownMax {
			data.Documents = data.Documents[:documentsShownMax]
		}
	} else if err := g.Wait(); err != nil {
		v.serverError(w, r, err)
		return
	}
	p.Data = data
	v.render(w, status, "customer", p)
}
