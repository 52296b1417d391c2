// Package complaints keeps the complaints the servicing team logs against
// a customer and, optionally, one of the customer's contracts, and the
// deadlines that run from the date each was received: acknowledge within
// acknowledgeDays and close within closeDays calendar days, what the CFPB
// expects of the companies it forwards complaints to (CFPB Company Portal
// Manual: a response within 15 days, a final response within 60).
//
// A complaint is open, then acknowledged, then closed; closing needs a
// resolution note. Every change is audited with the staff member who made
// it and the note given. Bad input is refused with ErrInvalid and nothing
// is written.
package complaints

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"carfin/audit"
	"carfin/calendar"
	"carfin/db"
)

// Deadlines and limits, named so they are easy to find.
const (
	// acknowledgeDays and closeDays count calendar days from the date
	// received; the deadline day itself is still on time.
	acknowledgeDays = 15
	closeDays       = 60
	// descriptionCharsMax bounds what the customer said, as logged;
	// noteCharsMax an acknowledgement or resolution note.
	descriptionCharsMax = 4000
	noteCharsMax        = 4000
	// receivedDaysMax: a complaint received longer ago than this is
	// history to import, not one to log by hand.
	receivedDaysMax = 366
	// queueMax bounds one Queue.
	queueMax = 500
)

// Statuses of a complaint.
const (
	Open         = "open"
	Acknowledged = "acknowledged"
	Closed       = "closed"
)

// Choice is one value of a fixed list and its label for people.
type Choice struct {
	Value, Label string
}

// Categories are what a complaint may be about.
var Categories = []Choice{
	{"billing", "Billing"},
	{"payments", "Payments"},
	{"fees", "Fees"},
	{"credit_reporting", "Credit reporting"},
	{"collections", "Collections"},
	{"title_lien", "Title/lien"},
	{"customer_service", "Customer service"},
	{"privacy_security", "Privacy/security"},
	{"other", "Other"},
}

// Channels are how a complaint may reach the lender.
var Channels = []Choice{
	{"phone", "Phone"},
	{"email", "Email"},
	{"mail", "Mail"},
	{"portal_message", "Portal message"},
	{"cfpb_portal", "CFPB portal"},
	{"other", "Other"},
}

// Errors of complaints. Callers branch on them with errors.Is.
var (
	// ErrInvalid is input that cannot be logged: see the wrapped message.
	ErrInvalid = errors.New("invalid complaint")
	// ErrNotFound is a complaint or customer that does not exist.
	ErrNotFound = errors.New("complaint not found")
	// ErrState is a change the complaint's status does not allow
	// (acknowledging one that is not open, closing one that is closed).
	ErrState = errors.New("the complaint's status does not allow this")
	// ErrNotStaff is an actor who is not a staff login.
	ErrNotStaff = errors.New("not a staff login")
)

// NewComplaint is a complaint as logged.
type NewComplaint struct {
	CustomerID int64
	// ContractID is 0 when the complaint is not about one contract.
	ContractID int64
	// Category and Channel are Values of Categories and Channels.
	Category, Channel string
	Description       string
	// ReceivedOn is the day the complaint reached the lender (0: today);
	// not in the future.
	ReceivedOn calendar.Date
}

// Complaint is a logged complaint and where it stands.
type Complaint struct {
	ID                  int64
	CustomerID          int64
	CustomerName        string
	ContractID          int64
	Category, Channel   string
	Description         string
	Status              string
	ReceivedOn          calendar.Date
	AcknowledgeBy       calendar.Date
	CloseBy             calendar.Date
	LoggedBy            int64
	CreatedAt           time.Time
	AcknowledgedAt      time.Time // zero until acknowledged
	AcknowledgeNote     string
	ClosedAt            time.Time // zero until closed
	Resolution          string
	AcknowledgedByStaff int64
	ClosedByStaff       int64
}

// NextDeadline is the deadline the complaint works to now: acknowledging
// while open, closing once acknowledged; 0 when closed.
func (c Complaint) NextDeadline() calendar.Date {
	switch c.Status {
	case Open:
		return c.AcknowledgeBy
	case Acknowledged:
		return c.CloseBy
	}
	return 0
}

