package support

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"carfin/audit"
	"carfin/db"
)

// The staff queue of secure messages. A thread is open or closed, and may
// be assigned to one staff member. It is awaiting a reply from the first
// customer message staff have not answered (awaiting_since) until a staff
// reply or its closing: the queue shows those first, the longest wait
// first, because the oldest unanswered customer is the one most likely to
// call or complain. A customer writing to a closed thread reopens it.
//
// Every staff change (assignment, closing) is audited with the staff
// login as actor; only a staff login may make one, and a thread is
// assigned only to an active staff member.

// Limits of the queue.
const (
	// QueueMax bounds one page of the queue and of a customer's threads.
	QueueMax = 200
	// CloseReasonRunesMax bounds why a thread was closed.
	CloseReasonRunesMax = 500
)

// Thread statuses.
const (
	StatusOpen   = "open"
	StatusClosed = "closed"
)

// Scopes of the queue.
const (
	// ScopeAll is every open thread.
	ScopeAll = "all"
	// ScopeMine is the open threads assigned to QueueFilter.StaffLoginID.
	ScopeMine = "mine"
	// ScopeUnassigned is the open threads assigned to no one.
	ScopeUnassigned = "unassigned"
)

// More errors of the queue.
var (
	// ErrNotStaff is an acting login that is not staff, or a disabled or
	// pending staff member.
	ErrNotStaff = errors.New("not an active staff login")
	// ErrAssignee is an assignment to a login that is not an active
	// staff member.
	ErrAssignee = errors.New("can only assign to an active staff member")
	// ErrScope is a QueueFilter with an unknown scope, or "mine" without
	// a staff login.
	ErrScope = errors.New("unknown queue scope")
)

// QueueFilter chooses a part of the queue.
type QueueFilter struct {
	// Scope is ScopeAll ("" too), ScopeMine or ScopeUnassigned.
	Scope string
	// StaffLoginID is whose threads ScopeMine shows.
	StaffLoginID int64
	// Limit is at most QueueMax (0: QueueMax).
	Limit int
}

// QueueItem is a thread as the staff queue and the customer screen show it.
type QueueItem struct {
	ThreadID     int64
	CustomerID   int64
	CustomerName string
	Subject      string
	// AssignedTo is the staff login the thread is assigned to (0: no one),
	// AssignedName their display name.
	AssignedTo   int64
	AssignedName string
	Status       string
	// AwaitingSince is the oldest customer message staff have not
	// answered; zero when none.
	AwaitingSince time.Time
	Messages      int
	LastMessageAt time.Time
	// Unread: a customer message staff have not opened.
	Unread bool
}

// Awaiting reports whether the thread waits for a staff reply.
func (q QueueItem) Awaiting() bool { return !q.AwaitingSince.IsZero() }

// queueSelect reads QueueItems; callers add WHERE, ORDER and LIMIT.
const queueSelect = `SELECT t.id, t.customer_id, c.first_name, c.last_name, t.subject, COALESCE(t.assigned_to, 0), COALESCE(l.display_name, ''),
	t.status, t.awaiting_since, (SELECT count(*) FROM support_messages m WHERE m.thread_id = t.id), t.last_message_at, t.unread_by_staff
	FROM support_threads t JOIN customers c ON c.id = t.customer_id LEFT JOIN logins l ON l.id = t.assigned_to `

