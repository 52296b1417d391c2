package ach_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"carfin/calendar"
	"carfin/internal/nachatest"
	"carfin/payments/ach"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestCheckRouting(t *testing.T) {
	for _, tc := range []struct {
		name, routing string
		want          error
	}{
		{"valid sample", "112601818", nil},
		{"valid thrift prefix", "226131863", nil},
		{"wrong check digit", "112601819", ach.ErrRoutingCheckDigit},
		{"swapped digits", "121601818", ach.ErrRoutingCheckDigit},
		{"eight digits", "11260181", ach.ErrRoutingFormat},
		{"ten digits", "1126018180", ach.ErrRoutingFormat},
		{"letters", "11260181X", ach.ErrRoutingFormat},
		{"unassigned prefix 50", "500000005", ach.ErrRoutingFormat},
		{"government prefix 00", "000000000", ach.ErrRoutingFormat},
		{"traveler's checks 80", "800000008", ach.ErrRoutingFormat},
		{"empty", "", ach.ErrRoutingFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := ach.CheckRouting(tc.routing); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("CheckRouting(%q) = %v, want %v", tc.routing, err, tc.want)
			}
		})
	}
}

func TestDirectory(t *testing.T) {
	d := ach.SampleDirectory()
	if d.Len() != 12 {
		t.Fatalf("sample directory has %d banks", d.Len())
	}
	b, err := d.Lookup("112601818")
	if err != nil || b.Name != "Prairie Gate Savings Bank" || b.State != "TX" {
		t.Errorf("lookup = %+v, %v", b, err)
	}
	if _, err := d.Lookup("021000021"); !errors.Is(err, ach.ErrRoutingUnknown) {
		t.Errorf("unlisted routing: %v", err)
	}
	if _, err := d.Lookup("112601819"); !errors.Is(err, ach.ErrRoutingCheckDigit) {
		t.Errorf("bad check digit: %v", err)
	}
	// The FedACH fixed-width form: 155 characters a line.
	line := func(routing, recordType, name, city, state string) string {
		l := routing + "O" + "011000015" + recordType + "010126" + "000000000" + fmt.Sprintf("%-36s%-36s%-20s%-2s", name, "1 MAIN ST", city, state) +
			"12345" + "0000" + "5555550100" + "1" + "1" + "     "
		if len(l) != 155 {
			t.Fatalf("test line is %d characters", len(l))
		}
		return l
	}
	fed := line("129083018", "1", "CASCADE ALDER BANK", "OLYMPIA", "WA") + "\n" + line("029139091", "2", "MOVED BANK", "ALBANY", "NY") + "\n"
	fd, err := ach.LoadDirectory(strings.NewReader(fed))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := fd.Lookup("129083018"); err != nil || b.Name != "CASCADE ALDER BANK" || b.City != "OLYMPIA" {
		t.Errorf("FedACH lookup = %+v, %v", b, err)
	}
	if _, err := fd.Lookup("029139091"); !errors.Is(err, ach.ErrRoutingUnknown) {
		t.Errorf("a moved routing number (record type 2) must not be accepted: %v", err)
	}
	for name, bad := range map[string]string{
		"bad header":      "routing,name\n112601818,X\n",
		"bad check digit": "routing_number,name,city,state\n112601819,X,Y,TX\n",
		"empty name":      "routing_number,name,city,state\n112601818,,Y,TX\n",
		"short FedACH":    strings.Repeat("1", 155) + "\n" + strings.Repeat("1", 150) + "\n",
	} {
		if _, err := ach.LoadDirectory(strings.NewReader(bad)); !errors.Is(err, ach.ErrDirectory) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// sampleFile is a file with a WEB batch of single and recurring debits,
// a PPD batch, and a micro-entry batch with credits, prenote included.
func sampleFile() *ach.File {
	eff := calendar.MustParse("2026-11-30")
	return &ach.File{
		Header: ach.FileHeader{ImmediateDestination: "061993512", ImmediateOrigin: " 061993512", DestinationName: "Peachtree Meadow Bank",
			OriginName: "Northwind Motor Finance", Created: time.Date(2026, 11, 27, 17, 5, 0, 0, time.UTC), IDModifier: 'A'},
		Batches: []ach.Batch{
			{CompanyName: "Northwind Motor Finance", CompanyID: "1987654321", SEC: "WEB", EntryDescription: "LOAN PYMT", EffectiveDate: eff, ODFI: "06199351",
				Entries: []ach.Entry{
					{TransactionCode: ach.CheckingDebit, Routing: "112601818", Account: "123456789", AmountCents: 41250, IndividualID: "P7K2M9QXA",
						IndividualName: "Ada Quiñones", Discretionary: "S", TraceNumber: "061993510000001"},
					{TransactionCode: ach.SavingsDebit, Routing: "226131863", Account: "0000987654321", AmountCents: 100000, IndividualID: "PABCDEFGH",
						IndividualName: "Bo Li", Discretionary: "S", TraceNumber: "061993510000002"},
					{TransactionCode: ach.CheckingDebitPrenote, Routing: "029139091", Account: "5555", AmountCents: 0, IndividualID: "V12",
						IndividualName: "Cy Young", Discretionary: "S", TraceNumber: "061993519000012"},
				}},
			{CompanyName: "Northwind Motor Finance", CompanyID: "1987654321", SEC: "PPD", EntryDescription: "AUTO PYMT", EffectiveDate: eff, ODFI: "06199351",
				Entries: []ach.Entry{
					{TransactionCode: ach.CheckingDebit, Routing: "315749111", Account: "44443333", AmountCents: 38999, IndividualID: "P0000ZZZZ",
						IndividualName: "Dee Dee Ramone", TraceNumber: "061993510000003"},
				}},
			{CompanyName: "Northwind Motor Finance", CompanyID: "1987654321", SEC: "WEB", EntryDescription: "ACCTVERIFY", EffectiveDate: eff, ODFI: "06199351",
				Entries: []ach.Entry{
					{TransactionCode: ach.CheckingCredit, Routing: "082319489", Account: "77001", AmountCents: 17, IndividualID: "V20",
						IndividualName: "Eve Adams", Discretionary: "S", TraceNumber: "061993519000020"},
					{TransactionCode: ach.CheckingCredit, Routing: "082319489", Account: "77001", AmountCents: 42, IndividualID: "V21",
						IndividualName: "Eve Adams", Discretionary: "S", TraceNumber: "061993519000021"},
					{TransactionCode: ach.CheckingDebit, Routing: "082319489", Account: "77001", AmountCents: 59, IndividualID: "V22",
						IndividualName: "Eve Adams", Discretionary: "S", TraceNumber: "061993519000022"},
				}},
		},
	}
}

func TestWriteGolden(t *testing.T) {
	var b bytes.Buffer
	sum, err := ach.Write(&b, sampleFile())
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "origination.ach")
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Fatalf("file differs from %s (run with -update after checking):\n%s", golden, b.String())
	}
	f := nachatest.Parse(t, b.String())
	if f.DebitCents != 41250+100000+38999+59 || f.CreditCents != 17+42 || f.Entries != 7 || f.Batches != 3 {
		t.Errorf("independent totals %+v", f)
	}
	if sum.DebitCents != f.DebitCents || sum.CreditCents != f.CreditCents || sum.EntryHash != f.EntryHash || sum.Blocks != f.Blocks {
		t.Errorf("writer summary %+v differs from the independent parse %+v", sum, f)
	}
	// The batches' service class codes follow their entries: mixed for
	// the micro-entries, debits only for the others.
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	var classes []string
	for _, l := range lines {
		if l[0] == '5' {
			classes = append(classes, l[1:4])
		}
	}
	if strings.Join(classes, ",") != "225,225,200" {
		t.Errorf("service classes %v", classes)
	}
	// Text fields are upper-case ASCII, accents removed.
	if !strings.Contains(b.String(), "ADA QUINONES") {
		t.Errorf("names are not cleaned:\n%s", b.String())
	}
}

