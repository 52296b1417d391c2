package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"carfin/calendar"
)

// copyRowsMin is the row count from which COPY beats a multi-row INSERT.
const copyRowsMin = 64

// bulkParamsMax bounds the parameters of one multi-row INSERT (SQLite's
// limit is 32,766; PostgreSQL's 65,535).
const bulkParamsMax = 30_000

// CopyFrom inserts rows into table in bulk, inside the transaction: COPY
// on PostgreSQL (about three times faster than batched INSERTs), multi-row
// INSERTs on SQLite. Values are what database/sql accepts; types with a
// Value method (calendar.Date) are converted first.
func (tx *Tx) CopyFrom(ctx context.Context, table string, columns []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	for _, r := range rows {
		if len(r) != len(columns) {
			panic(fmt.Sprintf("db: CopyFrom %s: row has %d values for %d columns", table, len(r), len(columns)))
		}
		for i, v := range r {
			r[i] = tx.plainValue(v)
		}
	}
	// COPY costs extra protocol round trips; a few rows go faster as one
	// multi-row INSERT.
	if tx.db.Engine == Postgres && len(rows) >= copyRowsMin {
		return tx.conn.Raw(func(dc any) error {
			sc, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("copy into %s: connection is %T, not pgx", table, dc)
			}
			_, err := sc.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows))
			if err != nil {
				return fmt.Errorf("copy into %s: %w", table, err)
			}
			return nil
		})
	}
	perStmt := max(1, bulkParamsMax/len(columns))
	for start := 0; start < len(rows); start += perStmt {
		chunk := rows[start:min(start+perStmt, len(rows))]
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES ")
		args := make([]any, 0, len(chunk)*len(columns))
		for i, r := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j := range r {
				if j > 0 {
					b.WriteString(", ")
				}
				// SQLite gets "?", not "$N": it maps $N names to slots
				// by a linear search, which makes thousands of them
				// quadratic.
				if tx.db.Engine == Postgres {
					b.WriteString("$" + strconv.Itoa(len(args)+1))
				} else {
					b.WriteByte('?')
				}
				args = append(args, r[j])
			}
			b.WriteByte(')')
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

// NextIDs reserves n ids for table's id column, for bulk inserts that must
// know ids before inserting (to link child rows). On PostgreSQL it draws
// from the identity sequence; on SQLite, whose one writer holds this
// transaction, it counts up from the largest id.
func (tx *Tx) NextIDs(ctx context.Context, table string, n int) ([]int64, error) {
	ids := make([]int64, 0, n)
	if n == 0 {
		return ids, nil
	}
	if tx.db.Engine == Postgres {
		// The sequence is looked up once: pg_get_serial_sequence in the
		// select list runs for every row, ten times the cost of nextval.
		seq, ok := tx.db.sequences.Load(table)
		if !ok {
			var name sql.NullString
			if err := tx.QueryRowContext(ctx, `SELECT pg_get_serial_sequence($1, 'id')`, table).Scan(&name); err != nil || !name.Valid {
				return nil, fmt.Errorf("reserve %d ids of %s: no id sequence (%v)", n, table, err)
			}
			seq, _ = tx.db.sequences.LoadOrStore(table, name.String)
		}
		rows, err := tx.QueryContext(ctx, `SELECT nextval($1::regclass) FROM generate_series(1, $2)`, seq, n)
		if err != nil {
			return nil, fmt.Errorf("reserve %d ids of %s: %w", n, table, err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			ids = append(ids, id)
		}
		return ids, rows.Err()
	}
	var top int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM `+table).Scan(&top); err != nil {
		return nil, fmt.Errorf("reserve %d ids of %s: %w", n, table, err)
	}
	for i := range n {
		ids = append(ids, top+int64(i)+1)
	}
	return ids, nil
}

// plainValue converts values to what COPY encodes without help: a civil
// date becomes a time.Time at midnight UTC on PostgreSQL; other values
// with a driver Value method become that value.
func (tx *Tx) plainValue(v any) any {
	if d, ok := v.(calendar.Date); ok && tx.db.Engine == Postgres {
		if d.IsZero() {
			return nil
		}
		return d.Time()
	}
	if dv, ok := v.(driver.Valuer); ok {
		out, err := dv.Value()
		if err == nil {
			return out
		}
	}
	return v
}
