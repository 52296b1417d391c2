package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"carfin/approvals"
	"carfin/casefile"
	"carfin/finance"
	"carfin/locale"
	"carfin/money"
	"carfin/payments"
	"carfin/servicing"
	"carfin/staff"
)

// Limits of the request page.
const (
	// requestReasonRunesMax is approvals' bound on a reason.
	requestReasonRunesMax = 500
	// reversalEventsMax bounds the payments offered for a reversal (the
	// newest; an older one is a case for the back office).
	reversalEventsMax = 36
	// contractRequestsMax bounds the contract's requests listed.
	contractRequestsMax = 50
)

// requestData is what the request page shows: the contract, the kinds
// the member may request, what the chosen kind is about (the fees owed,
// the payments that may be reversed, the principal) with the member's
// ceiling, and the contract's requests so far.
type requestData struct {
	C          customerView
	Account    casefile.Account
	Kind       approvals.Kind
	KindLabel  string
	Kinds      []kindOption
	Owed       servicing.Summary
	Payments   []reversalChoice
	Ceiling    money.Cents
	NoCeiling  bool // the role may request any amount of the kind
	MayRequest bool
	Requests   []approvalRow
}

type kindOption struct {
	Kind    approvals.Kind
	Label   string
	Current bool
}

// reversalChoice is a posted payment of the contract, and whether it
// can be reversed here: a payment made through carfin's payments is
// undone by its return or a refund, a returned one is undone already.
type reversalChoice struct {
	servicing.Item
	Carfin bool
}

// Choosable reports whether the payment may be chosen for a reversal.
func (rc reversalChoice) Choosable() bool { return !rc.Carfin && !rc.Returned }

// requestKinds are the kinds a contract's request page offers, in order.
var requestKinds = []approvals.Kind{approvals.FeeWaiver, approvals.PaymentReversal, approvals.BalanceAdjustment}

// handleRequestNew shows the request form of one kind (?kind=, a waiver
// by default) for a contract of a customer whose account is open to the
// member.
func handleRequestNew(c Capabilities, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := approvals.Kind(r.URL.Query().Get("kind"))
		if kind == "" {
			kind = approvals.FeeWaiver
		}
		renderRequest(w, r, c, v, http.StatusOK, kind, nil, nil)
	})
}

// renderRequest renders the request page with the form's values and
// errors, answering 404 for a kind not offered.
func renderRequest(w http.ResponseWriter, r *http.Request, c Capabilities, v *views, status int, kind approvals.Kind,
	form map[string]string, errs map[string]string) {
	cv, ok := openCustomer(c, v, w, r)
	if !ok {
		return
	}
	contractID, ok := contractOf(cv, v, w, r)
	if !ok {
		return
	}
	if _, offered := kindActions[kind]; !offered || kind == approvals.ReturnReview {
		v.notFound(w, r)
		return
	}
	m := memberOf(r)
	ctx := r.Context()
	d := &requestData{C: cv, Kind: kind, KindLabel: kindLabel(kind), MayRequest: m.May(kindActions[kind])}
	for _, a := range cv.Accounts {
		if a.ContractID == contractID {
			d.Account = a
		}
	}
	for _, k := range requestKinds {
		if m.May(kindActions[k]) {
			d.Kinds = append(d.Kinds, kindOption{Kind: k, Label: kindLabel(k), Current: k == kind})
		}
	}
	ceiling, may, _, _ := ceilings(m.Role, kind)
	d.MayRequest = d.MayRequest && may
	d.Ceiling, d.NoCeiling = ceiling, ceiling >= finance.AmountMax
	var err error
	if d.Owed, err = c.Servicing.Owed(ctx, c.Servicing.DB().Read, contractID, c.Servicing.Today()); err != nil {
		v.serverError(w, r, err)
		return
	}
	if kind == approvals.PaymentReversal {
		if d.Payments, err = reversalChoices(ctx, c, cv.CustomerID, contractID); err != nil {
			v.serverError(w, r, err)
			return
		}
	}
	rs, err := c.Approvals.ForContract(ctx, contractID, contractRequestsMax)
	if err != nil {
		v.serverError(w, r, err)
		return
	}
	if d.Requests, err = requestRows(ctx, c, m.LoginID, rs); err != nil {
		v.serverError(w, r, err)
		return
	}
	p := v.page(r, d.KindLabel+" request")
	for k, e := range errs {
		p.Errors[k] = e
	}
	for k, val := range form {
		p.Form[k] = val
	}
	p.Data = d
	v.render(w, status, "request_new", p)
}

// reversalChoices are the contract's posted payments, newest first.
func reversalChoices(ctx context.Context, c Capabilities, customerID, contractID int64) ([]reversalChoice, error) {
	items, err := c.Servicing.History(ctx, customerID, contractID, servicing.HistoryFilter{
		Types: []servicing.ItemType{servicing.ItemPayment, servicing.ItemPayoff}})
	if err != nil {
		return nil, err
	}
	var out []reversalChoice
	for _, it := range items {
		if it.EventID == 0 {
			continue
		}
		pid, err := payments.PaymentOfEvent(ctx, c.Servicing.DB().Read, contractID, it.EventID)
		if err != nil {
			return nil, err
		}
		out = append(out, reversalChoice{Item: it, Carfin: pid != 0})
		if len(out) == reversalEventsMax {
			break
		}
	}
	return out, nil
}

