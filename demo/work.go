package demo

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"carfin/approvals"
	"carfin/calendar"
	"carfin/complaints"
	"carfin/db"
	"carfin/identity"
	"carfin/money"
	"carfin/notes"
	"carfin/payments"
	"carfin/staff"
	"carfin/support"
)

// Work is what the staff console's work queues are made of, for
// StaffWork: the services that make each item, as the console uses them.
type Work struct {
	DB         *db.DB
	Identity   *identity.Service
	Support    *support.Service
	Approvals  *approvals.Service
	Complaints *complaints.Service
	Notes      *notes.Service
	// PaymentsOn returns the payments service serve runs, over a view of
	// the database (db.DB.AsOf): the returned payment is sent on a
	// business day of its own.
	PaymentsOn func(*db.DB) (*payments.Service, error)
	// Today is the lender's business date.
	Today calendar.Date
}

// demoWaiverCents is the fee waiver the agent asks for: one late fee.
const demoWaiverCents = money.Cents(15_00)

// StaffWork gives every queue of the staff console's home page open work,
// made by the demo's agent (one of logins) through the capabilities:
// a secure message from the past-due customer awaiting a reply, a fee
// waiver on the past-due loan awaiting a supervisor, two complaints (one
// due for acknowledgement in two days, one overdue), a note, a
// customer's login locked by wrong passwords, and a dishonored return of
// the demo login's bank payment awaiting review. Each queue is filled only
// when empty, so a demo run again on its --data adds nothing to a queue
// that still has work (a waiver request expires after
// approvals.Lifetime, a lockout after its time; a later run makes new
// ones).
func StaffWork(ctx context.Context, w Work, book Book, logins []StaffLogin) error {
	var agent int64
	for _, l := range logins {
		if l.Role == staff.Agent {
			agent = l.LoginID
		}
	}
	if agent == 0 || book.PastDueCustomerID == 0 {
		return nil
	}
	var loan int64
	if err := w.DB.Read.QueryRowContext(ctx, `SELECT min(id) FROM contracts WHERE customer_id = $1 AND kind = 'loan'`, book.PastDueCustomerID).
		Scan(&loan); err != nil {
		return fmt.Errorf("demo work: past-due loan: %w", err)
	}
	steps := []struct {
		name string
		do   func() error
	}{
		{"message", func() error { return w.message(ctx, book.PastDueCustomerID) }},
		{"waiver", func() error { return w.waiver(ctx, agent, loan) }},
		{"complaints", func() error { return w.complaints(ctx, agent, book.PastDueCustomerID, loan) }},
		{"note", func() error { return w.note(ctx, agent, book.PastDueCustomerID, loan) }},
		{"locked login", func() error { return w.lock(ctx) }},
		{"return to review", func() error { return w.dishonored(ctx, book.LoginCustomerID) }},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			return fmt.Errorf("demo work: %s: %w", s.name, err)
		}
	}
	return nil
}

// count returns the number of rows q counts.
func (w Work) count(ctx context.Context, q string, args ...any) (int, error) {
	var n int
	err := w.DB.Read.QueryRowContext(ctx, q, args...).Scan(&n)
	return n, err
}

// message: a thread from the customer that nobody at the lender has
// answered.
func (w Work) message(ctx context.Context, customerID int64) error {
	if n, err := w.count(ctx, `SELECT count(*) FROM support_threads WHERE unread_by_staff = 1`); err != nil || n > 0 {
		return err
	}
	_, err := w.Support.StartThread(ctx, customerID, "en", "Late fees after my hours were cut",
		"Hello,\n\nMy hours at work were cut in the summer and I fell behind on my loan. I can pay again from next month. "+
			"Can the late fees be taken off, and can we agree on a plan for what I missed?\n\nThank you", nil)
	return err
}

