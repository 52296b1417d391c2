package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"carfin/internal/argon2"
)

// Params are argon2id's cost parameters. They are stored with every hash
// (PHC string format), so they can be raised later: a login whose hash
// used other parameters is rehashed on its next successful sign-in.
type Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultParams is OWASP's argon2id recommendation, m=19 MiB, t=2, p=1
// (OWASP Password Storage Cheat Sheet): about 21 ms per hash and 79
// hashes/s on the 2-core reference machine (shared/research/performance.md A1).
var DefaultParams = Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}

const (
	saltBytes = 16
	keyBytes  = 32
)

// Password rules: NIST SP 800-63B rev. 4 §3.1.1.2. The length is counted
// in characters (code points) after NFKC normalisation.
const (
	// PasswordMinSingleFactor applies while the password is the only factor.
	PasswordMinSingleFactor = 15
	// PasswordMinWithSecondFactor applies once a second factor is enrolled.
	PasswordMinWithSecondFactor = 8
	// PasswordMaxChars is the longest password accepted (NIST: at least 64).
	PasswordMaxChars = 256
	// passwordBytesMax bounds the bytes hashed, whatever the encoding.
	passwordBytesMax = 1024
)

// Errors of the password policy; each says what to change.
var (
	ErrPasswordTooShort = errors.New("password too short")
	ErrPasswordTooLong  = errors.New("password too long")
	ErrPasswordCommon   = errors.New("password is too common")
	ErrPasswordPersonal = errors.New("password contains your name or email")
	ErrPasswordInvalid  = errors.New("password is not valid text")
)

// NormalizePassword returns the password in Unicode NFKC form, so that
// the same characters typed on different keyboards hash the same
// (NIST SP 800-63B rev. 4 §3.1.1.2). It never truncates.
func NormalizePassword(pw string) string { return norm.NFKC.String(pw) }

// CheckPassword applies the password policy to a new password: length
// (15 characters, or 8 with a second factor, up to 256), the blocklist of
// common passwords, and the user's own name and email. There are no
// composition rules. It returns one of the ErrPassword… errors.
func CheckPassword(pw string, secondFactor bool, email string, names ...string) error {
	if !utf8.ValidString(pw) {
		return ErrPasswordInvalid
	}
	pw = NormalizePassword(pw)
	n := utf8.RuneCountInString(pw)
	minChars := PasswordMinSingleFactor
	if secondFactor {
		minChars = PasswordMinWithSecondFactor
	}
	switch {
	case n < minChars:
		return fmt.Errorf("%w: at least %d characters", ErrPasswordTooShort, minChars)
	case n > PasswordMaxChars || len(pw) > passwordBytesMax:
		return fmt.Errorf("%w: at most %d characters", ErrPasswordTooLong, PasswordMaxChars)
	case isCommonPassword(pw):
		return ErrPasswordCommon
	}
	lower := strings.ToLower(pw)
	email = strings.ToLower(strings.TrimSpace(email))
	local, _, _ := strings.Cut(email, "@")
	personal := []string{email}
	if len(local) >= 4 {
		personal = append(personal, local)
	}
	for _, name := range names {
		if name = strings.ToLower(strings.TrimSpace(name)); utf8.RuneCountInString(name) >= 4 {
			personal = append(personal, name)
		}
	}
	for _, p := range personal {
		if p != "" && strings.Contains(lower, p) {
			return ErrPasswordPersonal
		}
	}
	return nil
}

// hash hashes a new password (enrolment, reset) under the hash gate, like
// every sign-in's verification: at most GOMAXPROCS argon2id computations
// run at once in the process, whatever asks for them. It runs inside a
// transaction, so it does not queue for the gate (that would hold the
// transaction's locks, on SQLite the only writer, while sign-ins hash):
// ErrThrottled when no slot is free now, and the form asks to retry.
func (s *Service) hash(_ context.Context, pw string) (string, error) {
	var h string
	if !s.hashes.tryNow(func() { h = HashPassword(pw, s.params) }) {
		return "", ErrThrottled
	}
	return h, nil
}

// HashPassword returns the argon2id PHC string of the normalised
// password: $argon2id$v=19$m=…,t=…,p=…$salt$key (base64 without padding).
func HashPassword(pw string, p Params) string {
	salt := make([]byte, saltBytes)
	_, _ = rand.Read(salt) // never fails (crypto/rand)
	key := argon2.IDKey([]byte(NormalizePassword(pw)), salt, p.Time, p.MemoryKiB, p.Threads, keyBytes)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// errBadHash is a stored hash that cannot be parsed.
var errBadHash = errors.New("bad password hash")

// parseHash splits a PHC string.
func parseHash(phc string) (Params, []byte, []byte, error) {
	var p Params
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, errBadHash
	}
	var threads uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &threads); err != nil || threads == 0 || threads > 255 ||
		p.Time == 0 || p.MemoryKiB < 8*threads || p.MemoryKiB > 4<<20 || p.Time > 100 {
		return p, nil, nil, errBadHash
	}
	p.Threads = uint8(threads)
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) == 0 || len(key) > 128 {
		return p, nil, nil, errBadHash
	}
	return p, salt, key, nil
}

// VerifyPassword reports whether pw matches the PHC string, and whether
// the hash used other parameters than want (so it should be rehashed).
// Comparison is in constant time.
func VerifyPassword(pw, phc string, want Params) (ok, rehash bool) {
	p, salt, key, err := parseHash(phc)
	if err != nil {
		return false, false
	}
	got := argon2.IDKey([]byte(NormalizePassword(pw)), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, p != want
}
