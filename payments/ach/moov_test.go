package ach_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	moov "github.com/moov-io/ach"

	"carfin/calendar"
	"carfin/internal/nachatest"
	"carfin/payments/ach"
)

// toMoov builds f as a moov-io/ach file, field for field, with text as
// ach.Clean writes it (moov-io/ach writes text as it is given).
func toMoov(f *ach.File) (*moov.File, error) {
	mf := moov.NewFile()
	h := f.Header
	mf.Header.ImmediateDestination = h.ImmediateDestination
	mf.Header.ImmediateOrigin = h.ImmediateOrigin
	if len(h.ImmediateOrigin) == 10 && h.ImmediateOrigin[0] != ' ' {
		// A 10-character company identification as the origin, by
		// agreement with the ODFI: moov-io/ach writes it as it is only
		// when told not to expect a blank and a routing number.
		mf.Header.SetValidation(&moov.ValidateOpts{BypassOriginValidation: true})
	}
	mf.Header.FileCreationDate = h.Created.Format("060102")
	mf.Header.FileCreationTime = h.Created.Format("1504")
	mf.Header.FileIDModifier = string(h.IDModifier)
	mf.Header.ImmediateDestinationName = ach.Clean(h.DestinationName)
	mf.Header.ImmediateOriginName = ach.Clean(h.OriginName)
	mf.Header.ReferenceCode = ach.Clean(h.ReferenceCode)
	for i := range f.Batches {
		b := &f.Batches[i]
		bh := moov.NewBatchHeader()
		bh.ServiceClassCode = serviceClass(b)
		bh.CompanyName = ach.Clean(b.CompanyName)
		bh.CompanyDiscretionaryData = ach.Clean(b.DiscretionaryData)
		bh.CompanyIdentification = b.CompanyID
		bh.StandardEntryClassCode = b.SEC
		bh.CompanyEntryDescription = ach.Clean(b.EntryDescription)
		bh.CompanyDescriptiveDate = ach.Clean(b.DescriptiveDate)
		bh.EffectiveEntryDate = b.EffectiveDate.Time().Format("060102")
		bh.ODFIIdentification = b.ODFI
		mb, err := moov.NewBatch(bh)
		if err != nil {
			return nil, err
		}
		for j := range b.Entries {
			e := &b.Entries[j]
			ed := moov.NewEntryDetail()
			ed.TransactionCode = e.TransactionCode
			ed.SetRDFI(e.Routing)
			ed.DFIAccountNumber = ach.Clean(e.Account)
			ed.Amount = int(e.AmountCents)
			ed.IdentificationNumber = ach.Clean(e.IndividualID)
			ed.IndividualName = ach.Clean(e.IndividualName)
			ed.DiscretionaryData = ach.Clean(e.Discretionary)
			ed.TraceNumber = e.TraceNumber
			mb.AddEntry(ed)
		}
		if err := mb.Create(); err != nil {
			return nil, fmt.Errorf("batch %d: %w", i+1, err)
		}
		mf.AddBatch(mb)
	}
	if err := mf.Create(); err != nil {
		return nil, err
	}
	return mf, nil
}

// serviceClass is the batch's service class code by the rule of
// Appendix Three (credits only 220, debits only 225, else 200).
func serviceClass(b *ach.Batch) int {
	var debits, credits bool
	for _, e := range b.Entries {
		if ach.IsDebit(e.TransactionCode) {
			debits = true
		} else {
			credits = true
		}
	}
	switch {
	case debits && credits:
		return ach.ServiceMixed
	case credits:
		return ach.ServiceCredits
	}
	return ach.ServiceDebits
}

// writeMoov writes f with moov-io/ach's writer (which validates first).
func writeMoov(w io.Writer, f *ach.File) error {
	mf, err := toMoov(f)
	if err != nil {
		return err
	}
	return moov.NewWriter(w).Write(mf)
}

