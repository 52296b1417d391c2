package identity

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckPassword(t *testing.T) {
	cases := []struct {
		name   string
		pw     string
		second bool
		want   error
	}{
		{"long passphrase", "correct horse battery staple", false, nil},
		{"14 chars alone", "abcdefghij1234", false, ErrPasswordTooShort},
		{"8 chars with second factor", "zq8#Lw2!", true, nil},
		{"7 chars with second factor", "zq8#Lw2", true, ErrPasswordTooShort},
		{"common", "baseball1", true, ErrPasswordCommon},
		{"common, other case", "PASSWORD1", true, ErrPasswordCommon},
		{"common 15+", "1qaz2wsx3edc4rfv", false, ErrPasswordCommon},
		{"email local part", "my adaquinn password", false, ErrPasswordPersonal},
		{"name", "xx Lovelace forever xx", false, ErrPasswordPersonal},
		{"unicode counts characters", "ñandú-ñandú-ñandú", false, nil},
		{"257 chars", strings.Repeat("a", 256) + "b", false, ErrPasswordTooLong},
		{"256 chars", strings.Repeat("ab", 128), false, nil},
		{"invalid utf-8", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4\xf3\xf2\xf1", false, ErrPasswordInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPassword(tc.pw, tc.second, "adaquinn@example.com", "Ada", "Lovelace")
			if !errors.Is(err, tc.want) {
				t.Errorf("CheckPassword(%q) = %v, want %v", tc.pw, err, tc.want)
			}
		})
	}
	if n := BlocklistSize(); n < 10_000 {
		t.Errorf("blocklist has %d passwords, want at least 10,000", n)
	}
}

func TestHashPassword(t *testing.T) {
	cheap := Params{MemoryKiB: 64, Time: 1, Threads: 1}
	// NFKC: the full-width and the ASCII forms are the same password;
	// nothing is truncated.
	h := HashPassword("ｐａｓｓｗｏｒｄ and more and more", cheap)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("PHC string %q", h)
	}
	if ok, rehash := VerifyPassword("password and more and more", h, cheap); !ok || rehash {
		t.Errorf("NFKC-equal password: ok=%v rehash=%v", ok, rehash)
	}
	if ok, _ := VerifyPassword("password and more and mor", h, cheap); ok {
		t.Error("prefix accepted")
	}
	long := strings.Repeat("x", 200)
	hl := HashPassword(long, cheap)
	if ok, _ := VerifyPassword(long[:72], hl, cheap); ok {
		t.Error("password truncated at 72 bytes")
	}
	if ok, rehash := VerifyPassword("password and more and more", h, DefaultParams); !ok || !rehash {
		t.Errorf("other params: ok=%v rehash=%v", ok, rehash)
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=64,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAA"} {
		if ok, _ := VerifyPassword("x", bad, cheap); ok {
			t.Errorf("bad hash %q accepted", bad)
		}
	}
}

// TestDefaultParams exercises the real production cost once.
func TestDefaultParams(t *testing.T) {
	h := HashPassword("correct horse battery staple", DefaultParams)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("PHC string %q", h)
	}
	if ok, rehash := VerifyPassword("correct horse battery staple", h, DefaultParams); !ok || rehash {
		t.Errorf("ok=%v rehash=%v", ok, rehash)
	}
}
