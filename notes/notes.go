// Package notes keeps the servicing team's notes on a customer and,
// optionally, one of the customer's contracts. Notes are append-only: a
// note is never edited or removed (the database refuses both), and a
// correction is a new note, so the account's history reads as it was
// written. Every note is audited.
package notes

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"carfin/audit"
	"carfin/db"
)

// Limits, named so they are easy to find.
const (
	// bodyCharsMax bounds a note: a note is a line in the history, not a
	// document (documents belong in package documents).
	bodyCharsMax = 2000
	// listMax bounds one List.
	listMax = 500
)

// Errors of notes. Callers branch on them with errors.Is.
var (
	// ErrInvalid is a note that cannot be written: an empty body, one over
	// bodyCharsMax characters or not text, or a contract that is not the
	// customer's.
	ErrInvalid = errors.New("invalid note")
	// ErrNotFound is a customer that does not exist.
	ErrNotFound = errors.New("customer not found")
	// ErrNotStaff is an author who is not a staff login.
	ErrNotStaff = errors.New("not a staff login")
)

// Note is one note as written.
type Note struct {
	ID         int64
	CustomerID int64
	// ContractID is 0 when the note is about the customer as a whole.
	ContractID   int64
	StaffLoginID int64
	// StaffName is the author's display name.
	StaffName string
	Body      string
	CreatedAt time.Time
}

// Service adds and lists notes.
type Service struct {
	db *db.DB
}

// New returns a Service over d.
func New(d *db.DB) *Service { return &Service{db: d} }

// Add writes a note by the staff login by on customerID and, when
// contractID is not 0, on that contract of the customer's, and audits it
// (the audit event names the note, never its text). Returns ErrInvalid,
// ErrNotFound or ErrNotStaff, and nothing is written.
func (s *Service) Add(ctx context.Context, by, customerID, contractID int64, body string) (Note, error) {
	body = strings.TrimSpace(body)
	switch {
	case body == "":
		return Note{}, fmt.Errorf("%w: the note is empty", ErrInvalid)
	case !utf8.ValidString(body) || strings.ContainsRune(body, 0):
		return Note{}, fmt.Errorf("%w: the note is not text", ErrInvalid)
	case utf8.RuneCountInString(body) > bodyCharsMax:
		return Note{}, fmt.Errorf("%w: the note is over %d characters", ErrInvalid, bodyCharsMax)
	}
	n := Note{CustomerID: customerID, ContractID: contractID, StaffLoginID: by, Body: body}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT display_name FROM logins WHERE id = $1 AND realm = 'staff'`, by).Scan(&n.StaffName); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotStaff
			}
			return fmt.Errorf("add note: read staff %d: %w", by, err)
		}
		var found int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM customers WHERE id = $1`, customerID).Scan(&found); err != nil {
			return fmt.Errorf("add note: read customer %d: %w", customerID, err)
		}
		if found == 0 {
			return ErrNotFound
		}
		var contract sql.NullInt64
		if contractID != 0 {
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM contracts WHERE id = $1 AND customer_id = $2`, contractID, customerID).Scan(&found); err != nil {
				return fmt.Errorf("add note: read contract %d: %w", contractID, err)
			}
			if found == 0 {
				return fmt.Errorf("%w: contract %d is not the customer's", ErrInvalid, contractID)
			}
			contract = sql.NullInt64{Int64: contractID, Valid: true}
		}
		n.CreatedAt = tx.Now()
		if err := tx.QueryRowContext(ctx, `INSERT INTO customer_notes (customer_id, contract_id, staff_login_id, body, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, customerID, contract, by, body, n.CreatedAt).Scan(&n.ID); err != nil {
			return fmt.Errorf("add note: insert: %w", err)
		}
		details := map[string]string{"note": strconv.FormatInt(n.ID, 10)}
		if contractID != 0 {
			details["contract"] = strconv.FormatInt(contractID, 10)
		}
		return audit.Record(ctx, tx, audit.Event{Actor: "staff:" + strconv.FormatInt(by, 10), Action: "note.add",
			Subject: "customer:" + strconv.FormatInt(customerID, 10), Details: details})
	})
	if err != nil {
		return Note{}, err
	}
	return n, nil
}

// List returns the customer's notes, newest first, at most limit (at most
// listMax; a limit of 0 or less means listMax). It returns an error only
// if the database fails.
func (s *Service) List(ctx context.Context, customerID int64, limit int) ([]Note, error) {
	if limit <= 0 || limit > listMax {
		limit = listMax
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT n.id, n.customer_id, n.contract_id, n.staff_login_id, l.display_name, n.body, n.created_at
		FROM customer_notes n JOIN logins l ON l.id = n.staff_login_id
		WHERE n.customer_id = $1 ORDER BY n.id DESC LIMIT $2`, customerID, limit)
	if err != nil {
		return nil, fmt.Errorf("list notes of customer %d: %w", customerID, err)
	}
	defer rows.Close()
	var out []Note
	for rows.Next() {
		var n Note
		var contract sql.NullInt64
		if err := rows.Scan(&n.ID, &n.CustomerID, &contract, &n.StaffLoginID, &n.StaffName, &n.Body, &n.CreatedAt); err != nil {
			return nil, fmt.Errorf("list notes of customer %d: %w", customerID, err)
		}
		n.ContractID = contract.Int64
		n.CreatedAt = n.CreatedAt.UTC()
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list notes of customer %d: %w", customerID, err)
	}
	return out, nil
}
