package db

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Read is one query of a pipelined read (ReadPipelined): its statement,
// its arguments, and what reads its rows.
type Read struct {
	SQL  string
	Args []any
	// Scan is called with the query's rows and reads them all (Next
	// until false, Scan on each). Its error ends the read.
	Scan func(Rows) error
}

// Rows is what Read.Scan reads: *sql.Rows on SQLite, pgx's rows on
// PostgreSQL. Destinations are what database/sql scans into (sql.Scanner
// types included).
type Rows interface {
	Next() bool
	Scan(dest ...any) error
}

// ReadPipelined runs independent reads outside a transaction in one
// round trip on PostgreSQL (one pgx batch on one connection: the server
// parses, plans and answers them back to back, and the client writes
// once and reads once), one after another on SQLite, where a query costs
// no round trip. A query may not depend on another's result: each sees
// its own snapshot, so a caller checks what ties them together (the
// signed-in dashboard reads the session and the session's customer's
// contracts, and shows the contracts only if the session is live and
// theirs).
func (db *DB) ReadPipelined(ctx context.Context, reads ...Read) error {
	if db.Engine != Postgres {
		for i, r := range reads {
			if err := db.readOne(ctx, r); err != nil {
				return fmt.Errorf("read %d of %d: %w", i+1, len(reads), err)
			}
		}
		return nil
	}
	var b pgx.Batch
	for _, r := range reads {
		b.Queue(r.SQL, r.Args...)
	}
	// On one of database/sql's connections, not the pgx pool's: the
	// statements are those the requests' connections have prepared, and
	// the pgx pool is River's (a read waiting on it would queue behind
	// jobs).
	conn, err := db.Read.Conn(ctx)
	if err != nil {
		return fmt.Errorf("pipelined read: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("pipelined read: a %T connection, not pgx's", dc)
		}
		res := pc.Conn().SendBatch(ctx, &b)
		for i, r := range reads {
			rows, err := res.Query()
			if err == nil {
				err = scanAll(rows, r.Scan)
			}
			if err != nil {
				_ = res.Close()
				// (pgx prepares the batch's new statements first: one
				// that does not parse fails the first read.)
				return fmt.Errorf("pipelined read %d of %d: %w", i+1, len(reads), err)
			}
		}
		return res.Close()
	})
}

// scanAll hands rows to scan, then reads their end: an error the server
// sent after the last row is the query's too.
func scanAll(rows pgx.Rows, scan func(Rows) error) error {
	defer rows.Close()
	if err := scan(rows); err != nil {
		return err
	}
	rows.Close()
	return rows.Err()
}

func (db *DB) readOne(ctx context.Context, r Read) error {
	rows, err := db.Read.QueryContext(ctx, r.SQL, r.Args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if err := r.Scan(rows); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return rows.Close()
}
