package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"carfin/calendar"
	"carfin/money"
	"carfin/servicing"
)

// importLinesMax bounds a payments file; bigger files are split upstream.
const importLinesMax = 2_000_000

// importChunk is how many payments are posted between progress lines.
const importChunk = 10_000

// runImport: carfin import payments --file F [--db DSN]
//
// Posts a file of payments received (a lockbox or a processor's
// settlement file) through the batch API. The file is CSV with the header
// account_number,date,amount,key; key is the payment's idempotency key, so
// a file imported twice, or an import killed and run again, posts every
// payment exactly once. Every line is checked before anything is posted;
// a bad line fails the import naming the line and changes nothing.
func runImport(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "payments" {
		return usagef("import: want payments --file F")
	}
	fs := flag.NewFlagSet("import payments", flag.ContinueOnError)
	var f dbFlags
	f.register(fs, getenv)
	file := fs.String("file", "", "CSV file: account_number,date,amount,key")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *file == "" {
		return usagef("import payments: --file is required")
	}
	cutoff, err := f.cutoffOf()
	if err != nil {
		return err
	}
	in, err := os.Open(*file)
	if err != nil {
		return usagef("import payments: --file: %v", err)
	}
	defer in.Close()
	type line struct {
		n       int
		account string
		req     servicing.PaymentRequest
	}
	var lines []line
	r := csv.NewReader(in)
	r.FieldsPerRecord = 4
	header, err := r.Read()
	if err != nil || strings.Join(header, ",") != "account_number,date,amount,key" {
		return usagef("import payments: line 1: want the header account_number,date,amount,key")
	}
	var problems []string
	seenKeys := map[string]int{}
	for n := 2; ; n++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return usagef("import payments: line %d: %v", n, err)
		}
		if len(lines) >= importLinesMax {
			return usagef("import payments: more than %d lines", importLinesMax)
		}
		date, derr := calendar.Parse(rec[1])
		amount, aerr := money.Parse(rec[2])
		switch {
		case rec[0] == "":
			problems = append(problems, fmt.Sprintf("line %d: account number is empty", n))
		case derr != nil:
			problems = append(problems, fmt.Sprintf("line %d: date: %v", n, derr))
		case aerr != nil:
			problems = append(problems, fmt.Sprintf("line %d: amount: %v", n, aerr))
		case amount <= 0:
			problems = append(problems, fmt.Sprintf("line %d: amount must be positive", n))
		case rec[3] == "" || len(rec[3]) > 200:
			problems = append(problems, fmt.Sprintf("line %d: key must be 1–200 characters", n))
		case seenKeys[rec[3]] != 0:
			problems = append(problems, fmt.Sprintf("line %d: key %q repeats line %d", n, rec[3], seenKeys[rec[3]]))
		}
		seenKeys[rec[3]] = n
		lines = append(lines, line{n: n, account: rec[0], req: servicing.PaymentRequest{
			Request:     servicing.Request{Date: date, IdempotencyKey: rec[3], Actor: "import", Memo: "imported from " + *file},
			AmountCents: amount}})
	}
	d, err := openDB(ctx, f.dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	ids := map[string]int64{}
	rows, err := d.Read.QueryContext(ctx, `SELECT account_number, id FROM contracts`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var a string
		var id int64
		if err := rows.Scan(&a, &id); err != nil {
			rows.Close()
			return err
		}
		ids[a] = id
	}
	rows.Close()
	for i := range lines {
		id, ok := ids[lines[i].account]
		if !ok {
			problems = append(problems, fmt.Sprintf("line %d: no contract %q", lines[i].n, lines[i].account))
		}
		lines[i].req.ContractID = id
	}
	if len(problems) > 0 {
		if len(problems) > 20 {
			problems = append(problems[:20], fmt.Sprintf("… and %d more", len(problems)-20))
		}
		return usagef("import payments: nothing posted:\n  %s", strings.Join(problems, "\n  "))
	}
	sv := servicing.New(d, cutoff.Today)
	var posted, repeated, refused int
	for start := 0; start < len(lines); start += importChunk {
		part := lines[start:min(start+importChunk, len(lines))]
		reqs := make([]servicing.PaymentRequest, len(part))
		for i, l := range part {
			reqs[i] = l.req
		}
		res, err := sv.PostPayments(ctx, reqs)
		if err != nil {
			return err
		}
		for i, r := range res {
			switch {
			case r.Err != nil:
				refused++
				fmt.Fprintf(stdout, "line %d refused: %v\n", part[i].n, r.Err)
			case r.Duplicate:
				repeated++
			default:
				posted++
			}
		}
		fmt.Fprintf(stdout, "progress: %d of %d lines\n", start+len(part), len(lines))
	}
	fmt.Fprintf(stdout, "imported %s: %d posted, %d already posted, %d refused\n", *file, posted, repeated, refused)
	return nil
}