// sameAsMoov writes f with ach.Write and with moov-io/ach, and fails
// unless moov-io/ach accepts every file ach.Write writes, writes the same
// bytes, and refuses nothing ach.Write accepts. It reports whether the
// file was written.
func sameAsMoov(t testing.TB, f *ach.File) bool {
	t.Helper()
	var ours, theirs bytes.Buffer
	_, errOurs := ach.Write(&ours, f)
	errTheirs := writeMoov(&theirs, f)
	switch {
	case errOurs != nil && !errors.Is(errOurs, ach.ErrFile):
		t.Fatalf("ach.Write: an error that is not ErrFile: %v", errOurs)
	case errOurs == nil && errTheirs != nil:
		t.Fatalf("ach.Write wrote a file moov-io/ach refuses (%v):\n%s", errTheirs, ours.String())
	case errOurs == nil && !bytes.Equal(ours.Bytes(), theirs.Bytes()):
		t.Fatalf("ach.Write and moov-io/ach differ:\nours:\n%s\nmoov-io/ach:\n%s", ours.String(), theirs.String())
	}
	return errOurs == nil
}

// TestWriteMatchesMoov: for the golden file, a 150-entry file and
// random files of every transaction code, SEC code and service class,
// with names in many scripts, ach.Write writes exactly what moov-io/ach
// writes for the same entries, and refuses whatever moov-io/ach refuses.
// That is what lets the origination run use ach.Write's fast path.
func TestWriteMatchesMoov(t *testing.T) {
	t.Run("golden", func(t *testing.T) {
		if !sameAsMoov(t, sampleFile()) {
			t.Fatal("the sample file is refused")
		}
	})
	t.Run("company origin", func(t *testing.T) {
		f := sampleFile()
		f.Header.ImmediateOrigin = "1987654321"
		if !sameAsMoov(t, f) {
			t.Fatal("refused")
		}
	})
	t.Run("150 entries", func(t *testing.T) {
		if !sameAsMoov(t, benchFile(150)) {
			t.Fatal("refused")
		}
	})
	rng := rand.New(rand.NewPCG(2026, 12))
	written := 0
	for i := range 300 {
		f := randomFile(rng)
		t.Run(fmt.Sprint("random ", i), func(t *testing.T) {
			if sameAsMoov(t, f) {
				written++
				var b bytes.Buffer
				if _, err := ach.Write(&b, f); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(b.String(), "TEL") {
					nachatest.Parse(t, b.String()) // it knows WEB and PPD, what carfin sends
				}
			}
		})
	}
	if written < 200 {
		t.Errorf("only %d of 300 random files were valid: the generator tests too little", written)
	}
}

// names are account holders' names as customers type them; badNames
// are names the ACH character set cannot carry.
var (
	names = []string{
		"Ada Quiñones", "Łukasz Żółć", "Þórunn Ægisdóttir", "Søren Kierkegaard", "Günther Strauß", "Œdipe Dupré",
		"Đorđe Balašević", "Nguyễn Thị Minh Khai", "Ħanna Borġ", "Ólafur Ragnar", "Zoë Saldaña-Ortíz", "O’Brien, Seán",
		"Ｆｕｌｌ Ｗｉｄｔｈ", "José Núñez-Ørsted", "Mary-Jane d'Arc & Co.", "山田 太郎 Taro", "x", "A\tB\nC", "tab\x7fdel",
		"a very long name that does not fit the field at all", "`~{|}^_", "Jr. 3rd",
	}
	badNames = []string{"李小龍", "Иван Петров", "Ελένη Παπαδοπούλου", "محمد علي", "  ", "0000", "", "0 ́"}
)