// AcknowledgeOverdue reports whether the complaint is still open after
// its acknowledgement deadline, on today.
func (c Complaint) AcknowledgeOverdue(today calendar.Date) bool {
	return c.Status == Open && today > c.AcknowledgeBy
}

// CloseOverdue reports whether the complaint is still not closed after
// its closing deadline, on today.
func (c Complaint) CloseOverdue(today calendar.Date) bool {
	return c.Status != Closed && today > c.CloseBy
}

// Item is a complaint in the queue, with its overdue flags as of today.
type Item struct {
	Complaint
	AcknowledgeOverdue, CloseOverdue bool
	// DaysLeft is the days until NextDeadline (negative once overdue).
	DaysLeft int
}

// Service logs and works complaints.
type Service struct {
	db    *db.DB
	today func(time.Time) calendar.Date
}

// New returns a Service over d; today gives the lender's calendar date at
// an instant (its time zone), from which deadlines count.
func New(d *db.DB, today func(time.Time) calendar.Date) *Service {
	return &Service{db: d, today: today}
}

func isChoice(list []Choice, v string) bool {
	return slices.ContainsFunc(list, func(c Choice) bool { return c.Value == v })
}

// text trims s and refuses it, naming what, when it is empty, not text, or
// over maxChars characters.
func text(what, s string, maxChars int) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", fmt.Errorf("%w: %s is required", ErrInvalid, what)
	case !utf8.ValidString(s) || strings.ContainsRune(s, 0):
		return "", fmt.Errorf("%w: %s is not text", ErrInvalid, what)
	case utf8.RuneCountInString(s) > maxChars:
		return "", fmt.Errorf("%w: %s is over %d characters", ErrInvalid, what, maxChars)
	}
	return s, nil
}

