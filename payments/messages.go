package payments

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"carfin/calendar"
	"carfin/db"
	"carfin/money"
	"carfin/notify"
	"carfin/payments/ach"
	"carfin/preferences"
)

// contact is who a customer's messages go to, and in what language.
type contact struct {
	customerID int64
	email      string
	name       string
	// lang is the language the customer chose for messages
	// (preferences.Preferences.Lang; English when never chosen).
	lang string
}

// contactOf reads a customer's name, email and language: the sign-in
// email of the customer's login if there is one (the address the customer
// keeps up to date in the portal), otherwise the address on file. It
// returns ErrNotFound for an unknown customer.
func contactOf(ctx context.Context, q db.Querier, customerID int64) (contact, error) {
	c := contact{customerID: customerID}
	var first, last string
	var lang sql.NullString
	err := q.QueryRowContext(ctx, `SELECT c.first_name, c.last_name,
		COALESCE((SELECT l.email FROM logins l WHERE l.customer_id = c.id AND l.realm = 'customer'), c.email), np.lang
		FROM customers c LEFT JOIN notification_preferences np ON np.customer_id = c.id WHERE c.id = $1`, customerID).Scan(&first, &last, &c.email, &lang)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("customer %d: %w", customerID, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("customer %d: %w", customerID, err)
	}
	c.name = strings.TrimSpace(first + " " + last)
	c.lang = notify.Lang(lang.String)
	return c, nil
}

// enqueue writes a message to the outbox in tx, so it exists exactly when
// the event it reports was committed.
func (s *Service) enqueue(ctx context.Context, tx *db.Tx, c contact, m notify.Message) error {
	if c.email == "" {
		return nil
	}
	m.Channel = notify.Email
	m.To = c.email
	return notify.Enqueue(ctx, tx, m)
}

// notifyProcessed sends the "payment processed" alert (email, and sms to
// the consented phone) as the customer's preferences for "payment
// received" say: it is a courtesy alert, unlike receipts and notices of
// returns, changes and declines, which are always sent.
func (s *Service) notifyProcessed(ctx context.Context, tx *db.Tx, c contact, email, sms notify.Message) error {
	p, err := preferences.Get(ctx, tx, c.customerID)
	if err != nil {
		return fmt.Errorf("preferences of customer %d: %w", c.customerID, err)
	}
	if p.Allows(preferences.PaymentReceived, notify.Email) {
		if err := s.enqueue(ctx, tx, c, email); err != nil {
			return err
		}
	}
	if p.Allows(preferences.PaymentReceived, notify.SMS) {
		sms.To = p.Phone
		return notify.Enqueue(ctx, tx, sms)
	}
	return nil
}

// msg is what a payment message's text may name. Amounts and dates are
// formatted by the catalog in the message's language; the other words
// (Method, Status, Reason, …) are already in it.
type msg struct {
	Name, Lender                 string
	Confirmation, Account        string
	Amount, Fee, Refund          money.Cents
	Date                         calendar.Date
	Method, Receipt              string
	Reason, Action               string
	Scheduled, Micro, Prenote    bool
	Deadline                     time.Time // in the lender's zone
	DeadlineDay                  calendar.Date
	Varying                      bool
	Terms, Timing                string // autopay: the amount and the day in words
	Next                         Debit
	Authorization, Version       string
	AuthorizedAt                 time.Time // in the lender's zone
	Change                       string    // autopay: "changed", "back_on" or "stopped"
	Locked                       bool      // autopay: Next was already set when it changed
	Active, ForeignAuthorization bool
}

// render writes the message key of the catalog in lang: the greeting, the
// text and the lender's signature. A text that cannot render the msg it
// is given is a bug (TestMessagesInEachLanguage renders every one), so it
// panics.
func render(cfg Config, lang, key string, m msg) notify.Message {
	m.Lender = cfg.LenderName
	out, err := messages.Email(lang, key, m)
	if err != nil {
		panic(fmt.Sprintf("payments: message %s in %s: %v", key, lang, err))
	}
	out.Text = word(lang, "greeting", m) + out.Text + "\n\n— " + cfg.LenderName
	if cfg.PortalURL != "" {
		out.Text += "\n" + cfg.PortalURL
	}
	return out
}

// renderSMS writes the text message key in lang.
func renderSMS(cfg Config, lang, key, phone string, m msg) notify.Message {
	m.Lender = cfg.LenderName
	out, err := messages.SMS(lang, "sms."+key, m)
	if err != nil {
		panic(fmt.Sprintf("payments: text %s in %s: %v", key, lang, err))
	}
	out.Kind, out.To = key, phone
	return out
}

// word renders one of the catalog's phrases in lang.
func word(lang, key string, data any) string {
	s, err := messages.Text(lang, key, data)
	if err != nil {
		panic(fmt.Sprintf("payments: phrase %s in %s: %v", key, lang, err))
	}
	return s
}

