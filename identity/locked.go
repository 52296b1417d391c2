package identity

import (
	"context"
	"fmt"
	"time"
)

// LockedLogin is a customer login locked out by failed sign-ins, for the
// staff console's work queue.
type LockedLogin struct {
	LoginID     int64
	CustomerID  int64
	Name        string
	LockedUntil time.Time
	Failures    int
}

// lockedListMax bounds the locked logins listed.
const lockedListMax = 50

// LockedLogins lists the customer logins locked now, the longest lock
// first, at most limit (lockedListMax), and how many there are in all.
func (s *Service) LockedLogins(ctx context.Context, limit int) ([]LockedLogin, int, error) {
	if limit <= 0 || limit > lockedListMax {
		limit = lockedListMax
	}
	now := s.now()
	var total int
	if err := s.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM logins WHERE realm = $1 AND locked_until > $2`,
		string(Customer), now).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count locked logins: %w", err)
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT l.id, COALESCE(l.customer_id, 0), COALESCE(c.first_name || ' ' || c.last_name, l.display_name), l.locked_until, l.failed_count
		FROM logins l LEFT JOIN customers c ON c.id = l.customer_id WHERE l.realm = $1 AND l.locked_until > $2 ORDER BY l.locked_until DESC, l.id LIMIT $3`, string(Customer), now, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("locked logins: %w", err)
	}
	defer rows.Close()
	var out []LockedLogin
	for rows.Next() {
		var l LockedLogin
		if err := rows.Scan(&l.LoginID, &l.CustomerID, &l.Name, &l.LockedUntil, &l.Failures); err != nil {
			return nil, 0, fmt.Errorf("locked logins: %w", err)
		}
		out = append(out, l)
	}
	return out, total, rows.Err()
}
