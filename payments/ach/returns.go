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
// 99 or 98; COR batches for NOCs). It checks the structure as strictly as
// an ACH operator would: every record 94 characters, records in order,
// each entry followed by its addenda, and every batch control's counts,
// entry hash and totals matching its entries, and the file control
// matching the batches. Lines of "9" padding are skipped. A file without
// line breaks (records back to back) is accepted. It returns
// ErrReturnFile naming the first problem.
func ParseReturns(r io.Reader) ([]Return, error) {
	data, err := io.ReadAll(io.LimitReader(r, returnFileBytesMax+1))
	if err != nil {
		return nil, fmt.Errorf("read return file: %w", err)
	}
	if len(data) > returnFileBytesMax {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrReturnFile, returnFileBytesMax)
	}
	lines := splitRecords(data)
	p := returnParser{}
	for i, l := range lines {
		if err := p.line(i+1, l); err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrReturnFile, i+1, err)
		}
	}
	if !p.sawFileControl {
		return nil, fmt.Errorf("%w: no file control record", ErrReturnFile)
	}
	return p.out, nil
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

type returnParser struct {
	out            []Return
	sawHeader      bool
	sawFileControl bool
	inBatch        bool
	batchService   string
	batchSEC       string
	batchEffective calendar.Date
	batchNumber    string
	pending        *Return // an entry waiting for its addenda
	// Counts for the batch and file controls.
	bEntries, fEntries, fBatches int
	bHash, fHash                 int64
	bDebit, bCredit              int64
	fDebit, fCredit              int64
}

func (p *returnParser) line(n int, l string) error {
	if len(l) != RecordLen {
		return fmt.Errorf("record is %d characters, want %d", len(l), RecordLen)
	}
	if !isPrintable(l) {
		return errors.New("record has non-printable characters")
	}
	if p.sawFileControl {
		if l != strings.Repeat("9", RecordLen) {
			return errors.New("only 9-filled padding may follow the file control record")
		}
		return nil
	}
	switch l[0] {
	case '1':
		if p.sawHeader {
			return errors.New("second file header")
		}
		if l[1:3] != "01" || l[34:37] != "094" || l[37:39] != "10" || l[39] != '1' {
			return errors.New("file header: priority, record size, blocking factor or format code is wrong")
		}
		p.sawHeader = true
	case '5':
		if !p.sawHeader || p.inBatch || p.pending != nil {
			return errors.New("batch header out of place")
		}
		p.inBatch = true
		p.batchService = l[1:4]
		p.batchSEC = l[50:53]
		p.batchNumber = l[87:94]
		if d, err := yymmdd(l[69:75]); err == nil {
			p.batchEffective = d
		}
		p.bEntries, p.bHash, p.bDebit, p.bCredit = 0, 0, 0, 0
	case '6':
		if !p.inBatch {
			return errors.New("entry outside a batch")
		}
		if p.pending != nil {
			return errors.New("a return entry must be followed by its addenda record")
		}
		e, err := parseReturnEntry(l)
		if err != nil {
			return err
		}
		e.Line = n
		p.pending = &e
		p.bEntries++
		rdfi, _ := strconv.ParseInt(l[3:11], 10, 64)
		p.bHash += rdfi
		if IsDebit(e.TransactionCode) {
			p.bDebit += e.AmountCents
		} else {
			p.bCredit += e.AmountCents
		}
	case '7':
		if p.pending == nil {
			return errors.New("addenda without an entry")
		}
		e := *p.pending
		p.pending = nil
		p.bEntries++
		switch l[1:3] {
		case "99":
			e.Kind = KindReturn
			e.Code = l[3:6]
			e.OriginalTrace = l[6:21]
			e.AddendaInfo = trimBlank(l[35:79])
		case "98":
			e.Kind = KindNOC
			e.Code = l[3:6]
			e.OriginalTrace = l[6:21]
			e.CorrectedData = strings.TrimRight(l[35:64], " ")
		default:
			return fmt.Errorf("addenda type %q is not a return (99) or notification of change (98)", l[1:3])
		}
		if !validReasonCode(e.Code, e.Kind) {
			return fmt.Errorf("reason code %q", e.Code)
		}
		if !allDigits(e.OriginalTrace) {
			return errors.New("original entry trace number is not 15 digits")
		}
		e.Line = n
		p.out = append(p.out, e)
		if len(p.out) > returnsMax {
			return fmt.Errorf("more than %d returns", returnsMax)
		}
	case '8':
		if !p.inBatch || p.pending != nil {
			return errors.New("batch control out of place")
		}
		if l[1:4] != p.batchService || l[87:94] != p.batchNumber {
			return errors.New("batch control does not match its header (service class or batch number)")
		}
		count, e1 := strconv.Atoi(l[4:10])
		hash, e2 := strconv.ParseInt(l[10:20], 10, 64)
		debit, e3 := strconv.ParseInt(l[20:32], 10, 64)
		credit, e4 := strconv.ParseInt(l[32:44], 10, 64)
		if err := errors.Join(e1, e2, e3, e4); err != nil {
			return errors.New("batch control has non-numeric totals")
		}
		switch {
		case count != p.bEntries:
			return fmt.Errorf("batch control counts %d entries and addenda, the batch has %d", count, p.bEntries)
		case hash != p.bHash%10_000_000_000:
			return fmt.Errorf("batch control entry hash %d, the entries give %d", hash, p.bHash%10_000_000_000)
		case debit != p.bDebit || credit != p.bCredit:
			return fmt.Errorf("batch control totals %d/%d, the entries give %d/%d", debit, credit, p.bDebit, p.bCredit)
		}
		p.inBatch = false
		p.fBatches++
		p.fEntries += p.bEntries
		p.fHash += p.bHash
		p.fDebit += p.bDebit
		p.fCredit += p.bCredit
	case '9':
		if !p.sawHeader || p.inBatch {
			return errors.New("file control out of place")
		}
		batches, e1 := strconv.Atoi(l[1:7])
		count, e2 := strconv.Atoi(l[13:21])
		hash, e3 := strconv.ParseInt(l[21:31], 10, 64)
		debit, e4 := strconv.ParseInt(l[31:43], 10, 64)
		credit, e5 := strconv.ParseInt(l[43:55], 10, 64)
		if err := errors.Join(e1, e2, e3, e4, e5); err != nil {
			return errors.New("file control has non-numeric totals")
		}
		switch {
		case batches != p.fBatches:
			return fmt.Errorf("file control counts %d batches, the file has %d", batches, p.fBatches)
		case count != p.fEntries:
			return fmt.Errorf("file control counts %d entries and addenda, the file has %d", count, p.fEntries)
		case hash != p.fHash%10_000_000_000:
			return errors.New("file control entry hash does not match the batches")
		case debit != p.fDebit || credit != p.fCredit:
			return errors.New("file control totals do not match the batches")
		}
		p.sawFileControl = true
	default:
		return fmt.Errorf("record type %q", l[0])
	}
	return nil
}

