package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"carfin/calendar"
	"carfin/db"
	"carfin/money"
	"carfin/payments"
	"carfin/payments/ach"
	"carfin/payments/cardtest"
	"carfin/servicing"
)

// returnFileBytesMax bounds a return file read by `carfin ach returns`.
const returnFileBytesMax = 64 << 20

// paymentsFromEnv builds the payments service from the environment (the
// README's "Payments" section lists the variables). serve and the
// payments commands share it.
func paymentsFromEnv(getenv func(string) string, d *db.DB, sv *servicing.Service, cutoff calendar.Cutoff, log *slog.Logger) (*payments.Service, error) {
	if log == nil {
		log = slog.Default()
	}
	cfg := payments.Config{
		LenderName: envOr(getenv, "CARFIN_LENDER_NAME", "Your lender"),
		Cutoff:     cutoff,
		OutDir:     getenv("CARFIN_ACH_DIR"),
		PortalURL:  getenv("CARFIN_BASE_URL"),
		Phone:      getenv("CARFIN_SUPPORT_PHONE"), // the TEL script of a payment by phone says it
		Log:        log,
		Origin: payments.Origin{
			ODFIRouting:     getenv("CARFIN_ACH_ODFI"),
			Destination:     getenv("CARFIN_ACH_DESTINATION"),
			DestinationName: getenv("CARFIN_ACH_DESTINATION_NAME"),
			ImmediateOrigin: getenv("CARFIN_ACH_ORIGIN"),
			OriginName:      getenv("CARFIN_ACH_ORIGIN_NAME"),
			CompanyName:     getenv("CARFIN_ACH_COMPANY_NAME"),
			CompanyID:       getenv("CARFIN_ACH_COMPANY_ID"),
		},
	}
	switch k := getenv("CARFIN_PAYMENT_KEYS"); k {
	case "":
		// Bank accounts cannot be added or debited without a key.
	case "dev":
		log.Warn("CARFIN_PAYMENT_KEYS=dev: bank account numbers are encrypted with the development key, which is public")
		cfg.Keys = payments.DevKeyring()
	default:
		keys, err := payments.ParseKeys(k)
		if err != nil {
			return nil, usagef("CARFIN_PAYMENT_KEYS: %v", err)
		}
		cfg.Keys = keys
	}
	switch f := getenv("CARFIN_ROUTING_FILE"); f {
	case "":
	case "sample":
		cfg.Directory = ach.SampleDirectory()
	default:
		in, err := os.Open(f)
		if err != nil {
			return nil, usagef("CARFIN_ROUTING_FILE: %v", err)
		}
		defer in.Close()
		if cfg.Directory, err = ach.LoadDirectory(in); err != nil {
			return nil, usagef("CARFIN_ROUTING_FILE %s: %v", f, err)
		}
	}
	if fee := getenv("CARFIN_CARD_FEE"); fee != "" {
		c, err := money.Parse(fee)
		if err != nil {
			return nil, usagef("CARFIN_CARD_FEE: %v", err)
		}
		cfg.ConvenienceFeeCents = c
	}
	if r := getenv("CARFIN_ACH_RETRIES"); r != "" {
		n, err := strconv.Atoi(r)
		if err != nil {
			return nil, usagef("CARFIN_ACH_RETRIES: want 0, 1 or 2")
		}
		cfg.Retries = n
	}
	if r := getenv("CARFIN_ACH_CHUNK"); r != "" {
		n, err := strconv.Atoi(r)
		if err != nil {
			return nil, usagef("CARFIN_ACH_CHUNK: want a number of payments")
		}
		cfg.OriginateChunk = n
	}
	if r := getenv("CARFIN_AUTOPAY_DAYS_BEFORE_MAX"); r != "" {
		n, err := strconv.Atoi(r)
		if err != nil {
			return nil, usagef("CARFIN_AUTOPAY_DAYS_BEFORE_MAX: want a number of days")
		}
		cfg.AutopayDaysBeforeMax = n
	}
	switch p := getenv("CARFIN_CARD_PROCESSOR"); p {
	case "":
	case "test":
		cfg.Processor = cardtest.New(envOr(getenv, "CARFIN_CARD_TEST_SECRET", "carfin-test-processor"))
	default:
		return nil, usagef("CARFIN_CARD_PROCESSOR %q: only the built-in \"test\" processor exists yet", p)
	}
	pay, err := payments.New(d, sv, cfg)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return pay, nil
}

// openPayments opens the database and the payments service for a command;
// verbose logs every step (each chunk of the NACHA file) to log.
func openPayments(ctx context.Context, f *dbFlags, getenv func(string) string, logTo io.Writer, verbose bool) (*db.DB, *payments.Service, error) {
	cutoff, err := f.cutoffOf()
	if err != nil {
		return nil, nil, err
	}
	d, err := openDB(ctx, f.dsn)
	if err != nil {
		return nil, nil, err
	}
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(logTo, &slog.HandlerOptions{Level: level}))
	pay, err := paymentsFromEnv(getenv, d, servicing.New(d, cutoff.Today), cutoff, log)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	return d, pay, nil
}

