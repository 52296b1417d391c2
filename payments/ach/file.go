// Package ach writes and reads NACHA ACH files: the fixed-width format
// (94-character records, blocked by 10) in which an Originating Depository
// Financial Institution (ODFI) takes a lender's debits and credits, and in
// which it hands back returns and notifications of change.
//
// The record layouts follow the Nacha Operating Rules, Appendix Three
// (ACH Record Format Specifications): the file header "1", batch header
// "5", entry detail "6", addenda "7", batch control "8" and file control
// "9" records, with positions given in each writer below.
//
// Return and notification-of-change files are read with moov-io/ach
// (github.com/moov-io/ach), the library banks' and fintechs' Go code
// uses, and its tables of Appendix Four's codes decide which return and
// change codes exist. Origination files are written by this package's
// own formatter: for the same entries it writes the same bytes as
// moov-io/ach's writer and refuses every file moov-io/ach would refuse
// (TestWriteMatchesMoov and FuzzWriteNameMatchesMoov hold it to that),
// and for an autopay day of 150,000 debits it is several times faster
// and allocates almost nothing, where moov-io/ach allocates about 80 MB
// (BenchmarkWrite, BenchmarkWriteMoov). The tests also check every record
// with an independent parser (internal/nachatest) and against golden
// files.
package ach

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"carfin/calendar"
)

// Record geometry.
const (
	RecordLen      = 94
	BlockingFactor = 10
)

// Limits of the format: a 10-digit amount field, 6-digit counts.
const (
	EntryAmountMax   = 99_999_999_99 // $99,999,999.99 in an entry's 10-digit field
	entriesPerFile   = 99_999_999    // 8-digit entry/addenda count
	batchesPerFile   = 999_999       // 6-digit batch count
	entriesPerBatch  = 999_999       // 6-digit entry/addenda count
	accountLenMax    = 17
	traceLen         = 15
	writeBufferBytes = 64 << 10
)

// Transaction codes (Appendix Three, Entry Detail field 2) that carfin
// sends, and the return/NOC codes (21, 26, 31, 36) it reads back.
const (
	CheckingCredit         = 22
	CheckingCreditPrenote  = 23
	CheckingDebit          = 27
	CheckingDebitPrenote   = 28
	SavingsCredit          = 32
	SavingsCreditPrenote   = 33
	SavingsDebit           = 37
	SavingsDebitPrenote    = 38
	CheckingReturnOfCredit = 21 // automated return or NOC of a checking credit
	CheckingReturnOfDebit  = 26 // automated return or NOC of a checking debit
	SavingsReturnOfCredit  = 31
	SavingsReturnOfDebit   = 36
)

// Service class codes of a batch: credits only, debits only, or mixed.
const (
	ServiceMixed   = 200
	ServiceCredits = 220
	ServiceDebits  = 225
)

// IsDebit reports whether a transaction code is in the debit family
// (26–29, 36–39): debits, debit prenotes, and returns or NOCs of debits,
// which batch and file controls total as debits.
func IsDebit(code int) bool {
	switch code {
	case CheckingDebit, CheckingDebitPrenote, SavingsDebit, SavingsDebitPrenote, CheckingReturnOfDebit, SavingsReturnOfDebit:
		return true
	}
	return false
}

// IsPrenote reports whether a transaction code is a zero-dollar prenote.
func IsPrenote(code int) bool {
	switch code {
	case CheckingCreditPrenote, CheckingDebitPrenote, SavingsCreditPrenote, SavingsDebitPrenote:
		return true
	}
	return false
}

// ErrFile is returned by Write for a file that would break the format
// (a field out of range, trace numbers out of order, too many entries).
var ErrFile = errors.New("invalid ACH file")

// FileHeader is the "1" record: who sends the file to whom, and when.
type FileHeader struct {
	// ImmediateDestination is the routing number of the ACH operator or
	// receiving point (usually the ODFI); written as a blank and 9 digits.
	ImmediateDestination string
	// ImmediateOrigin is the 10-character origin the ODFI assigned: a
	// blank and a routing number, or a 10-digit company identification.
	ImmediateOrigin string
	DestinationName string // up to 23 characters
	OriginName      string // up to 23 characters
	// Created is the file's creation time in the lender's zone (YYMMDD and
	// HHMM are written).
	Created time.Time
	// IDModifier tells apart files created the same day: A–Z then 0–9.
	IDModifier    byte
	ReferenceCode string // up to 8 characters, optional
}