// parseReturnEntry reads a return or NOC entry detail record.
func parseReturnEntry(l string) (Return, error) {
	tc, err := strconv.Atoi(l[1:3])
	if err != nil {
		return Return{}, errors.New("transaction code is not numeric")
	}
	switch tc {
	case CheckingReturnOfCredit, CheckingReturnOfDebit, SavingsReturnOfCredit, SavingsReturnOfDebit:
	default:
		return Return{}, fmt.Errorf("transaction code %d is not a return or notification of change", tc)
	}
	if !allDigits(l[3:12]) {
		return Return{}, errors.New("receiving DFI identification is not numeric")
	}
	amount, err := strconv.ParseInt(l[29:39], 10, 64)
	if err != nil || amount < 0 {
		return Return{}, errors.New("amount is not numeric")
	}
	if l[78] != '1' {
		return Return{}, errors.New("a return entry must have an addenda record (indicator 1)")
	}
	return Return{
		TransactionCode: tc,
		Routing:         l[3:12],
		Account:         trimBlank(l[12:29]),
		AmountCents:     amount,
		IndividualID:    trimBlank(l[39:54]),
		Name:            trimBlank(l[54:76]),
	}, nil
}

func validReasonCode(code string, kind ReturnKind) bool {
	if len(code) != 3 || !allDigits(code[1:]) {
		return false
	}
	if kind == KindReturn {
		return code[0] == 'R'
	}
	return code[0] == 'C'
}

// yymmdd reads a YYMMDD date (years 2000–2099).
func yymmdd(s string) (calendar.Date, error) {
	if len(s) != 6 || !allDigits(s) {
		return 0, calendar.ErrDate
	}
	return calendar.Parse("20" + s[0:2] + "-" + s[2:4] + "-" + s[4:6])
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
			return nil, fmt.Errorf("%w: row %d: code %q is not R01…R99 or C01…C99", ErrReturnFile, row, code)
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

// WriteReturns writes a return file as an ODFI delivers one: one batch of
// returns (SEC as sent) and one COR batch of notifications of change,
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
	for _, kind := range []ReturnKind{KindReturn, KindNOC} {
		var batch []ReturnedEntry
		for _, e := range entries {
			if e.Kind == kind {
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
