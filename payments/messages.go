package payments

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"carfin/calendar"
	"carfin/db"
	"carfin/locale"
	"carfin/money"
	"carfin/notify"
	"carfin/payments/ach"
	"carfin/preferences"
)

// contact is who a customer's messages go to.
type contact struct {
	customerID int64
	email      string
	name       string
}

// contactOf reads a customer's name and email: the sign-in email of the
// customer's login if there is one (the address the customer keeps up to
// date in the portal), otherwise the address on file. It returns
// ErrNotFound for an unknown customer.
func contactOf(ctx context.Context, q db.Querier, customerID int64) (contact, error) {
	c := contact{customerID: customerID}
	var first, last string
	err := q.QueryRowContext(ctx, `SELECT c.first_name, c.last_name,
		COALESCE((SELECT l.email FROM logins l WHERE l.customer_id = c.id AND l.realm = 'customer'), c.email)
		FROM customers c WHERE c.id = $1`, customerID).Scan(&first, &last, &c.email)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("customer %d: %w", customerID, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("customer %d: %w", customerID, err)
	}
	c.name = strings.TrimSpace(first + " " + last)
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

func signature(cfg Config) string {
	s := "\n\n— " + cfg.LenderName
	if cfg.PortalURL != "" {
		s += "\n" + cfg.PortalURL
	}
	return s
}

func greeting(c contact) string {
	if c.name == "" {
		return "Hello,\n\n"
	}
	return "Hello " + c.name + ",\n\n"
}

func msgMethodAdded(cfg Config, c contact, m Method, v Validation) notify.Message {
	text := greeting(c) + m.Label() + " was added to your account as a payment method."
	switch v {
	case MicroDeposits:
		text += "\n\nTo confirm the account, we will make two small deposits (under $1.00 each) in the next business days. " +
			"When you see them on your bank statement, enter the two amounts in the portal."
	case Prenote:
		text += "\n\nWe will confirm the account with your bank; you can pay from it in about three business days."
	}
	text += "\n\nIf you did not add it, contact us right away."
	return notify.Message{Kind: "payment_method.added", Subject: "A payment method was added to your account", Text: text + signature(cfg)}
}

func msgMethodRemoved(cfg Config, c contact, m Method) notify.Message {
	text := greeting(c) + m.Label() + " was removed from your payment methods.\n\nIf you did not remove it, contact us right away."
	return notify.Message{Kind: "payment_method.removed", Subject: "A payment method was removed from your account", Text: text + signature(cfg)}
}

// receiptLines is the receipt as plain text, shared by the emails and
// the PDF.
func receiptLines(p Payment) [][2]string {
	lines := [][2]string{
		{"Confirmation number", p.Confirmation},
		{"Account", p.ContractAccount},
		{"Amount", p.AmountCents.Dollars()},
	}
	if p.FeeCents > 0 {
		lines = append(lines, [2]string{"Convenience fee", p.FeeCents.Dollars()}, [2]string{"Total charged", (p.AmountCents + p.FeeCents).Dollars()})
	}
	lines = append(lines, [2]string{"Payment date", longDate(p.Date)}, [2]string{"Paid from", p.MethodLabel}, [2]string{"Status", p.StatusText()})
	return lines
}

func receiptText(p Payment) string {
	var b strings.Builder
	for _, l := range receiptLines(p) {
		fmt.Fprintf(&b, "%-20s %s\n", l[0]+":", l[1])
	}
	return b.String()
}

func longDate(d calendar.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.Time().Format("Monday, January 2, 2006")
}

func msgScheduled(cfg Config, c contact, p Payment) notify.Message {
	what := "We received your payment."
	if p.Status == StatusScheduled {
		what = "Your payment is scheduled."
	}
	text := greeting(c) + what + "\n\n" + receiptText(p)
	if !p.ChangeDeadline.IsZero() {
		text += "\nYou can change or cancel it in the portal until " + p.ChangeDeadline.In(cfg.Cutoff.Location).Format("3:04 PM MST on Monday, January 2") + "."
	}
	text += "\nYour receipt (PDF) is attached, and in the portal under Payments."
	return notify.Message{Kind: "payment.scheduled", Subject: fmt.Sprintf("Payment %s: %s on %s", p.Confirmation, p.AmountCents.Dollars(), p.Date),
		Text: text + signature(cfg)}
}

// ReceiptFileName is the file name of a payment's receipt PDF.
func ReceiptFileName(p Payment) string { return "receipt-" + p.Confirmation + ".pdf" }

// withReceipt attaches the payment's receipt PDF to m.
func withReceipt(m notify.Message, p Payment, pdf []byte) notify.Message {
	m.Attachments = []notify.Attachment{{Name: ReceiptFileName(p), ContentType: "application/pdf", Data: pdf}}
	return m
}

func msgCancelled(cfg Config, c contact, p Payment) notify.Message {
	text := greeting(c) + fmt.Sprintf("Your payment %s of %s scheduled for %s was cancelled.", p.Confirmation, p.AmountCents.Dollars(), longDate(p.Date))
	return notify.Message{Kind: "payment.cancelled", Subject: "Payment " + p.Confirmation + " cancelled", Text: text + signature(cfg)}
}

func msgChanged(cfg Config, c contact, p Payment) notify.Message {
	text := greeting(c) + "Your scheduled payment was changed.\n\n" + receiptText(p)
	return notify.Message{Kind: "payment.changed", Subject: "Payment " + p.Confirmation + " changed", Text: text + signature(cfg)}
}

// processedMessage is the "payment processed" email, for one payment
// posted by a run (bulk) or at capture. refundDue is what a card payment
// collected beyond the payoff (0: none): the email says it will be
// refunded, and msgRefunded follows once it is.
func processedMessage(cfg Config, name, account, confirmation string, amount money.Cents, date calendar.Date, method string, refundDue money.Cents) notify.Message {
	text := greeting(contact{name: name}) + fmt.Sprintf("Your payment of %s to account %s was processed with the date %s, from %s.\n\nConfirmation number: %s",
		amount.Dollars(), account, longDate(date), method, confirmation)
	if refundDue > 0 {
		text += fmt.Sprintf("\n\nThis payment paid off the account, which owed less than the payment: the remaining %s will be refunded to your card, "+
			"and we will email you when it is.", refundDue.Dollars())
	}
	return notify.Message{Kind: "payment.processed", Subject: fmt.Sprintf("Payment %s processed", confirmation), Text: text + signature(cfg)}
}

// msgRefunded tells the customer that a card payment's refund was made:
// it is sent in the transaction that records the processor's confirmation,
// never before.
func msgRefunded(cfg Config, c contact, p Payment, amount money.Cents) notify.Message {
	why := "more than the account owed when it was processed; this is the difference"
	if p.Status == StatusFailed {
		why = "not needed: the account was already paid"
	}
	text := greeting(c) + fmt.Sprintf("We refunded %s to your card (%s). Your payment %s of %s dated %s to account %s was %s.\n\n"+
		"A refund usually shows on your card statement within 5 to 10 business days.",
		amount.Dollars(), p.MethodLabel, p.Confirmation, p.AmountCents.Dollars(), longDate(p.Date), p.ContractAccount, why)
	return notify.Message{Kind: "payment.refunded", Subject: fmt.Sprintf("Refund of %s for payment %s", amount.Dollars(), p.Confirmation),
		Text: text + signature(cfg)}
}

// processedSMS is the "payment processed" alert as a text message.
func processedSMS(cfg Config, phone, account, confirmation string, amount money.Cents, date calendar.Date) notify.Message {
	return notify.Message{Channel: notify.SMS, Kind: "payment.processed", To: phone,
		Text: fmt.Sprintf("%s: your payment of %s to account %s was processed with the date %s (%s). Reply STOP to stop texts.",
			cfg.LenderName, amount.Dollars(), account, date.Time().Format("Jan 2"), confirmation)}
}

func msgDeclined(cfg Config, c contact, p Payment, code string) notify.Message {
	text := greeting(c) + fmt.Sprintf("Your card payment of %s scheduled for %s could not be made: %s.\n\nPlease make the payment with another method.",
		p.AmountCents.Dollars(), longDate(p.Date), declineText(code))
	return notify.Message{Kind: "payment.declined", Subject: "Your card payment was declined", Text: text + signature(cfg)}
}

func declineText(code string) string {
	switch code {
	case "insufficient_funds":
		return "the card has insufficient funds"
	case "expired_card":
		return "the card has expired"
	case "incorrect_cvc":
		return "the security code was not correct"
	case "":
		return "the card processor did not answer"
	}
	return "the card issuer declined it"
}

func msgFailed(cfg Config, c contact, p Payment, why string) notify.Message {
	text := greeting(c) + fmt.Sprintf("Your payment %s of %s for %s was not made: %s.", p.Confirmation, p.AmountCents.Dollars(), longDate(p.Date), why)
	return notify.Message{Kind: "payment.failed", Subject: "Payment " + p.Confirmation + " was not made", Text: text + signature(cfg)}
}

func msgReturned(cfg Config, c contact, p Payment, reason ach.ReturnReason, action string) notify.Message {
	text := greeting(c) + fmt.Sprintf("Your payment %s of %s dated %s was returned. %s", p.Confirmation, p.AmountCents.Dollars(), longDate(p.Date), reason.Customer)
	if action != "" {
		text += "\n\n" + action
	}
	return notify.Message{Kind: "payment.returned", Subject: "Your payment " + p.Confirmation + " was returned", Text: text + signature(cfg)}
}

func msgAutopayEnrolled(cfg Config, c contact, e Autopay) notify.Message {
	text := greeting(c) + fmt.Sprintf("Autopay is on for account %s: %s from %s, %s.\n\nYour first debit is on %s.\n\nThis is your copy of the authorization you accepted on %s (version %s):\n\n%s",
		e.ContractAccount, e.AmountText(), e.MethodLabel, e.DayText(), longDate(e.NextDebit.Date), locale.Moment("en", e.AuthorizedAt.In(cfg.Cutoff.Location)), e.AuthorizationVersion, e.AuthorizationText)
	return notify.Message{Kind: "autopay.enrolled", Subject: "Autopay is on for account " + e.ContractAccount, Text: text + signature(cfg)}
}

func msgAutopayChanged(cfg Config, c contact, e Autopay, what string) notify.Message {
	text := greeting(c) + fmt.Sprintf("%s\n\nAccount %s: %s from %s, %s.", what, e.ContractAccount, e.AmountText(), e.MethodLabel, e.DayText())
	if e.Status == AutopayActive && !e.NextDebit.Date.IsZero() {
		text += fmt.Sprintf("\n\nNext debit: %s on %s.", e.NextDebit.AmountCents.Dollars(), longDate(e.NextDebit.Date))
	}
	if e.Status == AutopayActive && e.AuthorizationText != "" {
		text += "\n\nThe authorization in force (version " + e.AuthorizationVersion + "):\n\n" + e.AuthorizationText
	}
	return notify.Message{Kind: "autopay.changed", Subject: "Your autopay for account " + e.ContractAccount + " changed", Text: text + signature(cfg)}
}

// autopayReminderSMS is the autopay reminder as a text message (the
// customer turned texts on for due reminders; the number is the one they
// consented with).
func autopayReminderSMS(cfg Config, phone, account string, amount money.Cents, date calendar.Date) notify.Message {
	return notify.Message{Channel: notify.SMS, Kind: "autopay.upcoming", To: phone,
		Text: fmt.Sprintf("%s: autopay will debit %s for account %s on %s. Reply STOP to stop texts.", cfg.LenderName, amount.Dollars(), account,
			date.Time().Format("Jan 2"))}
}

func autopayUpcomingMessage(cfg Config, name, account string, amount money.Cents, date calendar.Date, method string, varying bool) notify.Message {
	var text string
	kind := "autopay.upcoming"
	subject := "Upcoming autopay debit for account " + account
	if varying {
		// Reg E 1005.10(d)(1): the amount and date, at least 10 days before.
		kind = "autopay.amount_changes"
		subject = "Your next autopay debit is a different amount"
		text = fmt.Sprintf("Your next autopay debit for account %s will be %s, a different amount from usual, on %s, from %s.",
			account, amount.Dollars(), longDate(date), method)
	} else {
		text = fmt.Sprintf("Reminder: we will debit %s for account %s on %s from %s.", amount.Dollars(), account, longDate(date), method)
	}
	text += "\n\nTo change or stop it, visit the portal at least three business days before the debit."
	return notify.Message{Kind: kind, Subject: subject, Text: greeting(contact{name: name}) + text + signature(cfg)}
}
