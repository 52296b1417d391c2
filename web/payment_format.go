package web

import (
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"carfin/calendar"
	"carfin/locale"
	"carfin/payments"
)

// Words for the payments pages, in the page's language. A payment's
// method, status and reasons are worded by package payments, in the words
// its emails and receipts use (Method.LabelIn, payments.StatusText, …);
// the catalogs hold the pages' own.

// MethodLabel names a payment method in the page's language: "Checking
// at Prairie Gate Savings Bank ••••1234", "Visa ••••4242, expires
// 12/2028" (payments words it, for pages and messages alike).
func (p *page) MethodLabel(m payments.Method) string { return m.LabelIn(p.Lang) }

// MethodState words where a method stands, and Verify says whether the
// customer can now confirm its micro-deposits.
func (p *page) MethodState(m payments.Method, today calendar.Date) string {
	switch m.Status {
	case payments.MethodPending:
		switch {
		case m.Validation == payments.Prenote:
			return p.T("pay.state_prenote")
		case m.MicroDepositsSent:
			return p.T("pay.state_micro_sent", m.AttemptsLeft)
		}
		return p.T("pay.state_micro_coming")
	case payments.MethodActive:
		if m.Kind == payments.KindCard && m.Usable(today) != nil {
			return p.T("pay.state_expired")
		}
		return p.T("pay.state_active")
	case payments.MethodDisabled:
		if m.ReviewRequired {
			return p.T("pay.state_review")
		}
		if code := returnCode(m.StatusReason); code != "" {
			return p.T("pay.state_disabled_return", p.ReturnText(code, ""))
		}
		return p.T("pay.state_disabled")
	case payments.MethodFailed:
		return p.T("pay.state_failed")
	}
	return string(m.Status)
}

// CanVerify reports whether the customer can enter the micro-deposits now.
func (p *page) CanVerify(m payments.Method) bool {
	return m.Status == payments.MethodPending && m.Validation == payments.MicroDeposits && m.MicroDepositsSent
}

// BankState is MethodState for a bank account (no expiry to judge).
func (p *page) BankState(m payments.Method) string { return p.MethodState(m, 0) }

// CardLabel names a tokenized card the customer is about to save.
func (p *page) CardLabel(c *payments.Card) string {
	return p.MethodLabel(payments.Method{Kind: payments.KindCard, Brand: c.Brand, Last4: c.Last4, ExpMonth: c.ExpMonth, ExpYear: c.ExpYear})
}

var returnCodeRE = regexp.MustCompile(`^(R[0-9]{2})\b`)

func returnCode(reason string) string {
	if m := returnCodeRE.FindStringSubmatch(reason); m != nil {
		return m[1]
	}
	return ""
}

// ReturnText says in plain words why a bank returned a payment; english
// is the return's own text.
func (p *page) ReturnText(code, english string) string {
	return payments.ReturnText(p.Lang, code, english)
}

// returnActions maps each sentence payments writes about what it did
// after a return to its catalog key.
var returnActions = map[string]string{
	"The returned-payment fee in your contract was charged.":                                                                                      "pay.action_fee",
	"Please make the payment again, with another account if you need to.":                                                                         "pay.action_pay_again_other",
	"We stopped using this bank account: autopay is paused and scheduled payments from it are cancelled. Please add a new account in the portal.": "pay.action_account_stopped",
	"Please make the payment again.": "pay.action_pay_again",
}

var retryAction = regexp.MustCompile(`^We will present the payment again on .+\.$`)

// ReturnAction says what the lender did about a return.
func (p *page) ReturnAction(pay payments.Payment) string {
	if pay.Return == nil {
		return ""
	}
	if p.Lang == "en" {
		return pay.Return.Action
	}
	var out []string
	rest := pay.Return.Action
	for rest != "" {
		matched := false
		for sentence, key := range returnActions {
			if strings.HasPrefix(rest, sentence) {
				out, rest, matched = append(out, p.T(key)), strings.TrimSpace(rest[len(sentence):]), true
				break
			}
		}
		if matched {
			continue
		}
		end := strings.Index(rest, ".")
		if end < 0 {
			end = len(rest) - 1
		}
		if sentence := rest[:end+1]; retryAction.MatchString(sentence) {
			out = append(out, p.T("pay.action_retry"))
		}
		rest = strings.TrimSpace(rest[end+1:])
	}
	return strings.Join(out, " ")
}

// StatusLabel is a payment's status in one or two words, for tables.
func (p *page) StatusLabel(pay payments.Payment) string {
	return p.T("pay.label_" + string(pay.Status))
}

// StatusText is a payment's status in a sentence.
func (p *page) StatusText(pay payments.Payment) string { return payments.StatusText(p.Lang, pay) }

// KindText says who started a payment.
func (p *page) KindText(pay payments.Payment) string {
	return p.T("pay.kind_" + string(pay.Kind))
}

// Instant formats a moment in the lender's time zone: "November 24, 2026
// at 5:00 PM EST" / "24 de noviembre de 2026, 17:00 EST".
func (p *page) Instant(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return locale.Moment(p.Lang, t.In(loc))
}

// Clock formats a time of day with its zone: "5:00 PM EST" / "17:00 EST".
func (p *page) Clock(t time.Time) string { return locale.Clock(p.Lang, t) }

// CutoffClock is the lender's daily cut-off, e.g. "5:00 PM ET", on date d.
func (p *page) CutoffClock(c calendar.Cutoff, d calendar.Date) string {
	return p.Clock(c.Deadline(d).In(c.Location))
}

// conf reads a confirmation number from the path; ok is false for
// anything that is not one (answered as not found).
func conf(r *http.Request) (string, bool) {
	c := r.PathValue("conf")
	return strings.ToUpper(c), confPattern.MatchString(c)
}

// loadPayment finds one of the signed-in customer's payments by the
// confirmation number in the path, answering 404 (exactly as for an
// unknown page) when it is not theirs or does not exist. ok reports
// whether the caller may go on.
func loadPayment(w http.ResponseWriter, r *http.Request, pay *payments.Service, v *views) (payments.Payment, bool) {
	c, ok := conf(r)
	if !ok {
		notFound(w, r, v)
		return payments.Payment{}, false
	}
	p, err := pay.PaymentByConfirmation(r.Context(), customerOf(r), c)
	if errors.Is(err, payments.ErrNotFound) {
		notFound(w, r, v)
		return payments.Payment{}, false
	}
	if err != nil {
		serverError(w, r, v, err)
		return payments.Payment{}, false
	}
	return p, true
}
