package console

import (
	"net/http"
	"time"

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
	if err := c.Casefile.Opened(ctx, m.LoginID, cv.CustomerID, "account", cv.Open, staffIP(r)); err != nil {
		v.serverError(w, r, err)
		return
	}
	data := customerData{customerView: cv, Purposes: callers.Purposes}
	if cv.Open {
		var err error
		load := func(f func() error) {
			if err == nil {
				err = f()
			}
		}
		id := cv.CustomerID
		load(func() (e error) { data.Contracts, e = c.Servicing.Dashboard(ctx, id, time.Time{}); return })
		load(func() (e error) {
			data.Upcoming, e = c.Payments.Payments(ctx, id, payments.PaymentFilter{Upcoming: true, Limit: paymentsShownMax})
			return
		})
		load(func() (e error) {
			data.Payments, e = c.Payments.Payments(ctx, id, payments.PaymentFilter{Limit: paymentsShownMax})
			return
		})
		load(func() (e error) { data.Methods, e = c.Payments.Methods(ctx, id); return })
		load(func() (e error) { data.Documents, e = documents.List(ctx, d.Read, id, 0); return })
		load(func() (e error) { data.Threads, e = c.Support.ThreadsOfCustomer(ctx, id, threadsShownMax); return })
		load(func() (e error) { data.SignIn, e = c.Identity.SignInState(ctx, id); return })
		load(func() (e error) { data.Notes, e = c.Notes.List(ctx, id, notesShownMax); return })
		load(func() (e error) { data.Complaints, e = c.Complaints.OfCustomer(ctx, id); return })
		for _, a := range cv.Accounts {
			load(func() error {
				rs, e := c.Approvals.ForContract(ctx, a.ContractID, requestsShownMax)
				data.Requests = append(data.Requests, rs...)
				return e
			})
		}
		if err != nil {
			v.serverError(w, r, err)
			return
		}
		if len(data.Documents) > documentsShownMax {
			data.Documents = data.Documents[:documentsShownMax]
		}
	}
	p.Data = data
	v.render(w, status, "customer", p)
}
