package payments

import (
	"context"
	"fmt"
	"strconv"

	"carfin/db"
	"carfin/keyring"
)

// Keyring encrypts bank account numbers at rest (keyring.Keyring: AES-GCM
// under rotating keys). ReEncrypt moves old values to the current key,
// after which the old key can be dropped from the configuration.
type Keyring struct{ *keyring.Keyring }

// ErrKeys is returned by ParseKeys for a malformed key list.
var ErrKeys = keyring.ErrKeys

// ErrDecrypt is returned when a stored value cannot be decrypted: its key
// is not configured, or the value or its owner was tampered with.
var ErrDecrypt = keyring.ErrDecrypt

// ParseKeys reads keys as "ID:BASE64KEY,…" (keyring.Parse).
func ParseKeys(s string) (*Keyring, error) {
	k, err := keyring.Parse(s)
	if err != nil {
		return nil, err
	}
	return &Keyring{k}, nil
}

// DevKeyring is the fixed development key (keyring.Dev): never for real
// account numbers.
func DevKeyring() *Keyring { return &Keyring{keyring.Dev()} }

func (k *Keyring) seal(plaintext, aad string) (string, []byte) { return k.Seal(plaintext, aad) }

func (k *Keyring) open(id string, sealed []byte, aad string) (string, error) {
	return k.Open(id, sealed, aad)
}

// accountAAD binds an account number's ciphertext to its customer, so a
// ciphertext copied onto another customer's row does not decrypt.
func accountAAD(customerID int64) string {
	return "carfin/payment_method/customer:" + strconv.FormatInt(customerID, 10)
}

// reencryptBatch is how many account numbers one ReEncrypt transaction moves.
const reencryptBatch = 500

// ReEncrypt re-encrypts every stored account number that is not under the
// current key, in batches, and returns how many it moved. It is safe to
// run while the service is in use and to run again after a failure.
func (s *Service) ReEncrypt(ctx context.Context) (int, error) {
	k := s.cfg.Keys
	if k == nil {
		return 0, ErrNoKeys
	}
	total := 0
	for {
		n := 0
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			n = 0
			rows, err := tx.QueryContext(ctx, `SELECT id, customer_id, account_key_id, account_cipher FROM payment_methods
				WHERE account_cipher IS NOT NULL AND account_key_id <> $1 ORDER BY id LIMIT `+strconv.Itoa(reencryptBatch)+s.db.ForUpdate(), k.Current())
			if err != nil {
				return fmt.Errorf("re-encrypt: select: %w", err)
			}
			type row struct {
				id, customer int64
				keyID        string
				sealed       []byte
			}
			var batch []row
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.id, &r.customer, &r.keyID, &r.sealed); err != nil {
					rows.Close()
					return err
				}
				batch = append(batch, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for _, r := range batch {
				plain, err := k.open(r.keyID, r.sealed, accountAAD(r.customer))
				if err != nil {
					return fmt.Errorf("re-encrypt method %d: %w", r.id, err)
				}
				id, sealed := k.seal(plain, accountAAD(r.customer))
				if _, err := tx.ExecContext(ctx, `UPDATE payment_methods SET account_key_id = $1, account_cipher = $2 WHERE id = $3`, id, sealed, r.id); err != nil {
					return fmt.Errorf("re-encrypt method %d: %w", r.id, err)
				}
			}
			n = len(batch)
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < reencryptBatch {
			return total, nil
		}
	}
}
