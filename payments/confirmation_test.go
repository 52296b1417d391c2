package payments_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"carfin/payments"
)

// TestConfirmationNumbers: confirmation numbers are unique, read back to
// their payment, forgive case and look-alike letters, and refuse typos.
func TestConfirmationNumbers(t *testing.T) {
	seen := map[string]bool{}
	ids := []int64{1, 2, 3, 1 << 20, 1<<40 - 1}
	for range 10000 {
		ids = append(ids, rand.Int64N(1<<40-1)+1)
	}
	for _, id := range ids {
		c := payments.Confirmation(id)
		if len(c) != 9 || c[0] != 'P' || strings.ContainsAny(c[1:], "ILOU") {
			t.Fatalf("Confirmation(%d) = %q", id, c)
		}
		if seen[c] && id > 3 {
			continue // a random id drawn twice
		}
		seen[c] = true
		if got, ok := payments.PaymentID(c); !ok || got != id {
			t.Fatalf("PaymentID(%q) = %d %v, want %d", c, got, ok, id)
		}
		if got, ok := payments.PaymentID(" " + strings.ToLower(c) + " "); !ok || got != id {
			t.Fatalf("lower case %q: %d %v", c, got, ok)
		}
	}
	if payments.Confirmation(1) == payments.Confirmation(2) || strings.HasSuffix(payments.Confirmation(2), "2") {
		t.Error("consecutive ids give related numbers")
	}
	one := payments.Confirmation(1)
	if got, ok := payments.PaymentID(strings.NewReplacer("0", "O", "1", "I").Replace(one)); !ok || got != 1 {
		t.Errorf("look-alikes of %s: %d %v", one, got, ok)
	}
	for _, bad := range []string{"", "P", "X12345678", "P1234567", "P123456789", "P1234567U", "P12345-78"} {
		if _, ok := payments.PaymentID(bad); ok {
			t.Errorf("PaymentID(%q) accepted", bad)
		}
	}
}