// Batch is a "5" record, its entries and its "8" control: entries of one
// company with one SEC code, description and effective date.
type Batch struct {
	CompanyName       string // up to 16, shown on the receiver's statement
	DiscretionaryData string // up to 20, optional
	// CompanyID is the 10-character Company Identification (often "1" and
	// the lender's EIN) the ODFI assigned.
	CompanyID string
	// SEC is the Standard Entry Class: WEB (authorized over the internet),
	// PPD (authorized in writing), TEL (by phone).
	SEC string
	// EntryDescription is shown on statements, up to 10: "LOAN PYMT",
	// and by rule "RETRY PYMT" for reinitiated entries and "ACCTVERIFY"
	// for micro-entries.
	EntryDescription string
	DescriptiveDate  string // up to 6, optional
	// EffectiveDate is the date the lender wants the entries settled.
	EffectiveDate calendar.Date
	// ODFI is the first 8 digits of the originating bank's routing number.
	ODFI    string
	Entries []Entry
}

// Entry is one "6" record (PPD and WEB layout).
type Entry struct {
	TransactionCode int
	// Routing is the receiver's bank's 9-digit routing number (written as
	// the 8-digit RDFI identification and its check digit).
	Routing     string
	Account     string // up to 17 characters
	AmountCents int64
	// IndividualID is the originator's reference for the receiver, up to
	// 15 characters; returns carry it back.
	IndividualID   string
	IndividualName string // up to 22
	// Discretionary is 2 characters; for WEB it is the Payment Type Code,
	// "R " (recurring) or "S " (single entry).
	Discretionary string
	// TraceNumber is 15 digits: the ODFI's 8 digits and a 7-digit sequence.
	// Within a batch, entries must be in ascending trace order.
	TraceNumber string
}

// File is a whole ACH file.
type File struct {
	Header  FileHeader
	Batches []Batch
}

// Summary is what the file control record states.
type Summary struct {
	Batches      int
	Blocks       int
	Records      int // lines written, including the 9-filled padding
	EntryCount   int // entries and addenda
	EntryHash    int64
	DebitCents   int64
	CreditCents  int64
	DebitEntries int
}

// Trace returns the 15-digit trace number of sequence n from an ODFI
// (its first 8 routing digits): the ODFI and n modulo 10,000,000.
func Trace(odfi8 string, n int64) string {
	return odfi8 + fmt.Sprintf("%07d", n%10_000_000)
}

// Write writes f to w in the NACHA format: records of 94 characters ending
// in "\n", and lines of "9" padding the file to a multiple of 10 records.
// It checks every field first and returns ErrFile (naming the batch and
// entry) without writing anything if one is out of range.
func Write(w io.Writer, f *File) (Summary, error) {
	s, err := f.check()
	if err != nil {
		return s, err
	}
	bw := bufio.NewWriterSize(w, writeBufferBytes)
	rec := make([]byte, 0, RecordLen+1)
	emit := func() {
		if len(rec) != RecordLen {
			panic(fmt.Sprintf("ach: record %q is %d characters", rec, len(rec)))
		}
		rec = append(rec, '\n')
		_, _ = bw.Write(rec) // bufio keeps the first error for Flush
		rec = rec[:0]
	}
	rec = f.Header.append(rec)
	emit()
	records := 1
	for i := range f.Batches {
		b := &f.Batches[i]
		bs := b.summary()
		rec = b.appendHeader(rec, i+1, bs)
		emit()
		for j := range b.Entries {
			rec = b.Entries[j].append(rec)
			emit()
		}
		rec = b.appendControl(rec, i+1, bs)
		emit()
		records += len(b.Entries) + 2
	}
	records++ // file control
	s.Blocks = (records + BlockingFactor - 1) / BlockingFactor
	s.Records = s.Blocks * BlockingFactor
	rec = appendFileControl(rec, s)
	emit()
	for range s.Records - records {
		rec = append(rec, strings.Repeat("9", RecordLen)...)
		emit()
	}
	if err := bw.Flush(); err != nil {
		return s, fmt.Errorf("write ACH file: %w", err)
	}
	return s, nil
}

