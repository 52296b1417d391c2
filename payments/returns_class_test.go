package payments_test

import (
	"fmt"
	"testing"

	"carfin/payments"
	"carfin/payments/ach"
)

// classOfCodes is the class each return code must have (see the
// ReturnClass comments in returns.go): every code of the Nacha Operating
// Rules as moov-io/ach lists them (the codes the parsers accept), and
// codes that are not return codes at all.
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
	{"R28", payments.ClassAccount}, // routing number check digit error
	{"R34", payments.ClassAccount}, // the bank's participation is limited
	{"R90", payments.ClassAccount}, // the bank's sanctions obligations, as R16
	// Unauthorized: the codes of Nacha's unauthorized return rate
	// (Article Two, Subsection 2.17.2).
	{"R05", payments.ClassUnauthorized},
	{"R07", payments.ClassUnauthorized},
	{"R10", payments.ClassUnauthorized},
	{"R11", payments.ClassUnauthorized},
	{"R29", payments.ClassUnauthorized},
	{"R51", payments.ClassUnauthorized},
	// Dishonored (R61, R62, R67–R70) and contested dishonored (R71–R77)
	// returns: the banks' dispute; nothing changes, staff review.
	{"R61", payments.ClassDishonored},
	{"R62", payments.ClassDishonored},
	{"R67", payments.ClassDishonored},
	{"R68", payments.ClassDishonored},
	{"R69", payments.ClassDishonored},
	{"R70", payments.ClassDishonored},
	{"R71", payments.ClassDishonored},
	{"R72", payments.ClassDishonored},
	{"R73", payments.ClassDishonored},
	{"R74", payments.ClassDishonored},
	{"R75", payments.ClassDishonored},
	{"R76", payments.ClassDishonored},
	{"R77", payments.ClassDishonored},
	// Other: reverse and tell the customer. R08 stop payment; the rest are
	// an operator's or bank's processing returns, or for entry classes
	// carfin does not send (CCD/CTX, RCK, XCK, ARC/BOC/POP, ENR, CIE, IAT).
	{"R06", payments.ClassOther},
	{"R08", payments.ClassOther},
	{"R17", payments.ClassOther},
	{"R18", payments.ClassOther},
	{"R19", payments.ClassOther},
	{"R21", payments.ClassOther},
	{"R22", payments.ClassOther},
	{"R23", payments.ClassOther},
	{"R24", payments.ClassOther},
	{"R25", payments.ClassOther},
	{"R26", payments.ClassOther},
	{"R27", payments.ClassOther},
	{"R30", payments.ClassOther},
	{"R31", payments.ClassOther},
	{"R32", payments.ClassOther},
	{"R33", payments.ClassOther},
	{"R35", payments.ClassOther},
	{"R36", payments.ClassOther},
	{"R37", payments.ClassOther},
	{"R38", payments.ClassOther},
	{"R39", payments.ClassOther},
	{"R40", payments.ClassOther},
	{"R41", payments.ClassOther},
	{"R42", payments.ClassOther},
	{"R43", payments.ClassOther},
	{"R44", payments.ClassOther},
	{"R45", payments.ClassOther},
	{"R46", payments.ClassOther},
	{"R47", payments.ClassOther},
	{"R50", payments.ClassOther},
	{"R52", payments.ClassOther},
	{"R53", payments.ClassOther},
	{"R80", payments.ClassOther},
	{"R81", payments.ClassOther},
	{"R82", payments.ClassOther},
	{"R83", payments.ClassOther},
	{"R84", payments.ClassOther},
	{"R85", payments.ClassOther},
	// Not return codes (the parsers refuse them before ClassOf sees them).
	{"R00", payments.ClassOther},
	{"R96", payments.ClassOther},
	{"R99", payments.ClassOther},
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

// TestClassOfCoversCodes: the table above names every return code the
// parsers accept (ach.KnownReturnCode, moov-io/ach's list of the Nacha
// codes), so a code that becomes known without a class here fails; and
// every code carfin has words for (ach.Reason) is one of them.
func TestClassOfCoversCodes(t *testing.T) {
	notCodes := map[string]bool{"R00": true, "R96": true, "R99": true}
	inTable := map[string]bool{}
	for _, tc := range classOfCodes {
		inTable[tc.code] = true
	}
	for n := 0; n <= 99; n++ {
		code := fmt.Sprintf("R%02d", n)
		known := ach.KnownReturnCode(code)
		titled := ach.Reason(code).Title != "Returned ("+code+")"
		switch {
		case known && !inTable[code]:
			t.Errorf("%s (%s) is a Nacha return code but has no expected class in TestClassOf", code, ach.Reason(code).Title)
		case titled != known:
			t.Errorf("%s: known %v, but ach.Reason titles it %q", code, known, ach.Reason(code).Title)
		case !known && inTable[code] && !notCodes[code]:
			t.Errorf("%s is in TestClassOf's table but is not a Nacha return code", code)
		case known && notCodes[code]:
			t.Errorf("%s is now a known code (%s): update notCodes", code, ach.Reason(code).Title)
		}
	}
}