// Queue returns open threads for staff: those awaiting a reply first, the
// oldest wait first, then the others, the latest activity first; at most
// f.Limit (QueueMax). Returns ErrScope for a bad filter.
func (s *Service) Queue(ctx context.Context, f QueueFilter) ([]QueueItem, error) {
	var scope string
	var args []any
	switch f.Scope {
	case ScopeAll, "":
	case ScopeMine:
		if f.StaffLoginID == 0 {
			return nil, ErrScope
		}
		scope, args = ` AND t.assigned_to = $2`, []any{f.StaffLoginID}
	case ScopeUnassigned:
		scope = ` AND t.assigned_to IS NULL`
	default:
		return nil, fmt.Errorf("%w %q", ErrScope, f.Scope)
	}
	limit := clampLimit(f.Limit)
	// Two reads, each an index range (support_threads_queue, then
	// support_threads_answered; support_threads_assigned for a scope)
	// rather than one sort of every open thread.
	waiting, err := s.queueItems(ctx, queueSelect+`WHERE t.status = 'open' AND t.awaiting_since IS NOT NULL`+scope+
		` ORDER BY t.awaiting_since, t.last_message_at, t.id LIMIT $1`, append([]any{limit}, args...)...)
	if err != nil || len(waiting) == limit {
		return waiting, err
	}
	rest, err := s.queueItems(ctx, queueSelect+`WHERE t.status = 'open' AND t.awaiting_since IS NULL`+scope+
		` ORDER BY t.last_message_at DESC, t.id DESC LIMIT $1`, append([]any{limit - len(waiting)}, args...)...)
	return append(waiting, rest...), err
}

// ThreadsOfCustomer returns the customer's threads, open and closed, for
// the staff console's customer screen: the latest activity first, at most
// limit (QueueMax).
func (s *Service) ThreadsOfCustomer(ctx context.Context, customerID int64, limit int) ([]QueueItem, error) {
	return s.queueItems(ctx, queueSelect+`WHERE t.customer_id = $1 ORDER BY t.last_message_at DESC, t.id DESC LIMIT $2`,
		customerID, clampLimit(limit))
}

// QueueCounts returns, for the console's home page, how many open threads
// await a reply, how many open threads are assigned to no one, and the
// oldest wait (zero when none awaits).
func (s *Service) QueueCounts(ctx context.Context) (awaiting, unassigned int, oldest time.Time, err error) {
	if err = s.db.Read.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM support_threads WHERE status = 'open' AND awaiting_since IS NOT NULL),
		(SELECT count(*) FROM support_threads WHERE status = 'open' AND assigned_to IS NULL)`).Scan(&awaiting, &unassigned); err != nil {
		return 0, 0, time.Time{}, fmt.Errorf("count the queue: %w", err)
	}
	// The column itself, not min(): SQLite keeps its type only so.
	var t sql.NullTime
	err = s.db.Read.QueryRowContext(ctx, `SELECT awaiting_since FROM support_threads WHERE status = 'open' AND awaiting_since IS NOT NULL
		ORDER BY awaiting_since LIMIT 1`).Scan(&t)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, 0, time.Time{}, fmt.Errorf("oldest wait: %w", err)
	}
	return awaiting, unassigned, t.Time, nil
}

func clampLimit(n int) int {
	if n <= 0 || n > QueueMax {
		return QueueMax
	}
	return n
}

func (s *Service) queueItems(ctx context.Context, query string, args ...any) ([]QueueItem, error) {
	rows, err := s.db.Read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read the queue: %w", err)
	}
	defer rows.Close()
	var out []QueueItem
	for rows.Next() {
		var q QueueItem
		var first, last string
		var since sql.NullTime
		var unread int
		if err := rows.Scan(&q.ThreadID, &q.CustomerID, &first, &last, &q.Subject, &q.AssignedTo, &q.AssignedName,
			&q.Status, &since, &q.Messages, &q.LastMessageAt, &unread); err != nil {
			return nil, fmt.Errorf("read the queue: %w", err)
		}
		q.CustomerName, q.AwaitingSince, q.Unread = strings.TrimSpace(first+" "+last), since.Time, unread == 1
		out = append(out, q)
	}
	return out, rows.Err()
}

// requireStaff checks, in the transaction, that login is a staff login
// and, when it has a staff account (staff_members), an active one.
func requireStaff(ctx context.Context, tx *db.Tx, login int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM logins l WHERE l.id = $1 AND l.realm = 'staff'
		AND NOT EXISTS (SELECT 1 FROM staff_members m WHERE m.login_id = l.id AND m.status <> 'active')`, login).Scan(&n); err != nil {
		return fmt.Errorf("read staff login %d: %w", login, err)
	}
	if n != 1 {
		return ErrNotStaff
	}
	return nil
}

