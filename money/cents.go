// Package money holds carfin's exact money and rate types. Amounts are
// integer cents; rates are integers with a fixed decimal scale. Nothing here
// uses floating point: a float cannot represent 0.10 and a lender's books
// must agree to the cent.
package money

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
)

// Cents is an amount of US dollars in cents. A loan balance of $20,000.00
// is Cents(2000000).
type Cents int64

// Parse errors. Callers branch on these with errors.Is; the message of the
// returned error also quotes the input.
var (
	ErrEmpty       = errors.New("empty amount")
	ErrSyntax      = errors.New("not a decimal amount (digits, an optional '-', '.' and up to 2 decimals)")
	ErrTooPrecise  = errors.New("more than 2 decimal places")
	ErrOutOfRange  = errors.New("amount out of range")
	ErrNegative    = errors.New("negative rate")
	ErrRatePrecise = errors.New("too many decimal places")
)

// centsDigitsMax bounds the integer part we accept so that sums of many
// amounts cannot overflow int64 either: 15 digits of dollars is far beyond
// any vehicle contract but still leaves headroom for portfolio totals.
const centsDigitsMax = 15

// Parse reads a decimal dollar amount such as "1234.50", "-3", "0.5".
// It accepts an optional leading '-', at least one digit, and an optional
// '.' followed by one or two digits. It rejects exponents, thousands
// separators, '+', spaces, NaN and Inf, more than two decimals
// (ErrTooPrecise) and amounts beyond 15 integer digits (ErrOutOfRange).
func Parse(s string) (Cents, error) {
	if s == "" {
		return 0, ErrEmpty
	}
	i := 0
	neg := false
	if s[0] == '-' {
		neg = true
		i++
	}
	start := i
	var whole int64
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if i-start >= centsDigitsMax {
			return 0, fmt.Errorf("%q: %w", s, ErrOutOfRange)
		}
		whole = whole*10 + int64(s[i]-'0')
		i++
	}
	if i == start {
		return 0, fmt.Errorf("%q: %w", s, ErrSyntax)
	}
	var frac int64
	if i < len(s) {
		if s[i] != '.' {
			return 0, fmt.Errorf("%q: %w", s, ErrSyntax)
		}
		i++
		fstart := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		n := i - fstart
		if i != len(s) || n == 0 {
			return 0, fmt.Errorf("%q: %w", s, ErrSyntax)
		}
		if n > 2 {
			return 0, fmt.Errorf("%q: %w", s, ErrTooPrecise)
		}
		frac, _ = strconv.ParseInt(s[fstart:i], 10, 64)
		if n == 1 {
			frac *= 10
		}
	}
	c := whole*100 + frac
	if neg {
		c = -c
	}
	return Cents(c), nil
}

// MustParse is Parse for constants in tests and demo data; it panics on a
// malformed literal, which is a programming error.
func MustParse(s string) Cents {
	c, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return c
}

// String formats c as a plain decimal with two places: "1234.50", "-0.07".
func (c Cents) String() string {
	return string(c.Append(nil))
}

// Append appends the String form of c to b.
func (c Cents) Append(b []byte) []byte {
	u := uint64(c)
	if c < 0 {
		b = append(b, '-')
		u = uint64(-c) // also correct for MinInt64
	}
	b = strconv.AppendUint(b, u/100, 10)
	r := u % 100
	return append(b, '.', byte('0'+r/10), byte('0'+r%10))
}

// Dollars formats c for people: "$1,234.50", "-$7.00".
func (c Cents) Dollars() string {
	return c.Grouped("$", ",", ".")
}

// Grouped formats c with a currency symbol and the given thousands and
// decimal separators, for localised display.
func (c Cents) Grouped(symbol, thousands, decimal string) string {
	u := uint64(c)
	sign := ""
	if c < 0 {
		sign = "-"
		u = uint64(-c)
	}
	whole := strconv.FormatUint(u/100, 10)
	out := make([]byte, 0, len(whole)+len(whole)/3*len(thousands)+8)
	for i := range len(whole) {
		if i > 0 && (len(whole)-i)%3 == 0 {
			out = append(out, thousands...)
		}
		out = append(out, whole[i])
	}
	r := u % 100
	out = append(out, decimal...)
	out = append(out, byte('0'+r/10), byte('0'+r%10))
	return sign + symbol + string(out)
}

// MarshalJSON writes c as a JSON string ("1234.50"): JSON numbers are
// floats in most clients.
func (c Cents) MarshalJSON() ([]byte, error) {
	b := append([]byte{'"'}, c.Append(nil)...)
	return append(b, '"'), nil
}

// UnmarshalJSON accepts only a JSON string holding a decimal amount.
func (c *Cents) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("amount must be a decimal string such as \"12.34\": %w", ErrSyntax)
	}
	v, err := Parse(s)
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Abs returns |c|.
func (c Cents) Abs() Cents {
	if c < 0 {
		return -c
	}
	return c
}

// DivRound returns num/den rounded half away from zero. It panics on a
// zero denominator, which is always a programming error.
func DivRound(num, den int64) int64 {
	if den == 0 {
		panic("money: division by zero")
	}
	if den < 0 {
		num, den = -num, -den
	}
	q, r := num/den, num%den
	if r < 0 {
		r = -r
	}
	if 2*uint64(r) >= uint64(den) {
		if num < 0 {
			q--
		} else {
			q++
		}
	}
	return q
}

// MulDivRound returns a*b/den rounded half away from zero, computed with a
// 128-bit intermediate so that a*b cannot overflow. den must be positive.
// It panics if the result does not fit in int64 (an invariant breach: no
// contract amount comes near it).
func MulDivRound(a, b, den int64) int64 {
	if den <= 0 {
		panic("money: MulDivRound needs a positive denominator")
	}
	neg := (a < 0) != (b < 0)
	ua, ub := absU(a), absU(b)
	hi, lo := bits.Mul64(ua, ub)
	if hi >= uint64(den) {
		panic("money: MulDivRound overflow")
	}
	q, r := bits.Div64(hi, lo, uint64(den))
	if r >= uint64(den)-r { // 2r >= den without overflow
		q++
	}
	if q > math.MaxInt64 {
		panic("money: MulDivRound overflow")
	}
	if neg {
		return -int64(q)
	}
	return int64(q)
}

// MulDivFloor returns floor(a*b/den) and the remainder, for a, b ≥ 0 and
// den > 0, with a 128-bit intermediate. Accrual uses it to carry the
// unrounded remainder from day to day.
func MulDivFloor(a, b, den int64) (q, rem int64) {
	if a < 0 || b < 0 || den <= 0 {
		panic("money: MulDivFloor needs a, b ≥ 0 and den > 0")
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(den) {
		panic("money: MulDivFloor overflow")
	}
	uq, ur := bits.Div64(hi, lo, uint64(den))
	if uq > math.MaxInt64 {
		panic("money: MulDivFloor overflow")
	}
	return int64(uq), int64(ur)
}

func absU(v int64) uint64 {
	if v < 0 {
		return uint64(-v)
	}
	return uint64(v)
}

// Percent returns c × p rounded half up to the cent, where p is a Rate
// read as a percentage (Rate "5" = 5 %).
func (c Cents) Percent(p Rate) Cents {
	return Cents(MulDivRound(int64(c), int64(p), 100*RateScale))
}
