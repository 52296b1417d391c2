package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// Tx is one database transaction with the time it began. Capability code
// reads the time only through Now, so that a transaction sees one instant
// and tests and "as of" runs can fix it.
type Tx struct {
	*sql.Tx
	conn *sql.Conn
	db   *DB
	now  time.Time
	// beforeCommit runs, in order, once fn has succeeded and just before
	// the commit (BeforeCommit).
	beforeCommit []func() error
}

// BeforeCommit has f run at the end of the transaction, after the rest of
// its work succeeded and just before it commits; an error from f rolls the
// whole transaction back. It is for writes that take a lock every
// transaction contends for (the audit chain's head): taken last, the lock
// is held for those writes and the commit only, not for the whole
// transaction. A savepoint rolled back drops what was registered inside it.
func (tx *Tx) BeforeCommit(f func() error) { tx.beforeCommit = append(tx.beforeCommit, f) }

// Querier is what both a *sql.DB and a *Tx offer, for read functions that
// run inside or outside a transaction.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Now returns the instant the transaction began (UTC).
func (tx *Tx) Now() time.Time { return tx.now }

// DB returns the database the transaction belongs to.
func (tx *Tx) DB() *DB { return tx.db }

// Engine returns the SQL engine of the transaction.
func (tx *Tx) Engine() Engine { return tx.db.Engine }

// BulkPlans makes the rest of a bulk transaction (thousands of rows
// driven by id arrays) plan its statements for any array size. PostgreSQL
// plans a prepared statement's first five runs on each connection for the
// values given: told that an unnest holds 2,000 ids, it hashes whole tables,
// which costs several times the index probes its generic plan makes, and
// a run's first chunks on every connection paid for it. A no-op on SQLite.
func (tx *Tx) BulkPlans(ctx context.Context) error {
	if tx.db.Engine != Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SET LOCAL plan_cache_mode = force_generic_plan`); err != nil {
		return fmt.Errorf("bulk plans: %w", err)
	}
	return nil
}

// InTx runs fn in a transaction and commits it if fn returns nil, or rolls
// it back. When the engine reports a conflict that a retry resolves
// (PostgreSQL serialization failure or deadlock, SQLite busy), it runs fn
// again, up to txRetriesMax times, so fn must not have effects outside the
// transaction. It returns fn's error, or the commit's.
func (db *DB) InTx(ctx context.Context, fn func(*Tx) error) error {
	return db.inTx(ctx, nil, fn)
}

// InSnapshotTx is InTx with every statement of fn seeing one snapshot
// (REPEATABLE READ on PostgreSQL, whose default READ COMMITTED gives each
// statement its own; SQLite's one writer sees one state anyway), for work
// that builds figures from several reads, such as a statement batch. A
// write that conflicts with a concurrent one fails with a serialization
// error, which InSnapshotTx retries as InTx does.
func (db *DB) InSnapshotTx(ctx context.Context, fn func(*Tx) error) error {
	if db.Engine != Postgres {
		return db.inTx(ctx, nil, fn)
	}
	return db.inTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead}, fn)
}

func (db *DB) inTx(ctx context.Context, opts *sql.TxOptions, fn func(*Tx) error) error {
	var err error
	for attempt := range txRetriesMax {
		err = db.tryTx(ctx, opts, fn)
		if err == nil || !IsRetryable(err) || ctx.Err() != nil {
			return nameProblem(err)
		}
		// Back off with jitter so that retrying transactions do not collide again.
		backoff := time.Duration(1<<min(attempt, 6)) * time.Millisecond
		time.Sleep(backoff + rand.N(backoff))
	}
	return fmt.Errorf("transaction failed after %d attempts: %w", txRetriesMax, err)
}

func (db *DB) tryTx(ctx context.Context, opts *sql.TxOptions, fn func(*Tx) error) (err error) {
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer conn.Close()
	sqlTx, err := conn.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{Tx: sqlTx, conn: conn, db: db, now: db.clock.Now().UTC()}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	for _, f := range tx.beforeCommit {
		if err := f(); err != nil {
			_ = sqlTx.Rollback()
			return err
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// ReadSnapshot runs fn in a read-only transaction on Read in which every
// statement sees the same committed state. A reader that compares two
// tables (a contract's cached state with its ledger entries) must not see
// a writer's commit land between its two queries: another instance's day
// close committing a late fee there looks like a fee the state never had.
// PostgreSQL runs it REPEATABLE READ (the snapshot is taken at fn's first
// statement); SQLite's read transaction in WAL mode is a snapshot from its
// first read, and never blocks the writer.
func (db *DB) ReadSnapshot(ctx context.Context, fn func(Querier) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.Engine == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := db.Read.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin snapshot: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // read only: nothing to commit
	return fn(tx)
}

// Snapshot is ReadSnapshot for a read that returns a value.
func Snapshot[T any](ctx context.Context, db *DB, fn func(Querier) (T, error)) (T, error) {
	var out T
	err := db.ReadSnapshot(ctx, func(q Querier) error {
		var err error
		out, err = fn(q)
		return err
	})
	return out, err
}

// QueryIDs runs a query of one integer column and returns its values.
func QueryIDs(ctx context.Context, q Querier, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// IsRetryable reports whether err is a transient conflict that running the
// transaction again resolves.
func IsRetryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "40001", "40P01": // serialization_failure, deadlock_detected
			return true
		}
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch sqErr.Code() & 0xff {
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
			return true
		}
	}
	return false
}

// IsUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY
// constraint violation, which idempotency keys rely on.
func IsUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		c := sqErr.Code()
		return c == 2067 || c == 1555 // SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsForeignKeyViolation reports whether err is a foreign-key violation.
func IsForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23503"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		return sqErr.Code() == 787 // SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// Savepoint runs fn inside a savepoint of tx, so that fn's failure (say, a
// unique violation that the caller handles) rolls back only fn's writes and
// leaves the transaction usable on both engines.
func (tx *Tx) Savepoint(ctx context.Context, name string, fn func() error) error {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("savepoint %s: %w", name, err)
	}
	registered := len(tx.beforeCommit)
	if err := fn(); err != nil {
		tx.beforeCommit = tx.beforeCommit[:registered]
		if _, rbErr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+name); rbErr != nil {
			return errors.Join(err, rbErr)
		}
		_, _ = tx.ExecContext(ctx, "RELEASE SAVEPOINT "+name)
		return err
	}
	if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT "+name); err != nil {
		return fmt.Errorf("release savepoint %s: %w", name, err)
	}
	return nil
}
