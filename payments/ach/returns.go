package ach

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	moov "github.com/moov-io/ach"

	"carfin/calendar"
)

// ReturnKind tells a return from a notification of change.
type ReturnKind string

const (
	KindReturn ReturnKind = "return" // addenda type 99: the entry was not paid
	KindNOC    ReturnKind = "noc"    // addenda type 98: paid, but correct the account for next time
)

// Return is one returned entry or notification of change as an ODFI
// reports it.
type Return struct {
	Kind ReturnKind
	// Code is the return reason (R01…) or change code (C01…).
	Code string
	// OriginalTrace is the trace number of the entry carfin sent.
	OriginalTrace string
	// IndividualID is what carfin put in the original entry (its
	// reference), carried back in the return entry.
	IndividualID    string
	TransactionCode int
	Routing         string // the receiver's bank, 9 digits
	Account         string
	AmountCents     int64
	Name            string
	// CorrectedData is a notification of change's 29-character field.
	CorrectedData string
	// AddendaInfo is the RDFI's free text (returns).
	AddendaInfo string
	// Line is the line of the addenda record in the file (CSV: the row).
	Line int
}

// Limits on a return file.
const (
	returnFileBytesMax = 64 << 20 // ~690,000 records
	returnsMax         = 500_000
)

// ErrReturnFile is returned for a return file that is not well formed; the
// message names the line.
var ErrReturnFile = errors.New("malformed return file")

// ParseReturns reads a NACHA file of returns and notifications of change
// (return entries with transaction codes 21, 26, 31, 36 and addenda type
// 99 or 98; COR batches for NOCs) with moov-io/ach's reader, and checks it
// as strictly as an ACH operator would: every record 94 printable ASCII
// characters, records in order, each entry followed by its addenda, every
// batch control's counts, entry hash and totals matching its entries, and
// the file control matching the batches (moov's File.Validate). Every
// return reason and change code must be one the Nacha Operating Rules
// define (Appendix Four, as moov-io/ach lists them): an unknown code such
// as R00 or R99 is refused, not guessed at. Lines of "9" padding may only
// follow the file control. A file without line breaks (records back to
// back) is accepted. It returns ErrReturnFile naming the first problem.
func ParseReturns(r io.Reader) ([]Return, error) {
	data, err := io.ReadAll(io.LimitReader(r, returnFileBytesMax+1))
	if err != nil {
		return nil, fmt.Errorf("read return file: %w", err)
	}
	if len(data) > returnFileBytesMax {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrReturnFile, returnFileBytesMax)
	}
	lines := splitRecords(data)
	if err := checkRecords(lines); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrReturnFile, err)
	}
	mf, err := readMoov(lines)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrReturnFile, err)
	}
	var out []Return
	for _, b := range mf.Batches {
		for _, ed := range b.GetEntries() {
			ret, err := returnOf(ed, lines)
			if err != nil {
				return nil, fmt.Errorf("%w: line %d: %w", ErrReturnFile, ed.LineNumber, err)
			}
			out = append(out, ret)
			if len(out) > returnsMax {
				return nil, fmt.Errorf("%w: more than %d returns", ErrReturnFile, returnsMax)
			}
		}
	}
	if len(mf.IATBatches) > 0 {
		return nil, fmt.Errorf("%w: IAT batches are not returns of carfin's entries", ErrReturnFile)
	}
	return out, nil
}

// readMoov parses and validates the records with moov-io/ach. The reader
// is outside code facing outside input: should it panic on some input,
// the file is refused rather than the process brought down.
func readMoov(lines []string) (f moov.File, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("unreadable file (moov-io/ach: %v)", p)
		}
	}()
	rd := moov.NewReader(strings.NewReader(strings.Join(lines, "\n")))
	rd.SetMaxLines(len(lines) + 1)
	if f, err = rd.Read(); err != nil {
		return f, err
	}
	return f, f.Validate()
}

