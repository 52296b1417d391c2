package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"carfin/db"
	"carfin/keyring"
	"carfin/tax"
)

// taxConfigFromEnv reads the tax service's configuration: the lender
// (CARFIN_LENDER_NAME, CARFIN_LENDER_ADDRESS with lines separated by ';',
// CARFIN_SUPPORT_PHONE, CARFIN_LENDER_TIN: the EIN the returns are filed
// under) and the key ring that opens taxpayer ids (CARFIN_PAYMENT_KEYS,
// "dev" for the development key). A mailer is the caller's to set.
func taxConfigFromEnv(getenv func(string) string, loc *time.Location) (tax.Config, error) {
	cfg := tax.Config{Zone: loc, Lender: tax.Lender{
		Name:  envOr(getenv, "CARFIN_LENDER_NAME", "Your lender"),
		Phone: getenv("CARFIN_SUPPORT_PHONE"),
		TIN:   getenv("CARFIN_LENDER_TIN"),
	}}
	for line := range strings.SplitSeq(getenv("CARFIN_LENDER_ADDRESS"), ";") {
		if line = strings.TrimSpace(line); line != "" {
			cfg.Lender.Address = append(cfg.Lender.Address, line)
		}
	}
	switch k := getenv("CARFIN_PAYMENT_KEYS"); k {
	case "":
	case "dev":
		cfg.Keys = keyring.Dev()
	default:
		keys, err := keyring.Parse(k)
		if err != nil {
			return tax.Config{}, usagef("CARFIN_PAYMENT_KEYS: %v", err)
		}
		cfg.Keys = keys
	}
	return cfg, nil
}

// taxFromEnv builds the tax service over d from the environment
// (taxConfigFromEnv), with mail as its mailer (nil: paper statements wait).
func taxFromEnv(getenv func(string) string, d *db.DB, loc *time.Location, mail tax.Mailer) (*tax.Service, error) {
	cfg, err := taxConfigFromEnv(getenv, loc)
	if err != nil {
		return nil, err
	}
	cfg.Mailer = mail
	ts, err := tax.New(d, cfg)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return ts, nil
}

// runTax: carfin tax 1098-vli --year Y [--out DIR] [--all] [--db DSN]
// writes the year's Form 1098-VLI returns not yet filed (every return of
// the year with --all) as the filing CSV (tax.FilingColumns documents each
// column), readable only by its owner since it holds full taxpayer ids,
// marks them filed, and prints how many and their box 1 total.
func runTax(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "1098-vli" {
		return usagef("tax: want 1098-vli --year Y [--out DIR] [--all]")
	}
	fs := flag.NewFlagSet("tax 1098-vli", flag.ContinueOnError)
	var f dbFlags
	f.register(fs, getenv)
	var year int
	var out string
	var all bool
	fs.IntVar(&year, "year", 0, "tax year (2025-2028)")
	fs.StringVar(&out, "out", ".", "directory the filing file is written to")
	fs.BoolVar(&all, "all", false, "write every return of the year, filed ones too (they stay filed)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if year < tax.FirstTaxYear || year > tax.LastTaxYear {
		return usagef("tax 1098-vli: --year %d: want %d-%d", year, tax.FirstTaxYear, tax.LastTaxYear)
	}
	loc, err := time.LoadLocation(f.timeZone)
	if err != nil {
		return usagef("--time-zone: %v", err)
	}
	d, err := openDB(ctx, f.dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	ts, err := taxFromEnv(getenv, d, loc, nil)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o700); err != nil {
		return err
	}
	name := filepath.Join(out, fmt.Sprintf("1098-VLI-%d-%s.csv", year, d.Now().UTC().Format("20060102T150405Z")))
	tmp, err := os.OpenFile(name+".tmp", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	filing, err := ts.WriteFiling(ctx, tmp, year, all)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name+".tmp", name)
	}
	if err != nil {
		_ = os.Remove(name + ".tmp") // the error above is the one to report
		return fmt.Errorf("tax 1098-vli %d: %w", year, err)
	}
	if err := ts.MarkFiled(ctx, filing.IDs); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d Form 1098-VLI returns for %d (%d corrected), box 1 total %s\n",
		name, len(filing.IDs), year, filing.Corrected, filing.InterestCents)
	return nil
}
