// Package documents keeps the files a customer can download: payoff
// letters, payment receipts, statements, the contract. Every read is
// scoped by the customer, so a document id of another customer is simply
// not found.
package documents

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"carfin/db"
)

// Kinds of documents.
const (
	KindPayoffLetter = "payoff_letter"
	KindReceipt      = "receipt"
	KindStatement    = "statement"
	KindContract     = "contract"
	KindLeaseEnd     = "lease_end"
	// KindTax1098VLI is the borrower's statement of vehicle loan interest
	// (Form 1098-VLI, 26 USC 6050AA); KindInterestSummary the year-end
	// interest-paid summary every contract gets.
	KindTax1098VLI      = "tax_1098_vli"
	KindInterestSummary = "interest_summary"
)

// Document is a stored file and what the document center shows of it.
type Document struct {
	ID          int64
	CustomerID  int64
	ContractID  int64 // 0 for documents about no one contract
	Kind        string
	Title       string
	FileName    string
	ContentType string
	SizeBytes   int64
	SHA256      string
	// Ref ties the document to what it documents ("quote:PQ-…",
	// "payment:123"): one document per kind and ref.
	Ref       string
	CreatedAt time.Time
	Content   []byte // only from Get
}

// Errors callers branch on.
var (
	ErrNotFound = errors.New("document not found")
	ErrInvalid  = errors.New("invalid document")
)

// contentBytesMax bounds a stored document: statements and letters are a
// few KB; an upload larger than this belongs in object storage.
const contentBytesMax = 10 << 20

// Save stores a document in tx and returns its id. A document with the
// same kind and ref already stored is returned instead (saving is
// idempotent). It returns ErrInvalid for an empty or oversized file or a
// missing title, kind or content type.
func Save(ctx context.Context, tx *db.Tx, d Document) (int64, error) {
	if err := validate(d); err != nil {
		return 0, err
	}
	if d.Ref != "" {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM documents WHERE kind = $1 AND ref = $2`, d.Kind, d.Ref).Scan(&id)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("save document: %w", err)
		}
	}
	sum := sha256.Sum256(d.Content)
	var contract any
	if d.ContractID != 0 {
		contract = d.ContractID
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO documents (customer_id, contract_id, kind, title, file_name, content_type,
		size_bytes, sha256, content, ref, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		d.CustomerID, contract, d.Kind, d.Title, d.FileName, d.ContentType, len(d.Content), hex.EncodeToString(sum[:]),
		d.Content, d.Ref, tx.Now()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("save document %q: %w", d.Title, err)
	}
	return id, nil
}

// validate returns ErrInvalid for a document that cannot be stored.
func validate(d Document) error {
	switch {
	case d.CustomerID <= 0 || d.Kind == "" || strings.TrimSpace(d.Title) == "" || d.FileName == "" || d.ContentType == "":
		return fmt.Errorf("save document: customer, kind, title, file name and type are required: %w", ErrInvalid)
	case len(d.Content) == 0 || len(d.Content) > contentBytesMax:
		return fmt.Errorf("save document %q: %d bytes: %w", d.Title, len(d.Content), ErrInvalid)
	case len(d.Title) > 200 || len(d.FileName) > 200 || len(d.Ref) > 200:
		return fmt.Errorf("save document: title, file name or ref too long: %w", ErrInvalid)
	}
	return nil
}

const listColumns = `id, customer_id, COALESCE(contract_id, 0), kind, title, file_name, content_type, size_bytes, sha256, ref, created_at`

// listMax bounds a document list.
const listMax = 500

// List returns a customer's documents, newest first; with contractID ≠ 0
// only that contract's.
func List(ctx context.Context, q db.Querier, customerID, contractID int64) ([]Document, error) {
	return Find(ctx, q, customerID, Filter{ContractID: contractID})
}

// Filter narrows [Find]; a zero field does not narrow.
type Filter struct {
	ContractID int64
	Kind       string
	// From and To bound the creation time: From ≤ created_at < To. A
	// statement's created_at is its statement date, so a year of
	// statements is the year's bounds in the lender's time zone.
	From, To time.Time
	// Limit is at most, and by default, listMax.
	Limit int
}

// Find returns a customer's documents that pass f, newest first, at most
// f.Limit (listMax) of them: a caller that shows a long account life asks
// one year at a time (see [Span]).
func Find(ctx context.Context, q db.Querier, customerID int64, f Filter) ([]Document, error) {
	where, args := `customer_id = $1`, []any{customerID}
	arg := func(cond string, v any) {
		args = append(args, v)
		where += ` AND ` + cond + ` $` + fmt.Sprint(len(args))
	}
	if f.ContractID != 0 {
		arg(`contract_id =`, f.ContractID)
	}
	if f.Kind != "" {
		arg(`kind =`, f.Kind)
	}
	if !f.From.IsZero() {
		arg(`created_at >=`, f.From.UTC())
	}
	if !f.To.IsZero() {
		arg(`created_at <`, f.To.UTC())
	}
	limit := listMax
	if f.Limit > 0 && f.Limit < listMax {
		limit = f.Limit
	}
	rows, err := q.QueryContext(ctx, `SELECT `+listColumns+` FROM documents
		WHERE `+where+` ORDER BY created_at DESC, id DESC LIMIT `+fmt.Sprint(limit), args...)
	if err != nil {
		return nil, fmt.Errorf("documents of customer %d: %w", customerID, err)
	}
	defer rows.Close()
	var out []Document
	for rows.Next() {
		var d Document
		if err := rows.Scan(&d.ID, &d.CustomerID, &d.ContractID, &d.Kind, &d.Title, &d.FileName, &d.ContentType,
			&d.SizeBytes, &d.SHA256, &d.Ref, &d.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Span returns the creation times of a customer's oldest and newest
// documents (with contractID ≠ 0, that contract's), both zero if there
// are none: the years a document list offers to choose from.
func Span(ctx context.Context, q db.Querier, customerID, contractID int64) (oldest, newest time.Time, err error) {
	for _, c := range []struct {
		order string
		t     *time.Time
	}{{"ASC", &oldest}, {"DESC", &newest}} {
		err := q.QueryRowContext(ctx, `SELECT created_at FROM documents WHERE customer_id = $1 AND ($2 = 0 OR contract_id = $2)
			ORDER BY created_at `+c.order+` LIMIT 1`, customerID, contractID).Scan(c.t)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return time.Time{}, time.Time{}, fmt.Errorf("documents span of customer %d: %w", customerID, err)
		}
	}
	return oldest, newest, nil
}

// Get returns a document with its content if it is the customer's, and
// ErrNotFound otherwise.
func Get(ctx context.Context, q db.Querier, customerID, id int64) (Document, error) {
	var d Document
	err := q.QueryRowContext(ctx, `SELECT `+listColumns+`, content FROM documents WHERE id = $1 AND customer_id = $2`, id, customerID).
		Scan(&d.ID, &d.CustomerID, &d.ContractID, &d.Kind, &d.Title, &d.FileName, &d.ContentType, &d.SizeBytes, &d.SHA256,
			&d.Ref, &d.CreatedAt, &d.Content)
	if errors.Is(err, sql.ErrNoRows) {
		return Document{}, fmt.Errorf("document %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Document{}, fmt.Errorf("document %d: %w", id, err)
	}
	return d, nil
}
