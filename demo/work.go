package demo

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"carfin/approvals"
	"carfin/calendar"
	"carfin/complaints"
	"carfin/db"
	"carfin/identity"
	"carfin/money"
	"carfin/notes"
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
	// Today is the lender's business date.
	Today calendar.Date
	// BaseURL is the portal's origin, which the emails link to.
	BaseURL string
}

// demoWaiverCents is the fee waiver the agent asks for: one late fee.
const demoWaiverCents = money.Cents(15_00)

// StaffWork gives every queue of the staff console's home page open work,
// made by the demo's agent (one of logins) through the capabilities:
// a secure message from the past-due customer awaiting a reply, a fee
// waiver on the past-due loan awaiting a supervisor, two complaints (one
// due for acknowledgement in two days, one overdue), a note, and a
// customer's login locked by wrong passwords. Each queue is filled only
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
