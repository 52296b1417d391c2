package web

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"carfin/calendar"
	"carfin/money"
	"carfin/payments"
	"carfin/payments/ach"
)

// payForm is the one-time payment form as submitted: the amount choice
// ("due", "past_due", "payoff", "other") and the typed amount, the method
// id, the date (YYYY-MM-DD; "" for the earliest) and, on the review page,
// the idempotency key and Again ("1": the customer confirms a second
// payment identical to one made minutes ago).
type payForm struct {
	Amount, Other, Method, Date, Key, Again string
}

// Limits of the form's values (bigger ones are refused as they are).
const (
	payFieldMax = 40
	payKeyBytes = 18 // 144 random bits, 24 characters
)

func readPayForm(q url.Values) payForm {
	get := func(k string) string {
		s := strings.TrimSpace(q.Get(k))
		if len(s) > payFieldMax {
			s = s[:payFieldMax]
		}
		return s
	}
	return payForm{Amount: get("amount"), Other: get("other"), Method: get("method"), Date: get("date"), Key: q.Get("key"), Again: get("again")}
}

// groupedAmount: "1,234.56" as people type it (commas only as thousands
// separators, so that "250,00" is refused rather than read as 25,000).
var groupedAmount = regexp.MustCompile(`^\$?\s*[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?$`)

// typedAmount removes the thousands separators of an amount as typed.
func typedAmount(s string) string {
	s = strings.TrimSpace(s)
	if groupedAmount.MatchString(s) {
		s = strings.ReplaceAll(s, ",", "")
	}
	return s
}

// oneTime turns the form into the payments request, or returns the
// fields that cannot be read (method id, date) with their message keys.
func (f payForm) oneTime(contractID int64, ip string) (payments.OneTime, map[string]string) {
	errs := map[string]string{}
	o := payments.OneTime{ContractID: contractID, Choice: payments.AmountChoice(f.Amount), Other: typedAmount(f.Other), IdempotencyKey: f.Key, IP: ip,
		Again: f.Again == "1"}
	if f.Amount == "" {
		errs["amount"] = "pay.err_amount_choose"
	}
	if f.Amount != string(payments.PayOther) {
		o.Other = ""
	}
	m, err := strconv.ParseInt(f.Method, 10, 64)
	if err != nil || m <= 0 {
		errs["method"] = "pay.err_method_choose"
	}
	o.MethodID = m
	if f.Date != "" {
		d, err := calendar.Parse(f.Date)
		if err != nil {
			errs["date"] = "pay.err_date"
		}
		o.Date = d
	}
	return o, errs
}