// lockThread reads a thread's customer, status and assignee for a change.
func lockThread(ctx context.Context, tx *db.Tx, threadID int64) (customerID, assignedTo int64, status string, err error) {
	err = tx.QueryRowContext(ctx, `SELECT customer_id, COALESCE(assigned_to, 0), status FROM support_threads WHERE id = $1`+tx.DB().ForUpdate(),
		threadID).Scan(&customerID, &assignedTo, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, "", ErrNotFound
	}
	if err != nil {
		return 0, 0, "", fmt.Errorf("read thread %d: %w", threadID, err)
	}
	return customerID, assignedTo, status, nil
}

// Assign gives a thread to the active staff member toLoginID (the acting
// staff member themself to take it; 0 to leave it to no one), on behalf
// of staffLoginID, and audits it. Returns ErrNotStaff for an acting login
// that is not active staff, ErrAssignee, ErrNotFound for an unknown
// thread.
func (s *Service) Assign(ctx context.Context, staffLoginID, threadID, toLoginID int64) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := requireStaff(ctx, tx, staffLoginID); err != nil {
			return err
		}
		customerID, from, _, err := lockThread(ctx, tx, threadID)
		if err != nil {
			return err
		}
		var to any
		if toLoginID != 0 {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM staff_members m JOIN logins l ON l.id = m.login_id
				WHERE m.login_id = $1 AND m.status = 'active' AND l.realm = 'staff'`, toLoginID).Scan(&n); err != nil {
				return fmt.Errorf("read staff member %d: %w", toLoginID, err)
			}
			if n != 1 {
				return ErrAssignee
			}
			to = toLoginID
		}
		if from == toLoginID {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE support_threads SET assigned_to = $1 WHERE id = $2`, to, threadID); err != nil {
			return fmt.Errorf("assign thread %d: %w", threadID, err)
		}
		return audit.Record(ctx, tx, audit.Event{Actor: fmt.Sprintf("staff:%d", staffLoginID), Action: "support.assign",
			Subject: fmt.Sprintf("customer:%d", customerID), Details: map[string]string{"thread": fmt.Sprint(threadID),
				"from": fmt.Sprint(from), "to": fmt.Sprint(toLoginID)}})
	})
}

// CloseThread closes a thread on behalf of staffLoginID, for reason
// (plain text, up to CloseReasonRunesMax), and audits it with the reason:
// it leaves the queue and awaits nothing, until the customer writes
// again. Closing a closed thread changes nothing. Returns FieldErrors
// ("reason"), ErrNotStaff, ErrNotFound.
func (s *Service) CloseThread(ctx context.Context, staffLoginID, threadID int64, reason string) error {
	reason = strings.Join(strings.Fields(reason), " ")
	switch {
	case reason == "":
		return FieldErrors{"reason": Required}
	case !utf8.ValidString(reason) || utf8.RuneCountInString(reason) > CloseReasonRunesMax:
		return FieldErrors{"reason": TooLong}
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := requireStaff(ctx, tx, staffLoginID); err != nil {
			return err
		}
		customerID, _, status, err := lockThread(ctx, tx, threadID)
		if err != nil || status == StatusClosed {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE support_threads SET status = 'closed', closed_at = $1, closed_by = $2, close_reason = $3,
			awaiting_since = NULL WHERE id = $4`, tx.Now(), staffLoginID, reason, threadID); err != nil {
			return fmt.Errorf("close thread %d: %w", threadID, err)
		}
		return audit.Record(ctx, tx, audit.Event{Actor: fmt.Sprintf("staff:%d", staffLoginID), Action: "support.close",
			Subject: fmt.Sprintf("customer:%d", customerID), Details: map[string]string{"thread": fmt.Sprint(threadID), "reason": reason}})
	})
}