// check validates the file and computes its totals.
func (f *File) check() (Summary, error) {
	var s Summary
	h := f.Header
	switch {
	case CheckRouting(h.ImmediateDestination) != nil:
		return s, fmt.Errorf("%w: immediate destination %q is not a routing number", ErrFile, h.ImmediateDestination)
	case len(h.ImmediateOrigin) != 10 || !isPrintable(h.ImmediateOrigin):
		return s, fmt.Errorf("%w: immediate origin must be 10 characters", ErrFile)
	case (h.IDModifier < 'A' || h.IDModifier > 'Z') && (h.IDModifier < '0' || h.IDModifier > '9'):
		return s, fmt.Errorf("%w: file ID modifier %q", ErrFile, h.IDModifier)
	case h.Created.IsZero():
		return s, fmt.Errorf("%w: creation time is required", ErrFile)
	case len(f.Batches) > batchesPerFile:
		return s, fmt.Errorf("%w: %d batches", ErrFile, len(f.Batches))
	}
	for i := range f.Batches {
		b := &f.Batches[i]
		if err := b.check(); err != nil {
			return s, fmt.Errorf("%w: batch %d: %w", ErrFile, i+1, err)
		}
		bs := b.summary()
		s.Batches++
		s.EntryCount += bs.EntryCount
		s.EntryHash += bs.EntryHash
		s.DebitCents += bs.DebitCents
		s.CreditCents += bs.CreditCents
		s.DebitEntries += bs.DebitEntries
	}
	if s.EntryCount > entriesPerFile {
		return s, fmt.Errorf("%w: %d entries", ErrFile, s.EntryCount)
	}
	s.EntryHash %= 10_000_000_000
	return s, nil
}

func (b *Batch) check() error {
	switch {
	case strings.TrimSpace(b.CompanyName) == "":
		return errors.New("company name is required")
	case len(b.CompanyID) != 10 || !isPrintable(b.CompanyID):
		return errors.New("company identification must be 10 characters")
	case b.SEC != "WEB" && b.SEC != "PPD" && b.SEC != "TEL":
		return fmt.Errorf("SEC code %q (want WEB, PPD or TEL)", b.SEC)
	case strings.TrimSpace(b.EntryDescription) == "":
		return errors.New("company entry description is required")
	case b.EffectiveDate.IsZero():
		return errors.New("effective entry date is required")
	case len(b.ODFI) != 8 || !allDigits(b.ODFI):
		return errors.New("ODFI identification must be 8 digits")
	case len(b.Entries) == 0:
		return errors.New("a batch needs at least one entry")
	case len(b.Entries) > entriesPerBatch:
		return fmt.Errorf("%d entries", len(b.Entries))
	}
	prev := ""
	for j := range b.Entries {
		e := &b.Entries[j]
		if err := e.check(b.SEC); err != nil {
			return fmt.Errorf("entry %d (trace %s): %w", j+1, e.TraceNumber, err)
		}
		if e.TraceNumber[:8] != b.ODFI {
			return fmt.Errorf("entry %d: trace number %s does not start with the ODFI %s", j+1, e.TraceNumber, b.ODFI)
		}
		if e.TraceNumber <= prev {
			return fmt.Errorf("entry %d: trace number %s is not above %s (entries go in ascending trace order)", j+1, e.TraceNumber, prev)
		}
		prev = e.TraceNumber
	}
	return nil
}