// checkRecords checks what moov-io/ach's reader tolerates and an ACH
// operator does not: records that are not exactly 94 printable ASCII
// characters (moov pads short lines and reads UTF-8), and "9" padding
// anywhere but after the file control record (moov skips it). It also
// refuses a return or change code Appendix Four does not define, with
// the line, before moov's reader reports it less plainly.
func checkRecords(lines []string) error {
	if len(lines) == 0 {
		return errors.New("empty file")
	}
	padding := strings.Repeat("9", RecordLen)
	control := false
	for i, l := range lines {
		switch {
		case len(l) != RecordLen:
			return fmt.Errorf("line %d: record is %d characters, want %d", i+1, len(l), RecordLen)
		case !isPrintable(l):
			return fmt.Errorf("line %d: record has characters outside printable ASCII", i+1)
		case control && l != padding:
			return fmt.Errorf("line %d: only 9-filled padding may follow the file control record", i+1)
		case !control && l == padding:
			return fmt.Errorf("line %d: 9-filled padding before the file control record", i+1)
		case l[0] == '9':
			control = true
		case l[0] == '7' && l[1:3] == "99" && !KnownReturnCode(l[3:6]):
			return fmt.Errorf("line %d: %w", i+1, unknownCode(l[3:6], KindReturn))
		case l[0] == '7' && l[1:3] == "98" && !KnownChangeCode(l[3:6]):
			return fmt.Errorf("line %d: %w", i+1, unknownCode(l[3:6], KindNOC))
		}
	}
	if !control {
		return errors.New("no file control record")
	}
	return nil
}

// returnOf reads a return entry parsed by moov-io/ach: its transaction
// code must be a return or NOC code, and it must carry exactly one
// return (99) or notification-of-change (98) addenda.
func returnOf(ed *moov.EntryDetail, lines []string) (Return, error) {
	switch ed.TransactionCode {
	case CheckingReturnOfCredit, CheckingReturnOfDebit, SavingsReturnOfCredit, SavingsReturnOfDebit:
	default:
		return Return{}, fmt.Errorf("transaction code %d is not a return or notification of change", ed.TransactionCode)
	}
	r := Return{
		TransactionCode: ed.TransactionCode,
		Routing:         ed.RDFIIdentification + ed.CheckDigit,
		Account:         trimBlank(ed.DFIAccountNumber),
		AmountCents:     int64(ed.Amount),
		IndividualID:    trimBlank(ed.IdentificationNumber),
		Name:            trimBlank(ed.IndividualName),
	}
	n := 0
	if a := ed.Addenda99; a != nil {
		n++
		r.Kind, r.Code, r.OriginalTrace, r.AddendaInfo, r.Line = KindReturn, a.ReturnCode, a.OriginalTrace, trimBlank(a.AddendaInformation), a.LineNumber
	}
	if a := ed.Addenda99Dishonored; a != nil {
		n++
		r.Kind, r.Code, r.OriginalTrace, r.AddendaInfo, r.Line = KindReturn, a.DishonoredReturnReasonCode, a.OriginalEntryTraceNumber,
			trimBlank(a.AddendaInformation), a.LineNumber
	}
	if a := ed.Addenda99Contested; a != nil {
		n++
		r.Kind, r.Code, r.OriginalTrace, r.Line = KindReturn, a.ContestedReturnCode, a.OriginalEntryTraceNumber, a.LineNumber
	}
	if a := ed.Addenda98; a != nil {
		n++
		r.Kind, r.Code, r.OriginalTrace, r.Line = KindNOC, a.ChangeCode, a.OriginalTrace, a.LineNumber
	}
	if a := ed.Addenda98Refused; a != nil {
		n++
		r.Kind, r.Code, r.OriginalTrace, r.Line = KindNOC, a.RefusedChangeCode, a.OriginalTrace, a.LineNumber
	}
	switch {
	case n == 0:
		return Return{}, errors.New("a return entry must be followed by a return (99) or notification-of-change (98) addenda")
	case n > 1 || len(ed.Addenda05) > 0 || ed.Addenda02 != nil:
		return Return{}, errors.New("a return entry carries one addenda record")
	case r.Line < 1 || r.Line > len(lines):
		panic(fmt.Sprintf("ach: addenda line %d of %d", r.Line, len(lines)))
	case !validReasonCode(r.Code, r.Kind):
		return Return{}, unknownCode(r.Code, r.Kind)
	case len(r.OriginalTrace) != traceLen || !allDigits(r.OriginalTrace):
		return Return{}, errors.New("original entry trace number is not 15 digits")
	}
	if r.Kind == KindNOC {
		// The corrected data by its positions (36–64), blanks inside and
		// in front kept: ParseCorrection reads it by position.
		r.CorrectedData = strings.TrimRight(lines[r.Line-1][35:64], " ")
	}
	return r, nil
}

// KnownReturnCode reports whether code is a return reason code of the
// Nacha Operating Rules (Appendix Four), upper case, as moov-io/ach lists
// them: R01…R53 (some unassigned), R61, R62, R67–R77, R80–R85, R90.
func KnownReturnCode(code string) bool {
	return len(code) == 3 && code[0] == 'R' && moov.LookupReturnCode(code) != nil
}

