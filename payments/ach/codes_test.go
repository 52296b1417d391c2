package ach_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/payments/ach"
)

// returnsWith is a return file, as an ODFI delivers one, of one return or
// NOC with the given code for the sample file's first entry.
func returnsWith(t *testing.T, kind ach.ReturnKind, code, corrected string) []byte {
	t.Helper()
	e := sampleFile().Batches[0].Entries[0]
	var b bytes.Buffer
	h := ach.FileHeader{ImmediateDestination: "061993512", ImmediateOrigin: " 061993512", DestinationName: "Northwind Motor Finance",
		OriginName: "Peachtree Meadow Bank", Created: time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC), IDModifier: 'A'}
	err := ach.WriteReturns(&b, h, "Northwind Motor Finance", "1987654321", "WEB", calendar.MustParse("2026-12-01"), "11260181",
		[]ach.ReturnedEntry{{Return: ach.Return{Kind: kind, Code: code, OriginalTrace: e.TraceNumber, IndividualID: e.IndividualID, Routing: e.Routing,
			Account: e.Account, AmountCents: e.AmountCents, Name: e.IndividualName, CorrectedData: corrected}, OriginalCode: e.TransactionCode}})
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestParseReturnsRefusesUnknownCodes: a code the Nacha Operating Rules
// do not define (R00, R96, R99, C92, R48, C10) is refused, in a NACHA file
// and in the CSV form, with an error naming it; carfin used to accept any
// letter and two digits and file them as "other" returns.
func TestParseReturnsRefusesUnknownCodes(t *testing.T) {
	for _, tc := range []struct {
		code string
		kind ach.ReturnKind
	}{
		{"R00", ach.KindReturn}, {"R96", ach.KindReturn}, {"R99", ach.KindReturn}, {"R48", ach.KindReturn},
		{"C92", ach.KindNOC}, {"C10", ach.KindNOC}, {"C00", ach.KindNOC},
	} {
		t.Run(tc.code, func(t *testing.T) {
			what := "return reason code"
			corrected := ""
			if tc.kind == ach.KindNOC {
				what, corrected = "change code", "123456789"
			}
			want := fmt.Sprintf("%q is not a %s of the Nacha Operating Rules", tc.code, what)
			_, err := ach.ParseReturns(bytes.NewReader(returnsWith(t, tc.kind, tc.code, corrected)))
			if !errors.Is(err, ach.ErrReturnFile) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "line 4") {
				t.Errorf("NACHA file: err = %v, want %q on line 4", err, want)
			}
			csv := "trace_number,code,corrected_data\n061993510000001," + tc.code + "," + corrected + "\n"
			_, err = ach.ParseReturnsCSV(strings.NewReader(csv))
			if !errors.Is(err, ach.ErrReturnFile) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "row 2") {
				t.Errorf("CSV: err = %v, want %q on row 2", err, want)
			}
		})
	}
	// A NACHA file carries codes in upper case (the CSV form is forgiving).
	data := bytes.Replace(returnsWith(t, ach.KindReturn, "R01", ""), []byte("799R01"), []byte("799r01"), 1)
	if _, err := ach.ParseReturns(bytes.NewReader(data)); !errors.Is(err, ach.ErrReturnFile) {
		t.Errorf("lower-case r01: err = %v", err)
	}
}

// TestParseReturnsDisputeCodes: the dishonored returns (R61, R62,
// R67–R70) and contested dishonored returns (R71–R77) are read, each in
// its own addenda layout, and told apart from returns.
func TestParseReturnsDisputeCodes(t *testing.T) {
	for _, code := range []string{"R61", "R62", "R67", "R68", "R69", "R70", "R71", "R72", "R73", "R74", "R75", "R76", "R77"} {
		t.Run(code, func(t *testing.T) {
			rets, err := ach.ParseReturns(bytes.NewReader(returnsWith(t, ach.KindReturn, code, "")))
			if err != nil || len(rets) != 1 || rets[0].Code != code || rets[0].Kind != ach.KindReturn || rets[0].OriginalTrace != "061993510000001" {
				t.Fatalf("%+v %v", rets, err)
			}
			contested := code >= "R71"
			if ach.Dishonored(code) == contested || ach.Contested(code) != contested {
				t.Errorf("Dishonored %v, Contested %v", ach.Dishonored(code), ach.Contested(code))
			}
			if r := ach.Reason(code); strings.HasPrefix(r.Title, "Returned (") {
				t.Errorf("no title: %+v", r)
			}
		})
	}
	for _, code := range []string{"R01", "R10", "R60", "R78", "R99"} {
		if ach.Dishonored(code) || ach.Contested(code) {
			t.Errorf("%s is not a dishonor", code)
		}
	}
}

// TestKnownCodes: the code tables are moov-io/ach's, upper case only.
func TestKnownCodes(t *testing.T) {
	for code, want := range map[string]bool{"R01": true, "R31": true, "R62": true, "R77": true, "R85": true, "R90": true,
		"R00": false, "R48": false, "R54": false, "R96": false, "R99": false, "r01": false, "C01": false, "R1": false, "R010": false} {
		if got := ach.KnownReturnCode(code); got != want {
			t.Errorf("KnownReturnCode(%q) = %v", code, got)
		}
	}
	for code, want := range map[string]bool{"C01": true, "C04": true, "C09": true, "C13": true, "C14": true, "C61": true, "C69": true,
		"C00": false, "C10": false, "C92": false, "c01": false, "R01": false} {
		if got := ach.KnownChangeCode(code); got != want {
			t.Errorf("KnownChangeCode(%q) = %v", code, got)
		}
	}
	if got := ach.ChangeTitle("C61"); got != "Misrouted Notification of Change" {
		t.Errorf("ChangeTitle(C61) = %q", got)
	}
}
