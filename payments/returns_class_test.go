package payments_test

import (
	"fmt"
	"testing"

	"carfin/payments"
	"carfin/payments/ach"
)

// classOfCodes is the class each return code must have (see the
// ReturnClass comments in returns.go): every code payments/ach/codes.go
// lists, R13 (which ClassOf names though codes.go has no title for it),
// and codes it does not know.
var classOfCodes = []struct {
	code string
	want payments.ReturnClass
}{
	// Funds: reverse, NSF fee, present again if the lender allows it.
	{"R01", payments.ClassFunds},
	{"R09", payments.ClassFunds},
	// Account: the account cannot be debited again.
	{"R02", payments.ClassAccount},
	{"R03", payments.ClassAccount},
	{"R04", payments.ClassAccount},
	{"R12", payments.ClassAccount},
	{"R13", payments.ClassAccount},
	{"R14", payments.ClassAccount},
	{"R15", payments.ClassAccount},
	{"R16", payments.ClassAccount},
	{"R20", payments.ClassAccount},
	// Unauthorized: the codes of Nacha's unauthorized return rate
	// (Article Two, Subsection 2.17.2).
	{"R05", payments.ClassUnauthorized},
	{"R07", payments.ClassUnauthorized},
	{"R10", payments.ClassUnauthorized},
	{"R11", payments.ClassUnauthorized},
	{"R29", payments.ClassUnauthorized},
	{"R51", payments.ClassUnauthorized},
	// Other: reverse and tell the customer.
	{"R06", payments.ClassOther},
	{"R08", payments.ClassOther},
	{"R17", payments.ClassOther},
	{"R23", payments.ClassOther},
	{"R24", payments.ClassOther},
	{"R31", payments.ClassOther},
	{"R61", payments.ClassOther},
	{"R67", payments.ClassOther},
	{"R68", payments.ClassOther},
	{"R69", payments.ClassOther},
	{"R70", payments.ClassOther},
	{"R83", payments.ClassOther},
	// Codes carfin does not list, and what is not a return code at all.
	{"R99", payments.ClassOther},
	{"R85", payments.ClassOther},
	{"C01", payments.ClassOther},
	{"r01", payments.ClassOther},
	{"", payments.ClassOther},
}

// TestClassOf: each return code has the class its ReturnClass comment
// gives it.
func TestClassOf(t *testing.T) {
	for _, tc := range classOfCodes {
		t.Run(fmt.Sprintf("%q", tc.code), func(t *testing.T) {
			if got := payments.ClassOf(tc.code); got != tc.want {
				t.Errorf("ClassOf(%q) = %q, want %q (%s)", tc.code, got, tc.want, ach.Reason(tc.code).Title)
			}
		})
	}
}

// TestClassOfCoversCodes: the table above and codes.go name the same
// return codes, so a code added there without a class here fails.
// ach.Reason gives a code codes.go does not list the generic title
// "Returned (Rnn)".
func TestClassOfCoversCodes(t *testing.T) {
	notListed := map[string]bool{"R85": true, "R99": true}
	inTable := map[string]bool{}
	for _, tc := range classOfCodes {
		inTable[tc.code] = true
	}
	for n := 1; n <= 99; n++ {
		code := fmt.Sprintf("R%02d", n)
		listed := ach.Reason(code).Title != "Returned ("+code+")"
		switch {
		case listed && !inTable[code]:
			t.Errorf("%s (%s) is listed in codes.go but has no expected class in TestClassOf", code, ach.Reason(code).Title)
		case !listed && inTable[code] && !notListed[code]:
			t.Errorf("%s is in TestClassOf's table but codes.go does not list it", code)
		case listed && notListed[code]:
			t.Errorf("%s is now listed in codes.go (%s): update notListed", code, ach.Reason(code).Title)
		}
	}
}
