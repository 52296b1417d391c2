package servicing

import (
	"errors"
	"testing"
)

// TestNormalizeVIN checks the 49 CFR 565.15 check digit on published
// examples and on the usual mistakes.
func TestNormalizeVIN(t *testing.T) {
	good := map[string]string{
		"1M8GDM9AXKP042788":  "1M8GDM9AXKP042788", // the check-digit example of 49 CFR 565 (X = 10)
		"11111111111111111":  "11111111111111111", // all ones: sum 89, 89 mod 11 = 1
		" 1m8gdm9axkp042788": "1M8GDM9AXKP042788", // trimmed and upper-cased
	}
	for in, want := range good {
		got, err := NormalizeVIN(in)
		if err != nil || got != want {
			t.Errorf("NormalizeVIN(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "1M8GDM9AXKP04278", "1M8GDM9AXKP0427888", "1M8GDM9A1KP042788", "1M8GDM9AXKP04278O", "IM8GDM9AXKP042788", "1M8GDM9AXKQ042788"} {
		if _, err := NormalizeVIN(bad); !errors.Is(err, ErrVIN) {
			t.Errorf("NormalizeVIN(%q) err = %v", bad, err)
		}
	}
	if v := WithCheckDigit("1M8GDM9A0KP042788"); v != "1M8GDM9AXKP042788" {
		t.Errorf("WithCheckDigit = %s", v)
	}
}
