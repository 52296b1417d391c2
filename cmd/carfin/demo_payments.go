package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"carfin/calendar"
	"carfin/db"
	"carfin/demo"
	"carfin/servicing"
)

// demoKeyFile holds the demo's key for bank account numbers, generated at
// the first run into the demo's data directory (it is not the public
// development key, and it stays with the database it encrypts).
const demoKeyFile = "payment-key"

// demoPaymentsEnv gives `carfin demo` working payment settings — a key
// generated into dir, the sample routing directory, the test card
// processor, the fictional lender's bank and a NACHA drop directory under
// dir — unless the environment sets them.
func demoPaymentsEnv(getenv func(string) string, dir string) (func(string) string, error) {
	keyPath := filepath.Join(dir, demoKeyFile)
	key, err := os.ReadFile(keyPath)
	if errors.Is(err, fs.ErrNotExist) {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		key = []byte(base64.StdEncoding.EncodeToString(raw))
		if err := os.WriteFile(keyPath, key, 0o600); err != nil {
			return nil, fmt.Errorf("demo: payment key: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("demo: payment key: %w", err)
	}
	achDir := filepath.Join(dir, "ach")
	if err := os.MkdirAll(achDir, 0o700); err != nil {
		return nil, fmt.Errorf("demo: ACH directory: %w", err)
	}
	defaults := map[string]string{
		"CARFIN_PAYMENT_KEYS":         "demo:" + strings.TrimSpace(string(key)),
		"CARFIN_ROUTING_FILE":         "sample",
		"CARFIN_CARD_PROCESSOR":       "test",
		"CARFIN_ACH_DIR":              achDir,
		"CARFIN_ACH_ODFI":             demo.ODFIRouting,
		"CARFIN_ACH_DESTINATION_NAME": demo.ODFIName,
		"CARFIN_ACH_COMPANY_ID":       demo.ACHCompanyID,
		"CARFIN_ACH_COMPANY_NAME":     demo.ACHCompanyName,
	}
	return func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return defaults[k]
	}, nil
}

// ensureDemoPayments gives the demo customer a confirmed bank account, a
// card and payments to show (demo.Payments), through the payments
// service serve will run with.
func ensureDemoPayments(ctx context.Context, d *db.DB, cfg serveConfig, book demo.Book) error {
	cutoff, err := calendar.ParseCutoff(cfg.Cutoff, cfg.TimeZone)
	if err != nil {
		return err
	}
	quiet := slog.New(slog.DiscardHandler)
	pay, _, _, err := servePayments(cfg, d, servicing.New(d, cutoff.Today), cutoff, cfg.BaseURL, true, quiet, nil)
	if err != nil {
		return err
	}
	return demo.Payments(ctx, d, pay, book.LoginCustomerID)
}