func TestWriteRefusesBadFiles(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(f *ach.File)
	}{
		{"bad RDFI routing", func(f *ach.File) { f.Batches[0].Entries[0].Routing = "112601819" }},
		{"account too long", func(f *ach.File) { f.Batches[0].Entries[0].Account = "123456789012345678" }},
		{"amount too big", func(f *ach.File) { f.Batches[0].Entries[0].AmountCents = ach.EntryAmountMax + 1 }},
		{"negative amount", func(f *ach.File) { f.Batches[0].Entries[0].AmountCents = -1 }},
		{"zero live entry", func(f *ach.File) { f.Batches[0].Entries[0].AmountCents = 0 }},
		{"prenote with amount", func(f *ach.File) { f.Batches[0].Entries[2].AmountCents = 1 }},
		{"traces out of order", func(f *ach.File) { f.Batches[0].Entries[1].TraceNumber = "061993510000001" }},
		{"trace of another ODFI", func(f *ach.File) { f.Batches[0].Entries[0].TraceNumber = "111111110000001" }},
		{"WEB without payment type", func(f *ach.File) { f.Batches[0].Entries[0].Discretionary = "" }},
		{"unknown SEC", func(f *ach.File) { f.Batches[0].SEC = "CCD" }},
		{"bad modifier", func(f *ach.File) { f.Header.IDModifier = 'a' }},
		{"empty batch", func(f *ach.File) { f.Batches[1].Entries = nil }},
		{"short company id", func(f *ach.File) { f.Batches[0].CompanyID = "123" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := sampleFile()
			tc.change(f)
			var b bytes.Buffer
			if _, err := ach.Write(&b, f); !errors.Is(err, ach.ErrFile) || b.Len() != 0 {
				t.Errorf("err = %v, wrote %d bytes", err, b.Len())
			}
		})
	}
}