func (e *Entry) check(sec string) error {
	switch e.TransactionCode {
	case CheckingCredit, CheckingCreditPrenote, CheckingDebit, CheckingDebitPrenote,
		SavingsCredit, SavingsCreditPrenote, SavingsDebit, SavingsDebitPrenote:
	default:
		return fmt.Errorf("transaction code %d", e.TransactionCode)
	}
	switch {
	case CheckRouting(e.Routing) != nil:
		return errors.New("receiver routing number is invalid")
	case e.Account == "" || len(e.Account) > accountLenMax || !isPrintable(e.Account):
		return fmt.Errorf("account number must be 1–%d characters", accountLenMax)
	case e.AmountCents < 0 || e.AmountCents > EntryAmountMax:
		return fmt.Errorf("amount %d cents out of range", e.AmountCents)
	case IsPrenote(e.TransactionCode) && e.AmountCents != 0:
		return errors.New("a prenote carries no amount")
	case !IsPrenote(e.TransactionCode) && e.AmountCents == 0:
		return errors.New("a live entry needs an amount")
	case !carriesText(e.IndividualName):
		// moov-io/ach refuses a name of only blanks and zeros, such as a
		// name in another script that Clean writes as blanks.
		return fmt.Errorf("receiver name %q has nothing the ACH character set can carry", e.IndividualName)
	case len(e.TraceNumber) != traceLen || !allDigits(e.TraceNumber):
		return errors.New("trace number must be 15 digits")
	case sec == "TEL" && !IsDebit(e.TransactionCode):
		return errors.New("a TEL entry must be a debit (Nacha: consumer debits authorized by telephone)")
	case sec == "WEB" && e.Discretionary != "R " && e.Discretionary != "S " && e.Discretionary != "R" && e.Discretionary != "S":
		return errors.New(`a WEB entry needs payment type code "R" or "S"`)
	}
	return nil
}

type batchSummary struct {
	EntryCount   int
	EntryHash    int64
	DebitCents   int64
	CreditCents  int64
	DebitEntries int
	Service      int
}

func (b *Batch) summary() batchSummary {
	var s batchSummary
	var credits bool
	for j := range b.Entries {
		e := &b.Entries[j]
		s.EntryCount++
		rdfi, _ := strconv.ParseInt(e.Routing[:8], 10, 64)
		s.EntryHash += rdfi
		if IsDebit(e.TransactionCode) {
			s.DebitCents += e.AmountCents
			s.DebitEntries++
		} else {
			s.CreditCents += e.AmountCents
			credits = true
		}
	}
	switch {
	case s.DebitEntries > 0 && credits:
		s.Service = ServiceMixed
	case credits:
		s.Service = ServiceCredits
	default:
		s.Service = ServiceDebits
	}
	return s
}

// File Header Record ("1"):
//
//	1 record type "1" · 2–3 priority code "01" · 4–13 immediate destination
//	(blank + 9 digits) · 14–23 immediate origin · 24–29 file creation date
//	YYMMDD · 30–33 file creation time HHMM · 34 file ID modifier · 35–37
//	record size "094" · 38–39 blocking factor "10" · 40 format code "1" ·
//	41–63 immediate destination name · 64–86 immediate origin name ·
//	87–94 reference code.
func (h FileHeader) append(b []byte) []byte {
	b = append(b, "101 "...)
	b = append(b, h.ImmediateDestination...)
	b = alpha(b, h.ImmediateOrigin, 10)
	b = h.Created.AppendFormat(b, "0601021504")
	b = append(b, h.IDModifier)
	b = append(b, "094101"...)
	b = alpha(b, h.DestinationName, 23)
	b = alpha(b, h.OriginName, 23)
	return alpha(b, h.ReferenceCode, 8)
}

// Company/Batch Header Record ("5"):
//
//	1 "5" · 2–4 service class code · 5–20 company name · 21–40 company
//	discretionary data · 41–50 company identification · 51–53 SEC code ·
//	54–63 company entry description · 64–69 company descriptive date ·
//	70–75 effective entry date YYMMDD · 76–78 settlement date (blank: the
//	ACH operator fills it) · 79 originator status code "1" · 80–87
//	originating DFI identification · 88–94 batch number.
func (bt *Batch) appendHeader(b []byte, number int, s batchSummary) []byte {
	b = append(b, '5')
	b = num(b, int64(s.Service), 3)
	b = alpha(b, bt.CompanyName, 16)
	b = alpha(b, bt.DiscretionaryData, 20)
	b = alpha(b, bt.CompanyID, 10)
	b = append(b, bt.SEC...)
	b = alpha(b, bt.EntryDescription, 10)
	b = alpha(b, bt.DescriptiveDate, 6)
	b = bt.EffectiveDate.Time().AppendFormat(b, "060102")
	b = append(b, "   1"...)
	b = append(b, bt.ODFI...)
	return num(b, int64(number), 7)
}

