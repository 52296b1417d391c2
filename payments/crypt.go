package payments

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"carfin/db"
)

// Keyring holds the AES-256 keys that encrypt bank account numbers at rest
// (AES-GCM, a random 96-bit nonce per value). Each ciphertext is stored
// with the id of its key, so keys can rotate: values are decrypted with
// whichever configured key encrypted them and encrypted with the current
// one, and ReEncrypt moves old values to the current key, after which the
// old key can be dropped from the configuration.
type Keyring struct {
	current string
	aeads   map[string]cipher.AEAD
}

// ErrKeys is returned by ParseKeys for a malformed key list.
var ErrKeys = errors.New("encryption keys must be ID:BASE64 pairs of 32-byte keys, separated by commas")

const keyIDLenMax = 16

// ParseKeys reads keys as "ID:BASE64KEY,ID:BASE64KEY,…" (standard base64
// of 32 random bytes; `openssl rand -base64 32` makes one). The first is
// the current key, used to encrypt; the others only decrypt. Key ids are
// 1–16 letters, digits, '-' or '_'.
func ParseKeys(s string) (*Keyring, error) {
	k := &Keyring{aeads: map[string]cipher.AEAD{}}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		id, b64, ok := strings.Cut(part, ":")
		if !ok || id == "" || len(id) > keyIDLenMax || strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
			return nil, fmt.Errorf("%w: key id %q", ErrKeys, id)
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("%w: key %q is not 32 bytes of base64", ErrKeys, id)
		}
		if _, dup := k.aeads[id]; dup {
			return nil, fmt.Errorf("%w: key id %q twice", ErrKeys, id)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		k.aeads[id] = aead
		if k.current == "" {
			k.current = id
		}
	}
	if k.current == "" {
		return nil, ErrKeys
	}
	return k, nil
}

// DevKeyring is a fixed key for development and the demo. Its key is in
// the source code: never use it for real account numbers.
func DevKeyring() *Keyring {
	k, err := ParseKeys("dev:" + base64.StdEncoding.EncodeToString([]byte("carfin-development-key-NOT-SECRET")[:32]))
	if err != nil {
		panic(err)
	}
	return k
}

// Current returns the id of the key that encrypts.
func (k *Keyring) Current() string { return k.current }

// seal encrypts plaintext with the current key, binding it to aad (the
// owning customer), and returns the key id and nonce‖ciphertext.
func (k *Keyring) seal(plaintext, aad string) (string, []byte) {
	aead := k.aeads[k.current]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("payments: no randomness: " + err.Error())
	}
	return k.current, aead.Seal(nonce, nonce, []byte(plaintext), []byte(aad))
}

// ErrDecrypt is returned when a stored value cannot be decrypted: its key
// is not configured, or the value or its owner was tampered with.
var ErrDecrypt = errors.New("cannot decrypt a stored account number")

// open decrypts a value sealed for aad with key id.
func (k *Keyring) open(id string, sealed []byte, aad string) (string, error) {
	aead, ok := k.aeads[id]
	if !ok {
		return "", fmt.Errorf("%w: key %q is not configured", ErrDecrypt, id)
	}
	if len(sealed) < aead.NonceSize() {
		return "", ErrDecrypt
	}
	out, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(aad))
	if err != nil {
		return "", ErrDecrypt
	}
	return string(out), nil
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
				WHERE account_cipher IS NOT NULL AND account_key_id <> $1 ORDER BY id LIMIT `+strconv.Itoa(reencryptBatch)+s.db.ForUpdate(), k.current)
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
