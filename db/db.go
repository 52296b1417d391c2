// Package db opens carfin's database, embedded SQLite or PostgreSQL, runs
// its migrations and its transactions. Capability packages own their SQL;
// one SQL text serves both engines ($1 placeholders work on both), with a
// dialect branch only where the engines truly differ.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Engine is the SQL engine behind a DB.
type Engine int

const (
	SQLite Engine = iota + 1
	Postgres
)

func (e Engine) String() string {
	if e == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// Clock tells the time. A DB's clock is given when it is opened
// (WithClock) and never changes: production uses SystemClock, tests and
// "as of" runs their own. Capability code never calls it directly: it
// reads Tx.Now, fixed once per transaction.
type Clock interface {
	Now() time.Time
}

// ClockFunc makes a function a Clock.
type ClockFunc func() time.Time

// Now returns f().
func (f ClockFunc) Now() time.Time { return f() }

// SystemClock is the wall clock in UTC, at microsecond precision (what
// PostgreSQL keeps), so a time read back equals the time written.
var SystemClock Clock = ClockFunc(func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) })

// DB is an open carfin database.
type DB struct {
	Engine Engine
	// SQL runs transactions and writes. On SQLite it is the single writer
	// connection (SQLite allows one writer; queuing in Go is cheaper than
	// busy-waiting in SQLite).
	SQL *sql.DB
	// Read runs reads outside transactions. On SQLite it is a pool of
	// read-only connections, which WAL lets run beside the writer; on
	// PostgreSQL it is SQL.
	Read *sql.DB
	// PG is a native pgx pool (PostgreSQL only) for River, apart from the
	// one under SQL (sqlPool), which database/sql holds on to.
	PG      *pgxpool.Pool
	sqlPool *pgxpool.Pool
	// clock is what transactions read once when they begin, fixed when
	// the DB is opened (one clock for every server over it).
	clock Clock
	// view: the DB shares another's connections (AsOf), which its Close
	// leaves open.
	view bool
	// DSN is the data source the DB was opened from, without secrets.
	DSN string
	// sequences caches each table's id sequence (PostgreSQL), for NextIDs.
	sequences sync.Map // table name → qualified sequence name
}

// Limits on connections and waits, named so that they are easy to find.
const (
	sqliteBusyTimeoutMillis = 10_000
	sqliteReadConnsMax      = 8
	sqliteCacheKiB          = 32 << 10 // page cache per connection
	pgConnsMax              = 32
	riverConnsMin           = 4 // River's pool: its listener keeps one
	txRetriesMax            = 8
	// sqliteFileMode: a new database file is readable by its owner only.
	sqliteFileMode = 0o600
)

// ErrDSN is returned by Open for a data source it does not understand.
var ErrDSN = errors.New("database must be sqlite:PATH or postgres://…")

// Option adjusts how Open opens a database.
type Option func(*DB)

// WithClock opens the database with clock c instead of SystemClock.
func WithClock(c Clock) Option {
	return func(db *DB) { db.clock = c }
}

// Open opens the database at dsn: "sqlite:PATH" (PATH may be a file, and
// the directory is created) or "postgres://user@host:port/db?…". Its
// clock is SystemClock unless an option gives another. It does not
// migrate; call Migrate.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	var db *DB
	var err error
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		db, err = openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"))
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		db, err = openPostgres(ctx, dsn)
	default:
		return nil, fmt.Errorf("open %q: %w", redact(dsn), ErrDSN)
	}
	if err != nil {
		return nil, err
	}
	db.clock = SystemClock
	for _, o := range opts {
		o(db)
	}
	return db, nil
}

// Now returns the time on the database's clock. Capability code reads
// Tx.Now instead, inside a transaction; Now is for reads outside one.
func (db *DB) Now() time.Time { return db.clock.Now() }

// Clock returns the clock the database was opened with.
func (db *DB) Clock() Clock { return db.clock }