func msgMethodAdded(cfg Config, c contact, m Method, v Validation) notify.Message {
	return render(cfg, c.lang, "payment_method.added", msg{Name: c.name, Method: methodLabel(c.lang, m), Micro: v == MicroDeposits, Prenote: v == Prenote})
}

func msgMethodRemoved(cfg Config, c contact, m Method) notify.Message {
	return render(cfg, c.lang, "payment_method.removed", msg{Name: c.name, Method: methodLabel(c.lang, m)})
}

// receiptLines is the receipt in lang as label and value pairs, shared by
// the emails and the PDF.
func receiptLines(lang string, p Payment) [][2]string {
	w := func(key string) string { return word(lang, key, nil) }
	lines := [][2]string{
		{w("receipt.confirmation"), p.Confirmation},
		{w("receipt.account"), p.ContractAccount},
		{w("receipt.amount"), p.AmountCents.Dollars()},
	}
	if p.FeeCents > 0 {
		lines = append(lines, [2]string{w("receipt.fee"), p.FeeCents.Dollars()}, [2]string{w("receipt.total"), (p.AmountCents + p.FeeCents).Dollars()})
	}
	return append(lines, [2]string{w("receipt.date"), word(lang, "fullDate", msg{Date: p.Date})},
		[2]string{w("receipt.method"), paidFrom(lang, p)}, [2]string{w("receipt.status"), statusText(lang, p)})
}

// receiptText is the receipt as aligned lines of text, for emails.
func receiptText(lang string, p Payment) string {
	lines := receiptLines(lang, p)
	width := 0
	for _, l := range lines {
		width = max(width, utf8.RuneCountInString(l[0])+1)
	}
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "%-*s %s\n", width, l[0]+":", l[1])
	}
	return b.String()
}

func msgScheduled(cfg Config, c contact, p Payment) notify.Message {
	m := msg{Name: c.name, Confirmation: p.Confirmation, Amount: p.AmountCents, Date: p.Date, Receipt: receiptText(c.lang, p),
		Scheduled: p.Status == StatusScheduled}
	if !p.ChangeDeadline.IsZero() {
		m.Deadline = p.ChangeDeadline.In(cfg.Cutoff.Location)
		m.DeadlineDay = calendar.Of(m.Deadline)
	}
	return render(cfg, c.lang, "payment.scheduled", m)
}

// ReceiptFileName is the file name of a payment's receipt PDF.
func ReceiptFileName(p Payment) string { return "receipt-" + p.Confirmation + ".pdf" }

// withReceipt attaches the payment's receipt PDF to m.
func withReceipt(m notify.Message, p Payment, pdf []byte) notify.Message {
	m.Attachments = []notify.Attachment{{Name: ReceiptFileName(p), ContentType: "application/pdf", Data: pdf}}
	return m
}

func msgCancelled(cfg Config, c contact, p Payment) notify.Message {
	return render(cfg, c.lang, "payment.cancelled", msg{Name: c.name, Confirmation: p.Confirmation, Amount: p.AmountCents, Date: p.Date})
}

func msgChanged(cfg Config, c contact, p Payment) notify.Message {
	return render(cfg, c.lang, "payment.changed", msg{Name: c.name, Confirmation: p.Confirmation, Receipt: receiptText(c.lang, p)})
}

// processedMessage is the "payment processed" email in English, for
// callers that do not read the customer's language yet (the card capture
// in card.go and the bulk ACH run in originate.go); they should call
// msgProcessed with the contact's or the row's preferences.Lang.
func processedMessage(cfg Config, name, account, confirmation string, amount money.Cents, date calendar.Date, method string, refundDue money.Cents) notify.Message {
	return msgProcessed(cfg, "en", name, account, confirmation, amount, date, method, refundDue)
}

// msgProcessed is the "payment processed" email, for one payment posted
// by a run (bulk) or at capture, in lang; method is the method's label in
// lang. refundDue is what a card payment collected beyond the payoff (0:
// none): the email says it will be refunded, and msgRefunded follows once
// it is.
func msgProcessed(cfg Config, lang, name, account, confirmation string, amount money.Cents, date calendar.Date, method string, refundDue money.Cents) notify.Message {
	return render(cfg, lang, "payment.processed", msg{Name: name, Account: account, Confirmation: confirmation, Amount: amount, Date: date,
		Method: method, Refund: refundDue})
}

// msgRefunded tells the customer that a card payment's refund was made:
// it is sent in the transaction that records the processor's confirmation,
// never before.
func msgRefunded(cfg Config, c contact, p Payment, amount money.Cents) notify.Message {
	return render(cfg, c.lang, "payment.refunded", msg{Name: c.name, Refund: amount, Method: paidFrom(c.lang, p), Confirmation: p.Confirmation,
		Amount: p.AmountCents, Date: p.Date, Account: p.ContractAccount, Scheduled: p.Status == StatusFailed})
}