// runPayments: carfin payments run --date D | reencrypt
func runPayments(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "run" && args[0] != "reencrypt") {
		return usagef("payments: want run --date D (the day's autopay, card captures, NACHA file, settlement and notices) or reencrypt")
	}
	fs := flag.NewFlagSet("payments "+args[0], flag.ContinueOnError)
	var f dbFlags
	f.register(fs, getenv)
	var dateStr string
	var verbose bool
	if args[0] == "run" {
		fs.StringVar(&dateStr, "date", "", "business date YYYY-MM-DD (default: today in the lender's zone)")
		fs.BoolVar(&verbose, "verbose", false, "log each step to standard output")
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	logTo := stderr
	if verbose {
		logTo = stdout
	}
	d, pay, err := openPayments(ctx, &f, getenv, logTo, verbose)
	if err != nil {
		return err
	}
	defer d.Close()
	if args[0] == "reencrypt" {
		n, err := pay.ReEncrypt(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "re-encrypted %d account numbers with key %s\n", n, pay.Config().Keys.Current())
		return nil
	}
	date := pay.Config().Cutoff.Today(d.Now())
	if dateStr != "" {
		if date, err = calendar.Parse(dateStr); err != nil {
			return usagef("payments run: --date: %v", err)
		}
	}
	t0 := time.Now()
	st, err := pay.RunDay(ctx, date)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: settled %d, accounts validated by prenote %d, autopay debits %d (skipped %d), cards charged %d (declined %d, failed %d), "+
		"card refunds %d and voids %d (still owed %d), reminders %d, amount notices %d\n",
		date, st.Settled, st.Prenotes, st.Autopay.Created, st.Autopay.Skipped, st.Cards.Charged, st.Cards.Declined, st.Cards.Failed,
		st.Reversals.Refunded, st.Reversals.Voided, st.Reversals.Failed+st.Reversals.Deferred, st.Notices.Reminders, st.Notices.Varying)
	printFile(stdout, st.File)
	fmt.Fprintf(stdout, "done in %s\n", time.Since(t0).Round(time.Millisecond))
	return nil
}

func printFile(w io.Writer, r payments.FileResult) {
	if r.FileID == 0 {
		fmt.Fprintf(w, "no ACH file for %s (nothing due, or not a business day)\n", r.Date)
		return
	}
	fmt.Fprintf(w, "ACH file %s: %d entries, debits %s, credits %s, effective %s, sha256 %s\n", r.Path, r.Entries,
		money.Cents(r.DebitCents).Dollars(), money.Cents(r.CreditCents).Dollars(), r.EffectiveDate, r.SHA256)
	fmt.Fprintf(w, "payments posted %d, skipped %d, failed %d, held for staff review %d\n", r.Posted, r.Skipped, r.Failed, r.Held)
}

// runACH: carfin ach file --date D [--out DIR] | returns --file F
func runACH(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "file" && args[0] != "returns") {
		return usagef("ach: want file --date D [--out DIR] or returns --file F")
	}
	fs := flag.NewFlagSet("ach "+args[0], flag.ContinueOnError)
	var f dbFlags
	f.register(fs, getenv)
	var dateStr, out, file string
	if args[0] == "file" {
		fs.StringVar(&dateStr, "date", "", "business date YYYY-MM-DD (default: today in the lender's zone)")
		fs.StringVar(&out, "out", "", "directory the file is written to (env CARFIN_ACH_DIR)")
	} else {
		fs.StringVar(&file, "file", "", "return file: NACHA, or CSV trace_number,code,corrected_data")
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if args[0] == "returns" && file == "" {
		return usagef("ach returns: --file is required")
	}
	if out != "" {
		prev := getenv
		getenv = func(k string) string {
			if k == "CARFIN_ACH_DIR" {
				return out
			}
			return prev(k)
		}
	}
	d, pay, err := openPayments(ctx, &f, getenv, stderr, false)
	if err != nil {
		return err
	}
	defer d.Close()
	if args[0] == "returns" {
		in, err := os.Open(file)
		if err != nil {
			return usagef("ach returns: --file: %v", err)
		}
		data, err := io.ReadAll(io.LimitReader(in, returnFileBytesMax+1))
		in.Close()
		if err != nil {
			return err
		}
		if len(data) > returnFileBytesMax {
			return usagef("ach returns: %s is larger than %d bytes", file, returnFileBytesMax)
		}
		st, err := pay.ImportReturns(ctx, filepath.Base(file), data)
		if err != nil {
			return err
		}
		if st.Already {
			fmt.Fprintf(stdout, "%s was imported before; nothing done\n", file)
			return nil
		}
		fmt.Fprintf(stdout, "%s: %d returns, %d notifications of change, %d re-presentments scheduled, %d NSF fees, %d for review, %d already processed, %d unmatched\n",
			file, st.Returns, st.NOCs, st.Retries, st.Fees, st.Review, st.Duplicate, st.Unmatched)
		return nil
	}
	today := pay.Config().Cutoff.Today(d.Now())
	date := today
	if dateStr != "" {
		if date, err = calendar.Parse(dateStr); err != nil {
			return usagef("ach file: --date: %v", err)
		}
	}
	if date > today {
		// Servicing cannot post a payment dated after its business date:
		// refused here, before a file or a payment is touched.
		return usagef("ach file: --date %s is after today's business date %s; a day's file is written on that day", date, today)
	}
	r, err := pay.OriginateACH(ctx, date)
	if err != nil {
		return err
	}
	printFile(stdout, r)
	return nil
}
