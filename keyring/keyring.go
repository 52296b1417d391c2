// Package keyring encrypts small values at rest (AES-256-GCM) under a
// list of keys that can rotate. It is shared by payments (bank account
// numbers) and identity (authenticator-app seeds), so an operator
// configures one key list (CARFIN_PAYMENT_KEYS) for both.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Keyring holds the AES-256 keys that encrypt values at rest (bank account numbers, authenticator-app seeds)
// (AES-GCM, a random 96-bit nonce per value). Each ciphertext is stored
// with the id of its key, so keys can rotate: values are decrypted with
// whichever configured key encrypted them and encrypted with the current
// one, and ReEncrypt moves old values to the current key, after which the
// old key can be dropped from the configuration.
type Keyring struct {
	current string
	aeads   map[string]cipher.AEAD
}

// ErrKeys is returned by Parse for a malformed key list.
var ErrKeys = errors.New("encryption keys must be ID:BASE64 pairs of 32-byte keys, separated by commas")

const keyIDLenMax = 16

// Parse reads keys as "ID:BASE64KEY,ID:BASE64KEY,…" (standard base64
// of 32 random bytes; `openssl rand -base64 32` makes one). The first is
// the current key, used to encrypt; the others only decrypt. Key ids are
// 1–16 letters, digits, '-' or '_'.
func Parse(s string) (*Keyring, error) {
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

// Dev is a fixed key for development and the demo. Its key is in
// the source code: never use it for real account numbers or seeds.
func Dev() *Keyring {
	k, err := Parse("dev:" + base64.StdEncoding.EncodeToString([]byte("carfin-development-key-NOT-SECRET")[:32]))
	if err != nil {
		panic(err)
	}
	return k
}

// Current returns the id of the key that encrypts.
func (k *Keyring) Current() string { return k.current }

// Seal encrypts plaintext with the current key, binding it to aad (the
// owner: a ciphertext copied to another owner's row does not decrypt), and returns the key id and nonce‖ciphertext.
func (k *Keyring) Seal(plaintext, aad string) (string, []byte) {
	aead := k.aeads[k.current]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("keyring: no randomness: " + err.Error())
	}
	return k.current, aead.Seal(nonce, nonce, []byte(plaintext), []byte(aad))
}

// ErrDecrypt is returned when a stored value cannot be decrypted: its key
// is not configured, or the value or its owner was tampered with.
var ErrDecrypt = errors.New("cannot decrypt a stored value")

// Open decrypts a value sealed for aad with key id.
func (k *Keyring) Open(id string, sealed []byte, aad string) (string, error) {
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
