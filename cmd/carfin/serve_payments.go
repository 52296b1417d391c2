package main

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"carfin/calendar"
	"carfin/console"
	"carfin/db"
	"carfin/payments"
	"carfin/payments/cardtest"
	"carfin/servicing"
)

// tokenizerPath is where serve mounts the test card processor's
// tokenizer, beside the portal but outside it: the card form posts the
// card number there, and the portal's handlers never see it.
const tokenizerPath = "/cardtest"

// servePayments builds the payments service of `carfin serve` from the
// environment (CARFIN_PAYMENT_KEYS, CARFIN_ROUTING_FILE, CARFIN_ACH_*,
// CARFIN_CARD_*; the README's Payments section), with the lender's name
// and the portal's public URL taken from serve's own settings. When the
// built-in test card processor is configured it also returns its
// tokenizer, to be mounted at tokenizerPath. originates reports whether
// the lender's bank (CARFIN_ACH_ODFI, CARFIN_ACH_COMPANY_ID) and the drop
// directory (CARFIN_ACH_DIR) are set, so that the day's payments run —
// autopay, card captures, the NACHA file, settlement, reminders — can run
// in this process's jobs. Outside loopback it warns loudly about the test
// processor (no card is ever charged) and the public development key.
func servePayments(cfg serveConfig, d *db.DB, sv *servicing.Service, cutoff calendar.Cutoff, base string, loopback bool,
	log *slog.Logger, stdout io.Writer) (pay *payments.Service, tokenizer http.Handler, originates bool, err error) {
	getenv := func(k string) string {
		switch k {
		case "CARFIN_LENDER_NAME":
			return cfg.Brand.Name
		case "CARFIN_BASE_URL":
			return base
		case "CARFIN_SUPPORT_PHONE":
			return cfg.Brand.SupportPhone
		}
		if cfg.env == nil {
			return ""
		}
		return cfg.env(k)
	}
	pay, err = paymentsFromEnv(getenv, d, sv, cutoff, log)
	if err != nil {
		return nil, nil, false, fmt.Errorf("payments: %w", err)
	}
	c := pay.Config()
	if c.Keys == nil {
		log.Warn("no CARFIN_PAYMENT_KEYS: customers cannot add bank accounts")
	}
	originates = c.Origin.ODFIRouting != "" && c.Origin.CompanyID != "" && c.OutDir != ""
	if !originates {
		log.Warn("CARFIN_ACH_ODFI, CARFIN_ACH_COMPANY_ID or CARFIN_ACH_DIR is not set: the day's payments run (NACHA file) does not run here")
	}
	if p, ok := c.Processor.(*cardtest.Processor); ok {
		tokenizer = http.StripPrefix(tokenizerPath, cardtest.NewHandler(p, base))
	}
	if !loopback {
		if tokenizer != nil {
			fmt.Fprint(stdout, "\n*** WARNING: CARFIN_CARD_PROCESSOR=test: cards go to the built-in TEST processor. ***\n"+
				"*** No card is ever charged. Never use it where real customers pay.         ***\n\n")
			log.Warn("the test card processor is serving on a non-loopback address: no card is charged")
		}
		if getenv("CARFIN_PAYMENT_KEYS") == "dev" {
			fmt.Fprint(stdout, "\n*** WARNING: CARFIN_PAYMENT_KEYS=dev: bank account numbers are encrypted with  ***\n"+
				"*** the PUBLIC development key. Generate keys (openssl rand -base64 32).      ***\n\n")
			log.Warn("bank account numbers are encrypted with the public development key on a non-loopback address")
		}
	}
	return pay, tokenizer, originates, nil
}

// withTokenizer serves the test processor's tokenizer under tokenizerPath
// and the portal everywhere else.
func withTokenizer(portal, tokenizer http.Handler) http.Handler {
	if tokenizer == nil {
		return portal
	}
	mux := http.NewServeMux()
	mux.Handle(tokenizerPath+"/", tokenizer)
	mux.Handle("/", portal)
	return mux
}

// withStaffConsole serves the staff console under /staff/ beside the
// portal (when it has no listener of its own): the two realms share the
// origin but not a route, a cookie or a session.
func withStaffConsole(portal, staffConsole http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(console.Prefix+"/", staffConsole)
	mux.Handle(console.Prefix, http.RedirectHandler(console.Prefix+"/", http.StatusMovedPermanently))
	mux.Handle("/", portal)
	return mux
}
