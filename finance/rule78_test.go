package finance

import (
	"errors"
	"testing"

	"carfin/money"
)

// TestRule78Refund: values checked by hand as charge × k(k+1) / n(n+1).
func TestRule78Refund(t *testing.T) {
	tests := []struct {
		name   string
		charge string
		term   int
		made   int
		want   string
	}{
		{"12 months, 3 paid: 45/78 of 1,000.00 = 576.923", "1000.00", 12, 3, "576.92"},
		{"12 months, 0 paid: all of it", "1000.00", 12, 0, "1000.00"},
		{"12 months, all paid: nothing", "1000.00", 12, 12, "0.00"},
		{"12 months, 11 paid: 1/78 of 1,000.00 = 12.820", "1000.00", 12, 11, "12.82"},
		{"12 months, 1 paid: 66/78 of 1,000.00 = 846.153", "1000.00", 12, 1, "846.15"},
		{"12 months, 6 paid: 21/78 of 780.00 = 210", "780.00", 12, 6, "210.00"},
		{"36 months, 12 paid: 300/666 of 3,330.00 = 1,500", "3330.00", 36, 12, "1500.00"},
		{"60 months, 20 paid: 820/1830 of 5,000.00 = 2,240.437", "5000.00", 60, 20, "2240.44"},
		{"61 months (the limit), 1 paid: 1830/1891 of 6,100.00 = 5,903.225", "6100.00", 61, 1, "5903.23"},
		{"half a cent rounds up: 1/78 of 0.39 = 0.005", "0.39", 12, 11, "0.01"},
		{"below half a cent rounds down: 1/78 of 0.38 = 0.00487", "0.38", 12, 11, "0.00"},
		{"1 month term", "25.00", 1, 0, "25.00"},
		{"zero finance charge", "0", 24, 5, "0.00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Rule78Refund(money.MustParse(tc.charge), tc.term, tc.made)
			if err != nil || got != money.MustParse(tc.want) {
				t.Fatalf("Rule78Refund(%s, %d, %d) = %s, %v; want %s", tc.charge, tc.term, tc.made, got, err, tc.want)
			}
		})
	}
}

func TestRule78RefundErrors(t *testing.T) {
	tests := []struct {
		name   string
		charge money.Cents
		term   int
		made   int
		want   error
	}{
		{"62 months: prohibited by 15 USC 1615(b)", 100000, 62, 0, ErrRule78Term},
		{"72 months", 100000, 72, 10, ErrRule78Term},
		{"zero term", 100000, 0, 0, ErrRule78Term},
		{"negative term", 100000, -12, 0, ErrRule78Term},
		{"negative payments made", 100000, 12, -1, ErrRule78Input},
		{"more payments than the term", 100000, 12, 13, ErrRule78Input},
		{"negative finance charge", -1, 12, 3, ErrRule78Input},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Rule78Refund(tc.charge, tc.term, tc.made)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Rule78Refund = %s, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// TestRule78RefundMonotone: the refund never grows as payments are made,
// never exceeds the charge, and never exceeds the straight-line share k/n
// of it (the Rule of 78 counts the charge as earned early).
func TestRule78RefundMonotone(t *testing.T) {
	charge := money.MustParse("4321.09")
	for n := 1; n <= rule78TermMax; n++ {
		prev := charge + 1
		for made := 0; made <= n; made++ {
			got, err := Rule78Refund(charge, n, made)
			if err != nil {
				t.Fatal(err)
			}
			if got > prev || got > charge || got < 0 {
				t.Fatalf("n=%d made=%d: refund %s after %s", n, made, got, prev)
			}
			straight := money.Cents(money.MulDivRound(int64(charge), int64(n-made), int64(n)))
			if got > straight {
				t.Fatalf("n=%d made=%d: refund %s above straight-line %s", n, made, got, straight)
			}
			prev = got
		}
	}
}
