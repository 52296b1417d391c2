package payments

import "strings"

// Confirmation numbers are what customers quote to an agent and what the
// NACHA entry carries as its Individual Identification Number (returns
// carry it back). They are derived from the payment id by a bijection on
// 40 bits (multiplication by an odd constant modulo 2^40), so they are
// unique without a lookup table and do not reveal how many payments the
// lender takes, and written as "P" and 8 Crockford base-32 characters
// (no I, L, O or U to misread).
const (
	confBits     = 40
	confMask     = 1<<confBits - 1
	confMul      = 0x9E3779B97F & confMask // odd: invertible modulo 2^40
	crockford    = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	confirmLen   = 9
	confirmIDMax = confMask
)

// confInv is confMul's inverse modulo 2^40 (Newton's iteration doubles
// the correct low bits each step).
var confInv = func() uint64 {
	x := uint64(confMul)
	for range 6 {
		x *= 2 - confMul*x
	}
	return x & confMask
}()

// Confirmation returns the confirmation number of payment id.
func Confirmation(id int64) string {
	if id <= 0 || id > confirmIDMax {
		panic("payments: payment id out of the confirmation number range")
	}
	v := (uint64(id) * confMul) & confMask
	b := make([]byte, confirmLen)
	b[0] = 'P'
	for i := confirmLen - 1; i >= 1; i-- {
		b[i] = crockford[v&31]
		v >>= 5
	}
	return string(b)
}

// PaymentID reads a confirmation number back to the payment id, accepting
// lower case and the look-alikes O→0, I/L→1. It returns false for text
// that is not a confirmation number.
func PaymentID(conf string) (int64, bool) {
	conf = strings.ToUpper(strings.TrimSpace(conf))
	if len(conf) != confirmLen || conf[0] != 'P' {
		return 0, false
	}
	var v uint64
	for i := 1; i < confirmLen; i++ {
		c := conf[i]
		switch c {
		case 'O':
			c = '0'
		case 'I', 'L':
			c = '1'
		}
		n := strings.IndexByte(crockford, c)
		if n < 0 {
			return 0, false
		}
		v = v<<5 | uint64(n)
	}
	id := (v * confInv) & confMask
	if id == 0 {
		return 0, false
	}
	return int64(id), true
}
