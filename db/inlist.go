package db

import "strings"

// InList returns "col = ANY($1)" with the slice on PostgreSQL, and
// "col IN (?, ?, …)" with one parameter per value on SQLite (positional
// "?", because SQLite resolves $N names by a linear search, so thousands
// of them would be quadratic). The statement must have no other
// parameters.
func InList[T any](tx *Tx, col string, vals []T) (string, []any) {
	if tx.Engine() == Postgres {
		return col + " = ANY($1)", []any{vals}
	}
	var b strings.Builder
	args := make([]any, len(vals))
	b.WriteString(col + " IN (")
	for i, v := range vals {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('?')
		args[i] = v
	}
	b.WriteString(")")
	return b.String(), args
}