// processedSMS is the "payment processed" alert as a text message, in
// English (see processedMessage); smsProcessed is it in lang.
func processedSMS(cfg Config, phone, account, confirmation string, amount money.Cents, date calendar.Date) notify.Message {
	return smsProcessed(cfg, "en", phone, account, confirmation, amount, date)
}

func smsProcessed(cfg Config, lang, phone, account, confirmation string, amount money.Cents, date calendar.Date) notify.Message {
	return renderSMS(cfg, lang, "payment.processed", phone, msg{Account: account, Confirmation: confirmation, Amount: amount, Date: date})
}

func msgDeclined(cfg Config, c contact, p Payment, code string) notify.Message {
	return render(cfg, c.lang, "payment.declined", msg{Name: c.name, Amount: p.AmountCents, Date: p.Date, Reason: declineIn(c.lang, code)})
}

// declineText says in English why a card was declined (for errors).
func declineText(code string) string { return declineIn("en", code) }

// DeclineText says in lang why a card was declined, from the processor's
// decline code ("" when the processor did not answer).
func DeclineText(lang, code string) string { return declineIn(lang, code) }

func declineIn(lang, code string) string {
	switch code {
	case "insufficient_funds", "expired_card", "incorrect_cvc":
		return word(lang, "decline."+code, nil)
	case "":
		return word(lang, "decline.no_answer", nil)
	}
	return word(lang, "decline.other", nil)
}

// msgFailed says a payment was not made; why is one of the reasons
// payments records (reasonText words it in the contact's language).
func msgFailed(cfg Config, c contact, p Payment, why string) notify.Message {
	return render(cfg, c.lang, "payment.failed", msg{Name: c.name, Confirmation: p.Confirmation, Amount: p.AmountCents, Date: p.Date,
		Reason: reasonText(c.lang, why)})
}

// msgReturned says a bank returned a payment, why in plain words, and
// what the lender did about it.
func msgReturned(cfg Config, c contact, p Payment, reason ach.ReturnReason, actions []phrase) notify.Message {
	return render(cfg, c.lang, "payment.returned", msg{Name: c.name, Confirmation: p.Confirmation, Amount: p.AmountCents, Date: p.Date,
		Reason: returnText(c.lang, reason), Action: sentences(c.lang, actions)})
}

func msgAutopayEnrolled(cfg Config, c contact, e Autopay) notify.Message {
	return render(cfg, c.lang, "autopay.enrolled", msg{Name: c.name, Account: e.ContractAccount, Terms: autopayAmount(c.lang, e),
		Method: methodLabel(c.lang, e.Method), Timing: autopayTiming(c.lang, e.DaysBefore), Next: e.NextDebit,
		AuthorizedAt: e.AuthorizedAt.In(cfg.Cutoff.Location), Version: e.AuthorizationVersion, Authorization: e.AuthorizationText,
		ForeignAuthorization: c.lang != "en"})
}

// Kinds of autopay change a msgAutopayChanged reports.
const (
	autopayChanged = "changed"
	autopayBackOn  = "back_on"
	autopayStopped = "stopped"
)

// msgAutopayChanged reports a change of autopay (change: autopayChanged,
// autopayBackOn or autopayStopped); locked is the debit that was already
// set and goes out as it was (zero Date: none).
func msgAutopayChanged(cfg Config, c contact, e Autopay, change string, locked Debit) notify.Message {
	m := msg{Name: c.name, Change: change, Account: e.ContractAccount, Terms: autopayAmount(c.lang, e), Method: methodLabel(c.lang, e.Method),
		Timing: autopayTiming(c.lang, e.DaysBefore), Active: e.Status == AutopayActive, Version: e.AuthorizationVersion,
		Authorization: e.AuthorizationText, ForeignAuthorization: c.lang != "en"}
	if !locked.Date.IsZero() {
		m.Locked, m.Amount, m.Date = true, locked.AmountCents, locked.Date
	}
	if e.Status == AutopayActive {
		m.Next = e.NextDebit
	}
	return render(cfg, c.lang, "autopay.changed", m)
}

// autopayReminderSMS is the autopay reminder as a text message (the
// customer turned texts on for due reminders; the number is the one they
// consented with).
func autopayReminderSMS(cfg Config, lang, phone, account string, amount money.Cents, date calendar.Date) notify.Message {
	return renderSMS(cfg, lang, "autopay.upcoming", phone, msg{Account: account, Amount: amount, Date: date})
}

// autopayUpcomingMessage is the reminder of an autopay debit or, when
// varying, the Reg E 1005.10(d)(1) notice of a debit of a different
// amount: the amount and date, at least 10 days before.
func autopayUpcomingMessage(cfg Config, lang, name, account string, amount money.Cents, date calendar.Date, method string, varying bool) notify.Message {
	key := "autopay.upcoming"
	if varying {
		key = "autopay.amount_changes"
	}
	return render(cfg, lang, key, msg{Name: name, Account: account, Amount: amount, Date: date, Method: method})
}
