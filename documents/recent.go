package documents

import (
	"context"
	"fmt"
	"time"

	"carfin/db"
)

// recentMax bounds Recent: the dashboard wants only the newest few.
const recentMax = 20

// Recent returns a customer's documents of a kind created at or after
// since, newest first (without content), for alerts such as "your
// statement is ready". The documents_customer index serves it.
func Recent(ctx context.Context, q db.Querier, customerID int64, kind string, since time.Time) ([]Document, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+listColumns+` FROM documents
		WHERE customer_id = $1 AND created_at >= $2 AND kind = $3 ORDER BY created_at DESC, id DESC LIMIT `+fmt.Sprint(recentMax),
		customerID, since.UTC(), kind)
	if err != nil {
		return nil, fmt.Errorf("recent %s documents of customer %d: %w", kind, customerID, err)
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
