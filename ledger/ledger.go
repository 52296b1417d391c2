// Package ledger is carfin's double-entry ledger and the one home of the
// balance invariant: every transaction's postings sum to zero. Rows are
// never updated or deleted (the database refuses it); a mistake is
// corrected by a reversing transaction that mirrors the original.
//
// A posting is a signed amount on an account: debits positive, credits
// negative. Per-contract accounts (principal, interest, fees, …) carry the
// contract's id; a contract's balance in an account is the sum of its
// postings there. General-ledger accounts have no cached balance row, so
// concurrent postings never queue on one hot row.
package ledger

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"carfin/calendar"
	"carfin/db"
	"carfin/money"
)

// Posting is one line of a transaction.
type Posting struct {
	Account     string
	AmountCents money.Cents
}

// Transaction is one business event as balanced postings.
type Transaction struct {
	ID             int64 // set by Post
	ContractID     int64 // 0 for a general-ledger transaction
	Kind           string
	EffectiveDate  calendar.Date
	IdempotencyKey string
	// RequestHash identifies the request behind the key: posting a key
	// again with another hash is a conflict, not a retry.
	RequestHash string
	ReversesID  int64
	Ref         string
	Memo        string
	Postings    []Posting
}

// ErrIdempotencyConflict is returned when an idempotency key was already
// used for a different request.
var ErrIdempotencyConflict = errors.New("idempotency key already used for a different request")

// ErrNotFound is returned for an unknown transaction.
var ErrNotFound = errors.New("ledger transaction not found")

// ErrAlreadyReversed is returned when reversing a transaction twice.
var ErrAlreadyReversed = errors.New("ledger transaction already reversed")

// Limits.
const (
	keyLenMax     = 200
	postingsMax   = 64
	accountLenMax = 64
	memoLenMax    = 500
)

// mustBalance panics unless t is a well-formed, balanced transaction: an
// unbalanced transaction is a bug in the caller, never bad input.
func mustBalance(t *Transaction) {
	if len(t.Postings) < 2 || len(t.Postings) > postingsMax {
		panic(fmt.Sprintf("ledger: transaction %q has %d postings", t.IdempotencyKey, len(t.Postings)))
	}
	var sum money.Cents
	for _, p := range t.Postings {
		if p.AmountCents == 0 || p.Account == "" || len(p.Account) > accountLenMax {
			panic(fmt.Sprintf("ledger: transaction %q has a malformed posting %+v", t.IdempotencyKey, p))
		}
		sum += p.AmountCents
	}
	if sum != 0 {
		panic(fmt.Sprintf("ledger: transaction %q does not balance: %s", t.IdempotencyKey, sum))
	}
	if t.IdempotencyKey == "" || len(t.IdempotencyKey) > keyLenMax || t.Kind == "" || t.EffectiveDate.IsZero() || len(t.Memo) > memoLenMax {
		panic(fmt.Sprintf("ledger: transaction %+v lacks a key, kind or date", *t))
	}
}

