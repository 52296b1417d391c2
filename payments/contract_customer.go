package payments

import "context"

// CustomerOfContract returns the customer whose contract contractID is
// (for the staff console, which links a request or a return to its
// customer), or ErrNotFound.
func (s *Service) CustomerOfContract(ctx context.Context, contractID int64) (int64, error) {
	return customerOfContract(ctx, s.db.Read, contractID)
}