// handleRequestCreate records a request for a supervisor's approval and
// goes back to the contract's request page, or shows the form again with
// what is wrong.
func handleRequestCreate(c Capabilities, v *views) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := approvals.Kind(r.PostFormValue("kind"))
		if _, offered := kindActions[kind]; !offered || kind == approvals.ReturnReview {
			v.notFound(w, r)
			return
		}
		cv, ok := openCustomer(c, v, w, r)
		if !ok {
			return
		}
		contractID, ok := contractOf(cv, v, w, r)
		if !ok {
			return
		}
		m := memberOf(r)
		if !m.May(kindActions[kind]) {
			v.forbidden(w, r)
			return
		}
		form := map[string]string{"amount": strings.TrimSpace(r.PostFormValue("amount")), "event": r.PostFormValue("event"),
			"reason": strings.TrimSpace(r.PostFormValue("reason"))}
		errs := map[string]string{}
		var target approvals.Target
		switch kind {
		case approvals.FeeWaiver, approvals.BalanceAdjustment:
			a, err := parseDollars(form["amount"], kind == approvals.BalanceAdjustment)
			switch {
			case err != nil:
				errs["amount"] = "Enter the amount in dollars and cents, like 25.00."
				if kind == approvals.BalanceAdjustment {
					errs["amount"] = "Enter the amount in dollars and cents, like 25.00 or -25.00 to lower the principal."
				}
			case a == 0 || (kind == approvals.FeeWaiver && a < 0):
				errs["amount"] = "Enter an amount above zero."
			}
			target.AmountCents = a
		case approvals.PaymentReversal:
			id, err := strconv.ParseInt(form["event"], 10, 64)
			if err != nil || id <= 0 {
				errs["event"] = "Choose the payment to reverse."
			}
			target.EventID = id
		}
		switch {
		case form["reason"] == "":
			errs["reason"] = "Say why: the approver reads it, and it is kept in the audit log."
		case utf8.RuneCountInString(form["reason"]) > requestReasonRunesMax:
			errs["reason"] = "The reason must be at most 500 characters."
		}
		if len(errs) > 0 {
			renderRequest(w, r, c, v, http.StatusUnprocessableEntity, kind, form, errs)
			return
		}
		_, err := c.Approvals.Request(r.Context(), approver(r), kind, contractID, target, form["reason"])
		if err != nil {
			status, field, msg, ok := requestError(err, m.Role, kind)
			if !ok {
				v.serverError(w, r, err)
				return
			}
			renderRequest(w, r, c, v, status, kind, form, map[string]string{field: msg})
			return
		}
		done(w, r, contractPath(cv.CustomerID, contractID)+"/requests/new?kind="+url.QueryEscape(string(kind)), "requested")
	})
}

// requestError maps what approvals refused in a request by role to a
// status, the field it is about and a message (ok false: not the
// member's error, a server error).
func requestError(err error, role staff.Role, kind approvals.Kind) (status int, field, msg string, ok bool) {
	field = "amount"
	if kind == approvals.PaymentReversal {
		field = "event"
	}
	switch {
	case errors.Is(err, approvals.ErrForbidden):
		return http.StatusForbidden, "", "Your role may not request a " + strings.ToLower(kindLabel(kind)) + ".", true
	case errors.Is(err, approvals.ErrLimit):
		ceiling, _, _, _ := ceilings(role, kind)
		return http.StatusUnprocessableEntity, field, "This is above your limit of " + locale.Money("en", ceiling) + " for a " +
			strings.ToLower(kindLabel(kind)) + ": ask a supervisor or an admin to request it.", true
	case errors.Is(err, approvals.ErrDuplicate):
		return http.StatusConflict, field, "A request for this payment is already waiting for approval.", true
	case errors.Is(err, approvals.ErrInvalid):
		switch kind {
		case approvals.FeeWaiver:
			return http.StatusUnprocessableEntity, field, "A waiver must be above zero and at most the fees owed now, on an open contract.", true
		case approvals.BalanceAdjustment:
			return http.StatusUnprocessableEntity, field, "An adjustment is for an open loan (not a lease), and must not take the principal below zero.", true
		case approvals.PaymentReversal:
			return http.StatusUnprocessableEntity, field, "That payment cannot be reversed: it is reversed already, returned, or was made through the portal or by phone (undo those by their return or a refund).", true
		}
		return http.StatusUnprocessableEntity, "", "The request does not fit the contract as it stands now. Nothing was sent.", true
	}
	return 0, "", "", false
}

// contractPath is a contract's path in the console.
func contractPath(customerID, contractID int64) string {
	return Prefix + "/customers/" + strconv.FormatInt(customerID, 10) + "/contracts/" + strconv.FormatInt(contractID, 10)
}
