package money

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Rate is a percentage with up to 4 decimal places, held exactly as an
// integer number of 1/10,000 of a percent: an APR of 6.99 % is Rate(69900),
// a 7.25 % sales tax is Rate(72500). Rates are never negative.
type Rate int64

// RateScale is the number of Rate units in one percent.
const RateScale = 10_000

// rateMax bounds rates: no consumer contract, and no sales tax, exceeds
// 1,000 %, and the bound keeps every product of amount × rate × days far
// inside int64.
const rateMax = Rate(1000 * RateScale)

// ParseRate reads a percentage such as "6.99", "0", "18.2500". It refuses
// negative values (ErrNegative), more than 4 decimals (ErrRatePrecise),
// exponents, separators and values above 1000 (ErrOutOfRange).
func ParseRate(s string) (Rate, error) {
	v, err := parseScaled(s, 4)
	if err != nil {
		return 0, err
	}
	if v > int64(rateMax) {
		return 0, fmt.Errorf("%q: %w (at most 1000 %%)", s, ErrOutOfRange)
	}
	return Rate(v), nil
}

// MustParseRate is ParseRate for literals; it panics on a malformed one.
func MustParseRate(s string) Rate {
	r, err := ParseRate(s)
	if err != nil {
		panic(err)
	}
	return r
}

// String formats r with at least two and at most four decimals: "6.99",
// "6.1250" becomes "6.125", "0" becomes "0.00".
func (r Rate) String() string {
	return formatScaled(int64(r), 4, 2)
}

// MarshalJSON writes the rate as a decimal string.
func (r Rate) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }

// UnmarshalJSON reads a decimal string.
func (r *Rate) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("rate must be a decimal string such as \"6.99\": %w", ErrSyntax)
	}
	v, err := ParseRate(s)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// MoneyFactor is a lease's rent factor with up to 8 decimal places, held as
// an integer number of 1e-8: 0.00125 is MoneyFactor(125000).
type MoneyFactor int64

// MoneyFactorScale is the number of MoneyFactor units in 1.
const MoneyFactorScale = 100_000_000

// ParseMoneyFactor reads a money factor such as "0.004" or "0.00125".
// It refuses negative values, more than 8 decimals and factors of 0.1 or
// more (a money factor of 0.1 is an APR of 240 %, surely a typo).
func ParseMoneyFactor(s string) (MoneyFactor, error) {
	v, err := parseScaled(s, 8)
	if err != nil {
		return 0, err
	}
	if v >= MoneyFactorScale/10 {
		return 0, fmt.Errorf("%q: %w (a money factor is below 0.1)", s, ErrOutOfRange)
	}
	return MoneyFactor(v), nil
}

// String formats the factor with at least 4 decimals: "0.0040", "0.00125".
func (m MoneyFactor) String() string { return formatScaled(int64(m), 8, 4) }

// MarshalJSON writes the factor as a decimal string.
func (m MoneyFactor) MarshalJSON() ([]byte, error) { return json.Marshal(m.String()) }

// APR converts a money factor to the conventional equivalent APR,
// MF × 2400, rounded half up to 4 decimals of a percent.
func (m MoneyFactor) APR() Rate {
	// percent = m/1e8 × 2400; Rate units = percent × 1e4 = m × 24 / 100.
	return Rate(DivRound(int64(m)*24, 100))
}

// MoneyFactorFromAPR converts an APR to a money factor, APR / 2400,
// rounded half up to 8 decimals.
func MoneyFactorFromAPR(r Rate) MoneyFactor {
	// m = r/1e4/2400 × 1e8 = r × 100 / 24.
	return MoneyFactor(DivRound(int64(r)*100, 24))
}

// parseScaled parses a non-negative decimal with at most places decimals
// into an integer scaled by 10^places.
func parseScaled(s string, places int) (int64, error) {
	if s == "" {
		return 0, ErrEmpty
	}
	if s[0] == '-' {
		if len(s) > 1 && s[1] >= '0' && s[1] <= '9' {
			return 0, fmt.Errorf("%q: %w", s, ErrNegative)
		}
		return 0, fmt.Errorf("%q: %w", s, ErrSyntax)
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || !allDigits(whole) || (hasDot && (frac == "" || !allDigits(frac))) {
		return 0, fmt.Errorf("%q: %w", s, ErrSyntax)
	}
	if len(frac) > places {
		return 0, fmt.Errorf("%q: %w (at most %d)", s, ErrRatePrecise, places)
	}
	if len(whole) > 6 {
		return 0, fmt.Errorf("%q: %w", s, ErrOutOfRange)
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	var f int64
	if frac != "" {
		f, _ = strconv.ParseInt(frac, 10, 64)
	}
	for range places - len(frac) {
		f *= 10
	}
	scale := int64(1)
	for range places {
		scale *= 10
	}
	return w*scale + f, nil
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// formatScaled formats v/10^places keeping at least minPlaces decimals and
// dropping trailing zeros beyond them.
func formatScaled(v int64, places, minPlaces int) string {
	neg := v < 0
	if neg {
		v = -v
	}
	scale := int64(1)
	for range places {
		scale *= 10
	}
	frac := strconv.FormatInt(v%scale, 10)
	frac = strings.Repeat("0", places-len(frac)) + frac
	for len(frac) > minPlaces && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	s := strconv.FormatInt(v/scale, 10) + "." + frac
	if neg {
		s = "-" + s
	}
	return s
}