// randomFile is a file of 1–4 batches of 1–12 entries, each a random
// transaction code, with random but mostly valid fields.
func randomFile(rng *rand.Rand) *ach.File {
	routings := []string{"112601818", "129083018", "226131863", "029139091", "210308246", "222819480", "061993512", "039093787", "315749111"}
	codes := []int{ach.CheckingCredit, ach.CheckingCreditPrenote, ach.CheckingDebit, ach.CheckingDebitPrenote,
		ach.SavingsCredit, ach.SavingsCreditPrenote, ach.SavingsDebit, ach.SavingsDebitPrenote}
	secs := []string{"WEB", "PPD", "TEL"}
	descriptions := []string{"LOAN PYMT", "AUTO PYMT", "RETRY PYMT", "ACCTVERIFY", "Pago préstamo"}
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	name := func() string {
		if rng.IntN(100) == 0 {
			return pick(badNames)
		}
		return pick(names)
	}
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + rng.IntN(10))
		}
		return string(b)
	}
	f := &ach.File{Header: ach.FileHeader{ImmediateDestination: pick(routings), ImmediateOrigin: " " + pick(routings),
		DestinationName: pick([]string{"Peachtree Meadow Bank", "Banco Peña", ""}), OriginName: pick([]string{"Northwind Motor Finance", "Crédit Auto"}),
		Created:    time.Date(2026, time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), 0, 0, time.UTC),
		IDModifier: "ABCZ019"[rng.IntN(7)], ReferenceCode: pick([]string{"", "REF1", "réf"})}}
	seq := int64(1)
	for range 1 + rng.IntN(4) {
		odfi := pick(routings)[:8]
		sec := pick(secs)
		b := ach.Batch{CompanyName: pick([]string{"Northwind Motor Finance", "Crédit Auto Ñ"}), CompanyID: "1" + digits(9), SEC: sec,
			EntryDescription: pick(descriptions), EffectiveDate: calendar.MustParse("2026-11-30") + calendar.Date(rng.IntN(400)), ODFI: odfi,
			DiscretionaryData: pick([]string{"", "CARFIN", "ñandú"}), DescriptiveDate: pick([]string{"", "NOV 26"})}
		for range 1 + rng.IntN(12) {
			code := codes[rng.IntN(len(codes))]
			if sec == "TEL" && !ach.IsDebit(code) && rng.IntN(20) > 0 {
				code += 5 // TEL carries debits only: mostly keep to them
			}
			amount := int64(0)
			if !ach.IsPrenote(code) {
				amount = 1 + rng.Int64N(ach.EntryAmountMax)
				if rng.IntN(3) > 0 {
					amount = 1 + rng.Int64N(200_000)
				}
			}
			disc := ""
			if sec != "PPD" || rng.IntN(4) == 0 {
				disc = pick([]string{"R", "S", "R ", "S "})
			}
			seq += 1 + rng.Int64N(1000)
			b.Entries = append(b.Entries, ach.Entry{TransactionCode: code, Routing: pick(routings), Account: digits(1 + rng.IntN(17)),
				AmountCents: amount, IndividualID: pick([]string{"P" + digits(8), "V" + digits(3), "", "réf-ñ"}),
				IndividualName: name(), Discretionary: disc, TraceNumber: ach.Trace(odfi, seq)})
		}
		f.Batches = append(f.Batches, b)
	}
	return f
}

// FuzzWriteNameMatchesMoov: whatever the account holder's name, ach.Write
// writes what moov-io/ach writes, or refuses it as moov-io/ach does (a
// name of only blanks and zeros once cleaned).
func FuzzWriteNameMatchesMoov(f *testing.F) {
	for _, n := range append(names, badNames...) {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, name string) {
		file := sampleFile()
		file.Batches[0].Entries[0].IndividualName = name
		sameAsMoov(t, file)
	})
}

// TestWriteRefusesBlankName: a name Clean writes as blanks (another
// script) or zeros makes ach.Write refuse the file, as moov-io/ach does,
// rather than write an entry without a name.
func TestWriteRefusesBlankName(t *testing.T) {
	for _, name := range []string{"李小龍", "Иван", "0 0", "\t"} {
		f := sampleFile()
		f.Batches[0].Entries[0].IndividualName = name
		var b bytes.Buffer
		if _, err := ach.Write(&b, f); !errors.Is(err, ach.ErrFile) || b.Len() != 0 || !strings.Contains(err.Error(), "receiver name") {
			t.Errorf("%q: err = %v, wrote %d bytes", name, err, b.Len())
		}
		if err := writeMoov(io.Discard, f); err == nil {
			t.Errorf("%q: moov-io/ach accepts it", name)
		}
	}
}