// returnFile builds a return file the way an ODFI would, for the entries
// of sampleFile.
func returnFile(t *testing.T) []byte {
	t.Helper()
	b, err := returnFileBytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func returnFileBytes() ([]byte, error) {
	f := sampleFile()
	e0, e1, e3 := f.Batches[0].Entries[0], f.Batches[0].Entries[1], f.Batches[1].Entries[0]
	rets := []ach.ReturnedEntry{
		{Return: ach.Return{Kind: ach.KindReturn, Code: "R01", OriginalTrace: e0.TraceNumber, IndividualID: e0.IndividualID, Routing: e0.Routing,
			Account: e0.Account, AmountCents: e0.AmountCents, Name: e0.IndividualName, AddendaInfo: "NSF"}, OriginalCode: e0.TransactionCode},
		{Return: ach.Return{Kind: ach.KindReturn, Code: "R03", OriginalTrace: e1.TraceNumber, IndividualID: e1.IndividualID, Routing: e1.Routing,
			Account: e1.Account, AmountCents: e1.AmountCents, Name: e1.IndividualName}, OriginalCode: e1.TransactionCode},
		{Return: ach.Return{Kind: ach.KindNOC, Code: "C03", OriginalTrace: e3.TraceNumber, IndividualID: e3.IndividualID, Routing: e3.Routing,
			Account: e3.Account, Name: e3.IndividualName, CorrectedData: "129083018   00011112222"}, OriginalCode: e3.TransactionCode},
	}
	var b bytes.Buffer
	h := ach.FileHeader{ImmediateDestination: "061993512", ImmediateOrigin: " 061993512", DestinationName: "Northwind Motor Finance",
		OriginName: "Peachtree Meadow Bank", Created: time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC), IDModifier: 'A'}
	err := ach.WriteReturns(&b, h, "Northwind Motor Finance", "1987654321", "WEB", calendar.MustParse("2026-12-01"), "11260181", rets)
	return b.Bytes(), err
}