// Entry Detail Record ("6"), PPD and WEB:
//
//	1 "6" · 2–3 transaction code · 4–11 receiving DFI identification ·
//	12 check digit · 13–29 DFI account number (left-justified) · 30–39
//	amount in cents · 40–54 individual identification number · 55–76
//	individual name · 77–78 discretionary data (WEB: payment type code) ·
//	79 addenda record indicator · 80–94 trace number.
func (e *Entry) append(b []byte) []byte {
	b = append(b, '6')
	b = num(b, int64(e.TransactionCode), 2)
	b = append(b, e.Routing...)
	b = alpha(b, e.Account, 17)
	b = num(b, e.AmountCents, 10)
	b = alpha(b, e.IndividualID, 15)
	b = alpha(b, e.IndividualName, 22)
	b = alpha(b, e.Discretionary, 2)
	b = append(b, '0')
	return append(b, e.TraceNumber...)
}

// Company/Batch Control Record ("8"):
//
//	1 "8" · 2–4 service class code · 5–10 entry/addenda count · 11–20
//	entry hash (sum of the entries' 8-digit RDFI identifications, its
//	rightmost 10 digits) · 21–32 total debit amount · 33–44 total credit
//	amount · 45–54 company identification · 55–73 message authentication
//	code (blank) · 74–79 reserved · 80–87 originating DFI identification ·
//	88–94 batch number.
func (bt *Batch) appendControl(b []byte, number int, s batchSummary) []byte {
	b = append(b, '8')
	b = num(b, int64(s.Service), 3)
	b = num(b, int64(s.EntryCount), 6)
	b = num(b, s.EntryHash%10_000_000_000, 10)
	b = num(b, s.DebitCents, 12)
	b = num(b, s.CreditCents, 12)
	b = alpha(b, bt.CompanyID, 10)
	b = append(b, strings.Repeat(" ", 25)...)
	b = append(b, bt.ODFI...)
	return num(b, int64(number), 7)
}

// File Control Record ("9"):
//
//	1 "9" · 2–7 batch count · 8–13 block count · 14–21 entry/addenda
//	count · 22–31 entry hash · 32–43 total debit amount · 44–55 total
//	credit amount · 56–94 reserved.
func appendFileControl(b []byte, s Summary) []byte {
	b = append(b, '9')
	b = num(b, int64(s.Batches), 6)
	b = num(b, int64(s.Blocks), 6)
	b = num(b, int64(s.EntryCount), 8)
	b = num(b, s.EntryHash, 10)
	b = num(b, s.DebitCents, 12)
	b = num(b, s.CreditCents, 12)
	return append(b, strings.Repeat(" ", 39)...)
}

// num appends v right-justified and zero-filled in width digits. A value
// that does not fit is a bug (check refuses such files first).
func num(b []byte, v int64, width int) []byte {
	if v < 0 {
		panic(fmt.Sprintf("ach: negative numeric field %d", v))
	}
	start := len(b)
	b = strconv.AppendInt(b, v, 10)
	n := len(b) - start
	if n > width {
		panic(fmt.Sprintf("ach: %d does not fit in %d digits", v, width))
	}
	if n < width {
		b = append(b, make([]byte, width-n)...)
		copy(b[start+width-n:], b[start:start+n])
		for i := start; i < start+width-n; i++ {
			b[i] = '0'
		}
	}
	return b
}

// alpha appends s left-justified and blank-filled in width characters,
// as Clean writes it.
func alpha(b []byte, s string, width int) []byte {
	if !isPrintable(s) {
		s = Clean(s)
	}
	n := min(len(s), width)
	for i := range n {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		b = append(b, c)
	}
	for ; n < width; n++ {
		b = append(b, ' ')
	}
	return b
}

// carriesText reports whether s, as Clean writes it, has something other
// than blanks and zeros.
func carriesText(s string) bool {
	if !isPrintable(s) {
		s = Clean(s)
	}
	return strings.Trim(s, " 0") != ""
}

func isPrintable(s string) bool {
	for i := range len(s) {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
