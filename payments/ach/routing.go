package ach

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Routing-number errors. Callers branch on them with errors.Is.
var (
	// ErrRoutingFormat: not nine digits, or a prefix no ACH participant has.
	ErrRoutingFormat = errors.New("routing number must be 9 digits of a US bank")
	// ErrRoutingCheckDigit: the ninth digit does not match the ABA checksum
	// (a mistyped digit or two swapped digits).
	ErrRoutingCheckDigit = errors.New("routing number check digit does not match")
	// ErrRoutingUnknown: a well-formed routing number that the lender's
	// routing-number directory does not list as an ACH participant.
	ErrRoutingUnknown = errors.New("routing number is not in the bank directory")
)

// CheckRouting reports whether s is a well-formed ABA routing transit
// number: nine digits whose first two are a Federal Reserve district
// (01–12), a thrift district (21–32) or an electronic-transaction
// prefix (61–72), and whose digits satisfy the ABA checksum
// 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10). Other prefixes
// (00 government, 80 traveler's checks, the unassigned rest) cannot
// receive ACH debits. It returns ErrRoutingFormat or ErrRoutingCheckDigit.
func CheckRouting(s string) error {
	if len(s) != 9 || !allDigits(s) {
		return ErrRoutingFormat
	}
	switch p := int(s[0]-'0')*10 + int(s[1]-'0'); {
	case p >= 1 && p <= 12, p >= 21 && p <= 32, p >= 61 && p <= 72:
	default:
		return ErrRoutingFormat
	}
	if RoutingCheckDigit(s[:8]) != s[8] {
		return ErrRoutingCheckDigit
	}
	return nil
}

// RoutingCheckDigit returns the ABA check digit of the first eight digits
// of a routing number (the Receiving DFI Identification of an entry).
func RoutingCheckDigit(first8 string) byte {
	weights := [8]int{3, 7, 1, 3, 7, 1, 3, 7}
	sum := 0
	for i := range 8 {
		sum += int(first8[i]-'0') * weights[i]
	}
	return byte('0' + (10-sum%10)%10)
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Bank is one routing number of the directory.
type Bank struct {
	Routing string
	Name    string
	City    string
	State   string
}

// Directory is the lender's routing-number directory: the banks that
// accept ACH entries. A routing number not in it is refused before any
// entry is sent, which catches a checksum-valid typo that would come back
// as an R03/R04 return days later.
type Directory struct {
	banks map[string]Bank
}

// Limits on a directory file.
const (
	directoryLinesMax = 100_000 // the FedACH directory lists about 20,000
	fedACHLineLen     = 155
)

// ErrDirectory is returned by LoadDirectory for a malformed file.
var ErrDirectory = errors.New("malformed routing directory")

// sampleDirectory is a small directory of fictional banks whose routing
// numbers pass the checksum, for development, the demo and tests.
//
//go:embed routing-directory.sample.csv
var sampleDirectory []byte

// SampleDirectory returns the built-in directory of fictional banks
// (routing-directory.sample.csv). Never use it in production: it lists no
// real bank.
func SampleDirectory() *Directory {
	d, err := LoadDirectory(bytes.NewReader(sampleDirectory))
	if err != nil {
		panic("ach: the embedded sample directory is malformed: " + err.Error())
	}
	return d
}

// LoadDirectory reads a routing-number directory in either of two forms:
//
//   - CSV with the header routing_number,name,city,state (lines starting
//     with # are comments), as in routing-directory.sample.csv;
//   - the Federal Reserve's FedACH participant directory, fixed-width
//     lines of 155 characters: routing number (1–9), office code (10),
//     servicing FRB (11–19), record type (20), change date (21–26), new
//     routing number (27–35), name (36–71), address (72–107), city
//     (108–127), state (128–129), … Record type 2 lines (the bank moved
//     to a new routing number) are skipped: only current numbers are
//     accepted.
//
// Every routing number must pass CheckRouting. It returns ErrDirectory
// naming the first bad line.
func LoadDirectory(r io.Reader) (*Directory, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(fedACHLineLen + 2)
	first, _, _ := bytes.Cut(head, []byte("\n"))
	first = bytes.TrimRight(first, "\r")
	if len(first) == fedACHLineLen && allDigits(string(first[:9])) {
		return loadFedACH(br)
	}
	return loadCSV(br)
}

func loadCSV(r io.Reader) (*Directory, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = 4
	header, err := cr.Read()
	if err != nil || strings.Join(header, ",") != "routing_number,name,city,state" {
		return nil, fmt.Errorf("%w: want the header routing_number,name,city,state", ErrDirectory)
	}
	d := &Directory{banks: map[string]Bank{}}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrDirectory, err)
		}
		line, _ := cr.FieldPos(0)
		if err := d.add(Bank{Routing: rec[0], Name: rec[1], City: rec[2], State: rec[3]}, line); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func loadFedACH(r io.Reader) (*Directory, error) {
	sc := bufio.NewScanner(r)
	d := &Directory{banks: map[string]Bank{}}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			continue
		}
		if len(line) != fedACHLineLen || !utf8.ValidString(line) {
			return nil, fmt.Errorf("%w: line %d is %d characters, want %d", ErrDirectory, n, len(line), fedACHLineLen)
		}
		if line[19] == '2' {
			continue
		}
		b := Bank{Routing: line[0:9], Name: strings.TrimSpace(line[35:71]), City: strings.TrimSpace(line[107:127]),
			State: strings.TrimSpace(line[127:129])}
		if err := d.add(b, n); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDirectory, err)
	}
	return d, nil
}

func (d *Directory) add(b Bank, line int) error {
	if len(d.banks) >= directoryLinesMax {
		return fmt.Errorf("%w: more than %d banks", ErrDirectory, directoryLinesMax)
	}
	if err := CheckRouting(b.Routing); err != nil {
		return fmt.Errorf("%w: line %d: %q: %v", ErrDirectory, line, b.Routing, err)
	}
	if strings.TrimSpace(b.Name) == "" {
		return fmt.Errorf("%w: line %d: bank name is empty", ErrDirectory, line)
	}
	d.banks[b.Routing] = b
	return nil
}

// Lookup returns the bank of a routing number. It returns
// ErrRoutingFormat or ErrRoutingCheckDigit for a malformed number and
// ErrRoutingUnknown for one the directory does not list. A nil Directory
// checks the number only.
func (d *Directory) Lookup(routing string) (Bank, error) {
	if err := CheckRouting(routing); err != nil {
		return Bank{}, err
	}
	if d == nil {
		return Bank{Routing: routing}, nil
	}
	b, ok := d.banks[routing]
	if !ok {
		return Bank{}, ErrRoutingUnknown
	}
	return b, nil
}

// Len returns the number of banks listed.
func (d *Directory) Len() int {
	if d == nil {
		return 0
	}
	return len(d.banks)
}