// KnownChangeCode reports whether code is a change code of the Nacha
// Operating Rules (Appendix Four), upper case, as moov-io/ach lists them:
// C01–C09, C13, C14, and the refused-NOC codes C61–C69.
func KnownChangeCode(code string) bool {
	return len(code) == 3 && code[0] == 'C' && moov.LookupChangeCode(code) != nil
}

func validReasonCode(code string, kind ReturnKind) bool {
	if kind == KindReturn {
		return KnownReturnCode(code)
	}
	return KnownChangeCode(code)
}

// unknownCode is the error for a code the rules do not define.
func unknownCode(code string, kind ReturnKind) error {
	if kind == KindReturn {
		return fmt.Errorf("%q is not a return reason code of the Nacha Operating Rules (Appendix Four)", code)
	}
	return fmt.Errorf("%q is not a change code of the Nacha Operating Rules (Appendix Four)", code)
}

// splitRecords splits a file into records: by line breaks, or into
// 94-character slices when the file has none.
func splitRecords(data []byte) []string {
	if !bytes.ContainsAny(data, "\r\n") && len(data)%RecordLen == 0 {
		out := make([]string, 0, len(data)/RecordLen)
		for i := 0; i < len(data); i += RecordLen {
			out = append(out, string(data[i:i+RecordLen]))
		}
		return out
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 1024), len(data)+1)
	for sc.Scan() {
		l := strings.TrimRight(sc.Text(), "\r")
		if l == "" {
			continue
		}
		out = append(out, l)
	}
	return out
}

// ParseReturnsCSV reads the simple CSV form of returns that some banks'
// portals export, with the header trace_number,code,corrected_data: the
// original entry's trace number, the return (R01…) or change (C01…)
// code, and for a change the corrected data as in the NACHA addenda. It
// returns ErrReturnFile naming the first bad row.
func ParseReturnsCSV(r io.Reader) ([]Return, error) {
	cr := csv.NewReader(io.LimitReader(r, returnFileBytesMax))
	cr.FieldsPerRecord = 3
	header, err := cr.Read()
	if err != nil || strings.Join(header, ",") != "trace_number,code,corrected_data" {
		return nil, fmt.Errorf("%w: want the header trace_number,code,corrected_data", ErrReturnFile)
	}
	var out []Return
	for row := 2; ; row++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: row %d: %v", ErrReturnFile, row, err)
		}
		trace, code, data := strings.TrimSpace(rec[0]), strings.ToUpper(strings.TrimSpace(rec[1])), rec[2]
		kind := KindReturn
		if strings.HasPrefix(code, "C") {
			kind = KindNOC
		}
		switch {
		case len(trace) != traceLen || !allDigits(trace):
			return nil, fmt.Errorf("%w: row %d: trace number must be 15 digits", ErrReturnFile, row)
		case !validReasonCode(code, kind):
			return nil, fmt.Errorf("%w: row %d: %w", ErrReturnFile, row, unknownCode(code, kind))
		case len(data) > 29 || !isPrintable(data):
			return nil, fmt.Errorf("%w: row %d: corrected data is at most 29 printable characters", ErrReturnFile, row)
		case kind == KindReturn && strings.TrimSpace(data) != "":
			return nil, fmt.Errorf("%w: row %d: a return has no corrected data", ErrReturnFile, row)
		}
		out = append(out, Return{Kind: kind, Code: code, OriginalTrace: trace, CorrectedData: data, Line: row})
		if len(out) > returnsMax {
			return nil, fmt.Errorf("%w: more than %d returns", ErrReturnFile, returnsMax)
		}
	}
	return out, nil
}

// ReturnedEntry is an entry as an RDFI sends it back, for WriteReturns.
type ReturnedEntry struct {
	Return
	// OriginalCode is the transaction code of the entry carfin sent.
	OriginalCode int
}

// returnCodeFor maps an original transaction code to its return or NOC
// entry's code (Appendix Three: 21/26 checking, 31/36 savings).
func returnCodeFor(original int) int {
	switch original {
	case CheckingCredit, CheckingCreditPrenote:
		return CheckingReturnOfCredit
	case CheckingDebit, CheckingDebitPrenote:
		return CheckingReturnOfDebit
	case SavingsCredit, SavingsCreditPrenote:
		return SavingsReturnOfCredit
	default:
		return SavingsReturnOfDebit
	}
}