// HashPostings returns a request hash of a transaction's content, for
// callers whose request is the postings themselves.
func HashPostings(t *Transaction) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d|%s|%s|%d|%s", t.ContractID, t.Kind, t.EffectiveDate, t.ReversesID, t.Ref)
	for _, p := range t.Postings {
		fmt.Fprintf(h, "|%s=%d", p.Account, p.AmountCents)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Post records t in tx and returns its id. It panics if t does not
// balance. If t's idempotency key was already posted with the same request
// hash it returns the first transaction's id and dup = true, writing
// nothing; with another hash it returns ErrIdempotencyConflict.
func Post(ctx context.Context, tx *db.Tx, t *Transaction) (id int64, dup bool, err error) {
	mustBalance(t)
	if t.RequestHash == "" {
		t.RequestHash = HashPostings(t)
	}
	var prevID int64
	var prevHash string
	err = tx.QueryRowContext(ctx, `SELECT id, request_hash FROM ledger_transactions WHERE idempotency_key = $1`, t.IdempotencyKey).Scan(&prevID, &prevHash)
	switch {
	case err == nil:
		if prevHash != t.RequestHash {
			return 0, false, fmt.Errorf("post %q: %w", t.IdempotencyKey, ErrIdempotencyConflict)
		}
		t.ID = prevID
		return prevID, true, nil
	case !errors.Is(err, sql.ErrNoRows):
		return 0, false, fmt.Errorf("post %q: %w", t.IdempotencyKey, err)
	}
	if err := insert(ctx, tx, []*Transaction{t}); err != nil {
		return 0, false, err
	}
	return t.ID, false, nil
}

// PostMany records many transactions in bulk (COPY on PostgreSQL). It
// panics if any does not balance. It does not look keys up first: a
// duplicate key fails the whole batch with a unique violation, which the
// caller's transaction rolls back.
func PostMany(ctx context.Context, tx *db.Tx, ts []*Transaction) error {
	for _, t := range ts {
		mustBalance(t)
		if t.RequestHash == "" {
			t.RequestHash = HashPostings(t)
		}
	}
	return insert(ctx, tx, ts)
}

func insert(ctx context.Context, tx *db.Tx, ts []*Transaction) error {
	if len(ts) == 0 {
		return nil
	}
	if tx.Engine() == db.Postgres && len(ts) <= oneStatementMax {
		return insertOneStatement(ctx, tx, ts)
	}
	ids, err := tx.NextIDs(ctx, "ledger_transactions", len(ts))
	if err != nil {
		return err
	}
	txRows := make([][]any, len(ts))
	var nPostings int
	for i, t := range ts {
		t.ID = ids[i]
		txRows[i] = []any{t.ID, nullID(t.ContractID), t.Kind, t.EffectiveDate, t.IdempotencyKey, t.RequestHash,
			nullID(t.ReversesID), t.Ref, t.Memo, tx.Now()}
		nPostings += len(t.Postings)
	}
	if err := tx.CopyFrom(ctx, "ledger_transactions",
		[]string{"id", "contract_id", "kind", "effective_date", "idempotency_key", "request_hash", "reverses_id", "ref", "memo", "created_at"},
		txRows); err != nil {
		return fmt.Errorf("post %d ledger transactions: %w", len(ts), err)
	}
	pRows := make([][]any, 0, nPostings)
	for _, t := range ts {
		for line, p := range t.Postings {
			pRows = append(pRows, []any{t.ID, line + 1, nullID(t.ContractID), p.Account, int64(p.AmountCents)})
		}
	}
	if err := tx.CopyFrom(ctx, "ledger_postings", []string{"transaction_id", "line", "contract_id", "account", "amount_cents"}, pRows); err != nil {
		return fmt.Errorf("post %d ledger postings: %w", len(pRows), err)
	}
	return nil
}

// oneStatementMax is the most transactions insertOneStatement writes; a
// payment posts one or two.
const oneStatementMax = 8

// insertOneStatement writes a few transactions and their postings in one
// PostgreSQL statement (a data-modifying WITH): one round trip instead of
// three for the common case of a single payment.
func insertOneStatement(ctx context.Context, tx *db.Tx, ts []*Transaction) error {
	var b strings.Builder
	var args []any
	arg := func(v any, cast string) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args)) + cast
	}
	b.WriteString(`WITH t AS (INSERT INTO ledger_transactions (contract_id, kind, effective_date, idempotency_key, request_hash,
		reverses_id, ref, memo, created_at) VALUES `)
	for i, t := range ts {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(" + strings.Join([]string{arg(nullID(t.ContractID), "::bigint"), arg(t.Kind, ""), arg(t.EffectiveDate, "::date"),
			arg(t.IdempotencyKey, ""), arg(t.RequestHash, ""), arg(nullID(t.ReversesID), "::bigint"), arg(t.Ref, ""), arg(t.Memo, ""),
			arg(tx.Now(), "")}, ", ") + ")")
	}
	b.WriteString(` RETURNING id, idempotency_key),
	p AS (INSERT INTO ledger_postings (transaction_id, line, contract_id, account, amount_cents)
		SELECT t.id, v.line, v.contract_id, v.account, v.amount FROM t JOIN (VALUES `)
	first := true
	for _, t := range ts {
		for line, p := range t.Postings {
			if !first {
				b.WriteString(", ")
			}
			first = false
			b.WriteString("(" + strings.Join([]string{arg(t.IdempotencyKey, "::text"), arg(line+1, "::integer"),
				arg(nullID(t.ContractID), "::bigint"), arg(p.Account, "::text"), arg(int64(p.AmountCents), "::bigint")}, ", ") + ")")
		}
	}
	b.WriteString(`) AS v (key, line, contract_id, account, amount) ON v.key = t.idempotency_key)
	SELECT id, idempotency_key FROM t`)
	rows, err := tx.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return fmt.Errorf("post %d ledger transactions: %w", len(ts), err)
	}
	defer rows.Close()
	ids := make(map[string]int64, len(ts))
	for rows.Next() {
		var id int64
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			return err
		}
		ids[key] = id
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("post %d ledger transactions: %w", len(ts), err)
	}
	for _, t := range ts {
		if t.ID = ids[t.IdempotencyKey]; t.ID == 0 {
			return fmt.Errorf("post %q: no id returned", t.IdempotencyKey)
		}
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// Get loads a transaction and its postings.
func Get(ctx context.Context, q db.Querier, id int64) (*Transaction, error) {
	t := &Transaction{ID: id}
	var contractID, reverses sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT contract_id, kind, effective_date, idempotency_key, request_hash, reverses_id, ref, memo
		FROM ledger_transactions WHERE id = $1`, id).Scan(&contractID, &t.Kind, &t.EffectiveDate, &t.IdempotencyKey, &t.RequestHash, &reverses, &t.Ref, &t.Memo)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("transaction %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("transaction %d: %w", id, err)
	}
	t.ContractID, t.ReversesID = contractID.Int64, reverses.Int64
	rows, err := q.QueryContext(ctx, `SELECT account, amount_cents FROM ledger_postings WHERE transaction_id = $1 ORDER BY line`, id)
	if err != nil {
		return nil, fmt.Errorf("postings of %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var p Posting
		if err := rows.Scan(&p.Account, &p.AmountCents); err != nil {
			return nil, err
		}
		t.Postings = append(t.Postings, p)
	}
	return t, rows.Err()
}

// Reversal returns the transaction that reverses orig: the same postings
// with opposite signs, on the given date, under the given key.
func Reversal(orig *Transaction, key string, date calendar.Date, memo string) *Transaction {
	r := &Transaction{
		ContractID: orig.ContractID, Kind: "reversal", EffectiveDate: date, IdempotencyKey: key,
		ReversesID: orig.ID, Ref: orig.Ref, Memo: memo, Postings: make([]Posting, len(orig.Postings)),
	}
	for i, p := range orig.Postings {
		r.Postings[i] = Posting{p.Account, -p.AmountCents}
	}
	return r
}

// Reverse posts the reversal of transaction id. It returns
// ErrAlreadyReversed if it was reversed before, ErrNotFound if it does
// not exist.
func Reverse(ctx context.Context, tx *db.Tx, id int64, key string, date calendar.Date, memo string) (int64, error) {
	orig, err := Get(ctx, tx, id)
	if err != nil {
		return 0, err
	}
	if orig.Kind == "reversal" {
		return 0, fmt.Errorf("reverse %d: a reversal is corrected by a new posting, not reversed: %w", id, ErrAlreadyReversed)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM ledger_transactions WHERE reverses_id = $1`, id).Scan(&n); err != nil {
		return 0, err
	}
	if n > 0 {
		return 0, fmt.Errorf("reverse %d: %w", id, ErrAlreadyReversed)
	}
	r := Reversal(orig, key, date, memo)
	rid, _, err := Post(ctx, tx, r)
	return rid, err
}

