// Package nachatest checks NACHA files for tests, independently of
// payments/ach: its parser is written from the published record layouts
// (Nacha Operating Rules, Appendix Three) and shares no code with the
// writer, so a mistake in one is not repeated in the other. The ach
// package's golden tests and the payments tests (every file a run writes)
// use it.
package nachatest

import (
	"strconv"
	"strings"
	"testing"
)

// Parsed is what the independent parser found.
type Parsed struct {
	Batches, Entries, Blocks int
	EntryHash                int64
	DebitCents, CreditCents  int64
}

// Parse checks a NACHA file against the published record
// layouts without using the package's code: every line 94 characters,
// records in order, every field where the layout puts it, and the batch
// and file controls' counts, entry hash and totals recomputed from the
// entries.
func Parse(t testing.TB, s string) Parsed {
	t.Helper()
	if !strings.HasSuffix(s, "\n") {
		t.Fatal("file does not end with a line break")
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines)%10 != 0 {
		t.Fatalf("%d lines: not blocked by 10", len(lines))
	}
	num := func(l string, from, to int) int64 { // 1-based positions, inclusive
		t.Helper()
		f := l[from-1 : to]
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil || strings.ContainsAny(f, " +-") {
			t.Fatalf("positions %d–%d of %q are not a zero-filled number", from, to, l)
		}
		return v
	}
	var p Parsed
	state := "header"
	var batchEntries, batchHash, batchDebit, batchCredit int64
	var service, batchNo, lastTrace string
	var fileEntries, fileHash, fileDebit, fileCredit int64
	padding := false
	for i, l := range lines {
		if len(l) != 94 {
			t.Fatalf("line %d is %d characters: %q", i+1, len(l), l)
		}
		for _, r := range l {
			if r < 0x20 || r > 0x7e {
				t.Fatalf("line %d has a non-ASCII character", i+1)
			}
		}
		if padding {
			if l != strings.Repeat("9", 94) {
				t.Fatalf("line %d after the file control is not 9-padding", i+1)
			}
			continue
		}
		switch l[0] {
		case '1':
			if state != "header" || l[1:3] != "01" || l[3] != ' ' || l[34:37] != "094" || l[37:39] != "10" || l[39] != '1' {
				t.Fatalf("file header wrong: %q", l)
			}
			num(l, 5, 13)
			num(l, 24, 29) // YYMMDD
			num(l, 30, 33) // HHMM
			state = "file"
		case '5':
			if state != "file" {
				t.Fatalf("line %d: batch header out of place", i+1)
			}
			service, batchNo = l[1:4], l[87:94]
			if service != "200" && service != "220" && service != "225" {
				t.Fatalf("service class %q", service)
			}
			if sec := l[50:53]; sec != "WEB" && sec != "PPD" {
				t.Fatalf("SEC code %q", sec)
			}
			num(l, 70, 75) // effective entry date
			if l[75:78] != "   " || l[78] != '1' {
				t.Fatalf("settlement date must be blank and originator status 1: %q", l)
			}
			num(l, 80, 87)
			if num(l, 88, 94) != int64(p.Batches+1) {
				t.Fatalf("batch number %s, want %d", l[87:94], p.Batches+1)
			}
			batchEntries, batchHash, batchDebit, batchCredit, lastTrace = 0, 0, 0, 0, ""
			state = "batch"
		case '6':
			if state != "batch" {
				t.Fatalf("line %d: entry out of place", i+1)
			}
			code := num(l, 2, 3)
			rdfi := l[3:11]
			check := l[11]
			w := []int{3, 7, 1, 3, 7, 1, 3, 7}
			sum := 0
			for j := range 8 {
				sum += int(rdfi[j]-'0') * w[j]
			}
			if byte('0'+(10-sum%10)%10) != check {
				t.Fatalf("line %d: check digit %c of %s is wrong", i+1, check, rdfi)
			}
			amount := num(l, 30, 39)
			switch code {
			case 27, 37, 28, 38:
				batchDebit += amount
			case 22, 32, 23, 33:
				batchCredit += amount
			default:
				t.Fatalf("transaction code %d", code)
			}
			if (code == 28 || code == 38 || code == 23 || code == 33) != (amount == 0) {
				t.Fatalf("line %d: prenotes and only prenotes have a zero amount", i+1)
			}
			if l[78] != '0' {
				t.Fatalf("addenda indicator %c", l[78])
			}
			trace := l[79:94]
			num(l, 80, 94)
			if trace <= lastTrace {
				t.Fatalf("line %d: trace %s not ascending", i+1, trace)
			}
			lastTrace = trace
			v, _ := strconv.ParseInt(rdfi, 10, 64)
			batchHash += v
			batchEntries++
			p.Entries++
		case '8':
			if state != "batch" || l[1:4] != service || l[87:94] != batchNo {
				t.Fatalf("line %d: batch control does not match its header", i+1)
			}
			if num(l, 5, 10) != batchEntries || num(l, 11, 20) != batchHash%10_000_000_000 ||
				num(l, 21, 32) != batchDebit || num(l, 33, 44) != batchCredit {
				t.Fatalf("line %d: batch control totals wrong: %q (entries %d hash %d debit %d credit %d)", i+1, l, batchEntries, batchHash, batchDebit, batchCredit)
			}
			if (service == "225" && batchCredit != 0) || (service == "220" && batchDebit != 0) {
				t.Fatalf("service class %s with debits %d and credits %d", service, batchDebit, batchCredit)
			}
			p.Batches++
			fileEntries += batchEntries
			fileHash += batchHash
			fileDebit += batchDebit
			fileCredit += batchCredit
			state = "file"
		case '9':
			if state != "file" {
				t.Fatalf("line %d: file control out of place", i+1)
			}
			if num(l, 2, 7) != int64(p.Batches) || num(l, 8, 13) != int64(len(lines)/10) || num(l, 14, 21) != fileEntries ||
				num(l, 22, 31) != fileHash%10_000_000_000 || num(l, 32, 43) != fileDebit || num(l, 44, 55) != fileCredit ||
				l[55:] != strings.Repeat(" ", 39) {
				t.Fatalf("file control wrong: %q", l)
			}
			padding = true
		default:
			t.Fatalf("line %d: record type %c", i+1, l[0])
		}
	}
	if !padding {
		t.Fatal("no file control record")
	}
	p.Blocks = len(lines) / 10
	p.EntryHash = fileHash % 10_000_000_000
	p.DebitCents, p.CreditCents = fileDebit, fileCredit
	return p
}
