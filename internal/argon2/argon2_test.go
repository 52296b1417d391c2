package argon2

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"sync"
	"testing"

	xargon2 "golang.org/x/crypto/argon2"
)

// TestSameAsXCrypto: the pooled hash equals x/crypto's for random
// passwords, salts and parameters (memory, passes, lanes, key length),
// one after another, so that each hash runs on memory another has left
// dirty, larger or smaller than it needs.
func TestSameAsXCrypto(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		password := make([]byte, r.IntN(40))
		salt := make([]byte, 8+r.IntN(24))
		for _, b := range [][]byte{password, salt} {
			for j := range b {
				b[j] = byte(r.Uint32())
			}
		}
		time := 1 + r.Uint32N(3)
		threads := uint8(1 + r.IntN(4))
		memory := 8*uint32(threads) + r.Uint32N(600)
		keyLen := 4 + r.Uint32N(124)
		got := IDKey(password, salt, time, memory, threads, keyLen)
		want := xargon2.IDKey(password, salt, time, memory, threads, keyLen)
		if !bytes.Equal(got, want) {
			t.Fatalf("case %d (t=%d m=%d p=%d len=%d): %x, x/crypto %x", i, time, memory, threads, keyLen, got, want)
		}
	}
}

// TestOWASPParametersConcurrently: carfin's parameters (m=19 MiB, t=2,
// p=1), several hashes at once sharing the pool, each equal to x/crypto's.
func TestOWASPParametersConcurrently(t *testing.T) {
	salt := []byte("0123456789abcdef")
	want := map[string][]byte{}
	for _, pw := range []string{"northwind-test-drive-2026", "correct horse", ""} {
		want[pw] = xargon2.IDKey([]byte(pw), salt, 2, 19*1024, 1, 32)
	}
	var wg sync.WaitGroup
	for range 4 {
		for pw, w := range want {
			wg.Go(func() {
				if got := IDKey([]byte(pw), salt, 2, 19*1024, 1, 32); !bytes.Equal(got, w) {
					t.Errorf("%q: %x, want %x", pw, got, w)
				}
			})
		}
	}
	wg.Wait()
}

// TestRFC9106Vector: RFC 9106 §5.3's Argon2id test vector, which has a
// secret and associated data (deriveKey's; IDKey passes neither).
func TestRFC9106Vector(t *testing.T) {
	password := bytes.Repeat([]byte{0x01}, 32)
	salt := bytes.Repeat([]byte{0x02}, 16)
	secret := bytes.Repeat([]byte{0x03}, 8)
	data := bytes.Repeat([]byte{0x04}, 12)
	want := "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"
	for range 2 { // the second on pooled memory
		if got := hex.EncodeToString(deriveKey(argon2id, password, salt, secret, data, 3, 32, 4, 32)); got != want {
			t.Fatalf("tag %s, want %s", got, want)
		}
	}
}