// newKey is a fresh idempotency key for a review page's confirm form.
func newKey() string {
	b := make([]byte, payKeyBytes)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// oneTimeErrors maps what payments refused in a one-time payment (or a
// change of one) to the field it is about and its message. ok is false
// for an error that is not the customer's (a server error).
func oneTimeErrors(err error, f payForm) (errs map[string]string, ok bool) {
	amountField := "amount"
	if f.Amount == string(payments.PayOther) {
		amountField = "other"
	}
	switch {
	case errors.Is(err, payments.ErrOverPayoff), errors.Is(err, money.ErrOutOfRange):
		return map[string]string{amountField: "pay.err_over_payoff"}, true
	case errors.Is(err, payments.ErrAmount):
		switch {
		case f.Amount != string(payments.PayAmountDue) && f.Amount != string(payments.PayPastDue) && f.Amount != string(payments.PayPayoff) &&
			f.Amount != string(payments.PayOther):
			return map[string]string{"amount": "pay.err_amount_choose"}, true
		case errors.Is(err, money.ErrTooPrecise):
			return map[string]string{amountField: "pay.err_amount_cents"}, true
		case errors.Is(err, money.ErrEmpty):
			return map[string]string{amountField: "pay.err_amount_empty"}, true
		case errors.Is(err, money.ErrSyntax):
			return map[string]string{amountField: "pay.err_amount_format"}, true
		case f.Amount == string(payments.PayOther):
			return map[string]string{amountField: "pay.err_amount_positive"}, true
		}
		return map[string]string{"amount": "pay.err_amount_nothing"}, true
	case errors.Is(err, payments.ErrDate):
		return map[string]string{"date": "pay.err_date"}, true
	case errors.Is(err, payments.ErrNotFound):
		// The contract was found first: this is the method.
		return map[string]string{"method": "pay.err_method_choose"}, true
	case errors.Is(err, payments.ErrNotValidated):
		return map[string]string{"method": "pay.err_method_not_validated"}, true
	case errors.Is(err, payments.ErrCardExpired):
		return map[string]string{"method": "pay.err_card_expired"}, true
	case errors.Is(err, payments.ErrCardsUnavailable):
		return map[string]string{"method": "pay.err_cards_unavailable"}, true
	case errors.Is(err, payments.ErrMethodUnusable):
		return map[string]string{"method": "pay.err_method_unusable"}, true
	case errors.Is(err, payments.ErrContractClosed):
		return map[string]string{"": "pay.err_closed"}, true
	case errors.Is(err, payments.ErrIdempotencyConflict):
		return map[string]string{"": "pay.err_key"}, true
	case errors.Is(err, payments.ErrDuplicatePayment):
		return map[string]string{"again": "pay.err_again"}, true
	case errors.Is(err, payments.ErrCardDeclined):
		return map[string]string{"": declineErrorKey(payments.DeclineCode(err))}, true
	case errors.Is(err, payments.ErrProcessorTimeout):
		return map[string]string{"": "pay.err_processor_timeout"}, true
	case errors.Is(err, payments.ErrLocked):
		return map[string]string{"": "pay.err_locked"}, true
	}
	return nil, false
}

func declineErrorKey(code string) string {
	switch code {
	case "insufficient_funds", "expired_card", "incorrect_cvc":
		return "pay.err_declined_" + code
	}
	return "pay.err_declined"
}

// dateChoice is a date the form offers.
type dateChoice struct {
	Value string // YYYY-MM-DD
	Date  calendar.Date
	Today bool // the lender's today
	First bool // the earliest date (a payment made now)
}

// payDates are the dates a payment may be made on: the earliest (today,
// or the next business day after the cut-off) and every business day up
// to the latest.
func payDates(o payments.Options, today calendar.Date) []dateChoice {
	out := []dateChoice{{Value: o.Earliest.String(), Date: o.Earliest, Today: o.Earliest == today, First: true}}
	for d := o.Earliest + 1; d <= o.Latest; d++ {
		if calendar.IsBusinessDay(d) {
			out = append(out, dateChoice{Value: d.String(), Date: d})
		}
	}
	return out
}

// payFormData is what the payment form (and the change form) shows.
type payFormData struct {
	O         payments.Options
	Form      payForm
	Dates     []dateChoice
	Today     calendar.Date
	Cutoff    calendar.Cutoff
	Usable    map[int64]bool
	AnyUsable bool
	// Edit is the payment being changed (nil on the payment form).
	Edit *payments.Payment
}

// newPayFormData prepares the form of contract options o.
func newPayFormData(o payments.Options, f payForm, pay *payments.Service, now time.Time) *payFormData {
	cut := pay.Config().Cutoff
	today := cut.Today(now)
	d := &payFormData{O: o, Form: f, Dates: payDates(o, today), Today: today, Cutoff: cut, Usable: map[int64]bool{}}
	for _, m := range o.Methods {
		if m.Usable(today) == nil && (m.Kind != payments.KindCard || pay.Config().Processor != nil) {
			d.Usable[m.ID] = true
			d.AnyUsable = true
		}
	}
	if d.Form.Amount == "" {
		switch {
		case o.AmountDueCents > 0:
			d.Form.Amount = string(payments.PayAmountDue)
		default:
			d.Form.Amount = string(payments.PayOther)
		}
	}
	if d.Form.Method == "" {
		for _, m := range o.Methods {
			if d.Usable[m.ID] {
				d.Form.Method = strconv.FormatInt(m.ID, 10)
				break
			}
		}
	}
	if d.Form.Date == "" {
		d.Form.Date = o.Earliest.String()
	}
	return d
}

// MethodValue is a method's id as a form value.
func (d *payFormData) MethodValue(m payments.Method) string { return strconv.FormatInt(m.ID, 10) }

// bankErrors maps what payments refused in a new bank account to its
// field. ok is false for an error that is not the customer's.
func bankErrors(err error) (map[string]string, bool) {
	switch {
	case errors.Is(err, payments.ErrHolderName):
		return map[string]string{"holder": "pay.err_holder"}, true
	case errors.Is(err, payments.ErrHolderNameLetters):
		return map[string]string{"holder": "pay.err_holder_letters"}, true
	case errors.Is(err, payments.ErrAccountType):
		return map[string]string{"account_type": "pay.err_account_type"}, true
	case errors.Is(err, ach.ErrRoutingFormat):
		return map[string]string{"routing": "pay.err_routing_format"}, true
	case errors.Is(err, ach.ErrRoutingCheckDigit):
		return map[string]string{"routing": "pay.err_routing_check"}, true
	case errors.Is(err, ach.ErrRoutingUnknown):
		return map[string]string{"routing": "pay.err_routing_unknown"}, true
	case errors.Is(err, payments.ErrAccountNumber):
		return map[string]string{"account": "pay.err_account_number"}, true
	case errors.Is(err, payments.ErrAccountMismatch):
		return map[string]string{"confirm_account": "pay.err_account_mismatch"}, true
	case errors.Is(err, payments.ErrDuplicateMethod):
		return map[string]string{"account": "pay.err_duplicate_bank"}, true
	case errors.Is(err, payments.ErrMethodsMax):
		return map[string]string{"": "pay.err_methods_max"}, true
	case errors.Is(err, payments.ErrNoKeys):
		return map[string]string{"": "pay.err_no_bank"}, true
	}
	return nil, false
}