// waiver: the agent asks for one late fee to be waived, which waits for
// a supervisor.
func (w Work) waiver(ctx context.Context, agent, loan int64) error {
	if ps, err := w.Approvals.Pending(ctx, 1); err != nil || len(ps) > 0 {
		return err
	}
	_, err := w.Approvals.Request(ctx, approvals.Staff{LoginID: strconv.FormatInt(agent, 10), Role: string(staff.Agent)},
		approvals.FeeWaiver, loan, approvals.Target{AmountCents: demoWaiverCents},
		"Customer's hours were cut; first delinquency in the life of the loan. Waive one late fee as goodwill.")
	return err
}

// complaints: one received 13 days ago (acknowledge within two days) and
// one received 20 days ago (acknowledgement overdue).
func (w Work) complaints(ctx context.Context, agent, customerID, loan int64) error {
	if q, err := w.Complaints.Queue(ctx, 1); err != nil || len(q) > 0 {
		return err
	}
	for _, c := range []complaints.NewComplaint{
		{CustomerID: customerID, ContractID: loan, Category: "fees", Channel: "phone", ReceivedOn: w.Today.AddDays(-13),
			Description: "The customer says the late fees on the loan were charged while a payment plan was being discussed."},
		{CustomerID: customerID, ContractID: loan, Category: "collections", Channel: "cfpb_portal", ReceivedOn: w.Today.AddDays(-20),
			Description: "Forwarded by the CFPB: the customer says collection calls came before 8 am."},
	} {
		if _, err := w.Complaints.Log(ctx, agent, c); err != nil {
			return err
		}
	}
	return nil
}

// note: what the agent learned on a call.
func (w Work) note(ctx context.Context, agent, customerID, loan int64) error {
	if n, err := w.count(ctx, `SELECT count(*) FROM customer_notes WHERE customer_id = $1`, customerID); err != nil || n > 0 {
		return err
	}
	_, err := w.Notes.Add(ctx, agent, customerID, loan,
		"Called in: hours cut at work since July, expects full pay again next month. Asked about a payment plan; waiver requested.")
	return err
}

// lock locks a customer's login the way a customer does: wrong
// passwords, through identity's sign-in, up to its lockout. The login is
// the first customer login that is not a demo login's (made, on the first
// customer without one, when there is none). A login locked now already
// is enough.
func (w Work) lock(ctx context.Context) error {
	if n, err := w.count(ctx, `SELECT count(*) FROM logins WHERE realm = 'customer' AND locked_until > $1`, w.DB.Now()); err != nil || n > 0 {
		return err
	}
	const other = `FROM customers c WHERE c.email <> $1 AND c.email <> $2`
	var email string
	err := w.DB.Read.QueryRowContext(ctx, `SELECT l.email FROM logins l WHERE l.id = (SELECT min(l2.id) FROM logins l2 JOIN customers c ON c.id = l2.customer_id
		WHERE l2.realm = 'customer' AND c.email <> $1 AND c.email <> $2)`, LoginEmail, PastDueEmail).Scan(&email)
	if errors.Is(err, sql.ErrNoRows) {
		var customerID int64
		if err := w.DB.Read.QueryRowContext(ctx, `SELECT max(c.id) `+other+` AND NOT EXISTS (SELECT 1 FROM logins l WHERE l.customer_id = c.id)`,
			LoginEmail, PastDueEmail).Scan(&customerID); err != nil {
			return fmt.Errorf("find a customer without a login: %w", err)
		}
		loginID, cerr := w.Identity.CreateCustomerLogin(ctx, customerID, randomPassword())
		if cerr != nil {
			return cerr
		}
		err = w.DB.Read.QueryRowContext(ctx, `SELECT email FROM logins WHERE id = $1`, loginID).Scan(&email)
	}
	if err != nil {
		return err
	}
	c := identity.Client{IP: "198.51.100.23", UserAgent: "carfin demo", Lang: "en"}
	for i := 0; i < lockAttemptsMax; i++ {
		_, err := w.Identity.PasswordLogin(ctx, identity.Customer, email, "not-the-password-"+strconv.Itoa(i), "", c)
		if errors.Is(err, identity.ErrThrottled) {
			break
		}
		if n, err := w.count(ctx, `SELECT count(*) FROM logins WHERE email = $1 AND realm = 'customer' AND locked_until > $2`, email, w.DB.Now()); err != nil || n > 0 {
			return err
		}
	}
	return fmt.Errorf("the login of %s did not lock", email)
}