func TestReturnsGoldenAndParse(t *testing.T) {
	data := returnFile(t)
	golden := filepath.Join("testdata", "returns.ach")
	if *update {
		if err := os.WriteFile(golden, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, want) {
		t.Fatalf("return file differs from %s:\n%s", golden, data)
	}
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if len(l) != 94 {
			t.Fatalf("return file line of %d characters: %q", len(l), l)
		}
	}
	rets, err := ach.ParseReturns(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(rets) != 3 {
		t.Fatalf("%d returns", len(rets))
	}
	r := rets[0]
	if r.Kind != ach.KindReturn || r.Code != "R01" || r.OriginalTrace != "061993510000001" || r.IndividualID != "P7K2M9QXA" ||
		r.AmountCents != 41250 || r.TransactionCode != ach.CheckingReturnOfDebit || r.AddendaInfo != "NSF" || r.Routing != "112601818" {
		t.Errorf("return 0 = %+v", r)
	}
	if rets[1].Code != "R03" || rets[1].TransactionCode != ach.SavingsReturnOfDebit {
		t.Errorf("return 1 = %+v", rets[1])
	}
	n := rets[2]
	if n.Kind != ach.KindNOC || n.Code != "C03" || n.CorrectedData != "129083018   00011112222" {
		t.Errorf("NOC = %+v", n)
	}
	c, ok := ach.ParseCorrection(n.Code, n.CorrectedData)
	if !ok || c.Routing != "129083018" || c.Account != "00011112222" {
		t.Errorf("correction = %+v %v", c, ok)
	}
	// Records back to back, without line breaks, are the same file.
	flat := strings.ReplaceAll(string(data), "\n", "")
	if again, err := ach.ParseReturns(strings.NewReader(flat)); err != nil || len(again) != 3 {
		t.Errorf("unbroken file: %d returns, %v", len(again), err)
	}
}

func TestParseReturnsRefusesDamage(t *testing.T) {
	good := string(returnFile(t))
	lines := strings.Split(strings.TrimSuffix(good, "\n"), "\n")
	join := func(ls []string) string { return strings.Join(ls, "\n") + "\n" }
	mut := func(i int, f func(string) string) string {
		ls := append([]string(nil), lines...)
		ls[i] = f(ls[i])
		return join(ls)
	}
	entry := 2 // the first entry detail record
	for _, tc := range []struct{ name, data string }{
		{"short line", mut(entry, func(l string) string { return l[:93] })},
		{"amount changed", mut(entry, func(l string) string { return l[:29] + "0000041251" + l[39:] })},
		{"RDFI changed", mut(entry, func(l string) string { return l[:3] + "11260182" + l[11:] })},
		{"bad addenda type", mut(entry+1, func(l string) string { return "705" + l[3:] })},
		{"return code not R", mut(entry+1, func(l string) string { return l[:3] + "X01" + l[6:] })},
		{"entry without addenda", join(append(append([]string{}, lines[:entry+1]...), lines[entry+2:]...))},
		{"no file control", join(lines[:slices.IndexFunc(lines, func(l string) bool { return l[0] == '9' })])},
		{"padding before the end", join(append([]string{lines[0], strings.Repeat("9", 94)}, lines[1:]...))},
		{"not a return entry", mut(entry, func(l string) string { return "627" + l[3:] })},
		{"garbage", "hello\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ach.ParseReturns(strings.NewReader(tc.data)); !errors.Is(err, ach.ErrReturnFile) {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestParseReturnsCSV(t *testing.T) {
	rets, err := ach.ParseReturnsCSV(strings.NewReader("trace_number,code,corrected_data\n061993510000001,R01,\n061993510000003,c01,00011112222\n"))
	if err != nil || len(rets) != 2 || rets[0].Kind != ach.KindReturn || rets[1].Kind != ach.KindNOC || rets[1].Code != "C01" {
		t.Fatalf("%+v %v", rets, err)
	}
	for name, bad := range map[string]string{
		"header":           "trace,code\n",
		"short trace":      "trace_number,code,corrected_data\n12345,R01,\n",
		"bad code":         "trace_number,code,corrected_data\n061993510000001,X01,\n",
		"return with data": "trace_number,code,corrected_data\n061993510000001,R01,123\n",
	} {
		if _, err := ach.ParseReturnsCSV(strings.NewReader(bad)); !errors.Is(err, ach.ErrReturnFile) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestParseCorrection(t *testing.T) {
	for _, tc := range []struct {
		code, data string
		want       ach.Correction
		ok         bool
	}{
		{"C01", "1234567", ach.Correction{Account: "1234567"}, true},
		{"C02", "129083018", ach.Correction{Routing: "129083018"}, true},
		{"C02", "129083019", ach.Correction{Routing: "129083019"}, false},
		{"C03", "129083018   55554444", ach.Correction{Routing: "129083018", Account: "55554444"}, true},
		{"C05", "37", ach.Correction{TransactionCode: 37}, true},
		{"C06", "12345678            32", ach.Correction{Account: "12345678", TransactionCode: 32}, true},
		{"C07", "129083018" + "00000000000987654" + "32", ach.Correction{Routing: "129083018", Account: "00000000000987654", TransactionCode: 32}, true},
		{"C07", fmt.Sprintf("129083018%-17s27", "987654"), ach.Correction{Routing: "129083018", Account: "987654", TransactionCode: 27}, true},
		{"C07", fmt.Sprintf("129083019%-17s27", "987654"), ach.Correction{}, false},
		{"C09", "ABC", ach.Correction{IndividualID: "ABC"}, true},
		{"C13", "", ach.Correction{}, false},
	} {
		got, ok := ach.ParseCorrection(tc.code, tc.data)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("ParseCorrection(%s, %q) = %+v %v, want %+v %v", tc.code, tc.data, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzParseReturns: the return parser never panics, and whatever it
// accepts is self-consistent (every return has a code of its kind and a
// 15-digit trace).
func FuzzParseReturns(f *testing.F) {
	seed, err := returnFileBytes()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("1"))
	f.Add([]byte(strings.Repeat("9", 94) + "\n"))
	f.Add([]byte("101 061993512 0619935122612010600A094101"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rets, err := ach.ParseReturns(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ach.ErrReturnFile) {
				t.Fatalf("error is not ErrReturnFile: %v", err)
			}
			return
		}
		for _, r := range rets {
			if len(r.OriginalTrace) != 15 || len(r.Code) != 3 || (r.Kind == ach.KindReturn) != (r.Code[0] == 'R') {
				t.Fatalf("inconsistent return %+v", r)
			}
		}
	})
}

// FuzzParseReturnsCSV: the CSV form never panics either.
func FuzzParseReturnsCSV(f *testing.F) {
	f.Add([]byte("trace_number,code,corrected_data\n061993510000001,R01,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := ach.ParseReturnsCSV(bytes.NewReader(data)); err != nil && !errors.Is(err, ach.ErrReturnFile) {
			t.Fatalf("error is not ErrReturnFile: %v", err)
		}
	})
}

func TestTraceAndClean(t *testing.T) {
	if got := ach.Trace("06199351", 12_345_678); got != "061993512345678" {
		t.Errorf("Trace = %s", got)
	}
	if got := ach.Clean("José Núñez-Ørsted"); got != "JOSE NUNEZ-ORSTED" {
		t.Errorf("Clean = %q", got)
	}
}
