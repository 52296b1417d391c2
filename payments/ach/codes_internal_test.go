package ach

import "testing"

// TestCarfinCodesAreNacha: carfin's own titles are only for codes
// moov-io/ach knows, so it never names an invented code.
func TestCarfinCodesAreNacha(t *testing.T) {
	for code, r := range returnReasons {
		if !KnownReturnCode(code) || r.Code != code {
			t.Errorf("returnReasons lists %s (%+v), which is not a Nacha return reason code", code, r)
		}
	}
	for code := range changeCodes {
		if !KnownChangeCode(code) {
			t.Errorf("changeCodes lists %s, which is not a Nacha change code", code)
		}
	}
}