// Log records a complaint by the staff login by, with its deadlines, and
// audits it. Returns ErrInvalid (an unknown category or channel, an empty
// or too long description, a received date in the future or too far
// back, a contract not the customer's), ErrNotFound (no such customer) or
// ErrNotStaff; nothing is written then.
func (s *Service) Log(ctx context.Context, by int64, n NewComplaint) (Complaint, error) {
	if !isChoice(Categories, n.Category) {
		return Complaint{}, fmt.Errorf("%w: unknown category %q", ErrInvalid, n.Category)
	}
	if !isChoice(Channels, n.Channel) {
		return Complaint{}, fmt.Errorf("%w: unknown channel %q", ErrInvalid, n.Channel)
	}
	desc, err := text("a description", n.Description, descriptionCharsMax)
	if err != nil {
		return Complaint{}, err
	}
	var c Complaint
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := requireStaff(ctx, tx, by); err != nil {
			return err
		}
		today := s.today(tx.Now())
		received := n.ReceivedOn
		if received == 0 {
			received = today
		}
		if received > today {
			return fmt.Errorf("%w: the date received is in the future", ErrInvalid)
		}
		if received < today.AddDays(-receivedDaysMax) {
			return fmt.Errorf("%w: the date received is more than %d days ago", ErrInvalid, receivedDaysMax)
		}
		var found int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM customers WHERE id = $1`, n.CustomerID).Scan(&found); err != nil {
			return fmt.Errorf("log complaint: read customer %d: %w", n.CustomerID, err)
		}
		if found == 0 {
			return ErrNotFound
		}
		var contract sql.NullInt64
		if n.ContractID != 0 {
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM contracts WHERE id = $1 AND customer_id = $2`, n.ContractID, n.CustomerID).Scan(&found); err != nil {
				return fmt.Errorf("log complaint: read contract %d: %w", n.ContractID, err)
			}
			if found == 0 {
				return fmt.Errorf("%w: contract %d is not the customer's", ErrInvalid, n.ContractID)
			}
			contract = sql.NullInt64{Int64: n.ContractID, Valid: true}
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO complaints (customer_id, contract_id, category, channel, description, status,
				received_on, acknowledge_by, close_by, logged_by, created_at)
			VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $9, $10) RETURNING id`,
			n.CustomerID, contract, n.Category, n.Channel, desc, received, received.AddDays(acknowledgeDays), received.AddDays(closeDays),
			by, tx.Now()).Scan(&id); err != nil {
			return fmt.Errorf("log complaint: insert: %w", err)
		}
		details := map[string]string{"complaint": strconv.FormatInt(id, 10), "category": n.Category, "channel": n.Channel,
			"received": received.String(), "status": Open}
		if n.ContractID != 0 {
			details["contract"] = strconv.FormatInt(n.ContractID, 10)
		}
		if err := audit.Record(ctx, tx, audit.Event{Actor: staffActor(by), Action: "complaint.log",
			Subject: "customer:" + strconv.FormatInt(n.CustomerID, 10), Details: details}); err != nil {
			return err
		}
		c, err = get(ctx, tx, id)
		return err
	})
	if err != nil {
		return Complaint{}, err
	}
	return c, nil
}

// Acknowledge marks an open complaint acknowledged by the staff login by,
// with a note of what the customer was told, and audits it. Returns
// ErrInvalid (no note), ErrNotFound, ErrState (not open) or ErrNotStaff;
// nothing is written then.
func (s *Service) Acknowledge(ctx context.Context, by, id int64, note string) error {
	note, err := text("a note", note, noteCharsMax)
	if err != nil {
		return err
	}
	return s.change(ctx, by, id, "complaint.acknowledge", Acknowledged, note,
		`UPDATE complaints SET status = 'acknowledged', acknowledged_by = $1, acknowledged_at = $2, acknowledge_note = $3
		WHERE id = $4 AND status = 'open'`)
}

// Close closes an open or acknowledged complaint by the staff login by,
// with the resolution (required: what was found and done), and audits it.
// Returns ErrInvalid (no resolution), ErrNotFound, ErrState (already
// closed) or ErrNotStaff; nothing is written then.
func (s *Service) Close(ctx context.Context, by, id int64, resolution string) error {
	resolution, err := text("a resolution", resolution, noteCharsMax)
	if err != nil {
		return err
	}
	return s.change(ctx, by, id, "complaint.close", Closed, resolution,
		`UPDATE complaints SET status = 'closed', closed_by = $1, closed_at = $2, resolution = $3
		WHERE id = $4 AND status IN ('open', 'acknowledged')`)
}

// change runs update (by, now, note, id), which moves complaint id to
// status when its status allows, and audits the change with the note.
func (s *Service) change(ctx context.Context, by, id int64, action, status, note, update string) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := requireStaff(ctx, tx, by); err != nil {
			return err
		}
		var customerID int64
		var from string
		err := tx.QueryRowContext(ctx, `SELECT customer_id, status FROM complaints WHERE id = $1`+tx.DB().ForUpdate(), id).Scan(&customerID, &from)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("%s %d: %w", action, id, err)
		}
		res, err := tx.ExecContext(ctx, update, by, tx.Now(), note, id)
		if err != nil {
			return fmt.Errorf("%s %d: %w", action, id, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("%s %d: %w", action, id, err)
		} else if n == 0 {
			return fmt.Errorf("%w: complaint %d is %s", ErrState, id, from)
		}
		return audit.Record(ctx, tx, audit.Event{Actor: staffActor(by), Action: action,
			Subject: "customer:" + strconv.FormatInt(customerID, 10),
			Details: map[string]string{"complaint": strconv.FormatInt(id, 10), "from": from, "status": status, "note": note}})
	})
}

// Get returns complaint id, or ErrNotFound.
func (s *Service) Get(ctx context.Context, id int64) (Complaint, error) {
	return get(ctx, s.db.Read, id)
}

const selectComplaint = `SELECT c.id, c.customer_id, cu.first_name, cu.last_name, c.contract_id, c.category, c.channel, c.description, c.status,
		c.received_on, c.acknowledge_by, c.close_by, c.logged_by, c.created_at, c.acknowledged_by, c.acknowledged_at, c.acknowledge_note,
		c.closed_by, c.closed_at, c.resolution
	FROM complaints c JOIN customers cu ON cu.id = c.customer_id`

func get(ctx context.Context, q db.Querier, id int64) (Complaint, error) {
	rows, err := q.QueryContext(ctx, selectComplaint+` WHERE c.id = $1`, id)
	if err != nil {
		return Complaint{}, fmt.Errorf("read complaint %d: %w", id, err)
	}
	cs, err := scan(rows)
	if err != nil {
		return Complaint{}, fmt.Errorf("read complaint %d: %w", id, err)
	}
	if len(cs) == 0 {
		return Complaint{}, ErrNotFound
	}
	return cs[0], nil
}

func scan(rows *sql.Rows) ([]Complaint, error) {
	defer rows.Close()
	var out []Complaint
	for rows.Next() {
		var c Complaint
		var first, last string
		var contract, ackBy, closedBy sql.NullInt64
		var ackAt, closedAt sql.NullTime
		if err := rows.Scan(&c.ID, &c.CustomerID, &first, &last, &contract, &c.Category, &c.Channel, &c.Description, &c.Status,
			&c.ReceivedOn, &c.AcknowledgeBy, &c.CloseBy, &c.LoggedBy, &c.CreatedAt, &ackBy, &ackAt, &c.AcknowledgeNote,
			&closedBy, &closedAt, &c.Resolution); err != nil {
			return nil, err
		}
		c.CustomerName = strings.TrimSpace(first + " " + last)
		c.ContractID, c.AcknowledgedByStaff, c.ClosedByStaff = contract.Int64, ackBy.Int64, closedBy.Int64
		c.CreatedAt = c.CreatedAt.UTC()
		if ackAt.Valid {
			c.AcknowledgedAt = ackAt.Time.UTC()
		}
		if closedAt.Valid {
			c.ClosedAt = closedAt.Time.UTC()
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Queue returns the complaints not yet closed, nearest deadline first
// (acknowledging for open ones, closing for acknowledged ones), at most
// limit (at most queueMax; 0 or less means queueMax), with their overdue
// flags as of today. It returns an error only if the database fails.
func (s *Service) Queue(ctx context.Context, limit int) ([]Item, error) {
	if limit <= 0 || limit > queueMax {
		limit = queueMax
	}
	rows, err := s.db.Read.QueryContext(ctx, selectComplaint+` WHERE c.status IN ('open', 'acknowledged')
		ORDER BY CASE WHEN c.status = 'open' THEN c.acknowledge_by ELSE c.close_by END, c.id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("complaints queue: %w", err)
	}
	cs, err := scan(rows)
	if err != nil {
		return nil, fmt.Errorf("complaints queue: %w", err)
	}
	today := s.today(s.db.Now())
	items := make([]Item, len(cs))
	for i, c := range cs {
		items[i] = Item{Complaint: c, AcknowledgeOverdue: c.AcknowledgeOverdue(today), CloseOverdue: c.CloseOverdue(today),
			DaysLeft: int(c.NextDeadline() - today)}
	}
	return items, nil
}

// OfCustomer returns the customer's complaints, newest first, at most
// queueMax. It returns an error only if the database fails.
func (s *Service) OfCustomer(ctx context.Context, customerID int64) ([]Complaint, error) {
	rows, err := s.db.Read.QueryContext(ctx, selectComplaint+` WHERE c.customer_id = $1 ORDER BY c.id DESC LIMIT $2`, customerID, queueMax)
	if err != nil {
		return nil, fmt.Errorf("complaints of customer %d: %w", customerID, err)
	}
	cs, err := scan(rows)
	if err != nil {
		return nil, fmt.Errorf("complaints of customer %d: %w", customerID, err)
	}
	return cs, nil
}

// requireStaff returns ErrNotStaff unless by is a staff login.
func requireStaff(ctx context.Context, tx *db.Tx, by int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM logins WHERE id = $1 AND realm = 'staff'`, by).Scan(&n); err != nil {
		return fmt.Errorf("read staff %d: %w", by, err)
	}
	if n == 0 {
		return ErrNotStaff
	}
	return nil
}

func staffActor(by int64) string { return "staff:" + strconv.FormatInt(by, 10) }