// WriteReturns writes a return file as an ODFI delivers one: a batch of
// returns (SEC as sent), one of dishonored and one of contested dishonored
// returns when there are any, and a COR batch of notifications of change,
// each entry followed by its addenda (type 99: code, original trace,
// original RDFI, information; type 98: code, original trace, original
// RDFI, corrected data). It is what tests and the sandbox use to play the
// bank's side; rdfi8 is the 8-digit identification of the returning bank
// that starts the return entries' own trace numbers.
func WriteReturns(w io.Writer, h FileHeader, companyName, companyID, sec string, effective calendar.Date, rdfi8 string, entries []ReturnedEntry) error {
	bw := bufio.NewWriterSize(w, writeBufferBytes)
	records := 0
	emit := func(rec []byte) {
		if len(rec) != RecordLen {
			panic(fmt.Sprintf("ach: return record %q is %d characters", rec, len(rec)))
		}
		_, _ = bw.Write(append(rec, '\n'))
		records++
	}
	emit(h.append(nil))
	var fs Summary
	batchNo := 0
	seq := int64(0)
	// One batch per category, as moov-io/ach requires of a batch: returns,
	// dishonored returns, contested dishonored returns, then changes.
	category := func(e ReturnedEntry) int {
		switch {
		case e.Kind == KindNOC:
			return 3
		case Dishonored(e.Code):
			return 1
		case Contested(e.Code):
			return 2
		}
		return 0
	}
	for c := range 4 {
		kind := KindReturn
		if c == 3 {
			kind = KindNOC
		}
		var batch []ReturnedEntry
		for _, e := range entries {
			if category(e) == c {
				batch = append(batch, e)
			}
		}
		if len(batch) == 0 {
			continue
		}
		batchNo++
		bsec := sec
		if kind == KindNOC {
			bsec = "COR"
		}
		var s batchSummary
		for _, e := range batch {
			s.EntryCount += 2
			rdfi, _ := strconv.ParseInt(e.Routing[:8], 10, 64)
			s.EntryHash += rdfi
			amount := e.AmountCents
			if kind == KindNOC {
				amount = 0
			}
			if IsDebit(returnCodeFor(e.OriginalCode)) {
				s.DebitCents += amount
			} else {
				s.CreditCents += amount
			}
		}
		s.Service = ServiceMixed
		bt := Batch{CompanyName: companyName, CompanyID: companyID, SEC: bsec, EntryDescription: "RETURN", EffectiveDate: effective, ODFI: rdfi8}
		emit(bt.appendHeader(nil, batchNo, s))
		for _, e := range batch {
			seq++
			trace := Trace(rdfi8, seq)
			amount := e.AmountCents
			if kind == KindNOC {
				amount = 0
			}
			rec := append([]byte{'6'}, fmt.Sprintf("%02d", returnCodeFor(e.OriginalCode))...)
			rec = append(rec, e.Routing...)
			rec = alpha(rec, e.Account, 17)
			rec = num(rec, amount, 10)
			rec = alpha(rec, e.IndividualID, 15)
			rec = alpha(rec, e.Name, 22)
			rec = append(rec, "  1"...)
			rec = append(rec, trace...)
			emit(rec)
			add := []byte{'7'}
			if kind == KindReturn {
				add = append(add, "99"...)
				add = alpha(add, e.Code, 3)
				add = append(add, e.OriginalTrace...)
				add = append(add, "      "...)
				add = append(add, e.Routing[:8]...)
				add = alpha(add, e.AddendaInfo, 44)
			} else {
				add = append(add, "98"...)
				add = alpha(add, e.Code, 3)
				add = append(add, e.OriginalTrace...)
				add = append(add, "      "...)
				add = append(add, e.Routing[:8]...)
				add = alpha(add, e.CorrectedData, 29)
				add = append(add, strings.Repeat(" ", 15)...)
			}
			add = append(add, trace...)
			emit(add)
		}
		emit(bt.appendControl(nil, batchNo, s))
		fs.Batches++
		fs.EntryCount += s.EntryCount
		fs.EntryHash += s.EntryHash
		fs.DebitCents += s.DebitCents
		fs.CreditCents += s.CreditCents
	}
	fs.EntryHash %= 10_000_000_000
	total := records + 1
	fs.Blocks = (total + BlockingFactor - 1) / BlockingFactor
	emit(appendFileControl(nil, fs))
	for range fs.Blocks*BlockingFactor - total {
		emit([]byte(strings.Repeat("9", RecordLen)))
	}
	return bw.Flush()
}
