package servicing

import (
	"errors"
	"fmt"
	"strings"
)

// ErrVIN is returned for a vehicle identification number that is not 17
// valid characters with a correct check digit.
var ErrVIN = errors.New("invalid VIN")

// vinValues transliterates VIN characters (49 CFR 565.15): letters I, O
// and Q are not used, so that they cannot be mistaken for 1 and 0.
var vinValues = map[byte]int{
	'A': 1, 'B': 2, 'C': 3, 'D': 4, 'E': 5, 'F': 6, 'G': 7, 'H': 8,
	'J': 1, 'K': 2, 'L': 3, 'M': 4, 'N': 5, 'P': 7, 'R': 9,
	'S': 2, 'T': 3, 'U': 4, 'V': 5, 'W': 6, 'X': 7, 'Y': 8, 'Z': 9,
}

var vinWeights = [17]int{8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2}

// NormalizeVIN upper-cases and trims a VIN and checks it: 17 characters
// from the VIN alphabet, and position 9 equal to the check digit
// (49 CFR 565.15(c): the weighted sum of the transliterated characters
// modulo 11, 10 written as X).
func NormalizeVIN(s string) (string, error) {
	v := strings.ToUpper(strings.TrimSpace(s))
	if len(v) != 17 {
		return "", fmt.Errorf("%q: a VIN has 17 characters: %w", s, ErrVIN)
	}
	sum := 0
	for i := range 17 {
		ch := v[i]
		var val int
		switch {
		case ch >= '0' && ch <= '9':
			val = int(ch - '0')
		default:
			var ok bool
			if val, ok = vinValues[ch]; !ok {
				return "", fmt.Errorf("%q: character %q is not used in VINs: %w", s, ch, ErrVIN)
			}
		}
		sum += val * vinWeights[i]
	}
	check := byte('0' + sum%11)
	if sum%11 == 10 {
		check = 'X'
	}
	if v[8] != check {
		return "", fmt.Errorf("%q: check digit is %c, expected %c: %w", s, v[8], check, ErrVIN)
	}
	return v, nil
}

// WithCheckDigit returns vin (17 characters) with position 9 set to its
// check digit, for generating demo and test vehicles.
func WithCheckDigit(vin string) string {
	b := []byte(strings.ToUpper(vin))
	b[8] = '0'
	sum := 0
	for i := range 17 {
		val := 0
		if b[i] >= '0' && b[i] <= '9' {
			val = int(b[i] - '0')
		} else {
			val = vinValues[b[i]]
		}
		sum += val * vinWeights[i]
	}
	if sum%11 == 10 {
		b[8] = 'X'
	} else {
		b[8] = byte('0' + sum%11)
	}
	return string(b)
}
