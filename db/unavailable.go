package db

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// SQLite result codes that mean the database cannot take writes now
// (https://sqlite.org/rescode.html); extended codes keep them in the low
// byte.
const (
	sqliteReadOnly = 8  // SQLITE_READONLY: a read-only file, open or query_only
	sqliteFull     = 13 // SQLITE_FULL: the disk, or max_page_count, is full
)

// ErrUnavailable is wrapped by the errors of other packages that could
// not reach the database but do not return the driver's error (a limit
// that could not be checked): IsUnavailable reports it.
var ErrUnavailable = errors.New("database unavailable")

// IsUnavailable reports whether err says that the database cannot be
// reached or cannot take writes right now, not that the request was
// wrong: a refused or broken connection, a server shutting down or
// starting up (SQLSTATE class 08, 57P01–57P03), too many connections
// (53300), a full disk (53100, SQLITE_FULL) or a read-only database
// (25006, a standby after a failover; SQLITE_READONLY). Nothing of such a
// request was committed, or it is unknown whether it was (a connection
// lost during COMMIT), and the same request may succeed once the database
// is back: the HTTP layer answers 503 with Retry-After instead of 500.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnavailable) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"): // connection_exception
			return true
		case pgErr.Code == "57P01", // admin_shutdown (pg_ctl stop -m fast)
			pgErr.Code == "57P02", // crash_shutdown
			pgErr.Code == "57P03", // cannot_connect_now (starting up, shutting down)
			pgErr.Code == "53300", // too_many_connections
			pgErr.Code == "53100", // disk_full
			pgErr.Code == "25006": // read_only_sql_transaction
			return true
		}
		return false
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch sqErr.Code() & 0xff {
		case sqliteReadOnly, sqliteFull:
			return true
		}
		return false
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr):
		return true
	case errors.Is(err, pgconn.ErrConnClosed), errors.Is(err, driver.ErrBadConn),
		errors.Is(err, io.ErrUnexpectedEOF):
		// The server went away mid-conversation (pgx: "failed to
		// receive message: unexpected EOF", "conn closed").
		return true
	}
	return false
}

// Problem names what IsUnavailable found in err, for messages a person
// reads ("carfin: disk full: …"): "disk full", "read-only" or
// "unavailable"; "" when err is not such an error.
func Problem(err error) string {
	if !IsUnavailable(err) {
		return ""
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "53100":
			return "disk full"
		case "25006":
			return "read-only"
		}
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch sqErr.Code() & 0xff {
		case sqliteFull:
			return "disk full"
		case sqliteReadOnly:
			return "read-only"
		}
	}
	return "unavailable"
}

// nameProblem prefixes a full or read-only database's error with what is
// wrong in words ("database disk full: database or disk is full (13)"),
// so that a command's error says it plainly; other errors are unchanged.
func nameProblem(err error) error {
	switch p := Problem(err); p {
	case "disk full", "read-only":
		return fmt.Errorf("database %s: %w", p, err)
	}
	return err
}
