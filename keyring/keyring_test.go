package keyring

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func key(b byte) string {
	return base64.StdEncoding.EncodeToString([]byte(strings.Repeat(string(rune(b)), 32)))
}

// TestSealOpen: a value opens only with its own owner (aad) and a
// configured key; an old key still opens what it sealed after rotation.
func TestSealOpen(t *testing.T) {
	old, err := Parse("k1:" + key('a'))
	if err != nil {
		t.Fatal(err)
	}
	id, sealed := old.Seal("JBSWY3DPEHPK3PXP", "login:7")
	if id != "k1" {
		t.Fatalf("sealed with %q", id)
	}
	if got, err := old.Open(id, sealed, "login:7"); err != nil || got != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := old.Open(id, sealed, "login:8"); !errors.Is(err, ErrDecrypt) {
		t.Errorf("another owner's aad opened it: %v", err)
	}
	rotated, _ := Parse("k2:" + key('b') + ",k1:" + key('a'))
	if got, err := rotated.Open(id, sealed, "login:7"); err != nil || got != "JBSWY3DPEHPK3PXP" {
		t.Errorf("after rotation: %q, %v", got, err)
	}
	if id2, _ := rotated.Seal("x", "o"); id2 != "k2" {
		t.Errorf("rotated ring seals with %q", id2)
	}
	only2, _ := Parse("k2:" + key('b'))
	if _, err := only2.Open(id, sealed, "login:7"); !errors.Is(err, ErrDecrypt) {
		t.Errorf("dropped key still opened: %v", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := old.Open(id, sealed, "login:7"); !errors.Is(err, ErrDecrypt) {
		t.Errorf("tampered value opened: %v", err)
	}
	if _, err := old.Open(id, sealed[:5], "login:7"); !errors.Is(err, ErrDecrypt) {
		t.Errorf("short value: %v", err)
	}
}

func TestParseRefuses(t *testing.T) {
	for _, bad := range []string{"", "k1", "k1:short", "k1:" + key('a') + ",k1:" + key('b'), "bad id!:" + key('a'), strings.Repeat("x", 17) + ":" + key('a')} {
		if _, err := Parse(bad); !errors.Is(err, ErrKeys) {
			t.Errorf("Parse(%q) = %v, want ErrKeys", bad, err)
		}
	}
}
