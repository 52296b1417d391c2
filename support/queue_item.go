package support

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// QueueItem returns one thread, open or closed, as the staff queue shows
// it (status, assignee, wait), for the console's thread page. Returns
// ErrNotFound.
func (s *Service) QueueItem(ctx context.Context, threadID int64) (QueueItem, error) {
	items, err := s.queueItems(ctx, queueSelect+`WHERE t.id = $1`, threadID)
	if err != nil {
		return QueueItem{}, fmt.Errorf("thread %d: %w", threadID, err)
	}
	if len(items) == 0 {
		return QueueItem{}, ErrNotFound
	}
	return items[0], nil
}

// CloseReason returns why a closed thread was closed ("" when open).
// Returns ErrNotFound.
func (s *Service) CloseReason(ctx context.Context, threadID int64) (string, error) {
	var reason string
	err := s.db.Read.QueryRowContext(ctx, `SELECT close_reason FROM support_threads WHERE id = $1`, threadID).Scan(&reason)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", ErrNotFound
		}
		return "", fmt.Errorf("thread %d: %w", threadID, err)
	}
	return reason, nil
}
