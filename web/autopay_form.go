package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"carfin/calendar"
	"carfin/money"
	"carfin/notify"
	"carfin/payments"
	"carfin/preferences"
	"carfin/profile"
	"carfin/servicing"
)

// autopayForm is the autopay form as submitted: the bank account, the
// amount (the installment, or the installment plus an extra amount), the
// day (0: the due date; N: N days before it) and the start date ("":
// as soon as possible).
type autopayForm struct {
	Method, ExtraChoice, Extra, Days, Start string
}

func readAutopayForm(q url.Values) autopayForm {
	get := func(k string) string {
		s := strings.TrimSpace(q.Get(k))
		if len(s) > payFieldMax {
			s = s[:payFieldMax]
		}
		return s
	}
	f := autopayForm{Method: get("method"), ExtraChoice: get("extra_choice"), Extra: get("extra"), Days: get("days"), Start: get("start")}
	if f.ExtraChoice != "extra" {
		f.ExtraChoice = "none"
	}
	return f
}

// request turns the form into the payments request, or returns the fields
// that cannot be read.
func (f autopayForm) request(contractID int64, ip string) (payments.AutopayRequest, map[string]string) {
	errs := map[string]string{}
	r := payments.AutopayRequest{ContractID: contractID, IP: ip}
	var err error
	if r.MethodID, err = strconv.ParseInt(f.Method, 10, 64); err != nil || r.MethodID <= 0 {
		errs["method"] = "pay.err_autopay_method"
	}
	if f.ExtraChoice == "extra" {
		if r.Extra = typedAmount(f.Extra); r.Extra == "" {
			errs["extra"] = "pay.err_extra"
		}
	}
	if r.DaysBefore, err = strconv.Atoi(f.Days); err != nil {
		errs["days"] = "pay.err_days"
	}
	if f.Start != "" {
		if r.StartDate, err = calendar.Parse(f.Start); err != nil {
			errs["start"] = "pay.err_start"
		}
	}
	return r, errs
}

// autopayErrors maps what payments refused to the field it is about. ok is
// false for an error that is not the customer's.
func autopayErrors(err error, f autopayForm, daysMax int) (map[string]string, bool) {
	switch {
	case errors.Is(err, payments.ErrNotFound):
		return map[string]string{"method": "pay.err_autopay_method"}, true
	case errors.Is(err, payments.ErrMethodUnusable), errors.Is(err, payments.ErrNotValidated):
		return map[string]string{"method": "pay.err_autopay_method_unusable"}, true
	case errors.Is(err, payments.ErrAmount):
		return map[string]string{"extra": "pay.err_extra"}, true
	case errors.Is(err, payments.ErrDate):
		if d, derr := strconv.Atoi(f.Days); derr != nil || d < 0 || d > daysMax {
			return map[string]string{"days": "pay.err_days"}, true
		}
		return map[string]string{"start": "pay.err_start"}, true
	case errors.Is(err, payments.ErrAutopayExists):
		return map[string]string{"": "pay.err_autopay_exists"}, true
	case errors.Is(err, payments.ErrContractClosed):
		return map[string]string{"": "pay.err_closed"}, true
	case errors.Is(err, payments.ErrNotAuthorized):
		return map[string]string{"accept": "pay.err_accept"}, true
	case errors.Is(err, payments.ErrAuthorizationVersion):
		return map[string]string{"": "pay.err_version"}, true
	}
	return nil, false
}

// autopayData is what the autopay pages show.
type autopayData struct {
	C servicing.ContractRef
	// A is the live enrolment (nil: none).
	A *payments.Autopay
	// Banks are the customer's bank accounts; Usable says which can be
	// chosen (validated and active).
	Banks  []payments.Method
	Usable map[int64]bool
	Form   autopayForm
	// Change: the form changes the enrolment.
	Change  bool
	DaysMax int
	// Going are autopay debits already set that still go out (after a
	// stop, or before a change applies).
	Going []payments.Payment
	// Reminder is the reminder's lead time in days (0: off).
	Reminder     int
	ReminderDays []int
	// Installment is the contract's installment; NextDue its next due date.
	Installment money.Cents
	NextDue     calendar.Date
	// Terms is the authorization to accept (the review page).
	Terms *payments.AutopayTerms
	Today calendar.Date
	Loc   *time.Location
}

// DaysList is 0…DaysMax for the day select.
func (d *autopayData) DaysList() []int {
	out := make([]int, d.DaysMax+1)
	for i := range out {
		out[i] = i
	}
	return out
}

// MethodValue is a method's id as a form value.
func (d *autopayData) MethodValue(m payments.Method) string { return strconv.FormatInt(m.ID, 10) }

// DaysText words the debit day: "On the due date", "3 days before the due date".
func (p *page) DaysText(n int) string {
	switch n {
	case 0:
		return p.T("pay.autopay_on_due")
	case 1:
		return p.T("pay.autopay_day_before")
	}
	return p.T("pay.autopay_days_before", n)
}

