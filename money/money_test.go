package money

import (
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Cents
		err  error
	}{
		{"whole", "20000", 2000000, nil},
		{"two decimals", "1234.50", 123450, nil},
		{"one decimal", "0.5", 50, nil},
		{"negative", "-7.05", -705, nil},
		{"zero", "0.00", 0, nil},
		{"leading zeros", "007.10", 710, nil},
		{"max digits", "999999999999999.99", 99999999999999999, nil},
		{"empty", "", 0, ErrEmpty},
		{"three decimals", "1.005", 0, ErrTooPrecise},
		{"exponent", "1e3", 0, ErrSyntax},
		{"thousands separator", "1,234.00", 0, ErrSyntax},
		{"plus sign", "+5", 0, ErrSyntax},
		{"space", " 5", 0, ErrSyntax},
		{"trailing space", "5 ", 0, ErrSyntax},
		{"NaN", "NaN", 0, ErrSyntax},
		{"Inf", "Inf", 0, ErrSyntax},
		{"dot only", ".", 0, ErrSyntax},
		{"no integer part", ".50", 0, ErrSyntax},
		{"trailing dot", "5.", 0, ErrSyntax},
		{"double minus", "--5", 0, ErrSyntax},
		{"minus only", "-", 0, ErrSyntax},
		{"overflow", "92233720368547758.08", 0, ErrOutOfRange},
		{"sixteen digits", "1000000000000000", 0, ErrOutOfRange},
		{"dollar sign", "$5", 0, ErrSyntax},
		{"unicode digit", "٣", 0, ErrSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("Parse(%q) error = %v, want %v", tc.in, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Parse(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		in   Cents
		want string
		usd  string
	}{
		{0, "0.00", "$0.00"},
		{5, "0.05", "$0.05"},
		{-5, "-0.05", "-$0.05"},
		{123450, "1234.50", "$1,234.50"},
		{100000000, "1000000.00", "$1,000,000.00"},
		{-19921456, "-199214.56", "-$199,214.56"},
		{math.MinInt64, "-92233720368547758.08", "-$92,233,720,368,547,758.08"},
	}
	for _, tc := range tests {
		if got := tc.in.String(); got != tc.want {
			t.Errorf("Cents(%d).String() = %q, want %q", tc.in, got, tc.want)
		}
		if got := tc.in.Dollars(); got != tc.usd {
			t.Errorf("Cents(%d).Dollars() = %q, want %q", tc.in, got, tc.usd)
		}
	}
	if got := Cents(123456789).Grouped("", ".", ","); got != "1.234.567,89" {
		t.Errorf("Grouped = %q", got)
	}
}

func TestJSON(t *testing.T) {
	type body struct {
		Amount Cents `json:"amount"`
		APR    Rate  `json:"apr"`
	}
	b, err := json.Marshal(body{123450, 69900})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"amount":"1234.50","apr":"6.99"}` {
		t.Fatalf("marshal = %s", b)
	}
	var got body
	if err := json.Unmarshal(b, &got); err != nil || got.Amount != 123450 || got.APR != 69900 {
		t.Fatalf("round trip = %+v, %v", got, err)
	}
	for _, bad := range []string{`{"amount":1234.5}`, `{"amount":"1.234"}`, `{"amount":null}`, `{"apr":6.99}`} {
		if err := json.Unmarshal([]byte(bad), &got); err == nil {
			t.Errorf("Unmarshal(%s) accepted", bad)
		}
	}
}

func TestDivRound(t *testing.T) {
	tests := []struct{ num, den, want int64 }{
		{5, 10, 1}, {4, 10, 0}, {15, 10, 2}, {-5, 10, -1}, {-4, 10, 0},
		{-15, 10, -2}, {5, -10, -1}, {7, 7, 1}, {0, 3, 0}, {1, 3, 0}, {2, 3, 1},
	}
	for _, tc := range tests {
		if got := DivRound(tc.num, tc.den); got != tc.want {
			t.Errorf("DivRound(%d,%d) = %d, want %d", tc.num, tc.den, got, tc.want)
		}
	}
}

// TestMulDivRoundAgainstBig checks the 128-bit path against math/big on
// values whose product overflows int64.
func TestMulDivRoundAgainstBig(t *testing.T) {
	cases := [][3]int64{
		{2000000, 69900 * 31, 365 * 100 * RateScale},
		{math.MaxInt64 / 3, 1000, 999},
		{-math.MaxInt64 / 7, 13, 11},
		{123456789012, 987654321, 1000000007},
		{5, 1, 10}, {-5, 1, 10}, {15, 1, 10},
	}
	for _, c := range cases {
		want := bigDivRound(c[0], c[1], c[2])
		if got := MulDivRound(c[0], c[1], c[2]); got != want {
			t.Errorf("MulDivRound(%d,%d,%d) = %d, want %d", c[0], c[1], c[2], got, want)
		}
	}
}

func bigDivRound(a, b, den int64) int64 {
	p := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	neg := p.Sign() < 0
	p.Abs(p)
	q, r := new(big.Int).QuoRem(p, big.NewInt(den), new(big.Int))
	if new(big.Int).Mul(r, big.NewInt(2)).Cmp(big.NewInt(den)) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return q.Int64()
}

func TestRate(t *testing.T) {
	tests := []struct {
		in   string
		want Rate
		str  string
		err  error
	}{
		{"6.99", 69900, "6.99", nil},
		{"0", 0, "0.00", nil},
		{"18.2500", 182500, "18.25", nil},
		{"6.125", 61250, "6.125", nil},
		{"0.0001", 1, "0.0001", nil},
		{"1000", 10000000, "1000.00", nil},
		{"1000.0001", 0, "", ErrOutOfRange},
		{"-1", 0, "", ErrNegative},
		{"6.99999", 0, "", ErrRatePrecise},
		{"6,99", 0, "", ErrSyntax},
		{"1e2", 0, "", ErrSyntax},
		{"", 0, "", ErrEmpty},
		{".5", 0, "", ErrSyntax},
		{"NaN", 0, "", ErrSyntax},
	}
	for _, tc := range tests {
		got, err := ParseRate(tc.in)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("ParseRate(%q) err = %v, want %v", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want || got.String() != tc.str {
			t.Errorf("ParseRate(%q) = %d (%s), %v; want %d (%s)", tc.in, got, got, err, tc.want, tc.str)
		}
	}
}

func TestMoneyFactor(t *testing.T) {
	mf, err := ParseMoneyFactor("0.00125")
	if err != nil || mf != 125000 {
		t.Fatalf("ParseMoneyFactor = %d, %v", mf, err)
	}
	// MF × 2400 = APR: 0.00125 → 3.00 % (Edmunds' rule of thumb).
	if got := mf.APR(); got != MustParseRate("3") {
		t.Errorf("APR = %s, want 3.00", got)
	}
	if got := MoneyFactorFromAPR(MustParseRate("3")); got != mf {
		t.Errorf("MoneyFactorFromAPR(3) = %s", got)
	}
	if got := MoneyFactorFromAPR(MustParseRate("6.99")).String(); got != "0.0029125" {
		t.Errorf("MoneyFactorFromAPR(6.99) = %s", got)
	}
	for _, bad := range []string{"0.1", "-0.001", "0.000000001", "abc"} {
		if _, err := ParseMoneyFactor(bad); err == nil {
			t.Errorf("ParseMoneyFactor(%q) accepted", bad)
		}
	}
}

func TestPercent(t *testing.T) {
	// 7.25 % tax on a 362.00 lease payment is 26.245 → 26.25 (half up).
	if got := MustParse("362.00").Percent(MustParseRate("7.25")); got != 2625 {
		t.Errorf("Percent = %s", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"0", "1.5", "-2.25", "1e5", "1,000", "999999999999999.99", ".", "-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			return
		}
		// Whatever parses must print back to a form that parses to the same value.
		back, err := Parse(c.String())
		if err != nil || back != c {
			t.Fatalf("round trip %q → %d → %q → %d, %v", s, c, c.String(), back, err)
		}
	})
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"6.99", "0", "-1", "1000.0000", "1.23456"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			return
		}
		if r < 0 || r > rateMax {
			t.Fatalf("ParseRate(%q) = %d out of range", s, r)
		}
		back, err := ParseRate(r.String())
		if err != nil || back != r {
			t.Fatalf("round trip %q → %d → %q → %d, %v", s, r, r.String(), back, err)
		}
	})
}