// demoDishonoredCents is the bank payment whose return is dishonored.
const demoDishonoredCents = "40.00"

// dishonored sends a payment of the customer's (the demo login's) from
// their confirmed bank account in an ACH file and imports a return file
// from the bank in which the return of that payment is dishonored (R69,
// field errors), through payments' own import: the return is flagged for
// staff review and changes nothing else. The payment is dated the
// earliest day the portal offers, and sent and returned through a view of
// the database whose clock is 9:00 on that day when it is not today
// (after the cut-off, or on a weekend). Nothing is done when a return
// awaits review, or the customer has no loan or confirmed bank account.
func (w Work) dishonored(ctx context.Context, customerID int64) error {
	if n, err := w.count(ctx, `SELECT count(*) FROM ach_returns WHERE review_required = 1`); err != nil || n > 0 || w.PaymentsOn == nil || customerID == 0 {
		return err
	}
	var loan, bank sql.NullInt64
	if err := w.DB.Read.QueryRowContext(ctx, `SELECT min(id) FROM contracts WHERE customer_id = $1 AND kind = 'loan' AND state = 'active'`, customerID).
		Scan(&loan); err != nil || !loan.Valid {
		return err
	}
	if err := w.DB.Read.QueryRowContext(ctx, `SELECT min(id) FROM payment_methods WHERE customer_id = $1 AND kind = 'bank' AND status = 'active'`, customerID).
		Scan(&bank); err != nil || !bank.Valid {
		return err
	}
	pay, err := w.PaymentsOn(w.DB)
	if err != nil {
		return err
	}
	o, err := pay.Options(ctx, customerID, loan.Int64)
	if err != nil {
		return err
	}
	cut := pay.Config().Cutoff
	view := w.DB
	if day := o.Earliest; day != cut.Today(w.DB.Now()) {
		y, m, dd := day.Date()
		at := time.Date(y, m, dd, 9, 0, 0, 0, cut.Location)
		view = w.DB.AsOf(db.ClockFunc(func() time.Time { return at }))
		if pay, err = w.PaymentsOn(view); err != nil {
			return err
		}
	}
	p, err := pay.Pay(ctx, customerID, payments.OneTime{ContractID: loan.Int64, MethodID: bank.Int64, Choice: payments.PayOther,
		Other: demoDishonoredCents, Date: o.Earliest, IdempotencyKey: "demo-dishonored-return"})
	if err != nil {
		return fmt.Errorf("payment: %w", err)
	}
	if _, err := pay.OriginateACH(ctx, o.Earliest); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	var trace sql.NullString
	if err := view.Read.QueryRowContext(ctx, `SELECT trace_number FROM payments WHERE id = $1`, p.ID).Scan(&trace); err != nil || !trace.Valid {
		return fmt.Errorf("payment %d was not sent: %v", p.ID, err)
	}
	st, err := pay.ImportReturns(ctx, fmt.Sprintf("demo-returns-%d.csv", p.ID), []byte("trace_number,code,corrected_data\n"+trace.String+",R69,\n"))
	if err != nil {
		return fmt.Errorf("import returns: %w", err)
	}
	if st.Review != 1 {
		return fmt.Errorf("the dishonored return of payment %d was not flagged for review (%+v)", p.ID, st)
	}
	return nil
}

// randomPassword is a password nobody is told.
func randomPassword() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// lockAttemptsMax bounds the wrong passwords lock tries: the demo's
// identity service locks after fewer (cmd/carfin gives it a lockout of
// one failure).
const lockAttemptsMax = 3