// loadContractRef finds one of the customer's contracts, answering 404
// otherwise.
func loadContractRef(w http.ResponseWriter, r *http.Request, sv *servicing.Service, v *views) (servicing.ContractRef, bool) {
	id, ok := pathID(r, "id")
	if !ok {
		notFound(w, r, v)
		return servicing.ContractRef{}, false
	}
	cs, err := sv.CustomerContracts(r.Context(), customerOf(r))
	if err != nil {
		serverError(w, r, v, err)
		return servicing.ContractRef{}, false
	}
	for _, c := range cs {
		if c.ID == id {
			return c, true
		}
	}
	notFound(w, r, v)
	return servicing.ContractRef{}, false
}

// loadAutopayData reads what the autopay pages need about a contract.
func loadAutopayData(r *http.Request, pay *payments.Service, pr *profile.Service, c servicing.ContractRef, now time.Time) (*autopayData, error) {
	cust := customerOf(r)
	cfg := pay.Config()
	d := &autopayData{C: c, Usable: map[int64]bool{}, DaysMax: cfg.AutopayDaysBeforeMax, Today: cfg.Cutoff.Today(now), Loc: cfg.Cutoff.Location}
	a, err := pay.Autopay(r.Context(), cust, c.ID)
	switch {
	case err == nil:
		d.A = &a
	case !errors.Is(err, payments.ErrNotFound):
		return nil, err
	}
	o, err := pay.Options(r.Context(), cust, c.ID)
	if err != nil {
		return nil, err
	}
	d.Installment, d.NextDue = o.InstallmentCents, o.NextDue
	for _, m := range o.Methods {
		if m.Kind == payments.KindBank {
			d.Banks = append(d.Banks, m)
			d.Usable[m.ID] = m.Usable(d.Today) == nil
		}
	}
	up, err := pay.Payments(r.Context(), cust, payments.PaymentFilter{ContractID: c.ID, Upcoming: true})
	if err != nil {
		return nil, err
	}
	for _, p := range up {
		if p.Kind == payments.AutopayPayment {
			d.Going = append(d.Going, p)
		}
	}
	prefs, err := pr.Preferences(r.Context(), cust)
	if err != nil {
		return nil, err
	}
	if prefs.Allows(preferences.DueReminder, notify.Email) || prefs.Allows(preferences.DueReminder, notify.SMS) {
		d.Reminder = prefs.DueReminderDays
	}
	for i := preferences.DueReminderDaysMin; i <= preferences.DueReminderDaysMax; i++ {
		d.ReminderDays = append(d.ReminderDays, i)
	}
	// The form's defaults: the first usable account, the installment, on
	// the due date; or the enrolment's own values.
	d.Form = autopayForm{ExtraChoice: "none", Days: "0"}
	if d.A != nil {
		d.Form = autopayForm{Method: itoa(d.A.MethodID), ExtraChoice: "none", Days: strconv.Itoa(d.A.DaysBefore)}
		if d.A.ExtraCents > 0 {
			d.Form.ExtraChoice, d.Form.Extra = "extra", d.A.ExtraCents.String()
		}
	}
	if d.Form.Method == "" {
		for _, m := range d.Banks {
			if d.Usable[m.ID] {
				d.Form.Method = itoa(m.ID)
				break
			}
		}
	}
	return d, nil
}

// autopayLoad reads the contract in the path and what the autopay pages
// need about it, answering 404 for another customer's contract and a
// message for a closed one. ok reports whether the caller may go on.
func autopayLoad(w http.ResponseWriter, r *http.Request, sv *servicing.Service, pay *payments.Service, pr *profile.Service, v *views,
	now time.Time) (*autopayData, bool) {
	c, ok := loadContractRef(w, r, sv, v)
	if !ok {
		return nil, false
	}
	d, err := loadAutopayData(r, pay, pr, c, now)
	switch {
	case errors.Is(err, payments.ErrContractClosed):
		v.message(w, r, http.StatusConflict, "pay.autopay_title", "pay.err_closed_autopay", "/contracts/"+itoa(c.ID), "pay.back_to_contract")
	case err != nil:
		serverError(w, r, v, err)
	default:
		return d, true
	}
	return nil, false
}

// renderAutopay renders an autopay page with errors next to the fields.
func renderAutopay(w http.ResponseWriter, r *http.Request, v *views, status int, name, title string, d *autopayData, errs map[string]string) {
	p := v.page(r, title)
	p.Session = sessionOf(r)
	for k, e := range errs {
		p.Errors[k] = e
	}
	if k, ok := autopayNotices[r.URL.Query().Get("notice")]; ok && status == http.StatusOK {
		p.Notice = k
	}
	p.Data = d
	v.render(w, status, name, p)
}

// autopayNotices maps ?notice= values to messages.
var autopayNotices = map[string]string{"enrolled": "pay.notice_autopay_on", "changed": "pay.notice_autopay_changed",
	"stopped": "pay.notice_autopay_stopped", "reminders": "pay.notice_reminders"}
