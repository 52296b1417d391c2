package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/keyring"
	"carfin/mailhouse"
	"carfin/servicing"
	"carfin/statements"
	"carfin/tax"
	"carfin/web"
	"carfin/webcore"
)

// statementLender is the lender as its statements show it, from the
// settings serve reads: the brand, the correspondence address (where
// disputes go too) and the payments address of the coupon.
func statementLender(brand webcore.Brand, addresses []web.MailingAddress, lenderAddress, baseURL string) statements.Lender {
	address := splitLines(lenderAddress)
	if address == nil {
		address = addressOf(addresses, "correspondence")
		if len(address) > 1 && strings.HasPrefix(address[0], brand.Name) {
			address = address[1:] // the letterhead names the lender already
		}
	}
	return statements.Lender{Name: brand.Name, Address: address, Phone: brand.SupportPhone, Hours: brand.SupportHours,
		HoursES: brand.SupportHoursES, PaymentAddress: addressOf(addresses, "payments"), DisputeAddress: address,
		Portal: baseURL, Primary: brand.Primary, Accent: brand.Accent}
}

// newStatements makes the statement service of serve's settings, with
// paper statements queued for the mail house, and the function that
// writes a date's print batch to printDir (nil without one).
func newStatements(cfg serveConfig, d *db.DB, sv *servicing.Service) (*statements.Service, func(context.Context, calendar.Date) error, error) {
	st, err := statements.New(d, sv, statements.Config{Lender: statementLender(cfg.Brand, cfg.MailingAddresses, cfg.LenderAddress, cfg.BaseURL),
		LeadDays: cfg.StatementLeadDays, BaseURL: cfg.BaseURL, Print: mailhouse.EnqueueMany})
	if err != nil {
		return nil, nil, usagef("serve: %v", err)
	}
	if cfg.PrintDir == "" {
		return st, nil, nil
	}
	return st, func(ctx context.Context, date calendar.Date) error {
		_, err := mailhouse.WriteBatch(ctx, d, cfg.PrintDir, date)
		return err
	}, nil
}

// runStatements is `carfin statements`: make a date's statements by hand
// (day close does it every day), write a date's print batch, or queue a
// statement to be printed again.
func runStatements(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("statements: want run --date D, print --date D, or reprint --document N")
	}
	// The lender's identity and settings are serve's (flags or CARFIN_*).
	fs := flag.NewFlagSet("statements "+args[0], flag.ContinueOnError)
	var dateStr, doc string
	var chunkSize int64
	fs.StringVar(&dateStr, "date", "", "business date YYYY-MM-DD (reprint: the print batch; default today)")
	if args[0] == "run" {
		fs.Int64Var(&chunkSize, "chunk-size", servicing.DayCloseChunkSize, "contract ids per chunk")
	}
	if args[0] == "reprint" {
		fs.StringVar(&doc, "document", "", "id of the stored statement (a document) to print again")
	}
	cfg, err := parseServeConfigInto(fs, args[1:], getenv, stderr)
	if err != nil {
		return err
	}
	cutoff, err := calendar.ParseCutoff(cfg.Cutoff, cfg.TimeZone)
	if err != nil {
		return usagef("statements: %v", err)
	}
	tuneGC(getenv) // PDFs allocate: serve's collector setting
	d, err := openDB(ctx, cfg.DSN)
	if err != nil {
		return err
	}
	defer d.Close()
	date := cutoff.Today(d.Now())
	if dateStr != "" {
		if date, err = calendar.Parse(dateStr); err != nil {
			return usagef("statements %s: --date: %v", args[0], err)
		}
	}
	sv := servicing.New(d, cutoff.Today)
	switch args[0] {
	case "run":
		st, _, err := newStatements(cfg, d, sv)
		if err != nil {
			return err
		}
		if chunkSize < 1 {
			return usagef("statements run: --chunk-size must be positive")
		}
		sv.SetDayCloseChunkSize(chunkSize)
		chunks, err := sv.DayCloseChunks(ctx)
		if err != nil {
			return err
		}
		// Chunk by chunk, as day close's jobs make them, saying each: a
		// run stopped part-way resumes where it stopped.
		var s statements.Stats
		for _, ch := range chunks {
			cs, err := st.RunChunk(ctx, date, ch)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s: contracts %d-%d: %d statements\n", date, ch.First, ch.Last, cs.Statements)
			s.Statements, s.Final, s.Paper, s.Emails, s.Texts, s.PDFBytes = s.Statements+cs.Statements, s.Final+cs.Final,
				s.Paper+cs.Paper, s.Emails+cs.Emails, s.Texts+cs.Texts, s.PDFBytes+cs.PDFBytes
		}
		fmt.Fprintf(stdout, "%s: %d statements (%d final), %d for print, %d emails, %d texts, %d PDF bytes\n",
			date, s.Statements, s.Final, s.Paper, s.Emails, s.Texts, s.PDFBytes)
		return nil
	case "print":
		if cfg.PrintDir == "" {
			return usagef("statements print: --print-dir (CARFIN_PRINT_DIR) is required")
		}
		b, err := mailhouse.WriteBatch(ctx, d, cfg.PrintDir, date)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %+v\n", date, b)
		return nil
	case "reprint":
		id, err := strconv.ParseInt(doc, 10, 64)
		if err != nil || id <= 0 {
			return usagef("statements reprint: --document must be a document id")
		}
		if err := mailhouse.Reprint(ctx, d, id, date); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "document %d queued for the print batch of %s\n", id, date)
		return nil
	}
	return usagef("statements: unknown %q (run, print, reprint)", args[0])
}

// newYearEnd makes the tax service of serve's settings (the statements'
// lender, CARFIN_LENDER_TIN, the payments key ring) and the day's
// year-end work for the jobs: in January, the past tax year's returns,
// borrower statements and interest summaries (due by tax.DueBy; YearEnd
// is idempotent, so each January day repeats nothing); every day, the
// corrections of the years already reported.
func newYearEnd(cfg serveConfig, d *db.DB, keys *keyring.Keyring, loc *time.Location) (func(context.Context, calendar.Date) error, error) {
	l := statementLender(cfg.Brand, cfg.MailingAddresses, cfg.LenderAddress, cfg.BaseURL)
	ts, err := tax.New(d, tax.Config{Lender: tax.Lender{Name: l.Name, Address: l.Address, Phone: l.Phone, TIN: cfg.env("CARFIN_LENDER_TIN")},
		Keys: keys, Mailer: mailhouse.Enqueue, Zone: loc})
	if err != nil {
		return nil, usagef("serve: %v", err)
	}
	return func(ctx context.Context, date calendar.Date) error {
		if y := date.Year() - 1; date.Month() == time.January && y >= tax.FirstTaxYear && y <= tax.LastTaxYear {
			if _, err := ts.YearEnd(ctx, y, date); err != nil {
				return err
			}
		}
		for _, y := range tax.CorrectionYears(date) {
			if _, err := ts.Corrections(ctx, y); err != nil {
				return err
			}
		}
		return nil
	}, nil
}