// Balances returns a contract's balance in each of its accounts, summed
// from its postings (only accounts with postings appear).
func Balances(ctx context.Context, q db.Querier, contractID int64) (map[string]money.Cents, error) {
	rows, err := q.QueryContext(ctx, `SELECT p.account, SUM(p.amount_cents) FROM ledger_transactions t
		JOIN ledger_postings p ON p.transaction_id = t.id WHERE t.contract_id = $1 GROUP BY p.account`, contractID)
	if err != nil {
		return nil, fmt.Errorf("balances of contract %d: %w", contractID, err)
	}
	defer rows.Close()
	out := map[string]money.Cents{}
	for rows.Next() {
		var a string
		var v int64
		if err := rows.Scan(&a, &v); err != nil {
			return nil, err
		}
		out[a] = money.Cents(v)
	}
	return out, rows.Err()
}

// AccountBalance returns the balance of an account across all contracts
// and the general ledger.
func AccountBalance(ctx context.Context, q db.Querier, account string) (money.Cents, error) {
	var v sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT SUM(amount_cents) FROM ledger_postings WHERE account = $1`, account).Scan(&v); err != nil {
		return 0, fmt.Errorf("balance of %s: %w", account, err)
	}
	return money.Cents(v.Int64), nil
}

// Finding is one problem `carfin check` reports.
type Finding struct {
	What string
}

func (f Finding) String() string { return f.What }

// findingsMax bounds what Check reports; one problem is enough to fail.
const findingsMax = 100

// Check verifies the ledger on its own terms: every transaction has
// postings that sum to zero, and every reversal mirrors its original
// exactly. It reads through the whole ledger with two grouped queries.
func Check(ctx context.Context, q db.Querier) ([]Finding, error) {
	var out []Finding
	rows, err := q.QueryContext(ctx, `SELECT t.id, t.idempotency_key, COALESCE(SUM(p.amount_cents), 0), COUNT(p.line)
		FROM ledger_transactions t LEFT JOIN ledger_postings p ON p.transaction_id = t.id
		GROUP BY t.id, t.idempotency_key HAVING COALESCE(SUM(p.amount_cents), 0) <> 0 OR COUNT(p.line) < 2
		ORDER BY t.id LIMIT `+fmt.Sprint(findingsMax))
	if err != nil {
		return nil, fmt.Errorf("check balance: %w", err)
	}
	for rows.Next() {
		var id, n int64
		var key string
		var sum int64
		if err := rows.Scan(&id, &key, &sum, &n); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, Finding{fmt.Sprintf("ledger transaction %d (%s) has %d postings summing to %s", id, key, n, money.Cents(sum))})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// A reversal's postings, added to its original's, cancel per account.
	rows, err = q.QueryContext(ctx, `SELECT r.id, r.reverses_id, p.account, SUM(p.amount_cents)
		FROM ledger_transactions r JOIN ledger_postings p ON p.transaction_id IN (r.id, r.reverses_id)
		WHERE r.reverses_id IS NOT NULL
		GROUP BY r.id, r.reverses_id, p.account HAVING SUM(p.amount_cents) <> 0
		ORDER BY r.id LIMIT `+fmt.Sprint(findingsMax))
	if err != nil {
		return nil, fmt.Errorf("check reversals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var rid, oid, sum int64
		var account string
		if err := rows.Scan(&rid, &oid, &account, &sum); err != nil {
			return nil, err
		}
		out = append(out, Finding{fmt.Sprintf("reversal %d does not mirror transaction %d on %s (off by %s)", rid, oid, account, money.Cents(sum))})
	}
	return out, rows.Err()
}

// ValidAccount reports whether s is a plausible account name (lower-case
// letters and underscores), for inputs from staff tools.
func ValidAccount(s string) bool {
	return s != "" && len(s) <= accountLenMax && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz_") == ""
}
