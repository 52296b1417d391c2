package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"carfin/db"
)

// newToken creates a single-use token for purpose, for a login or (before
// one exists) a customer, and returns its secret. With supersede, every
// earlier unused token of the same purpose for the same login or customer
// stops working (a newer reset link invalidates older ones).
func (s *Service) newToken(ctx context.Context, tx *db.Tx, purpose string, loginID, customerID int64, ttl time.Duration, supersede bool) (string, error) {
	if supersede {
		if err := s.supersede(ctx, tx, purpose, loginID, customerID); err != nil {
			return "", err
		}
	}
	token := randomToken()
	if err := s.insertTokenHash(ctx, tx, purpose, loginID, customerID, hashToken(purpose, token), ttl); err != nil {
		return "", err
	}
	return token, nil
}

func (s *Service) supersede(ctx context.Context, tx *db.Tx, purpose string, loginID, customerID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE one_time_tokens SET used_at = $1
		WHERE purpose = $2 AND used_at IS NULL AND ((login_id = $3 AND $3 <> 0) OR (customer_id = $4 AND $4 <> 0))`,
		tx.Now(), purpose, loginID, customerID); err != nil {
		return fmt.Errorf("supersede %s tokens: %w", purpose, err)
	}
	return nil
}

func (s *Service) insertTokenHash(ctx context.Context, tx *db.Tx, purpose string, loginID, customerID int64, hash string, ttl time.Duration) error {
	var login, cust any
	if loginID != 0 {
		login = loginID
	}
	if customerID != 0 {
		cust = customerID
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO one_time_tokens (purpose, login_id, customer_id, token_hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, purpose, login, cust, hash, tx.Now(), tx.Now().Add(ttl)); err != nil {
		return fmt.Errorf("create %s token: %w", purpose, err)
	}
	return nil
}

// useToken spends a token: it must exist for purpose, be unused and
// unexpired. Returns the login and customer it belongs to, or
// ErrInvalidToken.
func (s *Service) useToken(ctx context.Context, tx *db.Tx, purpose, token string) (loginID, customerID int64, err error) {
	if token == "" || len(token) > 64 {
		return 0, 0, ErrInvalidToken
	}
	err = tx.QueryRowContext(ctx, `UPDATE one_time_tokens SET used_at = $1
		WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1
		RETURNING COALESCE(login_id, 0), COALESCE(customer_id, 0)`, tx.Now(), hashToken(purpose, token), purpose).Scan(&loginID, &customerID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, ErrInvalidToken
	}
	if err != nil {
		return 0, 0, fmt.Errorf("use %s token: %w", purpose, err)
	}
	return loginID, customerID, nil
}

// CheckToken reports whether a token is currently valid for purpose,
// without spending it (to show the form a link leads to).
func (s *Service) CheckToken(ctx context.Context, purpose, token string) error {
	if token == "" || len(token) > 64 {
		return ErrInvalidToken
	}
	var n int
	err := s.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM one_time_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3`,
		hashToken(purpose, token), purpose, s.now()).Scan(&n)
	if err != nil {
		return fmt.Errorf("check %s token: %w", purpose, err)
	}
	if n == 0 {
		return ErrInvalidToken
	}
	return nil
}