// AsOf returns a view of the database whose transactions read the time
// from c, for work done "as of" other times (the demo book's history,
// day by day). The view shares db's connections; db and its clock are
// unchanged. Close db, not the view: the view's Close does nothing.
func (db *DB) AsOf(c Clock) *DB {
	return &DB{Engine: db.Engine, SQL: db.SQL, Read: db.Read, PG: db.PG, clock: c, view: true, DSN: db.DSN}
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" || path == ":memory:" {
		return nil, fmt.Errorf("open sqlite: a file path is required (in-memory databases cannot be shared by the reader and writer pools): %w", ErrDSN)
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
	}
	// The file holds customers' personal data: created readable by this
	// user only (SQLite would create it 0644 under the usual umask). Its
	// -wal and -shm files take the same mode from it.
	if f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, sqliteFileMode); err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	} else {
		f.Close()
	}
	// WAL lets readers run beside the single writer; synchronous=NORMAL is
	// durable across process crashes (WAL) and is the usual WAL setting;
	// foreign keys are off by default in SQLite and must be switched on;
	// _txlock=immediate takes the write lock at BEGIN so that two
	// transactions never deadlock upgrading from read to write.
	pragmas := fmt.Sprintf("_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=busy_timeout(%d)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-%d)&_time_format=sqlite",
		sqliteBusyTimeoutMillis, sqliteCacheKiB)
	writer, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	if err := writer.PingContext(ctx); err != nil {
		writer.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	reader, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("open sqlite reader: %w", err)
	}
	n := min(runtime.GOMAXPROCS(0)*2, sqliteReadConnsMax)
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)
	return &DB{Engine: SQLite, SQL: writer, Read: reader, DSN: "sqlite:" + path}, nil
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres %s: %w", redact(dsn), err)
	}
	if cfg.MaxConns > pgConnsMax || !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = min(max(int32(runtime.GOMAXPROCS(0))*4, 8), pgConnsMax)
	}
	// Every session works in UTC so that timestamps and dates never shift.
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	// Two pools. database/sql keeps the connections it has opened (below),
	// each one acquired from its pgx pool for as long as it stays open, so
	// a pool shared with River would, once a burst of requests had opened
	// them all, leave River waiting for a connection until the process
	// ends (TestDirectPoolNotStarved; pgx's stdlib warns of the same).
	// River gets a pool of its own.
	riverCfg := cfg.Copy()
	riverCfg.MaxConns = min(max(int32(runtime.GOMAXPROCS(0)), riverConnsMin), pgConnsMax)
	pools := make([]*pgxpool.Pool, 0, 2)
	closePools := func() {
		for _, p := range pools {
			p.Close()
		}
	}
	for _, c := range []*pgxpool.Config{cfg, riverCfg} {
		p, err := pgxpool.NewWithConfig(ctx, c)
		if err != nil {
			closePools()
			return nil, fmt.Errorf("open postgres %s: %w", redact(dsn), err)
		}
		pools = append(pools, p)
		pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = p.Ping(pingCtx)
		cancel()
		if err != nil {
			closePools()
			return nil, fmt.Errorf("open postgres %s: %w", redact(dsn), err)
		}
	}
	sqlPool, pool := pools[0], pools[1]
	sqlDB := stdlib.OpenDBFromPool(sqlPool)
	// database/sql keeps only 2 idle connections by default and closes the
	// rest when they come back. Closing a pooled connection here hands it
	// back to pgxpool, but first deallocates its prepared statements, which
	// the next use prepares again: two round trips more per request under
	// any concurrency (seen profiling the portal's dashboard). Keep every
	// connection the pool may open: the pool is database/sql's alone.
	sqlDB.SetMaxIdleConns(int(cfg.MaxConns))
	sqlDB.SetMaxOpenConns(int(cfg.MaxConns))
	return &DB{Engine: Postgres, SQL: sqlDB, Read: sqlDB, PG: pool, sqlPool: sqlPool, DSN: redact(dsn)}, nil
}

// redact removes a password from a DSN for logs and errors.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Close closes every pool (nothing for a view made by AsOf).
func (db *DB) Close() error {
	if db.view {
		return nil
	}
	err := db.SQL.Close()
	if db.Read != db.SQL {
		err = errors.Join(err, db.Read.Close())
	}
	if db.PG != nil {
		db.PG.Close()
	}
	if db.sqlPool != nil {
		db.sqlPool.Close()
	}
	return err
}

// Ping checks that the database answers (for /readyz).
func (db *DB) Ping(ctx context.Context) error {
	return db.Read.PingContext(ctx)
}

// ForUpdate returns " FOR UPDATE" on PostgreSQL, to lock the rows a
// transaction will change, and "" on SQLite, whose single writer already
// serialises transactions (BEGIN IMMEDIATE).
func (db *DB) ForUpdate() string {
	if db.Engine == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// DaysBetween returns SQL for the whole days from date expression a to
// date expression b (b − a). Dates are DATE on PostgreSQL and
// 'YYYY-MM-DD' text on SQLite, which subtract differently.
func (db *DB) DaysBetween(a, b string) string {
	if db.Engine == Postgres {
		return "(CAST(" + b + " AS date) - CAST(" + a + " AS date))"
	}
	return "CAST(julianday(" + b + ") - julianday(" + a + ") AS INTEGER)"
}
