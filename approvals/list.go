package approvals

import (
	"context"
	"strconv"
)

// Pending lists the requests waiting for a decision and not expired, the
// oldest first (the supervisors' work queue), at most limit (1–500).
func (s *Service) Pending(ctx context.Context, limit int) ([]Request, error) {
	return s.list(ctx, `status = 'pending' AND expires_at > $1 ORDER BY requested_at, id`, limit, s.db.Now())
}

// ForContract lists a contract's requests, whatever their status, the
// newest first, at most limit (1–500).
func (s *Service) ForContract(ctx context.Context, contractID int64, limit int) ([]Request, error) {
	return s.list(ctx, `contract_id = $1 ORDER BY id DESC`, limit, contractID)
}

// Get returns request id, or ErrNotFound.
func (s *Service) Get(ctx context.Context, id int64) (Request, error) {
	rs, err := s.list(ctx, `id = $1`, 1, id)
	if err != nil {
		return Request{}, err
	}
	if len(rs) == 0 {
		return Request{}, ErrNotFound
	}
	return rs[0], nil
}

func (s *Service) list(ctx context.Context, where string, limit int, arg any) ([]Request, error) {
	if limit <= 0 || limit > listMax {
		limit = listMax
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+requestColumns+` FROM approval_requests WHERE `+where+` LIMIT `+strconv.Itoa(limit), arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Request
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
